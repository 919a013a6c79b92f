//! A case form generated from its case type's JSON Schema, and the posted form read back
//! into the JSON the schema describes.
//!
//! Fields are named by their path (`address.city`, `children[0].name`) and identified by
//! the same path made id-safe (`f-address-city`, `f-children-0-name`), which the error
//! summary links to. Strings (with `format: date` or `email`), integers and numbers,
//! booleans (a checkbox), enums (radios up to four options, else a select), nested objects
//! (a fieldset) and arrays (a repeatable group: every item shown plus one empty, and an
//! "add another" button that posts the form back with one group more, so no script is
//! needed). Labels come from the schema's `title` (Hungarian) and `x-title-en` (English),
//! enum labels from `x-enum-labels` (`{"value": {"hu": …, "en": …}}`), else from the
//! property name.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use varoskapu_web::{FieldErrors, Lang};

/// Most items one repeatable group may hold.
pub const MAX_ITEMS: usize = 50;

/// The form field naming how many groups of an array were shown (`_count.children`).
pub const COUNT_PREFIX: &str = "_count.";

/// The button that adds a group to an array (its value is the array's path).
pub const ADD_FIELD: &str = "_add";

/// The id of a field named `name`.
pub fn field_id(name: &str) -> String {
    let mut id = String::from("f-");
    for c in name.chars() {
        match c {
            '.' | '[' => id.push('-'),
            ']' => {}
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => id.push(c),
            _ => id.push('_'),
        }
    }
    id
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn item(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

/// A schema node with local `$ref`s (`#/$defs/…`) followed.
fn resolve<'a>(root: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) if r.starts_with('#') => match root.pointer(&r[1..]) {
                Some(target) => schema = target,
                None => return schema,
            },
            _ => return schema,
        }
    }
    schema
}

/// The kind of value a schema node describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Date,
    Email,
    Integer,
    Number,
    Boolean,
    Enum,
    Object,
    Array,
}

fn kind_of(schema: &Value) -> Kind {
    if schema.get("enum").is_some() {
        return Kind::Enum;
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ if schema.get("properties").is_some() => "object",
        _ if schema.get("items").is_some() => "array",
        _ => "string",
    };
    match ty {
        "integer" => Kind::Integer,
        "number" => Kind::Number,
        "boolean" => Kind::Boolean,
        "object" => Kind::Object,
        "array" => Kind::Array,
        _ => match schema.get("format").and_then(Value::as_str) {
            Some("date") => Kind::Date,
            Some("email") => Kind::Email,
            _ => Kind::Text,
        },
    }
}

/// A property's label in `lang`: the schema's title, else its name made readable.
fn label(schema: &Value, key: &str, lang: Lang) -> String {
    let hu = schema.get("title").and_then(Value::as_str);
    let en = schema.get("x-title-en").and_then(Value::as_str);
    let chosen = match lang {
        Lang::Hu => hu.or(en),
        Lang::En => en.or(hu),
    };
    match chosen {
        Some(text) => text.to_owned(),
        None => {
            let mut text = key.replace(['_', '-'], " ");
            if let Some(first) = text.get(0..1) {
                let upper = first.to_uppercase();
                text.replace_range(0..1, &upper);
            }
            text
        }
    }
}

fn enum_options(schema: &Value) -> Vec<Value> {
    schema
        .get("enum")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// How a form shows a JSON scalar (and how the posted text is compared with it).
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn enum_label(schema: &Value, value: &Value, lang: Lang) -> String {
    let text = scalar_text(value);
    schema
        .get("x-enum-labels")
        .and_then(|labels| labels.get(&text))
        .and_then(|l| l.get(lang.code()).or_else(|| l.get("hu")))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| label(&Value::Null, &text, lang))
}

