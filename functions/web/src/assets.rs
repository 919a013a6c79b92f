//! The one stylesheet, compiled into the binary and served from one path for every page
//! (the content security policy allows styles from this origin only, and no scripts).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

/// Where pages link the stylesheet (cached for an hour, so a changed sheet shows soon).
pub const STYLESHEET_PATH: &str = "/assets/site.css";

/// The stylesheet's text.
pub const STYLESHEET: &str = include_str!("site.css");

/// `GET /assets/site.css`; mounted once per deployment (the portal's function on AWS, the
/// local server's merged router locally).
pub fn router() -> Router {
    Router::new().route(STYLESHEET_PATH, get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        STYLESHEET,
    )
}
