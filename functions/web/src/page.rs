//! One page answered: the page crate's own content wrapped in the one layout, with the
//! headers every page needs (no caching of personal pages, no framing, a strict content
//! security policy that allows no script at all).

use crate::assets;
use crate::cookies;
use crate::fields::FieldErrors;
use crate::lang::{LANG_COOKIE, Lang, PageLang};
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// A link of the main menu.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: String,
    pub label: String,
    /// The page shown is this link's (`aria-current="page"`).
    pub current: bool,
}

/// Who is signed in, shown in the header with a sign-out button.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub name: String,
    /// Where the sign-out form posts.
    pub sign_out: String,
    /// The session's CSRF token, for the sign-out form.
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "layout.html")]
struct Layout<'a> {
    lang: Lang,
    title: &'a str,
    home: &'a str,
    stylesheet: &'a str,
    nav: &'a [NavLink],
    signed_in: &'a Option<SignedIn>,
    errors: &'a FieldErrors,
    notice: &'a Option<String>,
    body: &'a str,
}

/// A page being answered.
#[must_use]
pub struct Page {
    lang: PageLang,
    title: String,
    status: StatusCode,
    home: String,
    nav: Vec<NavLink>,
    signed_in: Option<SignedIn>,
    errors: FieldErrors,
    notice: Option<String>,
    cookies: Vec<HeaderValue>,
    form_action_self: bool,
    scripts_from_self: bool,
}

impl Page {
    /// A page titled `title` (its `<h1>` and `<title>`), 200 OK.
    pub fn new(lang: PageLang, title: impl Into<String>) -> Self {
        Self {
            lang,
            title: title.into(),
            status: StatusCode::OK,
            home: "/".to_owned(),
            nav: Vec::new(),
            signed_in: None,
            errors: FieldErrors::default(),
            notice: None,
            cookies: Vec::new(),
            form_action_self: true,
            scripts_from_self: false,
        }
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Where the brand in the header links to.
    pub fn home(mut self, href: impl Into<String>) -> Self {
        self.home = href.into();
        self
    }

    pub fn nav(mut self, nav: Vec<NavLink>) -> Self {
        self.nav = nav;
        self
    }

    pub fn signed_in(mut self, who: SignedIn) -> Self {
        self.signed_in = Some(who);
        self
    }

    /// The form's field errors, listed in the summary at the top (status 422 unless set).
    pub fn errors(mut self, errors: FieldErrors) -> Self {
        if !errors.is_empty() && self.status == StatusCode::OK {
            self.status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        self.errors = errors;
        self
    }

    /// A message of success or progress shown above the content (a live region).
    pub fn notice(mut self, text: impl Into<String>) -> Self {
        self.notice = Some(text.into());
        self
    }

    /// A `Set-Cookie` to send with the page.
    pub fn cookie(mut self, cookie: HeaderValue) -> Self {
        self.cookies.push(cookie);
        self
    }

    /// Lets the page's forms post to other origins: the provider's sign-in pages, whose
    /// redirect after the post goes to the client's origin (browsers apply `form-action`
    /// to that redirect too).
    pub fn forms_may_leave(mut self) -> Self {
        self.form_action_self = false;
        self
    }

    /// Lets the page run scripts served from this origin and call back to it: the one
    /// progressive enhancement of the pages (passkeys need `navigator.credentials`).
    pub fn scripts_from_self(mut self) -> Self {
        self.scripts_from_self = true;
        self
    }

    /// The page with `body` (already rendered and escaped by the page's own template).
    pub fn render(self, body: &str) -> Response {
        let layout = Layout {
            lang: self.lang.lang,
            title: &self.title,
            home: &self.home,
            stylesheet: assets::STYLESHEET_PATH,
            nav: &self.nav,
            signed_in: &self.signed_in,
            errors: &self.errors,
            notice: &self.notice,
            body,
        };
        let html = match layout.render() {
            Ok(html) => html,
            Err(e) => {
                tracing::error!(error = %e, "page layout did not render");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        let mut response = (self.status, Html(html)).into_response();
        let headers = response.headers_mut();
        secure_headers(headers, self.form_action_self);
        if self.scripts_from_self {
            allow_scripts_from_self(headers, self.form_action_self);
        }
        if self.lang.explicit {
            headers.append(
                header::SET_COOKIE,
                cookies::set_plain(LANG_COOKIE, self.lang.lang.code()),
            );
        }
        for cookie in self.cookies {
            headers.append(header::SET_COOKIE, cookie);
        }
        response
    }

    /// The page with the content of an askama template.
    pub fn template(self, content: &impl Template) -> Response {
        match content.render() {
            Ok(body) => self.render(&body),
            Err(e) => {
                tracing::error!(error = %e, "page content did not render");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

/// The headers of every page: never cached (pages show personal data or one-time tokens),
/// never framed, never sent on as a referrer, and no script of any kind.
pub fn secure_headers(headers: &mut axum::http::HeaderMap, form_action_self: bool) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if form_action_self {
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        } else {
            "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
        }),
    );
}

/// The content security policy of a page that runs scripts of this origin (and only
/// those: no inline script, no other origin), which may call this origin back.
pub fn allow_scripts_from_self(headers: &mut axum::http::HeaderMap, form_action_self: bool) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if form_action_self {
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        } else {
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
        }),
    );
}

/// Escapes text for HTML content and attribute values (for pages not yet on templates).
pub fn escape(text: &str) -> String {
    askama::filters::escape(text, askama::filters::Html)
        .map(|s| s.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    fn lang(explicit: bool) -> PageLang {
        PageLang {
            lang: Lang::En,
            explicit,
        }
    }

    fn body(response: Response) -> String {
        let bytes =
            futures::executor::block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
                .expect("body");
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[test]
    fn a_page_escapes_its_title_and_links_each_error_to_its_field() {
        let mut errors = FieldErrors::default();
        errors.add("email", "Enter an e-mail address");
        let response = Page::new(lang(false), "<Sign up>")
            .errors(errors)
            .render("<p>content</p>");
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(!csp.contains("script-src") && csp.contains("default-src 'none'"));
        let html = body(response);
        assert!(html.contains("<html lang=\"en\">"), "{html}");
        assert!(
            html.contains("&#60;Sign up&#62;") && !html.contains("<Sign up>"),
            "{html}"
        );
        assert!(html.contains("<a href=\"#email\">Enter an e-mail address</a>"));
        assert!(html.contains("<title>Error: &#60;Sign up&#62;"));
        assert!(html.contains("href=\"#main\""));
    }

    #[test]
    fn an_explicit_language_choice_is_remembered() {
        let response = Page::new(lang(true), "x").render("");
        let cookies: Vec<_> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("ascii").to_owned())
            .collect();
        assert!(
            cookies.iter().any(|c| c.starts_with("vk_lang=en")),
            "{cookies:?}"
        );
        assert!(
            Page::new(lang(false), "x")
                .render("")
                .headers()
                .get(header::SET_COOKIE)
                .is_none()
        );
    }

    #[test]
    fn escape_covers_quotes_and_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&"),
            "&#60;a href=&#34;x&#34;&#62;&#39;&#38;"
        );
    }
}
