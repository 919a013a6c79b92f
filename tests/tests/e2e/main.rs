//! The end-to-end tests of the whole system in one test binary (one link instead of one
//! per file): the running local server as its clients meet it, the function routers and
//! Lambda handlers, the port contract suites on every engine, crash durability and the
//! bounded fuzz pass. Each file is a module; `support` is the kit they share (the local app
//! on port 0 with a fresh data folder, tokens for each role and client kind).
//!
//! Run one part with a filter, e.g. `cargo nextest run -p varoskapu-tests -E 'test(/^fuzz::/)'`.

mod accessibility;
mod account_pages;
mod authenticate;
mod aws_contract;
mod browser_sso;
mod cases;
mod contract;
mod crash_durability;
mod crm;
mod crm_refresh;
mod embedded_contract;
mod fuzz;
mod identity;
mod lambda_events;
mod limits;
mod local_server;
mod mailbox;
mod office_admin;
mod office_appointments;
mod office_cases;
mod office_payments;
mod passkeys;
mod payments;
mod portal;
mod register;
mod registry;
mod support;
