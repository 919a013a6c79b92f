//! The two pages a mailed link opens (confirming an address, setting a new password):
//! plain server-rendered HTML that works without JavaScript, Hungarian first with English
//! beside it, and the request shape both the page's form and API clients use.

use crate::password::weakness;
use crate::service::AccountError;
use askama::Template;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use varoskapu_http::ApiJson;
use varoskapu_web::{FieldErrors, Lang, Page, PageLang, csrf};

/// A page with one message in the person's language, and the way on to sign in.
pub fn message(lang: PageLang, status: StatusCode, title: &str, text: &str) -> Response {
    let l = lang.lang;
    let body = format!(
        r#"<p>{}</p><p><a href="/account/sign-in">{}</a></p>"#,
        varoskapu_web::escape(text),
        l.t("Bejelentkezés", "Sign in")
    );
    Page::new(lang, title).status(status).render(&body)
}

#[derive(Template)]
#[template(path = "password_form.html")]
struct PasswordFormPage<'a> {
    lang: Lang,
    intro: &'a str,
    action: &'a str,
    csrf: &'a str,
    token: &'a str,
    error: Option<&'a str>,
}

/// What to tell a person whose new password is refused.
fn weakness_text(lang: Lang, password: &str) -> &'static str {
    use crate::password::Weakness;
    match weakness(password) {
        Some(Weakness::TooLong) => lang.t(
            "A jelszó legfeljebb 128 karakter lehet.",
            "The password may be at most 128 characters long.",
        ),
        Some(Weakness::Common) => lang.t(
            "Ez a jelszó szerepel a gyakran használt, kiszivárgott jelszavak listáján. Válasszon mást.",
            "This password is on the list of common, breached passwords. Please choose another.",
        ),
        Some(Weakness::Pattern) => lang.t(
            "A jelszó egyetlen ismétlődő karakter vagy egyszerű sorozat. Válasszon nehezebben kitalálhatót.",
            "The password is one repeated character or a simple run. Please choose one that is harder to guess.",
        ),
        _ => lang.t(
            "A jelszó legalább 10 karakter legyen. Több szóból álló jelmondat a legjobb.",
            "The password must be at least 10 characters long. A passphrase of several words is best.",
        ),
    }
}

/// A mailed link's set-password flow: the page the link opens, and the answer to its
/// form (a page) or to the same request sent as JSON by an app.
pub struct PasswordFlow {
    /// Where the form posts.
    pub action: &'static str,
    pub title_hu: &'static str,
    pub title_en: &'static str,
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

/// Whether the pages are served over HTTPS (then the CSRF cookie is `__Host-`, Secure):
/// the mailed links' base URL says.
pub fn secure(public_base_url: &str) -> bool {
    public_base_url.starts_with("https://")
}

impl PasswordFlow {
    fn form(&self, lang: PageLang, csrf: &str, token: &str, error: Option<&str>) -> Response {
        let l = lang.lang;
        let mut errors = FieldErrors::default();
        if let Some(error) = error {
            errors.add("password", error);
        }
        Page::new(lang, l.t(self.title_hu, self.title_en))
            .home("/account")
            .errors(errors)
            .template(&PasswordFormPage {
                lang: l,
                intro: l.t(self.intro_hu, self.intro_en),
                action: self.action,
                csrf,
                token,
                error,
            })
    }

    /// The page the mailed link opens; opening it changes nothing (mail scanners open
    /// links too): the form does. The form carries the page kit's double-submit token.
    pub fn link_page(
        &self,
        lang: PageLang,
        headers: &HeaderMap,
        secure: bool,
        token: Option<&str>,
    ) -> Response {
        let l = lang.lang;
        match token {
            Some(token) if !token.is_empty() => {
                let (csrf, cookie) = csrf::form_token(headers, secure);
                let mut response = self.form(lang, &csrf, token, None);
                if let Some(cookie) = cookie {
                    response.headers_mut().append(header::SET_COOKIE, cookie);
                }
                response
            }
            _ => message(
                lang,
                StatusCode::BAD_REQUEST,
                l.t(self.title_hu, self.title_en),
                l.t("A link hiányos.", "The link is incomplete."),
            ),
        }
    }

