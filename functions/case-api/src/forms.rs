//! The `FormValidator` over the `jsonschema` crate, built without its remote-reference
//! resolvers: a case type's schema is self-contained and validation never fetches anything.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use varoskapu_core::cases::FormValidator;

/// Deepest nesting of a form's JSON: case forms are a few levels of objects and lists.
/// (The body parser already refuses JSON nested over 128 levels.)
pub const MAX_FORM_DEPTH: usize = 32;

/// Most values (objects, lists, scalars) one form may hold.
pub const MAX_FORM_VALUES: usize = 10_000;

/// Refuses a form nested deeper than [`MAX_FORM_DEPTH`] or holding more than
/// [`MAX_FORM_VALUES`] values, walking it with an explicit stack, before a schema
/// validator recurses into it.
pub fn check_form_shape(form: &Value) -> Result<(), String> {
    let mut stack = vec![(form, 1usize)];
    let mut values = 0usize;
    while let Some((value, depth)) = stack.pop() {
        values += 1;
        if values > MAX_FORM_VALUES {
            return Err(format!("the form holds more than {MAX_FORM_VALUES} values"));
        }
        if depth > MAX_FORM_DEPTH {
            return Err(format!(
                "the form nests deeper than {MAX_FORM_DEPTH} levels"
            ));
        }
        match value {
            Value::Array(items) => stack.extend(items.iter().map(|v| (v, depth + 1))),
            Value::Object(members) => stack.extend(members.values().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

/// Most compiled schemas kept; a catalogue has a few dozen case types, and a full cache
/// starts over rather than growing with every edited schema.
const MAX_COMPILED_SCHEMAS: usize = 256;

/// Schemas compiled before, by their exact JSON text: compiling one (its regular
/// expressions above all) costs far more than validating a form, and a draft, its edits and
/// its submission validate against the same schema. An edited schema is another text, so
/// it is compiled anew and never answered by its old version.
static COMPILED: LazyLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> =
    LazyLock::new(Mutex::default);

fn compiled(schema: &Value) -> Result<Arc<jsonschema::Validator>, String> {
    let text = schema.to_string();
    let cached = COMPILED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&text)
        .cloned();
    if let Some(validator) = cached {
        return Ok(validator);
    }
    let validator = Arc::new(jsonschema::validator_for(schema).map_err(|e| e.to_string())?);
    let mut compiled = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    if compiled.len() >= MAX_COMPILED_SCHEMAS {
        compiled.clear();
    }
    compiled.insert(text, Arc::clone(&validator));
    Ok(validator)
}

/// Validates forms with a full JSON Schema (2020-12 and earlier drafts) implementation.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonSchemaForms;

impl FormValidator for JsonSchemaForms {
    fn validate(&self, schema: &Value, form: &Value) -> Result<(), Vec<String>> {
        check_form_shape(form).map_err(|e| vec![format!("/: {e}")])?;
        let validator = compiled(schema)
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
    fn forms_too_deep_or_too_large_are_refused_before_validation() {
        // A schema that recurses as deep as the form does.
        let schema = json!({"type": ["object", "array", "string"], "items": {"$ref": "#"}});
        let mut deep = json!("x");
        for _ in 0..MAX_FORM_DEPTH {
            deep = json!([deep]);
        }
        let errors = JsonSchemaForms
            .validate(&schema, &deep)
            .expect_err("too deep");
        assert!(errors[0].contains("deeper than 32"), "{errors:?}");
        let wide = Value::Array(vec![json!(1); MAX_FORM_VALUES]);
        let errors = JsonSchemaForms
            .validate(&schema, &wide)
            .expect_err("too large");
        assert!(errors[0].contains("more than 10000"), "{errors:?}");
        let mut fine = json!("x");
        for _ in 0..MAX_FORM_DEPTH - 1 {
            fine = json!([fine]);
        }
        assert!(JsonSchemaForms.validate(&schema, &fine).is_ok());
    }

    #[test]
    fn an_edited_schema_is_compiled_anew() {
        let schema = |pattern: &str| json!({"type": "object", "properties": {"plate": {"type": "string", "pattern": pattern}}});
        let form = json!({"plate": "ABC-123"});
        assert!(
            JsonSchemaForms
                .validate(&schema("^[A-Z]{3}-[0-9]{3}$"), &form)
                .is_ok()
        );
        assert!(
            JsonSchemaForms
                .validate(&schema("^[A-Z]{3}-[0-9]{3}$"), &form)
                .is_ok()
        );
        assert!(
            JsonSchemaForms
                .validate(&schema("^[0-9]+$"), &form)
                .is_err(),
            "the schema's new pattern applies at once"
        );
    }

    #[test]
    fn a_remote_reference_is_not_fetched() {
        let schema = json!({"$ref": "https://example.invalid/schema.json"});
        assert!(JsonSchemaForms.validate(&schema, &json!({})).is_err());
    }
}
