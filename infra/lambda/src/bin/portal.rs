//! The `portal` Lambda: the citizen portal's pages at `/` of the HTTP API, and the one
//! stylesheet every page links (the provider's too).

use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init(LogFormat::detect());
    let state = varoskapu_lambda::sites::portal_from_env().await?;
    // The same request ids, tracing span and problem+json fallback as the local server.
    lambda_http::run(varoskapu_http::with_common_layers(
        varoskapu_portal::router(state).merge(varoskapu_web::assets::router()),
    ))
    .await
}
