//! Query cursors: DynamoDB's `LastEvaluatedKey` as opaque, URL-safe text, so that callers
//! can hand a cursor to a browser and back without learning the table layout.

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use std::collections::HashMap;
use varoskapu_core::TableError;

/// Encodes a last evaluated key (all of whose attributes are strings in this layout).
pub fn encode(key: &HashMap<String, AttributeValue>) -> Result<String, TableError> {
    let mut object = Map::new();
    for (name, value) in key {
        let AttributeValue::S(text) = value else {
            return Err(TableError::Corrupt(format!(
                "key attribute {name} is not a string"
            )));
        };
        object.insert(name.clone(), Value::String(text.clone()));
    }
    let json = Value::Object(object).to_string();
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// Decodes a cursor, accepting only the key attributes this query's key schema has.
pub fn decode(
    cursor: &str,
    allowed: &[&str],
) -> Result<HashMap<String, AttributeValue>, TableError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| TableError::InvalidCursor)?;
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(TableError::InvalidCursor);
    };
    if object.len() != allowed.len() {
        return Err(TableError::InvalidCursor);
    }
    object
        .into_iter()
        .map(|(name, value)| match value {
            Value::String(text) if allowed.contains(&name.as_str()) && !text.is_empty() => {
                Ok((name, AttributeValue::S(text)))
            }
            _ => Err(TableError::InvalidCursor),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let key = HashMap::from([
            ("pk".to_owned(), AttributeValue::S("p".into())),
            ("sk".to_owned(), AttributeValue::S("s/ő".into())),
        ]);
        let text = encode(&key).unwrap();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(decode(&text, &["pk", "sk"]).unwrap(), key);
    }

    #[test]
    fn malformed_cursors_are_refused() {
        let other = URL_SAFE_NO_PAD.encode(r#"{"pk":"p","x":"s"}"#);
        let number = URL_SAFE_NO_PAD.encode(r#"{"pk":"p","sk":1}"#);
        for bad in ["", "!!!", "bm90IGpzb24", other.as_str(), number.as_str()] {
            assert_eq!(
                decode(bad, &["pk", "sk"]),
                Err(TableError::InvalidCursor),
                "{bad}"
            );
        }
    }
}
