//! JSON values as native DynamoDB attribute values, so that stored items stay readable and
//! queryable in the console and by expressions (`data.status = :s`).

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// Converts a JSON value to the attribute value DynamoDB stores for it.
pub fn to_attribute(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(number_text(n)),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => AttributeValue::L(items.iter().map(to_attribute).collect()),
        Value::Object(map) => AttributeValue::M(to_attribute_map(map)),
    }
}

/// Converts a JSON object to an attribute map.
pub fn to_attribute_map(map: &Map<String, Value>) -> HashMap<String, AttributeValue> {
    map.iter()
        .map(|(k, v)| (k.clone(), to_attribute(v)))
        .collect()
}

/// Converts a stored attribute value back to JSON; sets and binaries are never written
/// by this engine, so meeting one means the item was written by something else.
pub fn from_attribute(value: &AttributeValue) -> Result<Value, String> {
    Ok(match value {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::N(text) => Value::Number(parse_number(text)?),
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::L(items) => {
            Value::Array(items.iter().map(from_attribute).collect::<Result<_, _>>()?)
        }
        AttributeValue::M(map) => Value::Object(from_attribute_map(map)?),
        other => return Err(format!("unsupported attribute type {other:?}")),
    })
}

/// Converts an attribute map back to a JSON object.
pub fn from_attribute_map(
    map: &HashMap<String, AttributeValue>,
) -> Result<Map<String, Value>, String> {
    map.iter()
        .map(|(k, v)| Ok((k.clone(), from_attribute(v)?)))
        .collect()
}

/// Integers keep their exact digits; floats keep a fraction or exponent mark so that they
/// read back as floats (DynamoDB itself may normalise `1.0` to `1`, so that is best-effort).
fn number_text(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let plain = f.to_string();
    // DynamoDB keeps at most 38 significant digits: very large or small floats go in
    // exponent form, which is always short.
    if plain.len() > 24 {
        format!("{f:e}")
    } else if plain.contains(['.', 'e', 'E']) {
        plain
    } else {
        format!("{plain}.0")
    }
}

fn parse_number(text: &str) -> Result<Number, String> {
    if let Ok(i) = text.parse::<i64>() {
        return Ok(Number::from(i));
    }
    if let Ok(u) = text.parse::<u64>() {
        return Ok(Number::from(u));
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| format!("unreadable number {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_json_shape_round_trips() {
        let value = json!({
            "s": "szöveg", "empty": "", "i": -42, "u": u64::MAX, "f": 1.5, "whole_float": 2.0,
            "tiny": 1e-300, "huge": 1.7e308, "b": true, "n": null,
            "l": [1, "a", [], {}], "m": {"nested": {"deep": [false]}}
        });
        let back = from_attribute(&to_attribute(&value)).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn numbers_are_stored_as_dynamodb_numbers() {
        assert_eq!(to_attribute(&json!(7)), AttributeValue::N("7".into()));
        assert_eq!(to_attribute(&json!(0.25)), AttributeValue::N("0.25".into()));
    }

    #[test]
    fn foreign_attribute_types_are_reported() {
        assert!(from_attribute(&AttributeValue::Ss(vec!["a".into()])).is_err());
    }
}
