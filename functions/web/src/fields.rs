//! Field-level errors of a form, in the order the fields appear: the layout lists them in
//! an error summary whose links move focus to each field, and each field shows its own.

/// The errors of one submitted form, keyed by the id of the field at fault.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    /// Records the message for a field (the field's `id`, which its label and the summary's
    /// link use); a second message for the same field is ignored.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let field = field.into();
        if self.get(&field).is_none() {
            self.0.push((field, message.into()));
        }
    }

    /// The message for a field, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether the field has an error (templates set `aria-invalid` with it).
    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every (field, message), in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(f, m)| (f.as_str(), m.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_message_of_a_field_is_kept_in_field_order() {
        let mut errors = FieldErrors::default();
        errors.add("email", "first");
        errors.add("password", "weak");
        errors.add("email", "second");
        assert_eq!(errors.get("email"), Some("first"));
        assert_eq!(
            errors.iter().collect::<Vec<_>>(),
            vec![("email", "first"), ("password", "weak")]
        );
    }
}
