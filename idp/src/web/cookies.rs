//! The provider's cookies: the SSO session and the browser binding of pending logins, set
//! and read the way every page's cookies are (the page kit's `cookies`).

/// The SSO session cookie.
pub const SESSION: &str = "vk_session";
/// Binds a login form to the browser that opened it (login CSRF).
pub const BROWSER: &str = "vk_browser";

pub use varoskapu_web::cookies::{read, set};
