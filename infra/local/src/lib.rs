//! The one-process Városkapu server: every function's router merged over the embedded
//! ports (SQLite table and blob folder under one data folder), with the OpenAPI document
//! of everything mounted and a docs page.

pub mod app;
pub mod cases;
pub mod cli;
pub mod crm;
pub mod docs;
pub mod identity;
pub mod identity_cli;
pub mod mailbox;
pub mod person_import;
pub mod ports;
pub mod registry_refresh;
pub mod relay;
pub mod seed;

pub use app::{
    RunningServer, ServeConfig, build_router, import_statement, serve, serve_relaying, serve_with,
};
pub use ports::LocalPorts;
