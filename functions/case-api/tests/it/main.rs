//! The case use cases' integration tests in one test binary: back-office rules on the
//! embedded engines and the production engines on moto. `common` holds the fixture.

mod common;
mod dynamodb;
mod embedded;