/// One choice of a radio group or select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// One thing the form template draws, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A fieldset of a nested object or a group of an array.
    Open {
        id: String,
        legend: String,
    },
    Close,
    /// An `<input>` of `input_type` (text, email, date, number) or a `<textarea>`.
    Input {
        id: String,
        name: String,
        label: String,
        input_type: &'static str,
        /// `step` of a number input (`1` for integers, `any` otherwise).
        step: &'static str,
        multiline: bool,
        value: String,
        required: bool,
        error: Option<String>,
    },
    Checkbox {
        id: String,
        name: String,
        label: String,
        checked: bool,
        error: Option<String>,
    },
    Radios {
        id: String,
        name: String,
        label: String,
        choices: Vec<Choice>,
        required: bool,
        error: Option<String>,
    },
    Select {
        id: String,
        name: String,
        label: String,
        choices: Vec<Choice>,
        required: bool,
        error: Option<String>,
    },
    /// The hidden count of an array's groups.
    Count {
        name: String,
        value: usize,
    },
    /// The "add another" button of an array.
    Add {
        path: String,
        label: String,
    },
}

/// The text of every field of a form as the browser would post it, and how many groups
/// each array shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawForm {
    pub values: BTreeMap<String, String>,
    pub counts: BTreeMap<String, usize>,
}

impl RawForm {
    /// The posted pairs of a form (later pairs of the same name win, as one field is one
    /// value; checkboxes post `true`).
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut raw = RawForm::default();
        for (name, value) in pairs {
            if let Some(path) = name.strip_prefix(COUNT_PREFIX) {
                let count = value.trim().parse::<usize>().unwrap_or(0).min(MAX_ITEMS);
                raw.counts.insert(path.to_owned(), count);
            } else if !name.starts_with('_') && name != varoskapu_web::csrf::FIELD {
                raw.values.insert(name.clone(), value.clone());
            }
        }
        raw
    }

    /// The fields of a saved form, to edit it again.
    pub fn from_json(schema: &Value, form: &Value) -> Self {
        let mut raw = RawForm::default();
        flatten(schema, schema, form, "", &mut raw);
        raw
    }

    /// One more group for the array at `path` (the "add another" button).
    pub fn add_group(&mut self, schema: &Value, path: &str) {
        if array_at(schema, path) {
            let count = self.count_of(path);
            self.counts
                .insert(path.to_owned(), (count + 1).min(MAX_ITEMS));
        }
    }

    fn count_of(&self, path: &str) -> usize {
        self.counts.get(path).copied().unwrap_or_else(|| {
            // Without a count, as many groups as have values.
            (0..MAX_ITEMS)
                .take_while(|i| {
                    let prefix = item(path, *i);
                    self.values.keys().any(|k| k.starts_with(&prefix))
                })
                .count()
        })
    }

    fn get(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }
}

/// Whether `path` names an array of the schema.
fn array_at(root: &Value, path: &str) -> bool {
    let mut schema = resolve(root, root);
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((key, rest)) => (key, Some(rest)),
            None => (part, None),
        };
        let Some(next) = schema.get("properties").and_then(|p| p.get(key)) else {
            return false;
        };
        schema = resolve(root, next);
        if index.is_some() {
            let Some(items) = schema.get("items") else {
                return false;
            };
            schema = resolve(root, items);
        }
    }
    kind_of(schema) == Kind::Array
}

fn flatten(root: &Value, schema: &Value, value: &Value, path: &str, raw: &mut RawForm) {
    let schema = resolve(root, schema);
    match kind_of(schema) {
        Kind::Object => {
            let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            for (key, sub) in props {
                if let Some(v) = value.get(key) {
                    flatten(root, sub, v, &child(path, key), raw);
                }
            }
        }
        Kind::Array => {
            let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
            let sub = schema.get("items").unwrap_or(&Value::Null);
            for (i, v) in items.iter().take(MAX_ITEMS).enumerate() {
                flatten(root, sub, v, &item(path, i), raw);
            }
            raw.counts
                .insert(path.to_owned(), items.len().min(MAX_ITEMS));
        }
        Kind::Boolean => {
            if value.as_bool() == Some(true) {
                raw.values.insert(path.to_owned(), "true".into());
            }
        }
        _ => {
            raw.values.insert(path.to_owned(), scalar_text(value));
        }
    }
}

