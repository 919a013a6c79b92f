//! One askama template for the provider's plain forms (sign-in, second factor, sign-up,
//! reset request, the account page's changes): labelled fields with hint and error tied to
//! the input by `aria-describedby`, hidden fields, one submit button and links below.

use askama::Template;
use varoskapu_web::FieldErrors;

/// One input of a form.
pub struct Field {
    pub id: &'static str,
    pub name: &'static str,
    pub label: String,
    /// `text`, `email`, `password`…
    pub kind: &'static str,
    pub autocomplete: &'static str,
    pub value: String,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub required: bool,
    pub inputmode: Option<&'static str>,
}

impl Field {
    /// A required field whose `id` and `name` are both `name`.
    pub fn new(
        name: &'static str,
        label: &str,
        kind: &'static str,
        autocomplete: &'static str,
    ) -> Self {
        Self {
            id: name,
            name,
            label: label.to_owned(),
            kind,
            autocomplete,
            value: String::new(),
            hint: None,
            error: None,
            required: true,
            inputmode: None,
        }
    }

    pub fn value(mut self, value: &str) -> Self {
        self.value = value.to_owned();
        self
    }

    pub fn hint(mut self, hint: &str) -> Self {
        self.hint = Some(hint.to_owned());
        self
    }

    pub fn numeric(mut self) -> Self {
        self.inputmode = Some("numeric");
        self
    }

    /// Takes this field's message from the form's errors.
    pub fn errors(mut self, errors: &FieldErrors) -> Self {
        self.error = errors.get(self.id).map(str::to_owned);
        self
    }

    /// The ids of the hint and the error, for `aria-describedby`.
    pub fn described_by(&self) -> Option<String> {
        let ids: Vec<String> = [
            self.hint.as_ref().map(|_| format!("{}-hint", self.id)),
            self.error.as_ref().map(|_| format!("{}-error", self.id)),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// A page's form.
#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage {
    pub intro: Vec<String>,
    pub action: &'static str,
    /// Hidden fields in order (the CSRF token among them).
    pub hidden: Vec<(&'static str, String)>,
    pub fields: Vec<Field>,
    pub submit: String,
    /// Links shown under the form (href, text).
    pub links: Vec<(String, String)>,
    /// Already-rendered markup after the form (another form, e.g. federated sign-in).
    pub after: String,
}

impl FormPage {
    pub fn new(action: &'static str, submit: &str) -> Self {
        Self {
            intro: Vec::new(),
            action,
            hidden: Vec::new(),
            fields: Vec::new(),
            submit: submit.to_owned(),
            links: Vec::new(),
            after: String::new(),
        }
    }

    pub fn intro(mut self, text: &str) -> Self {
        self.intro.push(text.to_owned());
        self
    }

    pub fn hidden(mut self, name: &'static str, value: &str) -> Self {
        self.hidden.push((name, value.to_owned()));
        self
    }

    pub fn field(mut self, field: Field) -> Self {
        self.fields.push(field);
        self
    }

    pub fn link(mut self, href: &str, label: &str) -> Self {
        self.links.push((href.to_owned(), label.to_owned()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_with_an_error_is_invalid_and_described_by_hint_and_error() {
        let mut errors = FieldErrors::default();
        errors.add("password", "Too short");
        let html = FormPage::new("/x", "Go")
            .hidden("csrf", "t\"k")
            .field(
                Field::new("password", "Password", "password", "new-password")
                    .hint("At least 10 characters")
                    .errors(&errors),
            )
            .render()
            .expect("renders");
        assert!(html.contains(r#"name="csrf" value="t&#34;k""#), "{html}");
        assert!(html.contains(r#"<label for="password">Password</label>"#));
        assert!(html.contains(r#"aria-describedby="password-hint password-error""#));
        assert!(html.contains(r#"aria-invalid="true""#));
    }
}
