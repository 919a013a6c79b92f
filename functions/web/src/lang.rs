//! The language of a page: Hungarian first, English on request. An explicit choice (the
//! `?lang=` of the language switch, an OIDC `ui_locales`) wins and is remembered in a
//! cookie; otherwise the browser's first preference decides.

use crate::cookies;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use std::convert::Infallible;

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Hu,
    En,
}

/// The cookie that remembers the language switch.
pub const LANG_COOKIE: &str = "vk_lang";

impl Lang {
    /// An explicit choice (`lang`, `ui_locales`) wins; otherwise the browser's first preference.
    pub fn negotiate(headers: &HeaderMap, explicit: Option<&str>) -> Self {
        explicit
            .and_then(Self::from_tags)
            .or_else(|| {
                cookies::read_plain(headers, LANG_COOKIE)
                    .as_deref()
                    .and_then(Self::from_tags)
            })
            .or_else(|| {
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Self::from_tags)
            })
            .unwrap_or(Lang::Hu)
    }

    /// The first language tag of a list (`en-GB,hu;q=0.8`, `hu en`) that we speak.
    fn from_tags(text: &str) -> Option<Self> {
        let tag = text
            .split([',', ' ', ';'])
            .map(|t| t.trim().to_ascii_lowercase())
            .find(|t| !t.is_empty())?;
        if tag.starts_with("en") {
            Some(Lang::En)
        } else if tag.starts_with("hu") {
            Some(Lang::Hu)
        } else {
            None
        }
    }

    /// The BCP 47 code, for `lang` attributes.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Hu => "hu",
            Lang::En => "en",
        }
    }

    /// The other language, which the switch offers.
    pub fn other(self) -> Self {
        match self {
            Lang::Hu => Lang::En,
            Lang::En => Lang::Hu,
        }
    }

    /// The language's name in itself, for the switch.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Hu => "Magyar",
            Lang::En => "English",
        }
    }

    /// Picks the text of this language.
    pub fn t<'a>(self, hu: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Hu => hu,
            Lang::En => en,
        }
    }
}

/// The language a page request asks for, and whether it was chosen explicitly with
/// `?lang=` (then the answer remembers it in [`LANG_COOKIE`]).
#[derive(Debug, Clone, Copy)]
pub struct PageLang {
    pub lang: Lang,
    pub explicit: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let explicit = parts.uri.query().and_then(|q| {
            q.split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| *k == "lang")
                .map(|(_, v)| v.to_owned())
        });
        let chosen = explicit.as_deref().and_then(Lang::from_tags);
        Ok(Self {
            lang: chosen.unwrap_or_else(|| Lang::negotiate(&parts.headers, None)),
            explicit: chosen.is_some(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn an_explicit_choice_beats_the_cookie_which_beats_the_browser() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-GB,en;q=0.9"),
        );
        assert_eq!(Lang::negotiate(&headers, None), Lang::En);
        headers.insert(header::COOKIE, HeaderValue::from_static("vk_lang=hu"));
        assert_eq!(Lang::negotiate(&headers, None), Lang::Hu);
        assert_eq!(Lang::negotiate(&headers, Some("en")), Lang::En);
    }

    #[test]
    fn an_unknown_language_falls_back_to_hungarian() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("de-DE"));
        assert_eq!(Lang::negotiate(&headers, Some("fr")), Lang::Hu);
    }
}
