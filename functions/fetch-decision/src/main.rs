//! The `fetch-decision` Lambda: citizens fetch their signed decisions behind the HTTP API.

use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init(LogFormat::detect());
    let state = varoskapu_case_api::lambda::state_from_env().await?;
    lambda_http::run(varoskapu_fetch_decision::router(state)).await
}
