//! The provider's Lambda: the OpenID Connect endpoints and login pages on DynamoDB, tokens signed by the KMS token key. Everything is built once per execution environment.

use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init(LogFormat::detect());
    let state = varoskapu_lambda::provider::provider_from_env().await?;
    // The same request ids, tracing span and problem+json fallback as the local server.
    lambda_http::run(varoskapu_http::with_common_layers(varoskapu_idp::router(
        state,
    )))
    .await
}