/// Why a field's text could not be read, before the schema is even asked.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    Required,
    NotAWholeNumber,
    NotANumber,
    NotADate,
    NotAnEmail,
    NotAChoice,
    Pattern,
    MinLength(u64),
    MaxLength(u64),
    Minimum(String),
    Maximum(String),
    ExclusiveMinimum(String),
    ExclusiveMaximum(String),
    MinItems(u64),
    MaxItems(u64),
    Invalid,
}

impl Problem {
    /// The message in the person's language.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Problem::Required => lang
                .t("Ez a mező kötelező.", "This field is required.")
                .into(),
            Problem::NotAWholeNumber => lang
                .t("Egész számot adjon meg.", "Enter a whole number.")
                .into(),
            Problem::NotANumber => lang
                .t(
                    "Számot adjon meg (például 12,5).",
                    "Enter a number (for example 12.5).",
                )
                .into(),
            Problem::NotADate => lang
                .t(
                    "Érvényes dátumot adjon meg (ÉÉÉÉ-HH-NN).",
                    "Enter a real date (YYYY-MM-DD).",
                )
                .into(),
            Problem::NotAnEmail => lang
                .t(
                    "Érvényes e-mail-címet adjon meg.",
                    "Enter a valid e-mail address.",
                )
                .into(),
            Problem::NotAChoice => lang
                .t(
                    "Válasszon a felsorolt lehetőségek közül.",
                    "Choose one of the options listed.",
                )
                .into(),
            Problem::Pattern => lang
                .t(
                    "A megadott érték formátuma nem megfelelő.",
                    "The value is not in the expected format.",
                )
                .into(),
            Problem::MinLength(n) => match lang {
                Lang::Hu => format!("Legalább {n} karaktert adjon meg."),
                Lang::En => format!("Enter at least {n} characters."),
            },
            Problem::MaxLength(n) => match lang {
                Lang::Hu => format!("Legfeljebb {n} karaktert adhat meg."),
                Lang::En => format!("Enter at most {n} characters."),
            },
            Problem::Minimum(n) => match lang {
                Lang::Hu => format!("Legalább {n} lehet."),
                Lang::En => format!("It must be at least {n}."),
            },
            Problem::Maximum(n) => match lang {
                Lang::Hu => format!("Legfeljebb {n} lehet."),
                Lang::En => format!("It must be at most {n}."),
            },
            Problem::ExclusiveMinimum(n) => match lang {
                Lang::Hu => format!("{n}-nál/-nél nagyobbnak kell lennie."),
                Lang::En => format!("It must be more than {n}."),
            },
            Problem::ExclusiveMaximum(n) => match lang {
                Lang::Hu => format!("{n}-nál/-nél kisebbnek kell lennie."),
                Lang::En => format!("It must be less than {n}."),
            },
            Problem::MinItems(n) => match lang {
                Lang::Hu => format!("Legalább {n} tételt adjon meg."),
                Lang::En => format!("Add at least {n} items."),
            },
            Problem::MaxItems(n) => match lang {
                Lang::Hu => format!("Legfeljebb {n} tételt adhat meg."),
                Lang::En => format!("Add at most {n} items."),
            },
            Problem::Invalid => lang
                .t("Az érték nem megfelelő.", "The value is not valid.")
                .into(),
        }
    }
}

/// The problems of a form, by field name, in the order found.
pub type Problems = Vec<(String, Problem)>;

/// Reads a posted form into the JSON its schema describes: empty text is left out (the
/// schema's `required` then speaks), numbers are read with a comma or a point, checkboxes
/// are `true` or `false`; text that is not what its field needs is a problem of that field.
pub fn parse(schema: &Value, raw: &RawForm) -> (Value, Problems) {
    let mut problems = Vec::new();
    let value =
        read(schema, schema, raw, "", true, &mut problems).unwrap_or(Value::Object(Map::new()));
    (value, problems)
}

