//! The pages' cookies. Session cookies are HttpOnly and SameSite=Lax; over HTTPS they are
//! Secure and carry the `__Host-` prefix, so no other host (a sibling subdomain) can set or
//! overwrite them. Only the language choice is an ordinary cookie.

use axum::http::{HeaderMap, HeaderValue, header};

/// The name a cookie goes by: `__Host-` prefixed when served over HTTPS.
fn full_name(name: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

fn find(headers: &HeaderMap, name: &str) -> Option<String> {
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

/// The value of a session cookie sent by the browser (prefixed over HTTPS).
pub fn read(headers: &HeaderMap, name: &str, secure: bool) -> Option<String> {
    find(headers, &full_name(name, secure))
}

/// The value of a cookie that carries no secret (the language choice).
pub fn read_plain(headers: &HeaderMap, name: &str) -> Option<String> {
    find(headers, name)
}

/// A `Set-Cookie` value for a session cookie; `max_age` 0 deletes it.
pub fn set(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let name = full_name(name, secure);
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    // Names are constants and values base64url, so the header is always valid.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A `Set-Cookie` value for a cookie without a secret, kept for a year.
pub fn set_plain(name: &str, value: &str) -> HeaderValue {
    let text = format!("{name}={value}; Path=/; Max-Age=31536000; SameSite=Lax");
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
        assert_eq!(read(&headers, "vk_session", false).as_deref(), Some("abc"));
        assert_eq!(read(&headers, "vk_browser", false), None);
        let cookie = set("vk_session", "abc", 60, true);
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
        assert_eq!(read(&headers, "vk_session", true), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("vk_session=planted; __Host-vk_session=real"),
        );
        assert_eq!(read(&headers, "vk_session", true).as_deref(), Some("real"));
    }
}
