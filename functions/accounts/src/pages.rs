//! The two pages a mailed link opens (confirming an address, setting a new password):
//! plain server-rendered HTML that works without JavaScript, Hungarian first with English
//! beside it, and the request shape both the page's form and API clients use.

use crate::service::AccountError;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::de::DeserializeOwned;
use varoskapu_http::ApiJson;

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}\
label{display:block;margin-top:1rem;font-weight:600}input{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box}\
button{margin-top:1rem;font-size:1rem;padding:.6rem 1.2rem;background:#0b4f8a;color:#fff;border:0;border-radius:4px}\
.error{color:#a00000;font-weight:600}";

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"hu\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – Városkapu</title><style>{STYLE}</style></head>\
         <body><main><h1>{title}</h1>{body}</main></body></html>"
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    // The page carries a one-time token: never cached, never sent on as a referrer.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

/// A page with one message, in both languages.
pub fn message(status: StatusCode, hu: &str, en: &str) -> Response {
    let body = format!("<p>{}</p><p lang=\"en\">{}</p>", escape(hu), escape(en));
    page(status, "Városkapu", &body)
}

/// What a set-password form is for.
pub struct PasswordForm<'a> {
    /// Where the form posts.
    pub action: &'a str,
    pub token: &'a str,
    pub title: &'a str,
    pub intro_hu: &'a str,
    pub intro_en: &'a str,
    pub error: Option<(&'a str, &'a str)>,
}

/// The page that asks for a new password, the mailed token in a hidden field.
pub fn password_form(status: StatusCode, form: PasswordForm<'_>) -> Response {
    let error = form.error.map_or_else(String::new, |(hu, en)| {
        format!(
            "<p class=\"error\" role=\"alert\">{} <span lang=\"en\">{}</span></p>",
            escape(hu),
            escape(en)
        )
    });
    let body = format!(
        "<p>{intro_hu}</p><p lang=\"en\">{intro_en}</p>{error}\
         <form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <label for=\"password\">Új jelszó <span lang=\"en\">(new password)</span></label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" \
         minlength=\"12\" required aria-describedby=\"rules\">\
         <p id=\"rules\">Legalább 12 karakter. <span lang=\"en\">At least 12 characters.</span></p>\
         <button type=\"submit\">Mentés <span lang=\"en\">(save)</span></button></form>",
        intro_hu = escape(form.intro_hu),
        intro_en = escape(form.intro_en),
        action = escape(form.action),
        token = escape(form.token),
    );
    page(status, form.title, &body)
}

/// A mailed link's set-password flow: the page the link opens, and the answer to its
/// form (a page) or to the same request sent as JSON by an app.
pub struct PasswordFlow {
    /// Where the form posts.
    pub action: &'static str,
    pub title: &'static str,
    pub intro_hu: &'static str,
    pub intro_en: &'static str,
    /// The page after success, in both languages.
    pub done_hu: &'static str,
    pub done_en: &'static str,
    /// The JSON answer's `status` after success.
    pub done_status: &'static str,
    /// What the log says of a refused token (never the token).
    pub refused_log: &'static str,
}

impl PasswordFlow {
    fn form(&self, status: StatusCode, token: &str, error: Option<(&str, &str)>) -> Response {
        password_form(
            status,
            PasswordForm {
                action: self.action,
                token,
                title: self.title,
                intro_hu: self.intro_hu,
                intro_en: self.intro_en,
                error,
            },
        )
    }

    /// The page the mailed link opens; opening it changes nothing (mail scanners open
    /// links too): the form does.
    pub fn link_page(&self, token: Option<&str>) -> Response {
        match token {
            Some(token) if !token.is_empty() => self.form(StatusCode::OK, token, None),
            _ => message(
                StatusCode::BAD_REQUEST,
                "A link hiányos.",
                "The link is incomplete.",
            ),
        }
    }

    /// The answer to a submitted password, in the shape it was sent in.
    pub fn answer<T>(
        &self,
        from_page: bool,
        token: &str,
        outcome: Result<T, AccountError>,
    ) -> Response {
        match (from_page, outcome) {
            (false, Ok(_)) => {
                axum::Json(serde_json::json!({"status": self.done_status})).into_response()
            }
            (false, Err(e)) => e.into_response(),
            (true, Ok(_)) => message(StatusCode::OK, self.done_hu, self.done_en),
            (true, Err(AccountError::WeakPassword)) => self.form(
                StatusCode::UNPROCESSABLE_ENTITY,
                token,
                Some((
                    "A jelszó túl rövid vagy túl gyakori.",
                    "The password is too short or too common.",
                )),
            ),
            (true, Err(e)) => {
                tracing::info!(error = %e, "{}", self.refused_log);
                message(
                    StatusCode::BAD_REQUEST,
                    "A link érvénytelen vagy lejárt.",
                    "The link is invalid or has expired.",
                )
            }
        }
    }
}

/// A request body sent either by the page's form (then the answer is a page) or as JSON
/// by an API client (then it is JSON or problem+json).
pub enum Submitted<T> {
    Form(T),
    Json(T),
}

impl<T> Submitted<T> {
    /// The body, and whether it came from the page's form.
    pub fn into_parts(self) -> (bool, T) {
        match self {
            Submitted::Form(body) => (true, body),
            Submitted::Json(body) => (false, body),
        }
    }
}

impl<S, T> FromRequest<S> for Submitted<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            match axum::Form::<T>::from_request(request, state).await {
                Ok(axum::Form(value)) => Ok(Submitted::Form(value)),
                Err(_) => Err(message(
                    StatusCode::BAD_REQUEST,
                    "Hibás kérés.",
                    "Malformed request.",
                )),
            }
        } else {
            match ApiJson::<T>::from_request(request, state).await {
                Ok(ApiJson(value)) => Ok(Submitted::Json(value)),
                Err(problem) => Err(problem.into_response()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_token_cannot_break_out_of_its_attribute_and_the_page_is_never_cached() {
        let response = password_form(
            StatusCode::OK,
            PasswordForm {
                action: "/password-reset/confirm",
                token: "\"><script>alert(1)</script>",
                title: "Új jelszó",
                intro_hu: "Adja meg",
                intro_en: "Enter",
                error: None,
            },
        );
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(response.headers()[header::REFERRER_POLICY], "no-referrer");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("body");
        let html = String::from_utf8(body.to_vec()).expect("utf-8");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;"), "{html}");
        assert!(html.contains("<label for=\"password\">"));
    }
}

/// The answer to a sign-up or a reset request sent as JSON: look in the mailbox (the same
/// whether or not the address can be used, so it tells nothing about accounts).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CheckYourEmail {
    /// `check_your_email`.
    status: String,
    detail: String,
}

/// The answer to a mailed link's form sent as JSON.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct Done {
    /// The flow's own word: `verified` (a confirmed address) or `password_changed`.
    status: String,
}
