//! Request parameters as the OAuth endpoints read them: each at most once (RFC 6749 §3.1),
//! except `resource`, which a client repeats to name several resources (RFC 8707 §2).

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The repeatable parameter.
const RESOURCE: &str = "resource";

/// Parses `application/x-www-form-urlencoded` text (a query or a form body) into `T`, whose
/// fields are strings, with `resource` as a list; a repeated parameter is refused.
pub(super) fn parse<T: DeserializeOwned>(encoded: &[u8]) -> Result<T, String> {
    let mut fields = Map::new();
    let mut resources = Vec::new();
    for (name, value) in url::form_urlencoded::parse(encoded) {
        if name == RESOURCE {
            resources.push(Value::String(value.into_owned()));
        } else if fields
            .insert(name.clone().into_owned(), Value::String(value.into_owned()))
            .is_some()
        {
            return Err(format!("the {name} parameter is repeated"));
        }
    }
    fields.insert(RESOURCE.into(), Value::Array(resources));
    serde_json::from_value(Value::Object(fields)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::TokenForm;

    #[test]
    fn resource_repeats_and_nothing_else_may() {
        let form: TokenForm =
            parse(b"grant_type=refresh_token&resource=urn%3Aa&resource=urn%3Ab").expect("parses");
        assert_eq!(form.grant_type.as_deref(), Some("refresh_token"));
        assert_eq!(form.resource, ["urn:a", "urn:b"]);
        assert!(parse::<TokenForm>(b"code=a&code=b").is_err());
        let none: TokenForm = parse(b"").expect("parses");
        assert!(none.resource.is_empty() && none.code.is_none());
    }
}
