//! Signed PDFs as HTTP responses, saved by browsers under a meaningful name.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// A PDF response that browsers save as `filename`.
pub fn pdf_response(bytes: Vec<u8>, filename: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