fn read(
    root: &Value,
    schema: &Value,
    raw: &RawForm,
    path: &str,
    required: bool,
    problems: &mut Problems,
) -> Option<Value> {
    let schema = resolve(root, schema);
    match kind_of(schema) {
        Kind::Object => {
            let mut members = Map::new();
            let required_keys = required_of(schema);
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (key, sub) in props {
                    let needed = required_keys.contains(&key.as_str());
                    if let Some(v) = read(root, sub, raw, &child(path, key), needed, problems) {
                        members.insert(key.clone(), v);
                    }
                }
            }
            // A required object is kept even when empty, so that its own required fields
            // are named; an optional object left empty is left out.
            let blank = members.values().all(is_blank);
            (required || !blank).then_some(Value::Object(members))
        }
        Kind::Array => {
            let sub = schema.get("items").unwrap_or(&Value::Null);
            let mut items: Vec<Option<Value>> = (0..raw.count_of(path))
                .map(|i| read(root, sub, raw, &item(path, i), true, problems))
                .collect();
            // The empty group shown for a new item is no item.
            while items
                .last()
                .is_some_and(|v| v.as_ref().is_none_or(is_blank))
            {
                items.pop();
            }
            let items: Vec<Value> = items
                .into_iter()
                .map(|v| v.unwrap_or(Value::Null))
                .collect();
            Some(Value::Array(items))
        }
        Kind::Boolean => Some(Value::Bool(matches!(
            raw.get(path),
            "true" | "on" | "1" | "yes"
        ))),
        kind => {
            let text = raw.get(path).trim();
            if text.is_empty() {
                return None;
            }
            match kind {
                Kind::Integer => match text.replace([' ', '\u{a0}'], "").parse::<i64>() {
                    Ok(n) => Some(Value::from(n)),
                    Err(_) => {
                        problems.push((path.to_owned(), Problem::NotAWholeNumber));
                        None
                    }
                },
                Kind::Number => {
                    let normal = text.replace([' ', '\u{a0}'], "").replace(',', ".");
                    match normal.parse::<f64>().ok().filter(|n| n.is_finite()) {
                        Some(n) if n.fract() == 0.0 && n.abs() < 9e15 => {
                            Some(Value::from(n as i64))
                        }
                        Some(n) => serde_json::Number::from_f64(n).map(Value::Number),
                        None => {
                            problems.push((path.to_owned(), Problem::NotANumber));
                            None
                        }
                    }
                }
                Kind::Date => {
                    if text.parse::<jiff::civil::Date>().is_ok() && text.len() == 10 {
                        Some(Value::String(text.to_owned()))
                    } else {
                        problems.push((path.to_owned(), Problem::NotADate));
                        None
                    }
                }
                Kind::Email => {
                    let ok = text
                        .split_once('@')
                        .is_some_and(|(a, d)| !a.is_empty() && d.contains('.'));
                    if ok {
                        Some(Value::String(text.to_owned()))
                    } else {
                        problems.push((path.to_owned(), Problem::NotAnEmail));
                        None
                    }
                }
                Kind::Enum => {
                    let chosen = enum_options(schema)
                        .into_iter()
                        .find(|o| scalar_text(o) == text);
                    if chosen.is_none() {
                        problems.push((path.to_owned(), Problem::NotAChoice));
                    }
                    chosen
                }
                _ => Some(Value::String(raw.get(path).to_owned())),
            }
        }
    }
}

/// The properties of an object schema in the order a person fills them in: those named
/// by `x-order`, then the required ones in the order `required` lists them, then the rest
/// (JSON objects keep no order of their own).
fn ordered_props(schema: &Value) -> Vec<(&String, &Value)> {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let listed = |key: &str| {
        schema
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let mut out: Vec<(&String, &Value)> = Vec::new();
    for name in listed("x-order").into_iter().chain(listed("required")) {
        if let Some((k, v)) = props.get_key_value(name)
            && !out.iter().any(|(o, _)| *o == k)
        {
            out.push((k, v));
        }
    }
    for (k, v) in props {
        if !out.iter().any(|(o, _)| *o == k) {
            out.push((k, v));
        }
    }
    out
}

fn required_of(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Object(m) => m.values().all(is_blank),
        Value::Array(a) => a.is_empty(),
        Value::Bool(b) => !b,
        Value::Null => true,
        _ => false,
    }
}

