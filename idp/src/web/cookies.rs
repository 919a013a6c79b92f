//! The provider's cookies: the SSO session and the browser binding of pending logins. Both
//! are HttpOnly, SameSite=Lax, and Secure when the provider is served over HTTPS.

use axum::http::{HeaderMap, HeaderValue, header};

/// The SSO session cookie.
pub const SESSION: &str = "vk_session";
/// Binds a login form to the browser that opened it (login CSRF).
pub const BROWSER: &str = "vk_browser";

/// The value of a cookie sent by the browser.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value; `max_age` 0 deletes the cookie.
pub fn set(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
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
        assert_eq!(read(&headers, SESSION).as_deref(), Some("abc"));
        assert_eq!(read(&headers, BROWSER), None);
        let cookie = set(SESSION, "abc", 60, true);
        let text = cookie.to_str().expect("ascii");
        assert!(
            text.contains("HttpOnly") && text.contains("SameSite=Lax") && text.contains("Secure")
        );
    }
}
