//! Documents (signed PDFs, XML) as HTTP responses: saved by browsers under a meaningful
//! name, never rendered as another type than the one sent.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// A document response: its media type, `Content-Disposition: attachment` with
/// `filename`, `X-Content-Type-Options: nosniff` (a browser never sniffs a PDF or XML
/// into HTML) and `Cache-Control: private, no-store` (documents name people).
pub fn document_response(bytes: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    // A name of other characters than these could break out of the quoted string.
    let safe: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// A PDF response that browsers save as `filename`.
pub fn pdf_response(bytes: Vec<u8>, filename: &str) -> Response {
    document_response(bytes, "application/pdf", filename)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_attachments_that_are_never_sniffed() {
        let response = pdf_response(b"%PDF-1.7".to_vec(), "nyugta-1.pdf");
        let h = response.headers();
        assert_eq!(h[header::CONTENT_TYPE], "application/pdf");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(
            h[header::CONTENT_DISPOSITION],
            "attachment; filename=\"nyugta-1.pdf\""
        );
        let response = document_response(Vec::new(), "application/xml", "a\"; x=\r\n.xml");
        assert_eq!(
            response.headers()[header::CONTENT_DISPOSITION],
            "attachment; filename=\"a___x___.xml\""
        );
    }
}
