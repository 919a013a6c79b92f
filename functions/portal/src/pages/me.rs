//! What the municipality holds about the person (GDPR art. 15): her record in the citizen
//! records with its history and her activity, as a page and as a JSON download; and her
//! identification against the population register, which automatic decisions rely on.

use super::{unavailable, visitor_page};
use crate::PortalState;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use varoskapu_core::crm::identify::{IdentifyOutcome, channel};
use varoskapu_core::crm::search::Activity;
use varoskapu_core::crm::{AddressKind, CrmError, NaturalIdentity};
use varoskapu_http::auth::OWN_CASES;
use varoskapu_web::signin::{Visitor, see_other};
use varoskapu_web::{FieldErrors, Lang, PageLang};

const HERE: &str = "/my-data";
const IDENTIFY: &str = "/my-data/identify";

struct Line {
    label: String,
    value: String,
}

#[derive(Template)]
#[template(path = "my_data.html")]
struct DataBody {
    lang: Lang,
    has_record: bool,
    identified: Option<String>,
    facts: Vec<Line>,
    activity: Vec<Line>,
    history: Vec<Line>,
    notice: Option<String>,
}

fn day(d: jiff::civil::Date, lang: Lang) -> String {
    match lang {
        Lang::Hu => d.strftime("%Y. %m. %d.").to_string(),
        Lang::En => d.strftime("%-d %b %Y").to_string(),
    }
}

async fn visitor(
    state: &PortalState,
    lang: PageLang,
    headers: &HeaderMap,
    here: &str,
) -> Result<Visitor, Response> {
    state
        .signin
        .visitor(headers, &OWN_CASES, here)
        .await
        .map_err(|r| crate::pages::refused(state, lang, r))
}

#[derive(Deserialize)]
pub struct DataQuery {
    identified: Option<String>,
}

/// `GET /my-data`: her record, activity and history.
pub async fn page(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<DataQuery>,
) -> Response {
    let visitor = match visitor(&state, lang, &headers, HERE).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let access = match state.crm.subject_access(&visitor.principal.account).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "the citizen records did not answer");
            return unavailable(&state, lang, Some(&visitor));
        }
    };
    let mut facts = Vec::new();
    let mut history = Vec::new();
    let mut identified = None;
    if let Some(r) = &access.record {
        let id = &r.identity;
        let mut push = |label: &str, value: String| {
            if !value.is_empty() {
                facts.push(Line {
                    label: label.into(),
                    value,
                });
            }
        };
        push(l.t("Név", "Name"), id.full_name());
        push(
            l.t("Születési név", "Birth name"),
            id.birth_name.clone().unwrap_or_default(),
        );
        push(
            l.t("Születési hely", "Place of birth"),
            id.birth_place.clone().unwrap_or_default(),
        );
        push(
            l.t("Születési idő", "Date of birth"),
            id.birth_date.map(|d| day(d, l)).unwrap_or_default(),
        );
        push(
            l.t("Anyja születési neve", "Mother's birth name"),
            id.mother_birth_name.clone().unwrap_or_default(),
        );
        for a in &r.addresses {
            let label = match a.kind {
                AddressKind::Permanent => l.t("Lakóhely", "Permanent address"),
                AddressKind::Temporary => l.t("Tartózkodási hely", "Temporary address"),
                AddressKind::Mailing => l.t("Levelezési cím", "Mailing address"),
            };
            push(label, a.one_line());
        }
        for e in &r.emails {
            push(l.t("E-mail-cím", "E-mail address"), e.address.clone());
        }
        for p in &r.phones {
            push(l.t("Telefonszám", "Phone number"), p.number.clone());
        }
        push(
            l.t("Lakcímkártya", "Address card"),
            r.card_number.clone().unwrap_or_default(),
        );
        push(
            l.t("Hozzájárulások", "Consent"),
            [
                r.consent.newsletter.then(|| l.t("hírlevél", "newsletter")),
                r.consent.sms.then_some("SMS"),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
        );
        push(l.t("Címkék", "Tags"), r.tags.join(", "));
        push(l.t("Csoportok", "Groups"), r.groups.join(", "));
        identified = r
            .identified
            .as_ref()
            .map(|i| state.cases.cases.local_time(i.at));
        history = r
            .history
            .iter()
            .rev()
            .map(|h| Line {
                label: state.cases.cases.local_time(h.at),
                value: h.what.clone(),
            })
            .collect();
    }
    let activity = access
        .activity
        .iter()
        .rev()
        .map(|a| {
            let (what, detail) = match a {
                Activity::Case { case_type, .. } => (l.t("Ügy", "Case"), case_type.clone()),
                Activity::Payment { method, .. } => (l.t("Befizetés", "Payment"), method.clone()),
                Activity::Booking { office, .. } => {
                    (l.t("Időpontfoglalás", "Booking"), office.clone())
                }
            };
            Line {
                label: format!("{} — {what}", day(a.on(), l)),
                value: detail,
            }
        })
        .collect();
    visitor_page(lang, l.t("Adataim", "My data"), HERE, &visitor).template(&DataBody {
        lang: l,
        has_record: access.record.is_some(),
        identified,
        facts,
        activity,
        history,
        notice: query.identified.map(|_| {
            l.t(
                "Személyazonosságát a nyilvántartással egyeztettük.",
                "Your identity was matched against the register.",
            )
            .to_owned()
        }),
    })
}

