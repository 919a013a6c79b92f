//! The `office` Lambda: the office screens (Ügyintézőkapu) at `/office` of the HTTP API.
//! The stylesheet they link is the portal function's (`/assets/site.css`).

use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init(LogFormat::detect());
    let state = varoskapu_lambda::sites::office_from_env().await?;
    // The same request ids, tracing span and problem+json fallback as the local server.
    lambda_http::run(varoskapu_http::with_common_layers(
        varoskapu_office_web::router(state),
    ))
    .await
}
