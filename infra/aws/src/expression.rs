//! Builds DynamoDB expressions with every name and value as a placeholder, so that no
//! attribute or field name can collide with a reserved word or inject syntax.

use crate::attribute::to_attribute;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use varoskapu_core::{Condition, IndexName, ItemWrite, Update};

/// Attribute names of the item layout.
pub mod attr {
    pub const PK: &str = "pk";
    pub const SK: &str = "sk";
    pub const VERSION: &str = "version";
    pub const TTL: &str = "ttl";
    pub const DATA: &str = "data";
}

/// Placeholders of one request's expressions.
#[derive(Debug, Default)]
pub struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    /// The placeholder of an attribute or field name (reused when named twice).
    pub fn name(&mut self, name: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, n)| n.as_str() == name) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), name.to_owned());
        placeholder
    }

    /// The placeholder of a value.
    pub fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// Names for the request, `None` when no expression used one (DynamoDB refuses empty maps).
    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// Values for the request, `None` when no expression used one.
    pub fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    /// `true` when the stored item exists and has not expired at `now`.
    pub fn live(&mut self, now: i64) -> String {
        let pk = self.name(attr::PK);
        let ttl = self.name(attr::TTL);
        let now = self.value(AttributeValue::N(now.to_string()));
        format!("(attribute_exists({pk}) AND (attribute_not_exists({ttl}) OR {ttl} > {now}))")
    }

    /// `true` when no item exists or the stored one has expired at `now`.
    pub fn absent(&mut self, now: i64) -> String {
        let pk = self.name(attr::PK);
        let ttl = self.name(attr::TTL);
        let now = self.value(AttributeValue::N(now.to_string()));
        format!("(attribute_not_exists({pk}) OR {ttl} <= {now})")
    }

    /// The condition expression of `condition`, `None` when it always holds.
    pub fn condition(&mut self, condition: &Condition, now: i64) -> Option<String> {
        match condition {
            Condition::None => None,
            Condition::NotExists => Some(self.absent(now)),
            Condition::Exists => Some(self.live(now)),
            Condition::Version(version) => {
                let live = self.live(now);
                let name = self.name(attr::VERSION);
                let value = self.value(AttributeValue::N(version.to_string()));
                Some(format!("({live} AND {name} = {value})"))
            }
            Condition::FieldEquals { field, value } => {
                let live = self.live(now);
                let data = self.name(attr::DATA);
                let field = self.name(field);
                let value = self.value(to_attribute(value));
                Some(format!("({live} AND {data}.{field} = {value})"))
            }
            Condition::All(all) => {
                let parts: Vec<String> =
                    all.iter().filter_map(|c| self.condition(c, now)).collect();
                (!parts.is_empty()).then(|| format!("({})", parts.join(" AND ")))
            }
        }
    }

    /// The condition of an update: the item must be live, and `condition` must hold.
    pub fn update_condition(&mut self, condition: &Condition, now: i64) -> String {
        let live = self.live(now);
        match self.condition(condition, now) {
            Some(extra) => format!("{live} AND {extra}"),
            None => live,
        }
    }

    /// `SET version = if_not_exists(version, 0) + 1`: the engine-side version bump.
    fn bump_version(&mut self) -> String {
        let version = self.name(attr::VERSION);
        let zero = self.value(AttributeValue::N("0".into()));
        let one = self.value(AttributeValue::N("1".into()));
        format!("{version} = if_not_exists({version}, {zero}) + {one}")
    }

    /// The update expression that replaces a whole item (data, index keys, ttl).
    pub fn put(&mut self, item: &ItemWrite) -> String {
        let mut set = vec![self.bump_version()];
        let mut remove = Vec::new();
        let data = self.name(attr::DATA);
        let data_value = self.value(AttributeValue::M(crate::attribute::to_attribute_map(
            &item.data,
        )));
        set.push(format!("{data} = {data_value}"));
        for index in IndexName::ALL {
            self.index_key(index, item.index_keys.get(index), &mut set, &mut remove);
        }
        self.ttl(item.ttl, &mut set, &mut remove);
        join(set, remove)
    }

    /// The update expression of a partial change.
    pub fn update(&mut self, update: &Update) -> String {
        let mut set = vec![self.bump_version()];
        let mut remove = Vec::new();
        for (field, value) in &update.set {
            let data = self.name(attr::DATA);
            let field = self.name(field);
            let value = self.value(to_attribute(value));
            set.push(format!("{data}.{field} = {value}"));
        }
        for field in &update.remove {
            let data = self.name(attr::DATA);
            let field = self.name(field);
            remove.push(format!("{data}.{field}"));
        }
        for (index, key) in &update.index_keys {
            self.index_key(*index, key.as_ref(), &mut set, &mut remove);
        }
        if let Some(ttl) = update.ttl {
            self.ttl(ttl, &mut set, &mut remove);
        }
        join(set, remove)
    }

    fn index_key(
        &mut self,
        index: IndexName,
        key: Option<&varoskapu_core::Key>,
        set: &mut Vec<String>,
        remove: &mut Vec<String>,
    ) {
        let pk = self.name(index.pk_attribute());
        let sk = self.name(index.sk_attribute());
        match key {
            Some(key) => {
                let pk_value = self.value(AttributeValue::S(key.pk.clone()));
                let sk_value = self.value(AttributeValue::S(key.sk.clone()));
                set.push(format!("{pk} = {pk_value}"));
                set.push(format!("{sk} = {sk_value}"));
            }
            None => {
                remove.push(pk);
                remove.push(sk);
            }
        }
    }

    fn ttl(&mut self, ttl: Option<i64>, set: &mut Vec<String>, remove: &mut Vec<String>) {
        let name = self.name(attr::TTL);
        match ttl {
            Some(ttl) => {
                let value = self.value(AttributeValue::N(ttl.to_string()));
                set.push(format!("{name} = {value}"));
            }
            None => remove.push(name),
        }
    }
}

