//! The provider's cookies: the SSO session and the browser binding of pending logins. Both
//! are HttpOnly and SameSite=Lax; over HTTPS they are Secure and carry the `__Host-` prefix,
//! so no other host (a sibling subdomain) can set or overwrite them.

use axum::http::{HeaderMap, HeaderValue, header};

/// The SSO session cookie.
pub const SESSION: &str = "vk_session";
/// Binds a login form to the browser that opened it (login CSRF).
pub const BROWSER: &str = "vk_browser";

/// The name a cookie goes by: `__Host-` prefixed when served over HTTPS.
fn full_name(name: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// The value of a cookie sent by the browser.
pub fn read(headers: &HeaderMap, name: &str, secure: bool) -> Option<String> {
    let name = full_name(name, secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name.as_str())
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value; `max_age` 0 deletes the cookie.
pub fn set(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let name = full_name(name, secure);
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    // Names are constants and values base64url, so the header is always valid.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name_and_set_safely() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; vk_session=abc; b=2"),
        );
        assert_eq!(read(&headers, SESSION, false).as_deref(), Some("abc"));
        assert_eq!(read(&headers, BROWSER, false), None);
        let cookie = set(SESSION, "abc", 60, true);
        let text = cookie.to_str().expect("ascii");
        assert!(
            text.starts_with("__Host-vk_session=abc; Path=/;")
                && text.contains("HttpOnly")
                && text.contains("SameSite=Lax")
                && text.contains("Secure")
                && !text.contains("Domain"),
            "{text}"
        );
    }

    #[test]
    fn over_https_a_cookie_without_the_host_prefix_is_ignored() {
        let mut headers = HeaderMap::new();
        // Set by a sibling subdomain, which cannot set a __Host- cookie.
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("vk_session=planted"),
        );
        assert_eq!(read(&headers, SESSION, true), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("vk_session=planted; __Host-vk_session=real"),
        );
        assert_eq!(read(&headers, SESSION, true).as_deref(), Some("real"));
    }
}
