//! The Lambda composition of Városkapu: how each function builds its services once per
//! execution environment, from the environment, over the AWS ports (DynamoDB, S3, KMS, SES).
//!
//! The function crates are libraries of routers and know nothing of AWS; the binaries in
//! `src/bin` are a few lines each: build the state here, `lambda_http::run(router(state))`.
//! A missing or bad setting stops start-up with its name.

pub mod accounts;
pub mod appointments;
pub mod cases;
pub mod crm;
pub mod documents;
pub mod payments;
pub mod provider;
pub mod sites;

/// Why a function could not start.
pub type StartError = Box<dyn std::error::Error + Send + Sync>;
