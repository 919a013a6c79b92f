//! The `crm` Lambda: the citizen records' routes (`/crm/…`) and each citizen's copy of
//! hers (`/me/record`, `/me/identification`).

use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init(LogFormat::detect());
    let state = varoskapu_lambda::crm::state_from_env().await?;
    lambda_http::run(varoskapu_http::with_common_layers(varoskapu_crm::router(
        state,
    )))
    .await
}
