//! The `FormValidator` over the `jsonschema` crate, built without its remote-reference
//! resolvers: a case type's schema is self-contained and validation never fetches anything.

use serde_json::Value;
use varoskapu_core::cases::FormValidator;

/// Validates forms with a full JSON Schema (2020-12 and earlier drafts) implementation.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonSchemaForms;

impl FormValidator for JsonSchemaForms {
    fn validate(&self, schema: &Value, form: &Value) -> Result<(), Vec<String>> {
        let validator = jsonschema::validator_for(schema)
            .map_err(|e| vec![format!("the case type's schema is unusable: {e}")])?;
        let errors: Vec<String> = validator
            .iter_errors(form)
            .map(|e| {
                let at = e.instance_path().to_string();
                format!("{}: {e}", if at.is_empty() { "/" } else { &at })
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn violations_name_where_they_are() {
        let schema = json!({
            "type": "object",
            "required": ["plate"],
            "properties": {"plate": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{3}$"}},
            "additionalProperties": false
        });
        assert!(
            JsonSchemaForms
                .validate(&schema, &json!({"plate": "ABC-123"}))
                .is_ok()
        );
        let errors = JsonSchemaForms
            .validate(&schema, &json!({"plate": "abc", "x": 1}))
            .expect_err("invalid");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors.iter().any(|e| e.starts_with("/plate:")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_remote_reference_is_not_fetched() {
        let schema = json!({"$ref": "https://example.invalid/schema.json"});
        assert!(JsonSchemaForms.validate(&schema, &json!({})).is_err());
    }
}
