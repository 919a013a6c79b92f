//! A JSON body extractor whose refusals are problem documents that name the field at
//! fault, never the deserializer's own text (which may quote the request back).

use crate::problem::{Problem, ProblemKind};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

/// `axum::Json` with RFC 9457 rejections: 415 without a JSON media type, 413 over the
/// body limit, 400 for malformed JSON, 422 with `errors` (`pointer`, `detail`) for JSON
/// that does not fit the request's shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(Problem::with_detail(
                ProblemKind::UnsupportedMediaType,
                "send the body as application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::with_detail(
                    ProblemKind::PayloadTooLarge,
                    "the request body is larger than this route accepts",
                )
            } else {
                Problem::with_detail(ProblemKind::BadRequest, "the request body cannot be read")
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

/// `application/json` or any `application/*+json`.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

/// Reads `bytes` as a `T`, or the problem that says where it went wrong.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let pointer = pointer(e.path());
        refusal(e.inner(), pointer)
    })?;
    deserializer.end().map_err(|e| refusal(&e, String::new()))?;
    Ok(value)
}

fn refusal(e: &serde_json::Error, pointer: String) -> Problem {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => {
            let (pointer, detail) = field_error(e, pointer);
            Problem::with_detail(
                ProblemKind::ValidationFailed,
                format!("{}: {detail}", display_field(&pointer)),
            )
            .extension("errors", json!([{ "pointer": pointer, "detail": detail }]))
        }
        Category::Syntax | Category::Eof | Category::Io => Problem::with_detail(
            ProblemKind::BadRequest,
            format!(
                "the body is not well-formed JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        ),
    }
}

/// The JSON pointer of the field at fault and what is wrong with it, in words of our own:
/// the value sent is never quoted back.
fn field_error(e: &serde_json::Error, mut pointer: String) -> (String, String) {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(end) => &text[..end],
        None => text.as_str(),
    };
    let expected = message
        .split_once(", expected ")
        .map(|(_, expected)| expected);
    let detail = if let Some(rest) = message.strip_prefix("missing field `") {
        pointer.push('/');
        pointer.push_str(&escape(rest.trim_end_matches('`')));
        "is required".to_owned()
    } else if message.starts_with("unknown field `") {
        // The path already ends at the unknown key.
        "is not a field of this request".to_owned()
    } else if message.starts_with("invalid type")
        || message.starts_with("invalid value")
        || message.starts_with("invalid length")
        || message.starts_with("unknown variant")
    {
        match expected {
            Some(expected) => format!("must be {expected}"),
            None => "has the wrong type or value".to_owned(),
        }
    } else {
        // A message of one of our own parse-don't-validate types ("the e-mail address is
        // not valid"), which says what is wrong without quoting the value.
        message.to_owned()
    };
    (pointer, detail)
}

fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => pointer.push_str(&format!("/{}", escape(key))),
            Segment::Enum { variant } => pointer.push_str(&format!("/{}", escape(variant))),
            Segment::Unknown => pointer.push_str("/?"),
        }
    }
    pointer
}

/// RFC 6901 escaping of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn display_field(pointer: &str) -> String {
    if pointer.is_empty() {
        "the body".to_owned()
    } else {
        pointer.trim_start_matches('/').replace('/', ".")
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Booking {
        slot: Slot,
        seats: u8,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Slot {
        start: String,
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_field_without_quoting_it() {
        let p = parse::<Booking>(br#"{"slot": {"start": 12}, "seats": 1}"#).unwrap_err();
        assert_eq!(p.status, 422);
        assert_eq!(p.extensions["errors"][0]["pointer"], "/slot/start");
        assert_eq!(p.extensions["errors"][0]["detail"], "must be a string");
        let p =
            parse::<Booking>(br#"{"slot": {"start": "x"}, "seats": "secret-text"}"#).unwrap_err();
        assert_eq!(p.extensions["errors"][0]["pointer"], "/seats");
        assert!(!serde_json::to_string(&p).unwrap().contains("secret-text"));
    }

    #[test]
    fn missing_and_unknown_fields_are_named() {
        let p = parse::<Booking>(br#"{"slot": {}, "seats": 1}"#).unwrap_err();
        assert_eq!(p.extensions["errors"][0]["pointer"], "/slot/start");
        assert_eq!(p.extensions["errors"][0]["detail"], "is required");
        let p = parse::<Booking>(br#"{"slot": {"start": "x"}, "seats": 1, "pin": 1}"#).unwrap_err();
        assert_eq!(p.extensions["errors"][0]["pointer"], "/pin");
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        let p = parse::<Booking>(br#"{"slot": "#).unwrap_err();
        assert_eq!(p.status, 400);
        let p = parse::<Booking>(br#"{"slot": {"start": "x"}, "seats": 1} trailing"#).unwrap_err();
        assert_eq!(p.status, 400);
    }
}
