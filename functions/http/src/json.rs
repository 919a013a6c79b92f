//! A JSON body extractor whose failures are problem documents, not axum's plain text.

use crate::problem::{Problem, ProblemKind};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// `axum::Json` with RFC 9457 rejections.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(rejection_problem(&rejection)),
        }
    }
}

fn rejection_problem(rejection: &JsonRejection) -> Problem {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Problem::with_detail(
            ProblemKind::UnsupportedMediaType,
            "send the body as application/json",
        ),
        JsonRejection::JsonDataError(e) => {
            Problem::with_detail(ProblemKind::ValidationFailed, e.body_text())
        }
        JsonRejection::JsonSyntaxError(e) => {
            Problem::with_detail(ProblemKind::BadRequest, e.body_text())
        }
        // A body over the limit (413) stays a 413; other buffering failures are the client's.
        other if other.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::with_detail(ProblemKind::PayloadTooLarge, other.body_text())
        }
        other => Problem::with_detail(ProblemKind::BadRequest, other.body_text()),
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
