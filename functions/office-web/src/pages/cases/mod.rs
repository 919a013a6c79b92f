//! The case pages: the queue with its filters and paging, a case as the office sees it
//! (applicant, form, documents, deadline, history, notes, audit trail) and every action a
//! clerk or signatory takes on it, each a plain form. Every read and change goes through
//! the case domain's audited calls, exactly as the JSON back-office routes do.

mod actions;
mod queue;
mod view;

use super::{message_page, not_found, unavailable};
use crate::OfficeState;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;
use varoskapu_case_api::extract::Origin;
use varoskapu_core::access::Role;
use varoskapu_core::cases::{Actor, CaseError, CaseStatus, OfficeActor};
use varoskapu_web::signin::Visitor;
use varoskapu_web::{Lang, PageLang};

/// This area's pages, relative to `/office`.
pub fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/cases", get(queue::queue))
        .route("/cases/{case_id}", get(view::view))
        .route("/cases/{case_id}/audit", get(view::audit))
        .route(
            "/cases/{case_id}/documents/{document_id}",
            get(view::document),
        )
        .route("/cases/{case_id}/claim", post(actions::claim))
        .route("/cases/{case_id}/assign", post(actions::assign))
        .route("/cases/{case_id}/file", post(actions::file))
        .route("/cases/{case_id}/notes", post(actions::add_note))
        .route(
            "/cases/{case_id}/information-request",
            post(actions::request_information),
        )
        .route("/cases/{case_id}/decision", post(actions::draft_decision))
        .route(
            "/cases/{case_id}/decision/return",
            post(actions::return_draft),
        )
        .route("/cases/{case_id}/decision/approve", post(actions::approve))
        .route("/cases/{case_id}/decision/issue", post(actions::issue))
        .route(
            "/cases/{case_id}/appeal-forwarding",
            post(actions::forward_appeal),
        )
}

/// The office path of a case's page (`/office/cases/<id>`).
fn case_path(id: Uuid) -> String {
    super::path(&format!("/cases/{id}"))
}

/// The office path of the queue, the menu entry every case page belongs to.
fn queue_path() -> String {
    super::path("/cases")
}

/// The acting clerk or signatory, as the JSON routes name her: a signatory who is not
/// also a clerk acts as signatory, everybody else as clerk.
fn office_actor(visitor: &Visitor, origin: &Origin) -> OfficeActor {
    let p = &visitor.principal;
    let actor = if p.has_role(Role::Signatory) && !p.has_role(Role::Clerk) {
        Actor::Signatory(p.account.clone())
    } else {
        Actor::Clerk(p.account.clone())
    };
    OfficeActor {
        actor,
        origin: origin.0.clone(),
    }
}

/// A status as the office reads it.
fn status_text(status: CaseStatus, lang: Lang) -> &'static str {
    match status {
        CaseStatus::Draft => lang.t("Piszkozat", "Draft"),
        CaseStatus::Submitted => lang.t("Beérkezett", "Arrived"),
        CaseStatus::AwaitingPayment => lang.t("Díjfizetésre vár", "Awaiting payment"),
        CaseStatus::InReview => lang.t("Ügyintézés alatt", "In review"),
        CaseStatus::WaitingForCitizen => lang.t("Hiánypótlásra vár", "Waiting for the citizen"),
        CaseStatus::DecisionDrafted => lang.t("Döntéstervezet kész", "Decision drafted"),
        CaseStatus::Approved => lang.t("Kiadmányozva, kiadásra vár", "Approved, to be issued"),
        CaseStatus::Decided => lang.t("Döntés kiadva", "Decision issued"),
        CaseStatus::Delivered => lang.t("Kézbesítve", "Delivered"),
    }
}

/// Names of the people behind account ids, each looked up once per page.
struct Names<'a> {
    state: &'a OfficeState,
    known: HashMap<String, String>,
}

