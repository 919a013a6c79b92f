//! The appointment API's integration tests in one test binary: over HTTP on SQLite, and the
//! booking race on DynamoDB (moto). `common` spawns the app.

mod booking_dynamodb;
mod booking_http;
mod common;