fn join(set: Vec<String>, remove: Vec<String>) -> String {
    let mut expression = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        expression.push_str(" REMOVE ");
        expression.push_str(&remove.join(", "));
    }
    expression
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use varoskapu_core::Key;

    #[test]
    fn names_are_placeholders_and_reused() {
        let mut expr = Expr::default();
        let a = expr.name("ttl");
        assert_eq!(expr.name("ttl"), a);
        assert_ne!(expr.name("pk"), a);
        assert_eq!(expr.names().map(|n| n.len()), Some(2));
    }

    #[test]
    fn an_empty_all_is_no_condition() {
        let mut expr = Expr::default();
        assert_eq!(expr.condition(&Condition::All(vec![]), 0), None);
        assert!(expr.names().is_none() && expr.values().is_none());
    }

    #[test]
    fn an_index_only_update_names_no_data_field() {
        let mut expr = Expr::default();
        expr.update(&Update::default().index(IndexName::Gsi1, None));
        let names = expr.names().unwrap();
        assert!(!names.values().any(|n| n == attr::DATA), "{names:?}");
    }

    #[test]
    fn a_put_removes_what_the_item_lacks() {
        let item = ItemWrite::new(
            Key::new("a", "b"),
            json!({"x": 1}).as_object().cloned().unwrap(),
        )
        .with_index(IndexName::Gsi2, Key::new("c", "d"));
        let mut expr = Expr::default();
        let text = expr.put(&item);
        let names = expr.names().unwrap();
        let removed: Vec<&str> = text
            .split(" REMOVE ")
            .nth(1)
            .unwrap()
            .split(", ")
            .map(|p| names[p].as_str())
            .collect();
        assert_eq!(removed, ["gsi1pk", "gsi1sk", "gsi3pk", "gsi3sk", "ttl"]);
    }
}