/// The schema's verdict on a form, by field name (a `required` property is named by the
/// missing field itself; problems of the whole form by the empty name).
pub fn validate(schema: &Value, form: &Value) -> Problems {
    if let Err(e) = varoskapu_case_api::forms::check_form_shape(form) {
        tracing::info!(reason = %e, "form refused before validation");
        return vec![(String::new(), Problem::Invalid)];
    }
    let validator = match jsonschema::validator_for(schema) {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "a case type's schema is unusable");
            return vec![(String::new(), Problem::Invalid)];
        }
    };
    use jsonschema::error::ValidationErrorKind as K;
    validator
        .iter_errors(form)
        .map(|e| {
            let path = name_of_pointer(&e.instance_path().to_string());
            let limit = |v: &Value| v.to_string().replace('.', ",");
            match e.kind() {
                K::Required { property } => {
                    (child(&path, &scalar_text(property)), Problem::Required)
                }
                K::Pattern { .. } => (path, Problem::Pattern),
                K::MinLength { limit } if *limit == 1 => (path, Problem::Required),
                K::MinLength { limit } => (path, Problem::MinLength(*limit)),
                K::MaxLength { limit } => (path, Problem::MaxLength(*limit)),
                K::Minimum { limit: l } => (path, Problem::Minimum(limit(l))),
                K::Maximum { limit: l } => (path, Problem::Maximum(limit(l))),
                K::ExclusiveMinimum { limit: l } => (path, Problem::ExclusiveMinimum(limit(l))),
                K::ExclusiveMaximum { limit: l } => (path, Problem::ExclusiveMaximum(limit(l))),
                K::MinItems { limit } => (path, Problem::MinItems(*limit)),
                K::MaxItems { limit } => (path, Problem::MaxItems(*limit)),
                K::Enum { .. } | K::Constant { .. } => (path, Problem::NotAChoice),
                K::Format { format } if format == "date" => (path, Problem::NotADate),
                K::Format { format } if format == "email" => (path, Problem::NotAnEmail),
                _ => (path, Problem::Invalid),
            }
        })
        .collect()
}

/// The field name of a JSON pointer (`/children/0/name` → `children[0].name`).
pub fn name_of_pointer(pointer: &str) -> String {
    let mut name = String::new();
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if !name.is_empty() && part.parse::<usize>().is_ok() {
            name.push_str(&format!("[{part}]"));
        } else {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(&part);
        }
    }
    name
}

/// The drawn form and the field errors in the order of its fields.
pub struct Rendered {
    pub items: Vec<Item>,
    pub errors: FieldErrors,
}

/// Draws the form of `schema` with the text of `raw` and the messages of `problems`;
/// `form_id` is where a problem of the whole form points.
pub fn render(
    schema: &Value,
    raw: &RawForm,
    problems: &Problems,
    lang: Lang,
    form_id: &str,
) -> Rendered {
    let messages: BTreeMap<&str, String> =
        problems
            .iter()
            .rev()
            .fold(BTreeMap::new(), |mut map, (name, problem)| {
                // The first problem of a field wins.
                map.insert(name.as_str(), problem.message(lang));
                map
            });
    let mut out = Drawer {
        root: schema,
        raw,
        messages: &messages,
        lang,
        items: Vec::new(),
        order: Vec::new(),
    };
    out.node(schema, "", "", true);
    let mut errors = FieldErrors::default();
    if let Some(m) = messages.get("") {
        errors.add(form_id, m.clone());
    }
    for name in &out.order {
        if let Some(m) = messages.get(name.as_str()) {
            errors.add(field_id(name), m.clone());
        }
    }
    // A problem at a place no field shows (an array's or object's own) still shows.
    for (name, m) in &messages {
        if !name.is_empty() && !out.order.iter().any(|n| n == name) {
            errors.add(form_id, m.clone());
        }
    }
    Rendered {
        items: out.items,
        errors,
    }
}

struct Drawer<'a> {
    root: &'a Value,
    raw: &'a RawForm,
    messages: &'a BTreeMap<&'a str, String>,
    lang: Lang,
    items: Vec<Item>,
    /// Field names in the order drawn.
    order: Vec<String>,
}

