//! The page kit: what the provider's account pages, the citizen portal and the office
//! screens share, so that every page has the same layout, stylesheet, language choice,
//! security headers, cookies, CSRF defence, server-side session and sign-in through the
//! provider (backend-for-frontend, [`signin`]).
//!
//! Pages are rendered on the server and work without JavaScript. Each page crate renders
//! its own content with askama and hands it to [`Page`], which wraps it in the one layout
//! (skip link, header, language switch, error summary) and answers with the headers every
//! page needs.

pub mod assets;
pub mod cookies;
pub mod csrf;
pub mod fields;
pub mod format;
pub mod lang;
pub mod page;
pub mod session;
pub mod signin;

pub use fields::FieldErrors;
pub use lang::{Lang, PageLang};
pub use page::{NavLink, Page, escape};
pub use session::BrowserSessions;
