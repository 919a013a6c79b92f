//! The domain of Városkapu and the ports through which it reaches the outside world.
//!
//! Nothing in this crate performs I/O or chooses an async runtime: adapters in `infra/`
//! implement the ports, and the function crates wire them together.

pub mod access;
pub mod appointments;
pub mod audit;
pub mod blob;
pub mod calendar;
pub mod cases;
pub mod clock;
pub mod crm;
pub mod documents;
pub mod error;
pub mod idempotency;
pub mod json;
pub mod notify;
pub mod payments;
pub mod people;
pub mod secrets;
pub mod table;

pub use blob::{Blob, BlobError, BlobMeta, BlobPut, BlobStore, PresignedRequest, Sha256Digest};
pub use clock::{Clock, IdGenerator, ManualClock, SequentialIds, SystemClock, UuidV7Ids};
pub use error::Cause;
pub use table::memory::MemoryTable;
pub use table::{
    Condition, IndexKeys, IndexName, Item, ItemWrite, Key, Page, Query, SortKey, Table, TableError,
    TxOp, Update,
};
