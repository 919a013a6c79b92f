//! Single-machine implementations of the Városkapu ports: the `Table` on SQLite and the
//! `BlobStore` on a data folder. They give the same guarantees as the AWS engines and pass
//! the same contract suites.

pub mod fs_blob_store;
pub mod sqlite_table;

pub use fs_blob_store::FsBlobStore;
pub use sqlite_table::SqliteTable;