impl Drawer<'_> {
    fn error(&self, name: &str) -> Option<String> {
        self.messages.get(name).cloned()
    }

    fn node(&mut self, schema: &Value, path: &str, key: &str, required: bool) {
        let schema = resolve(self.root, schema);
        let lang = self.lang;
        let label = label(schema, key, lang);
        let id = field_id(path);
        let name = path.to_owned();
        match kind_of(schema) {
            Kind::Object => {
                let nested = !path.is_empty();
                if nested {
                    self.items.push(Item::Open {
                        id: id.clone(),
                        legend: label,
                    });
                    self.order.push(name.clone());
                }
                let required_keys = required_of(schema);
                for (k, sub) in ordered_props(schema) {
                    self.node(sub, &child(path, k), k, required_keys.contains(&k.as_str()));
                }
                if nested {
                    self.items.push(Item::Close);
                }
            }
            Kind::Array => {
                self.items.push(Item::Open {
                    id: id.clone(),
                    legend: label.clone(),
                });
                self.order.push(name.clone());
                let sub = schema.get("items").unwrap_or(&Value::Null);
                let count = self.raw.count_of(path);
                // Every item so far and one empty group for the next.
                let shown = (count + 1).min(MAX_ITEMS);
                for i in 0..shown {
                    let item_path = item(path, i);
                    let group = match lang {
                        Lang::Hu => format!("{label} – {}.", i + 1),
                        Lang::En => format!("{label} – {}", i + 1),
                    };
                    self.items.push(Item::Open {
                        id: field_id(&item_path),
                        legend: group,
                    });
                    let sub_resolved = resolve(self.root, sub);
                    if kind_of(sub_resolved) == Kind::Object {
                        let required_keys = required_of(sub_resolved);
                        for (k, s) in ordered_props(sub_resolved) {
                            self.node(
                                s,
                                &child(&item_path, k),
                                k,
                                required_keys.contains(&k.as_str()),
                            );
                        }
                    } else {
                        self.node(sub, &item_path, key, false);
                    }
                    self.items.push(Item::Close);
                }
                self.items.push(Item::Count {
                    name: format!("{COUNT_PREFIX}{path}"),
                    value: shown,
                });
                if shown < MAX_ITEMS {
                    self.items.push(Item::Add {
                        path: path.to_owned(),
                        label: match lang {
                            Lang::Hu => format!("Újabb hozzáadása: {label}"),
                            Lang::En => format!("Add another: {label}"),
                        },
                    });
                }
                self.items.push(Item::Close);
            }
            Kind::Boolean => {
                self.order.push(name.clone());
                self.items.push(Item::Checkbox {
                    checked: matches!(self.raw.get(path), "true" | "on" | "1" | "yes"),
                    error: self.error(path),
                    id,
                    name,
                    label,
                });
            }
            Kind::Enum => {
                self.order.push(name.clone());
                let current = self.raw.get(path);
                let options = enum_options(schema);
                let choices: Vec<Choice> = options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| Choice {
                        id: format!("{id}-{i}"),
                        value: scalar_text(o),
                        label: enum_label(schema, o, lang),
                        checked: scalar_text(o) == current,
                    })
                    .collect();
                let error = self.error(path);
                if choices.len() <= 4 {
                    self.items.push(Item::Radios {
                        id,
                        name,
                        label,
                        choices,
                        required,
                        error,
                    });
                } else {
                    self.items.push(Item::Select {
                        id,
                        name,
                        label,
                        choices,
                        required,
                        error,
                    });
                }
            }
            kind => {
                self.order.push(name.clone());
                let (input_type, step) = match kind {
                    Kind::Integer => ("number", "1"),
                    Kind::Number => ("text", "any"),
                    Kind::Date => ("date", ""),
                    Kind::Email => ("email", ""),
                    _ => ("text", ""),
                };
                let multiline = kind == Kind::Text
                    && schema
                        .get("maxLength")
                        .and_then(Value::as_u64)
                        .is_some_and(|n| n > 200);
                self.items.push(Item::Input {
                    value: self.raw.get(path).to_owned(),
                    error: self.error(path),
                    id,
                    name,
                    label,
                    input_type,
                    step,
                    multiline,
                    required,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "required": ["name", "applicant"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "title": "Név", "x-title-en": "Name"},
                "email": {"type": "string", "format": "email"},
                "born": {"type": "string", "format": "date"},
                "age": {"type": "integer", "minimum": 0},
                "area": {"type": "number"},
                "agree": {"type": "boolean"},
                "kind": {"enum": ["a", "b"], "x-enum-labels": {"a": {"hu": "Egy", "en": "One"}}},
                "colour": {"enum": ["red", "green", "blue", "black", "white"]},
                "applicant": {
                    "type": "object",
                    "required": ["city"],
                    "properties": {"city": {"type": "string", "minLength": 1}}
                },
                "children": {
                    "type": "array",
                    "items": {"$ref": "#/$defs/child"}
                }
            },
            "$defs": {"child": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "year": {"type": "integer"}}}}
        })
    }

    fn pairs(list: &[(&str, &str)]) -> RawForm {
        RawForm::from_pairs(
            &list
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn each_type_of_the_schema_gets_its_control() {
        let drawn = render(&schema(), &RawForm::default(), &vec![], Lang::En, "form");
        let items = &drawn.items;
        let input = |name: &str| {
            items.iter().find_map(|i| match i {
                Item::Input {
                    name: n,
                    input_type,
                    label,
                    required,
                    ..
                } if n == name => Some((*input_type, label.clone(), *required)),
                _ => None,
            })
        };
        assert_eq!(input("name"), Some(("text", "Name".into(), true)));
        assert_eq!(input("email").map(|i| i.0), Some("email"));
        assert_eq!(input("born").map(|i| i.0), Some("date"));
        assert_eq!(input("age").map(|i| i.0), Some("number"));
        assert_eq!(input("area").map(|i| i.1), Some("Area".into()));
        assert!(
            items
                .iter()
                .any(|i| matches!(i, Item::Checkbox { name, .. } if name == "agree"))
        );
        assert!(
            items
                .iter()
                .any(|i| matches!(i, Item::Radios { name, choices, .. }
            if name == "kind" && choices[0].label == "One" && choices[1].label == "B"))
        );
        assert!(
            items
                .iter()
                .any(|i| matches!(i, Item::Select { name, choices, .. }
            if name == "colour" && choices.len() == 5))
        );
        assert!(items.iter().any(|i| matches!(i, Item::Open { id, legend } if id == "f-applicant" && legend == "Applicant")));
        assert_eq!(input("applicant.city").map(|i| i.2), Some(true));
        // An array shows one empty group, its count and an "add another" button.
        assert!(input("children[0].name").is_some());
        assert!(input("children[1].name").is_none());
        assert!(
            items
                .iter()
                .any(|i| matches!(i, Item::Count { name, value: 1 } if name == "_count.children"))
        );
        assert!(
            items
                .iter()
                .any(|i| matches!(i, Item::Add { path, .. } if path == "children"))
        );
        // Hungarian labels come from the title.
        let hu = render(&schema(), &RawForm::default(), &vec![], Lang::Hu, "form");
        assert!(
            hu.items
                .iter()
                .any(|i| matches!(i, Item::Input { label, .. } if label == "Név"))
        );
    }

    #[test]
    fn adding_a_group_shows_one_more() {
        let mut raw = pairs(&[("children[0].name", "Bence"), ("_count.children", "1")]);
        raw.add_group(&schema(), "children");
        let drawn = render(&schema(), &raw, &vec![], Lang::Hu, "form");
        let names: Vec<&str> = drawn
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Input { name, .. }
                    if name.ends_with(".name") && name.starts_with("children") =>
                {
                    Some(name.as_str())
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            names,
            ["children[0].name", "children[1].name", "children[2].name"]
        );
        // A path that is no array adds nothing.
        raw.add_group(&schema(), "applicant");
        assert!(!raw.counts.contains_key("applicant"));
    }

    #[test]
    fn a_posted_form_becomes_nested_json() {
        let raw = pairs(&[
            ("csrf", "x"),
            ("name", "Anna"),
            ("email", ""),
            ("age", "42"),
            ("area", "12,5"),
            ("agree", "true"),
            ("kind", "b"),
            ("applicant.city", "Budapest"),
            ("children[0].name", "Bence"),
            ("children[0].year", "2015"),
            ("children[1].name", ""),
            ("children[1].year", ""),
            ("_count.children", "2"),
        ]);
        let (form, problems) = parse(&schema(), &raw);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            form,
            json!({
                "name": "Anna", "age": 42, "area": 12.5, "agree": true, "kind": "b",
                "applicant": {"city": "Budapest"},
                "children": [{"name": "Bence", "year": 2015}]
            })
        );
        assert!(validate(&schema(), &form).is_empty());
        // Whole numbers of a number field are integers in the JSON.
        let (form, _) = parse(&schema(), &pairs(&[("area", "3")]));
        assert_eq!(form["area"], json!(3));
        // An unticked checkbox is false.
        assert_eq!(form["agree"], json!(false));
    }

    #[test]
    fn bad_text_is_a_problem_of_its_field() {
        let raw = pairs(&[
            ("age", "forty"),
            ("area", "1.2.3"),
            ("born", "2024-02-30"),
            ("email", "nobody"),
            ("kind", "z"),
        ]);
        let (form, problems) = parse(&schema(), &raw);
        let problem = |name: &str| {
            problems
                .iter()
                .find(|(n, _)| n == name)
                .map(|p| p.1.clone())
        };
        assert_eq!(problem("age"), Some(Problem::NotAWholeNumber));
        assert_eq!(problem("area"), Some(Problem::NotANumber));
        assert_eq!(problem("born"), Some(Problem::NotADate));
        assert_eq!(problem("email"), Some(Problem::NotAnEmail));
        assert_eq!(problem("kind"), Some(Problem::NotAChoice));
        assert!(form.get("age").is_none());
    }

    #[test]
    fn the_schemas_verdict_names_fields_in_the_persons_language() {
        let (form, _) = parse(
            &schema(),
            &pairs(&[("children[0].year", "2015"), ("_count.children", "1")]),
        );
        let problems = validate(&schema(), &form);
        let names: Vec<&str> = problems.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"name"), "{problems:?}");
        assert!(names.contains(&"applicant.city"), "{problems:?}");
        assert!(names.contains(&"children[0].name"), "{problems:?}");
        let drawn = render(&schema(), &RawForm::default(), &problems, Lang::Hu, "form");
        assert_eq!(drawn.errors.get("f-name"), Some("Ez a mező kötelező."));
        assert_eq!(
            drawn.errors.get("f-children-0-name"),
            Some("Ez a mező kötelező.")
        );
        let en = render(&schema(), &RawForm::default(), &problems, Lang::En, "form");
        assert_eq!(
            en.errors.get("f-applicant-city"),
            Some("This field is required.")
        );
        // The summary lists them in the order of the fields.
        let order: Vec<&str> = en.errors.iter().map(|(f, _)| f).collect();
        assert_eq!(order, ["f-name", "f-applicant-city", "f-children-0-name"]);
    }

    #[test]
    fn a_saved_form_is_shown_again_as_it_was() {
        let form = json!({"name": "Anna", "agree": true, "applicant": {"city": "Pécs"},
            "children": [{"name": "Bence"}, {"name": "Csilla"}]});
        let raw = RawForm::from_json(&schema(), &form);
        assert_eq!(raw.values["applicant.city"], "Pécs");
        assert_eq!(raw.values["agree"], "true");
        assert_eq!(raw.counts["children"], 2);
        let (back, problems) = parse(&schema(), &raw);
        assert!(problems.is_empty());
        assert_eq!(back["children"], form["children"]);
    }

    #[test]
    fn pointers_become_field_names_and_ids() {
        assert_eq!(name_of_pointer("/children/0/name"), "children[0].name");
        assert_eq!(name_of_pointer(""), "");
        assert_eq!(field_id("children[0].name"), "f-children-0-name");
        assert_eq!(
            field_id("applicant.address.city"),
            "f-applicant-address-city"
        );
    }
}