impl<'a> Names<'a> {
    fn new(state: &'a OfficeState) -> Self {
        Self {
            state,
            known: HashMap::new(),
        }
    }

    /// The person's name, or the account id when the directory knows nobody by it.
    async fn of(&mut self, account: &str) -> String {
        if let Some(name) = self.known.get(account) {
            return name.clone();
        }
        let name = match self.state.cases.cases.person(account).await {
            Ok(Some(person)) => person.formal_name(),
            Ok(None) | Err(_) => account.to_owned(),
        };
        self.known.insert(account.to_owned(), name.clone());
        name
    }

    /// Who acted, by name and role.
    async fn actor(&mut self, actor: &Actor, lang: Lang) -> String {
        match actor {
            Actor::Citizen(a) => format!("{} ({})", self.of(a).await, lang.t("ügyfél", "citizen")),
            Actor::Clerk(a) => format!("{} ({})", self.of(a).await, lang.t("ügyintéző", "clerk")),
            Actor::Signatory(a) => format!(
                "{} ({})",
                self.of(a).await,
                lang.t("kiadmányozó", "signatory")
            ),
            Actor::System => lang.t("a rendszer", "the system").to_owned(),
        }
    }
}

/// The answer to a case error that no form field explains: not found, a refusal the
/// state of the case explains, or unavailable.
fn failed(lang: PageLang, visitor: &Visitor, e: &CaseError) -> Response {
    match e {
        CaseError::UnknownCase | CaseError::UnknownDocument | CaseError::UnknownCaseType => {
            not_found(lang, visitor)
        }
        e => match conflict_text(e, lang.lang) {
            Some(text) => message_page(
                lang,
                Some(visitor),
                StatusCode::CONFLICT,
                lang.lang.t("Ez most nem lehetséges", "Not possible now"),
                text,
                vec![(
                    queue_path(),
                    lang.lang
                        .t("Vissza az ügyekhez", "Back to the cases")
                        .to_owned(),
                )],
            ),
            None => {
                tracing::error!(error = %e, "case use case failed");
                unavailable(lang, Some(visitor))
            }
        },
    }
}

/// What a refusal of the case's state means, for the notice on the case page.
fn conflict_text(e: &CaseError, lang: Lang) -> Option<&'static str> {
    Some(match e {
        CaseError::IllegalTransition { .. } => lang.t(
            "Az ügy jelenlegi állapotában ez a lépés nem lehetséges; közben valaki más is dolgozhatott rajta. Az ügy aktuális állapota alább látható.",
            "This step is not possible in the case's present state; someone else may have worked on it meanwhile. The case as it stands now is below.",
        ),
        CaseError::AssignedToSomeoneElse => lang.t(
            "Az ügyet másik ügyintéző kezeli. Átadáshoz jelölje be az „átvétel a jelenlegi ügyintézőtől” lehetőséget.",
            "Another clerk holds this case. To give it on, tick “take it from the clerk holding it”.",
        ),
        CaseError::NotFiled => lang.t(
            "Döntés csak iktatott ügyben készíthető: előbb iktassa az ügyet.",
            "A decision is drafted only on a filed case: file it first.",
        ),
        CaseError::SelfApproval => lang.t(
            "A döntéstervezetet nem kiadmányozhatja az, aki készítette (négy szem elve).",
            "The drafter of a decision cannot also approve it (four eyes).",
        ),
        CaseError::NotAnAppeal => lang.t(
            "Ez az ügy nem fellebbezés, így nem terjeszthető fel.",
            "This case is not an appeal, so it is not forwarded.",
        ),
        CaseError::AppealAlreadyForwarded => lang.t(
            "A fellebbezés felterjesztését már rögzítették.",
            "The appeal's forwarding was already recorded.",
        ),
        CaseError::Busy => lang.t(
            "Az ügyön éppen többen dolgoznak. Kérjük, próbálja újra.",
            "Several people are changing this case right now. Please try again.",
        ),
        _ => return None,
    })
}

