//! Case types are data, not code: what a citizen fills in and attaches, what it costs, how
//! long the office has, who must approve, and whether a rule may decide it automatically.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A text in Hungarian and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Localized {
    pub hu: String,
    pub en: String,
}

impl Localized {
    pub fn new(hu: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            hu: hu.into(),
            en: en.into(),
        }
    }
}

/// A document the citizen attaches to a case of this type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RequiredDocument {
    /// Stable identifier of the kind (`vehicle_registration`…).
    pub kind: String,
    pub name: Localized,
    /// Media types accepted, as sniffed from the bytes (`application/pdf`…).
    pub media_types: Vec<String>,
    /// Largest accepted size in bytes.
    pub max_bytes: u64,
    /// Whether submission is refused without it.
    pub required: bool,
}

/// An amount of money in the currency's smallest unit in use (HUF: whole forints).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Money {
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
}

/// One test of an automatic decision rule: the form value at `pointer` is one of `one_of`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleCondition {
    /// RFC 6901 JSON Pointer into the submitted form.
    pub pointer: String,
    /// The values that satisfy the condition (any JSON).
    pub one_of: Vec<Value>,
    /// Why the condition exists, shown to clerks when it fails.
    pub explanation: String,
}

/// A fact the national registries must confirm before a rule may approve: the form's own
/// claims are never enough for it. The applicant must be identified against the registry
/// (their person record carries the register's key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum RegistryCheck {
    /// The applicant's registered permanent or temporary address is in one of `districts`
    /// (as the address register names them: `V`).
    ResidesIn {
        districts: Vec<String>,
        /// Shown to clerks when the register says otherwise.
        explanation: String,
    },
    /// The vehicle register names the applicant as the keeper of the vehicle whose plate is
    /// at `plate_pointer` (RFC 6901) in the form.
    KeepsVehicle {
        plate_pointer: String,
        explanation: String,
    },
}

/// A rule that approves a case without a clerk when every condition holds and the
/// registries confirm every registry check; otherwise the case goes to a clerk as usual.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AutoDecisionRule {
    /// The rule as a decision names it (`a helyi parkolási rendelet 4. § (2) bekezdése`).
    #[serde(default)]
    pub name: String,
    pub conditions: Vec<RuleCondition>,
    /// What the registries must confirm besides the form's conditions.
    #[serde(default)]
    pub registry_checks: Vec<RegistryCheck>,
    /// The reasoning printed in an automatic approval.
    pub approval_reasoning: String,
}

/// What an automatic rule concluded about a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleOutcome {
    Approve,
    /// The explanations of the conditions that failed: a clerk decides.
    RouteToClerk(Vec<String>),
}

impl AutoDecisionRule {
    /// Applies the rule's form conditions to a submitted form (the registry checks are
    /// made by the automatic decision itself, see `Cases::auto_decide`).
    pub fn evaluate(&self, form: &Value) -> RuleOutcome {
        let failed: Vec<String> = self
            .conditions
            .iter()
            .filter(|c| {
                !form
                    .pointer(&c.pointer)
                    .is_some_and(|v| c.one_of.contains(v))
            })
            .map(|c| c.explanation.clone())
            .collect();
        if failed.is_empty() {
            RuleOutcome::Approve
        } else {
            RuleOutcome::RouteToClerk(failed)
        }
    }
}

/// A kind of case citizens can submit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseType {
    /// Stable identifier (`resident-parking-permit`…).
    pub id: String,
    pub name: Localized,
    /// What the case is for and who may submit it, for citizens.
    pub description: Localized,
    /// JSON Schema (2020-12) of the form; submission is validated against it.
    #[schema(value_type = Object)]
    pub form_schema: Value,
    pub documents: Vec<RequiredDocument>,
    /// The procedural fee, if any; a case with a fee waits for payment after submission.
    pub fee: Option<Money>,
    /// Statutory deadline in working days (Hungarian public holidays considered).
    pub deadline_working_days: u32,
    /// Whether a signatory must approve the decision a clerk drafts.
    pub signatory_approval: bool,
    pub auto_decision: Option<AutoDecisionRule>,
    /// Days after delivery within which the citizen may appeal.
    pub appeal_window_days: u32,
}

impl CaseType {
    /// The document kind of this type, if it has one by that name.
    pub fn document(&self, kind: &str) -> Option<&RequiredDocument> {
        self.documents.iter().find(|d| d.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule() -> AutoDecisionRule {
        AutoDecisionRule {
            name: "teszt szabály".into(),
            conditions: vec![
                RuleCondition {
                    pointer: "/address/postcode".into(),
                    one_of: vec![json!("1051"), json!("1052")],
                    explanation: "address in the district".into(),
                },
                RuleCondition {
                    pointer: "/vehicle/keeper".into(),
                    one_of: vec![json!("applicant")],
                    explanation: "vehicle kept by the applicant".into(),
                },
            ],
            registry_checks: Vec::new(),
            approval_reasoning: "ok".into(),
        }
    }

    #[test]
    fn a_rule_approves_only_when_every_condition_holds() {
        let ok = json!({"address": {"postcode": "1051"}, "vehicle": {"keeper": "applicant"}});
        assert_eq!(rule().evaluate(&ok), RuleOutcome::Approve);
        let elsewhere =
            json!({"address": {"postcode": "1111"}, "vehicle": {"keeper": "applicant"}});
        assert_eq!(
            rule().evaluate(&elsewhere),
            RuleOutcome::RouteToClerk(vec!["address in the district".into()])
        );
        assert!(matches!(
            rule().evaluate(&json!({})),
            RuleOutcome::RouteToClerk(v) if v.len() == 2
        ));
    }

    #[test]
    fn catalogues_without_registry_checks_still_load_and_checks_read_back() {
        let mut value = serde_json::to_value(rule()).expect("json");
        value
            .as_object_mut()
            .expect("object")
            .remove("registry_checks");
        let old: AutoDecisionRule = serde_json::from_value(value).expect("old catalogue");
        assert!(old.registry_checks.is_empty());
        let checked = AutoDecisionRule {
            registry_checks: vec![
                RegistryCheck::ResidesIn {
                    districts: vec!["V".into()],
                    explanation: "not resident".into(),
                },
                RegistryCheck::KeepsVehicle {
                    plate_pointer: "/vehicle/plate".into(),
                    explanation: "not the keeper".into(),
                },
            ],
            ..rule()
        };
        let json = serde_json::to_value(&checked).expect("json");
        assert_eq!(json["registry_checks"][0]["check"], "resides_in");
        assert_eq!(json["registry_checks"][1]["check"], "keeps_vehicle");
        assert_eq!(
            serde_json::from_value::<AutoDecisionRule>(json).expect("back"),
            checked
        );
    }
}
