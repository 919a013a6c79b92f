//! CSRF defence for forms. A signed-in page's forms carry the session's own token
//! ([`crate::session::BrowserSession::csrf`]); a form shown before anyone signs in (sign-up,
//! password reset) uses a double-submit cookie: a random value in an HttpOnly cookie and the
//! same value in a hidden field, which a page on another site can neither read nor set.
//! Both are compared in constant time.

use crate::cookies;
use axum::http::{HeaderMap, HeaderValue};
use varoskapu_core::secrets::{constant_time_eq, random_token};

/// The hidden field every form carries.
pub const FIELD: &str = "csrf";

/// The cookie of the double-submit token.
pub const COOKIE: &str = "vk_form";

/// Whether a posted token is the expected one (constant time; a missing token never is).
pub fn matches(expected: &str, posted: Option<&str>) -> bool {
    match posted {
        Some(posted) if !expected.is_empty() => constant_time_eq(expected, posted),
        _ => false,
    }
}

/// The double-submit token of a form shown to someone not signed in: the browser's cookie
/// if it has one, else a new one with the cookie that sets it.
pub fn form_token(headers: &HeaderMap, secure: bool) -> (String, Option<HeaderValue>) {
    match cookies::read(headers, COOKIE, secure) {
        Some(token) => (token, None),
        None => {
            let token = random_token();
            let cookie = cookies::set(COOKIE, &token, 2 * 60 * 60, secure);
            (token, Some(cookie))
        }
    }
}

/// Whether a posted form carries the token of this browser's double-submit cookie.
pub fn form_accepted(headers: &HeaderMap, secure: bool, posted: Option<&str>) -> bool {
    cookies::read(headers, COOKIE, secure).is_some_and(|token| matches(&token, posted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    #[test]
    fn a_form_from_another_site_without_the_cookie_is_refused() {
        let (token, cookie) = form_token(&HeaderMap::new(), false);
        assert!(cookie.is_some());
        let mut headers = HeaderMap::new();
        assert!(!form_accepted(&headers, false, Some(&token)));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{COOKIE}={token}")).expect("ascii"),
        );
        assert!(form_accepted(&headers, false, Some(&token)));
        assert!(!form_accepted(&headers, false, Some("guessed")));
        assert!(!form_accepted(&headers, false, None));
    }

    #[test]
    fn an_empty_expected_token_matches_nothing() {
        assert!(!matches("", Some("")));
    }
}