/// The form as submitted, as lines of readable labels and values: titles from the case
/// type's schema (`title`, `x-title-en`, `x-enum-labels`), else the JSON keys.
fn form_lines(schema: &Value, form: &Value, lang: Lang) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    form_lines_into(schema, form, lang, "", &mut lines);
    lines
}

fn title_of(schema: &Value, key: &str, lang: Lang) -> String {
    let hu = schema.get("title").and_then(Value::as_str);
    let en = schema.get("x-title-en").and_then(Value::as_str);
    match (lang, hu, en) {
        (Lang::En, _, Some(en)) => en.to_owned(),
        (_, Some(hu), _) => hu.to_owned(),
        (_, None, Some(en)) => en.to_owned(),
        _ => key.to_owned(),
    }
}

fn form_lines_into(
    schema: &Value,
    value: &Value,
    lang: Lang,
    prefix: &str,
    lines: &mut Vec<(String, String)>,
) {
    let joined = |label: &str| {
        if prefix.is_empty() {
            label.to_owned()
        } else {
            format!("{prefix} › {label}")
        }
    };
    match value {
        Value::Object(fields) => {
            let properties = schema.get("properties");
            // The fields the schema names first, then any it does not.
            let mut keys: Vec<&String> = properties
                .and_then(Value::as_object)
                .map(|p| p.keys().filter(|k| fields.contains_key(*k)).collect())
                .unwrap_or_default();
            let unnamed: Vec<&String> = fields.keys().filter(|k| !keys.contains(k)).collect();
            keys.extend(unnamed);
            for key in keys {
                let field_schema = properties.and_then(|p| p.get(key)).unwrap_or(&Value::Null);
                let label = joined(&title_of(field_schema, key, lang));
                form_lines_into(field_schema, &fields[key], lang, &label, lines);
            }
        }
        Value::Array(items) => {
            let item_schema = schema.get("items").unwrap_or(&Value::Null);
            for (i, item) in items.iter().enumerate() {
                form_lines_into(
                    item_schema,
                    item,
                    lang,
                    &format!("{prefix} {}.", i + 1),
                    lines,
                );
            }
        }
        Value::Null => {}
        scalar => {
            let text = match scalar {
                Value::String(s) => schema
                    .get("x-enum-labels")
                    .and_then(|labels| labels.get(s))
                    .and_then(|l| l.get(lang.code()).or_else(|| l.get("hu")))
                    .and_then(Value::as_str)
                    .unwrap_or(s)
                    .to_owned(),
                Value::Bool(true) => lang.t("igen", "yes").to_owned(),
                Value::Bool(false) => lang.t("nem", "no").to_owned(),
                other => other.to_string(),
            };
            let label = if prefix.is_empty() {
                lang.t("Érték", "Value").to_owned()
            } else {
                prefix.to_owned()
            };
            lines.push((label, text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_form_reads_with_the_schemas_labels_and_falls_back_to_its_keys() {
        let schema = json!({
            "properties": {
                "vehicle": {"title": "Gépjármű", "x-title-en": "Vehicle", "properties": {
                    "keeper": {"title": "Üzemben tartó", "x-title-en": "Kept by",
                        "x-enum-labels": {"applicant": {"hu": "a kérelmező", "en": "the applicant"}}}
                }},
                "area": {"title": "Terület"}
            }
        });
        let form = json!({"area": 12.5, "vehicle": {"keeper": "applicant"}, "extra": true});
        assert_eq!(
            form_lines(&schema, &form, Lang::Hu),
            vec![
                ("Terület".to_owned(), "12.5".to_owned()),
                (
                    "Gépjármű › Üzemben tartó".to_owned(),
                    "a kérelmező".to_owned()
                ),
                ("extra".to_owned(), "igen".to_owned()),
            ]
        );
        assert_eq!(
            form_lines(&schema, &form, Lang::En)[1],
            ("Vehicle › Kept by".to_owned(), "the applicant".to_owned())
        );
    }
}
