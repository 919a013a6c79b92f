//! The port through which submission checks a form against its case type's JSON Schema;
//! the validator lives with the function that submits, so the domain pulls in no schema
//! engine.

use serde_json::Value;

/// Validates a form against a JSON Schema.
pub trait FormValidator: Send + Sync + 'static {
    /// `Err` lists every violation, each as `<JSON pointer>: <message>`.
    fn validate(&self, schema: &Value, form: &Value) -> Result<(), Vec<String>>;
}