    /// Whether a form post carries this browser's double-submit token (JSON needs none:
    /// a page on another site cannot send it).
    pub fn accepts(
        &self,
        from_page: bool,
        headers: &HeaderMap,
        secure: bool,
        posted: Option<&str>,
    ) -> bool {
        !from_page || csrf::form_accepted(headers, secure, posted)
    }

    /// The page for a form post without its token: 403, nothing changed.
    pub fn refused(&self, lang: PageLang) -> Response {
        let l = lang.lang;
        tracing::warn!("mailed-link form refused: CSRF token missing or wrong");
        message(
            lang,
            StatusCode::FORBIDDEN,
            l.t(self.title_hu, self.title_en),
            l.t(
                "A kérés nem ebből a böngészőből, az oldal saját űrlapjáról érkezett (CSRF-védelem). Semmi sem változott. Nyissa meg újra a levélben kapott linket.",
                "The request did not come from this page's own form in this browser (CSRF protection). Nothing was changed. Open the link in the message again.",
            ),
        )
    }

    /// The answer to a submitted password, in the shape it was sent in.
    #[allow(clippy::too_many_arguments)]
    pub fn answer<T>(
        &self,
        lang: PageLang,
        from_page: bool,
        csrf: &str,
        token: &str,
        password: &str,
        outcome: Result<T, AccountError>,
    ) -> Response {
        let l = lang.lang;
        match (from_page, outcome) {
            (false, Ok(_)) => {
                axum::Json(serde_json::json!({"status": self.done_status})).into_response()
            }
            (false, Err(e)) => e.into_response(),
            (true, Ok(_)) => message(
                lang,
                StatusCode::OK,
                l.t(self.title_hu, self.title_en),
                l.t(self.done_hu, self.done_en),
            ),
            (true, Err(AccountError::WeakPassword)) => {
                self.form(lang, csrf, token, Some(weakness_text(l, password)))
            }
            (true, Err(e)) => {
                tracing::info!(error = %e, "{}", self.refused_log);
                message(
                    lang,
                    StatusCode::BAD_REQUEST,
                    l.t(self.title_hu, self.title_en),
                    l.t(
                        "A link érvénytelen vagy lejárt. Kérjen újat.",
                        "The link is invalid or has expired. Please ask for a new one.",
                    ),
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
        let parts_headers = request.headers().clone();
        if is_form {
            match axum::Form::<T>::from_request(request, state).await {
                Ok(axum::Form(value)) => Ok(Submitted::Form(value)),
                Err(_) => {
                    let lang = Lang::negotiate(&parts_headers, None);
                    Err(message(
                        PageLang {
                            lang,
                            explicit: false,
                        },
                        StatusCode::BAD_REQUEST,
                        lang.t("Hibás kérés", "Malformed request"),
                        lang.t("Az űrlap hibás.", "The form is malformed."),
                    ))
                }
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

    const FLOW: PasswordFlow = PasswordFlow {
        action: "/password-reset/confirm",
        title_hu: "Új jelszó",
        title_en: "New password",
        intro_hu: "Adja meg",
        intro_en: "Enter",
        done_hu: "Kész",
        done_en: "Done",
        done_status: "password_changed",
        refused_log: "refused",
    };

    #[tokio::test]
    async fn the_token_cannot_break_out_of_its_attribute_and_the_page_is_never_cached() {
        let lang = PageLang {
            lang: Lang::En,
            explicit: false,
        };
        let response = FLOW.link_page(
            lang,
            &HeaderMap::new(),
            false,
            Some("\"><script>alert(1)</script>"),
        );
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(response.headers()[header::REFERRER_POLICY], "no-referrer");
        assert!(
            response.headers().get(header::SET_COOKIE).is_some(),
            "the CSRF cookie"
        );
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("body");
        let html = String::from_utf8(body.to_vec()).expect("utf-8");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("<label for=\"password\">"));
        assert!(html.contains("aria-describedby=\"password-hint\""));
    }

    #[test]
    fn a_form_post_needs_the_cookie_token_and_json_does_not() {
        assert!(FLOW.accepts(false, &HeaderMap::new(), false, None));
        assert!(!FLOW.accepts(true, &HeaderMap::new(), false, Some("guessed")));
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