/// `GET /my-data.json`: the same as a file to keep.
pub async fn download(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
) -> Response {
    let visitor = match visitor(&state, lang, &headers, HERE).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.crm.subject_access(&visitor.principal.account).await {
        Ok(access) => match serde_json::to_string_pretty(&access) {
            Ok(json) => (
                [
                    (header::CONTENT_TYPE, "application/json; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"adataim.json\"",
                    ),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                json,
            )
                .into_response(),
            Err(e) => {
                tracing::error!(error = %e, "a subject access copy did not serialise");
                unavailable(&state, lang, Some(&visitor))
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "the citizen records did not answer");
            unavailable(&state, lang, Some(&visitor))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct IdentifyForm {
    csrf: Option<String>,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    birth_name: String,
    #[serde(default)]
    birth_place: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    mother_birth_name: String,
}

#[derive(Template)]
#[template(path = "identify.html")]
struct IdentifyBody<'a> {
    lang: Lang,
    csrf: &'a str,
    form: &'a IdentifyForm,
    errors: &'a FieldErrors,
}

fn identify_page(
    state: &PortalState,
    lang: PageLang,
    visitor: &Visitor,
    form: &IdentifyForm,
    errors: FieldErrors,
) -> Response {
    let _ = state;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    visitor_page(
        lang,
        lang.lang.t("Személyazonosítás", "Identification"),
        HERE,
        visitor,
    )
    .status(status)
    .errors(errors.clone())
    .template(&IdentifyBody {
        lang: lang.lang,
        csrf: visitor.csrf(),
        form,
        errors: &errors,
    })
}

/// `GET /my-data/identify`.
pub async fn identify_form(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
) -> Response {
    let visitor = match visitor(&state, lang, &headers, IDENTIFY).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    identify_page(
        &state,
        lang,
        &visitor,
        &IdentifyForm::default(),
        FieldErrors::default(),
    )
}

fn some(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// `POST /my-data/identify`: matches what she typed against the population register.
pub async fn identify(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Form(form): Form<IdentifyForm>,
) -> Response {
    let visitor = match visitor(&state, lang, &headers, IDENTIFY).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if !visitor.form_ok(form.csrf.as_deref()) {
        return crate::pages::csrf_refused(&state, lang, &visitor);
    }
    let l = lang.lang;
    let mut errors = FieldErrors::default();
    for (field, value) in [
        ("family_name", &form.family_name),
        ("given_name", &form.given_name),
        ("birth_date", &form.birth_date),
        ("mother_birth_name", &form.mother_birth_name),
        ("birth_place", &form.birth_place),
    ] {
        if value.trim().is_empty() {
            errors.add(field, l.t("Ezt is adja meg.", "This is needed too."));
        }
    }
    let birth_date = form
        .birth_date
        .trim()
        .replace(". ", "-")
        .trim_end_matches('.')
        .replace('.', "-")
        .parse()
        .ok();
    if birth_date.is_none() && !errors.has("birth_date") {
        errors.add(
            "birth_date",
            l.t("A dátum így: 1985-04-12.", "Write the date as 1985-04-12."),
        );
    }
    if !errors.is_empty() {
        return identify_page(&state, lang, &visitor, &form, errors);
    }
    let Some(identification) = &state.identification else {
        return unavailable(&state, lang, Some(&visitor));
    };
    let identity = NaturalIdentity {
        family_name: form.family_name.trim().into(),
        given_name: form.given_name.trim().into(),
        birth_name: some(&form.birth_name),
        birth_place: some(&form.birth_place),
        birth_date,
        mother_birth_name: some(&form.mother_birth_name),
    };
    let account = &visitor.principal.account;
    match identification
        .identify(account, identity, channel::SIGN_IN)
        .await
    {
        Ok(IdentifyOutcome::Identified { .. }) => {
            if let Err(e) = state.crm.refresh_account(account).await {
                tracing::warn!(error = %e, "the search index missed an identification; the next reindex has it");
            }
            see_other(&format!("{HERE}?identified=1"))
        }
        Ok(IdentifyOutcome::NoMatch) => {
            errors.add("family_name", l.t(
                "A nyilvántartásban nincs ilyen nevű, ezen a napon született személy. Ellenőrizze a nevet és a születési időt, ahogy a személyi igazolványában szerepel.",
                "The register has nobody of this name born on this day. Check the name and the date of birth as your identity card shows them.",
            ));
            identify_page(&state, lang, &visitor, &form, errors)
        }
        Ok(IdentifyOutcome::Differs { fields }) => {
            for field in fields {
                let field = match field.as_str() {
                    "birth_place" | "mother_birth_name" | "birth_name" => field,
                    _ => "family_name".to_owned(),
                };
                errors.add(
                    field,
                    l.t(
                        "Ez nem egyezik a nyilvántartással.",
                        "This does not match the register.",
                    ),
                );
            }
            identify_page(&state, lang, &visitor, &form, errors)
        }
        Ok(IdentifyOutcome::IdentifiedAsSomeoneElse) => {
            errors.add("family_name", l.t(
                "Fiókja már egy másik személyként van azonosítva. Kérjük, keresse ügyfélszolgálatunkat.",
                "Your account is already identified as another person. Please contact the office.",
            ));
            identify_page(&state, lang, &visitor, &form, errors)
        }
        Err(CrmError::Invalid(list)) => {
            for f in list {
                errors.add(f.pointer.trim_start_matches('/').to_owned(), f.detail);
            }
            identify_page(&state, lang, &visitor, &form, errors)
        }
        Err(e) => {
            tracing::warn!(error = %e, "identification failed");
            unavailable(&state, lang, Some(&visitor))
        }
    }
}
