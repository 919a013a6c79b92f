//! Shared test machinery of Városkapu: the contract suite of each port (and of the audit
//! log over the table), run by
//! `tests/tests/e2e/*_contract.rs` against every engine, the moto guard of every AWS-engine
//! test, and end-to-end helpers.

pub mod audit_contract;
pub mod blob_contract;
pub mod moto;
pub mod registry_contract;
pub mod search_contract;
pub mod table_contract;
