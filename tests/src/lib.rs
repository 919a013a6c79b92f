//! Shared test machinery of Városkapu: the contract suite of each port, run by
//! `tests/tests/*_contract.rs` against every engine, and end-to-end helpers.

pub mod blob_contract;
pub mod table_contract;
