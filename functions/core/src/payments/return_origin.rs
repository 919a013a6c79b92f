//! Where the card provider may send a payer's browser back: only to origins the
//! municipality configured (its portal's), so a payment link never becomes an open
//! redirect to a look-alike site.

use url::Url;

/// The origins (`scheme://host[:port]`) a card payment's `back_url` may point to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnOrigins(Vec<String>);

/// Why a list of origins or a `back_url` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReturnOriginError {
    #[error("{0:?} is not an http(s) origin (scheme://host[:port])")]
    NotAnOrigin(String),
    #[error("the list of return origins is empty")]
    Empty,
}

/// The origin of an absolute http(s) URL, as `scheme://host[:port]` (default ports left out).
fn origin_of(url: &Url) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return None;
    }
    match url.origin() {
        o @ url::Origin::Tuple(..) => Some(o.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

impl ReturnOrigins {
    /// A comma- or space-separated list of origins (`https://portal.example.hu`); a path,
    /// query or fragment makes an entry invalid, so the list says exactly what it allows.
    pub fn parse(list: &str) -> Result<Self, ReturnOriginError> {
        let mut origins = Vec::new();
        for entry in list
            .split([',', ' '])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let bad = || ReturnOriginError::NotAnOrigin(entry.to_owned());
            let url = Url::parse(entry).map_err(|_| bad())?;
            if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
                return Err(bad());
            }
            if !url.username().is_empty() || url.password().is_some() {
                return Err(bad());
            }
            origins.push(origin_of(&url).ok_or_else(bad)?);
        }
        if origins.is_empty() {
            return Err(ReturnOriginError::Empty);
        }
        Ok(Self(origins))
    }

    /// Only the origin of `base_url` (the default: where this API is reached).
    pub fn of_base_url(base_url: &str) -> Result<Self, ReturnOriginError> {
        let url = Url::parse(base_url)
            .map_err(|_| ReturnOriginError::NotAnOrigin(base_url.to_owned()))?;
        origin_of(&url)
            .map(|o| Self(vec![o]))
            .ok_or_else(|| ReturnOriginError::NotAnOrigin(base_url.to_owned()))
    }

    /// Whether `back_url` is an absolute http(s) URL, without credentials, on one of the
    /// origins.
    pub fn allows(&self, back_url: &str) -> bool {
        let Ok(url) = Url::parse(back_url) else {
            return false;
        };
        if !url.username().is_empty() || url.password().is_some() {
            return false;
        }
        origin_of(&url).is_some_and(|o| self.0.contains(&o))
    }

    /// The allowed origins, for messages.
    pub fn origins(&self) -> &[String] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_urls_on_a_listed_origin_are_allowed() {
        let origins =
            ReturnOrigins::parse("https://ugyfelkapu.varos.hu, http://127.0.0.1:8083").unwrap();
        assert!(origins.allows("https://ugyfelkapu.varos.hu/fizetes/vege?x=1"));
        assert!(origins.allows("https://UGYFELKAPU.varos.hu:443/"));
        assert!(origins.allows("http://127.0.0.1:8083/callback"));
        for refused in [
            "https://evil.example/ugyfelkapu.varos.hu",
            "https://ugyfelkapu.varos.hu.evil.example/",
            "https://ugyfelkapu.varos.hu@evil.example/",
            "https://user@ugyfelkapu.varos.hu/",
            "http://ugyfelkapu.varos.hu/",
            "http://127.0.0.1:8084/",
            "//evil.example/",
            "/relative",
            "javascript:alert(1)",
            "data:text/html,x",
            "",
        ] {
            assert!(!origins.allows(refused), "{refused} allowed");
        }
    }

    #[test]
    fn a_list_entry_must_be_exactly_an_origin() {
        for bad in [
            "https://a.hu/path",
            "ftp://a.hu",
            "a.hu",
            "https://a.hu/?q",
            "https://u@a.hu",
        ] {
            assert!(ReturnOrigins::parse(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(ReturnOrigins::parse(" , "), Err(ReturnOriginError::Empty));
        assert_eq!(
            ReturnOrigins::of_base_url("http://127.0.0.1:8080")
                .unwrap()
                .origins(),
            ["http://127.0.0.1:8080"]
        );
    }
}
