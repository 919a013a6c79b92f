//! One person's record: opened only with a purpose (the read is audited with it), its
//! correction and creation with every field checked by the domain, and its audit trail.

use super::annotate::{DESK_DOCUMENTS, document_text, document_value};
use super::{crm_actor, failed, people_page, person_path};
use crate::OfficeState;
use crate::pages::diary::day_text;
use crate::pages::{guard, guard_posted, not_found, path};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use varoskapu_case_api::extract::Origin;
use varoskapu_core::crm::search::Activity;
use varoskapu_core::crm::{
    Address, AddressKind, Consent, ContactState, CrmError, Gender, GenderSource, NaturalIdentity,
    PersonId, PersonInput, PersonRecord, Purpose, StoredPerson,
};
use varoskapu_http::auth::CRM;
use varoskapu_web::signin::{Visitor, see_other};
use varoskapu_web::{FieldErrors, Lang, PageLang};

const PURPOSES: [Purpose; 5] = [
    Purpose::CustomerService,
    Purpose::CaseWork,
    Purpose::DataQuality,
    Purpose::DuplicateReview,
    Purpose::DataSubjectRequest,
];

pub fn purpose_text(p: Purpose, lang: Lang) -> &'static str {
    match p {
        Purpose::CaseWork => lang.t("ügyintézés", "case work"),
        Purpose::CustomerService => lang.t("ügyfélszolgálat", "customer service"),
        Purpose::DataQuality => lang.t("adattisztítás", "data cleansing"),
        Purpose::DuplicateReview => lang.t("duplikátum-vizsgálat", "duplicate review"),
        Purpose::DataSubjectRequest => lang.t("érintetti kérelem", "data subject request"),
    }
}

/// The purpose a form carried back, or customer service (the desk's) when it carried none.
pub fn purpose_or_default(text: &str) -> Purpose {
    Purpose::parse(text).unwrap_or(Purpose::CustomerService)
}

/// Staff members' names by account, each looked up once per page.
#[derive(Default)]
struct StaffNames(std::collections::HashMap<String, String>);

impl StaffNames {
    async fn of(&mut self, state: &OfficeState, account: &str) -> String {
        if let Some(name) = self.0.get(account) {
            return name.clone();
        }
        let name = match state.cases.cases.person(account).await {
            Ok(Some(p)) => p.formal_name(),
            _ => account.to_owned(),
        };
        self.0.insert(account.to_owned(), name.clone());
        name
    }
}

fn parse_person(text: &str) -> Option<PersonId> {
    text.parse().ok().map(PersonId)
}

fn state_text(s: ContactState, lang: Lang) -> &'static str {
    match s {
        ContactState::Unverified => lang.t("nem igazolt", "unverified"),
        ContactState::Verified => lang.t("igazolt", "verified"),
        ContactState::SoftBounced => lang.t("átmenetileg kézbesíthetetlen", "soft bounce"),
        ContactState::HardBounced => lang.t(
            "kézbesíthetetlen — nem küldünk rá",
            "hard bounce — not mailed",
        ),
        ContactState::Complained => {
            lang.t("panaszt tett — nem küldünk rá", "complained — not mailed")
        }
    }
}

fn kind_text(k: AddressKind, lang: Lang) -> &'static str {
    match k {
        AddressKind::Permanent => lang.t("Lakóhely", "Permanent address"),
        AddressKind::Temporary => lang.t("Tartózkodási hely", "Temporary address"),
        AddressKind::Mailing => lang.t("Levelezési cím", "Mailing address"),
    }
}

pub fn flag_text(flag: &str, lang: Lang) -> String {
    match flag {
        "moved" => lang
            .t(
                "a nyilvántartás szerint elköltözött",
                "moved, says the register",
            )
            .into(),
        "name_changed" => lang
            .t(
                "a nyilvántartás szerint nevet változtatott",
                "name changed, says the register",
            )
            .into(),
        "deceased" => lang
            .t(
                "a nyilvántartás szerint elhunyt",
                "deceased, says the register",
            )
            .into(),
        "not_in_register" => lang
            .t("nem szerepel a nyilvántartásban", "not in the register")
            .into(),
        varoskapu_core::crm::addresses::ADDRESS_UNCHECKED => lang
            .t(
                "a címet a címnyilvántartás nem tudta ellenőrizni",
                "the address register could not check the address",
            )
            .into(),
        other => other.to_owned(),
    }
}

struct Fact {
    label: String,
    value: String,
}

#[derive(Template)]
#[template(path = "people/purpose.html")]
struct PurposeBody {
    lang: Lang,
    action: String,
    choices: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "people/person.html")]
struct PersonBody {
    lang: Lang,
    facts: Vec<Fact>,
    addresses: Vec<Fact>,
    emails: Vec<Fact>,
    phones: Vec<String>,
    labels: Vec<Fact>,
    flags: Vec<(String, String)>,
    notes: Vec<Fact>,
    csrf: String,
    version: u64,
    purpose_key: &'static str,
    actions: String,
    can_identify: bool,
    documents: Vec<(&'static str, &'static str)>,
    merged_into: Option<String>,
    merged_from: Vec<(String, String)>,
    activity: Vec<Fact>,
    history: Vec<Fact>,
    edit: String,
    audit: String,
    purpose: String,
}

#[derive(Deserialize)]
pub struct ViewQuery {
    purpose: Option<String>,
}

fn opt(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn activity_text(a: &Activity, lang: Lang) -> Fact {
    let (label, value) = match a {
        Activity::Case { case_type, .. } => (lang.t("Ügy", "Case"), case_type.clone()),
        Activity::Payment { method, .. } => (lang.t("Befizetés", "Payment"), method.clone()),
        Activity::Booking { office, .. } => (lang.t("Időpontfoglalás", "Booking"), office.clone()),
    };
    Fact {
        label: format!("{} — {}", day_text(a.on(), lang), label),
        value,
    }
}

/// `GET /office/people/{id}`: without a purpose, the question why; with one, the record
/// (the read audited with the purpose).
pub async fn view(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(person_id): Path<String>,
    Query(query): Query<ViewQuery>,
) -> Response {
    let here = path(&format!("/people/{person_id}"));
    let visitor = match guard(&state, lang, &headers, &CRM, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let Some(id) = parse_person(&person_id) else {
        return not_found(lang, &visitor);
    };
    let Some(purpose) = query.purpose.as_deref().and_then(Purpose::parse) else {
        return people_page(
            lang,
            l.t("Miért nyitja meg?", "Why do you open it?"),
            &visitor,
        )
        .template(&PurposeBody {
            lang: l,
            action: here,
            choices: PURPOSES
                .iter()
                .map(|p| (p.as_str().to_owned(), purpose_text(*p, l).to_owned()))
                .collect(),
        });
    };
    let stored = match state
        .crm
        .read(&crm_actor(&visitor, &origin), id, purpose)
        .await
    {
        Ok(s) => s,
        Err(CrmError::UnknownPerson) => return not_found(lang, &visitor),
        Err(e) => return failed(lang, &visitor, &e),
    };
    let record = &stored.record;
    let activity = match state.crm.activity(record).await {
        Ok(a) => a,
        Err(e) => return failed(lang, &visitor, &e),
    };
    let id_ = &record.identity;
    let mut facts = vec![
        Fact {
            label: l.t("Születési név", "Birth name").into(),
            value: opt(&id_.birth_name),
        },
        Fact {
            label: l.t("Születési hely", "Place of birth").into(),
            value: opt(&id_.birth_place),
        },
        Fact {
            label: l.t("Születési idő", "Date of birth").into(),
            value: id_.birth_date.map(|d| day_text(d, l)).unwrap_or_default(),
        },
        Fact {
            label: l.t("Anyja születési neve", "Mother's birth name").into(),
            value: opt(&id_.mother_birth_name),
        },
        Fact {
            label: l.t("Nem", "Gender").into(),
            value: match record.gender {
                Some(g) => format!(
                    "{} ({})",
                    match g.value {
                        Gender::Female => l.t("nő", "female"),
                        Gender::Male => l.t("férfi", "male"),
                    },
                    match g.source {
                        GenderSource::Declared => l.t("megadott", "declared"),
                        GenderSource::Inferred =>
                            l.t("utónévből következtetett", "inferred from the given name"),
                    }
                ),
                None => String::new(),
            },
        },
        Fact {
            label: l.t("Lakcímkártya", "Address card").into(),
            value: opt(&record.card_number),
        },
        Fact {
            label: l.t("Azonosítás", "Identification").into(),
            value: match &record.identified {
                Some(i) => format!(
                    "{} {} ({}, {})",
                    l.t(
                        "a nyilvántartással egyeztetve:",
                        "matched against the register on"
                    ),
                    state.cases.cases.local_time(i.at),
                    i.registry,
                    i.channel
                ),
                None => l
                    .t(
                        "nincs egyeztetve a nyilvántartással",
                        "not matched against the register",
                    )
                    .into(),
            },
        },
        Fact {
            label: l.t("Felhasználói fiók", "Login account").into(),
            value: record
                .account
                .as_deref()
                .map(|_| l.t("van", "yes").to_owned())
                .unwrap_or_else(|| l.t("nincs", "none").to_owned()),
        },
    ];
    if let Some(c) = &record.company {
        facts.push(Fact {
            label: l.t("Cég", "Company").into(),
            value: c.name.clone(),
        });
    }
    let labels = vec![
        Fact {
            label: l.t("Címkék", "Tags").into(),
            value: record.tags.join(", "),
        },
        Fact {
            label: l.t("Csoportok", "Groups").into(),
            value: record.groups.join(", "),
        },
        Fact {
            label: l.t("Hozzájárulás", "Consent").into(),
            value: [
                record
                    .consent
                    .newsletter
                    .then(|| l.t("hírlevél", "newsletter")),
                record.consent.sms.then_some("SMS"),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
        },
    ];
    let mut names = StaffNames::default();
    let mut notes = Vec::new();
    for n in record.notes.iter().rev() {
        notes.push(Fact {
            label: format!(
                "{} — {}",
                state.cases.cases.local_time(n.at),
                names.of(&state, &n.by).await
            ),
            value: n.text.clone(),
        });
    }
    let body = PersonBody {
        lang: l,
        facts,
        addresses: record
            .addresses
            .iter()
            .map(|a| Fact {
                label: kind_text(a.kind, l).into(),
                value: format!(
                    "{}{}{}",
                    a.one_line(),
                    a.district
                        .as_ref()
                        .map(|d| format!(" ({d}. {})", l.t("kerület", "district")))
                        .unwrap_or_default(),
                    a.valid_until
                        .map(|u| format!(
                            ", {} {}",
                            l.t("érvényes eddig:", "valid until"),
                            day_text(u, l)
                        ))
                        .unwrap_or_default()
                ),
            })
            .collect(),
        emails: record
            .emails
            .iter()
            .map(|e| Fact {
                label: e.address.clone(),
                value: state_text(e.state, l).into(),
            })
            .collect(),
        phones: record.phones.iter().map(|p| p.number.clone()).collect(),
        labels,
        flags: record
            .flags
            .iter()
            .map(|f| (f.clone(), flag_text(f, l)))
            .collect(),
        notes,
        csrf: visitor.csrf().to_owned(),
        version: stored.version,
        purpose_key: purpose.as_str(),
        actions: person_path(id),
        can_identify: state.identification.is_some() && record.merged_into.is_none(),
        documents: DESK_DOCUMENTS
            .iter()
            .map(|k| (document_value(*k), document_text(*k, l)))
            .collect(),
        merged_into: record
            .merged_into
            .map(|m| format!("{}?purpose={}", person_path(m), purpose.as_str())),
        merged_from: record
            .merged_from
            .iter()
            .map(|m| {
                (
                    format!("{}?purpose={}", person_path(m), purpose.as_str()),
                    m.to_string(),
                )
            })
            .collect(),
        activity: activity.iter().rev().map(|a| activity_text(a, l)).collect(),
        history: record
            .history
            .iter()
            .rev()
            .map(|h| Fact {
                label: state.cases.cases.local_time(h.at),
                value: format!(
                    "{}{}",
                    h.what,
                    h.detail
                        .as_ref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                ),
            })
            .collect(),
        edit: format!("{}/edit", person_path(id)),
        audit: format!("{}/audit", person_path(id)),
        purpose: purpose_text(purpose, l).into(),
    };
    people_page(lang, &record.identity.full_name(), &visitor).template(&body)
}

/// The edit form's fields, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PersonForm {
    csrf: Option<String>,
    #[serde(default)]
    version: Option<u64>,
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
    #[serde(default)]
    gender: String,
    #[serde(default)]
    permanent_postcode: String,
    #[serde(default)]
    permanent_city: String,
    #[serde(default)]
    permanent_street: String,
    #[serde(default)]
    permanent_number: String,
    #[serde(default)]
    mailing_postcode: String,
    #[serde(default)]
    mailing_city: String,
    #[serde(default)]
    mailing_street: String,
    #[serde(default)]
    mailing_number: String,
    #[serde(default)]
    emails: String,
    #[serde(default)]
    phones: String,
    #[serde(default)]
    card_number: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    groups: String,
    #[serde(default)]
    newsletter: Option<String>,
    #[serde(default)]
    sms: Option<String>,
}

fn some(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn list(text: &str, separators: &[char]) -> Vec<String> {
    text.split(separators)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl PersonForm {
    fn of(record: &PersonRecord, version: u64, today: jiff::civil::Date) -> Self {
        let address = |kind| record.address(kind, today).cloned();
        let permanent = address(AddressKind::Permanent);
        let mailing = address(AddressKind::Mailing);
        let part = |a: &Option<Address>, f: fn(&Address) -> &String| {
            a.as_ref().map(|a| f(a).clone()).unwrap_or_default()
        };
        Self {
            csrf: None,
            version: Some(version),
            family_name: record.identity.family_name.clone(),
            given_name: record.identity.given_name.clone(),
            birth_name: opt(&record.identity.birth_name),
            birth_place: opt(&record.identity.birth_place),
            birth_date: record
                .identity
                .birth_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
            mother_birth_name: opt(&record.identity.mother_birth_name),
            gender: match record.gender {
                Some(g) if g.source == GenderSource::Declared => g.value.as_str().into(),
                _ => String::new(),
            },
            permanent_postcode: part(&permanent, |a| &a.postcode),
            permanent_city: part(&permanent, |a| &a.city),
            permanent_street: part(&permanent, |a| &a.street),
            permanent_number: part(&permanent, |a| &a.number),
            mailing_postcode: part(&mailing, |a| &a.postcode),
            mailing_city: part(&mailing, |a| &a.city),
            mailing_street: part(&mailing, |a| &a.street),
            mailing_number: part(&mailing, |a| &a.number),
            emails: record
                .emails
                .iter()
                .map(|e| e.address.clone())
                .collect::<Vec<_>>()
                .join("\n"),
            phones: record
                .phones
                .iter()
                .map(|p| p.number.clone())
                .collect::<Vec<_>>()
                .join("\n"),
            card_number: opt(&record.card_number),
            tags: record.tags.join(", "),
            groups: record.groups.join(", "),
            newsletter: record.consent.newsletter.then(|| "on".into()),
            sms: record.consent.sms.then(|| "on".into()),
        }
    }

    /// The domain's input; `kept` are the record's other addresses (temporary, past ones),
    /// which this form does not show and keeps as they are. Also which address kind each
    /// input address is, so field errors find their form field.
    fn input(
        &self,
        kept: &[Address],
        lang: Lang,
    ) -> Result<(PersonInput, Vec<&'static str>), FieldErrors> {
        let mut errors = FieldErrors::default();
        let birth_date = match self.birth_date.trim() {
            "" => None,
            t => match t
                .replace(". ", "-")
                .trim_end_matches('.')
                .replace('.', "-")
                .parse()
            {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.add(
                        "birth_date",
                        lang.t("A dátum így: 1985-04-12.", "Write the date as 1985-04-12."),
                    );
                    None
                }
            },
        };
        let mut addresses = Vec::new();
        let mut kinds = Vec::new();
        for (kind, prefix, p, c, s, n) in [
            (
                AddressKind::Permanent,
                "permanent",
                &self.permanent_postcode,
                &self.permanent_city,
                &self.permanent_street,
                &self.permanent_number,
            ),
            (
                AddressKind::Mailing,
                "mailing",
                &self.mailing_postcode,
                &self.mailing_city,
                &self.mailing_street,
                &self.mailing_number,
            ),
        ] {
            if [p, c, s, n].iter().all(|v| v.trim().is_empty()) {
                continue;
            }
            kinds.push(prefix);
            addresses.push(Address {
                kind,
                postcode: p.trim().into(),
                city: c.trim().into(),
                street: s.trim().into(),
                number: n.trim().into(),
                district: None,
                valid_from: None,
                valid_until: None,
                verified_at: None,
            });
        }
        for a in kept {
            if !matches!(a.kind, AddressKind::Permanent | AddressKind::Mailing)
                || a.valid_until.is_some()
            {
                kinds.push("addresses");
                addresses.push(a.clone());
            }
        }
        let gender = match self.gender.as_str() {
            "female" => Some(Gender::Female),
            "male" => Some(Gender::Male),
            _ => None,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok((
            PersonInput {
                identity: NaturalIdentity {
                    family_name: self.family_name.clone(),
                    given_name: self.given_name.clone(),
                    birth_name: some(&self.birth_name),
                    birth_place: some(&self.birth_place),
                    birth_date,
                    mother_birth_name: some(&self.mother_birth_name),
                },
                addresses,
                emails: list(&self.emails, &['\n', ',', ';']),
                phones: list(&self.phones, &['\n', ';']),
                card_number: some(&self.card_number),
                gender,
                consent: Consent {
                    newsletter: self.newsletter.is_some(),
                    sms: self.sms.is_some(),
                },
                tags: list(&self.tags, &[',']),
                groups: list(&self.groups, &[',']),
                company: None,
            },
            kinds,
        ))
    }
}

/// The form field a domain error's pointer belongs to.
fn form_field(pointer: &str, kinds: &[&str]) -> String {
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["identity", f, ..] => (*f).to_owned(),
        ["addresses", i, f, ..] => match i.parse::<usize>().ok().and_then(|i| kinds.get(i)) {
            Some(&"addresses") | None => "permanent_postcode".into(),
            Some(prefix) => format!("{prefix}_{f}"),
        },
        ["addresses"] => "permanent_postcode".into(),
        [f, ..] => (*f).to_owned(),
        [] => "family_name".into(),
    }
}

#[derive(Template)]
#[template(path = "people/edit.html")]
struct EditBody<'a> {
    lang: Lang,
    csrf: &'a str,
    action: String,
    form: &'a PersonForm,
    errors: &'a FieldErrors,
    creating: bool,
}

fn edit_page(
    lang: PageLang,
    visitor: &Visitor,
    action: String,
    form: &PersonForm,
    errors: FieldErrors,
    creating: bool,
    title: &str,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    people_page(lang, title, visitor)
        .status(status)
        .errors(errors.clone())
        .template(&EditBody {
            lang: lang.lang,
            csrf: visitor.csrf(),
            action,
            form,
            errors: &errors,
            creating,
        })
}

fn domain_errors(e: &CrmError, kinds: &[&str], lang: Lang) -> Option<FieldErrors> {
    match e {
        CrmError::Invalid(list) => {
            let mut errors = FieldErrors::default();
            for f in list {
                let field = form_field(&f.pointer, kinds);
                if !errors.has(&field) {
                    errors.add(field, f.detail.clone());
                }
            }
            Some(errors)
        }
        CrmError::Stale => {
            let mut errors = FieldErrors::default();
            errors.add(
                "family_name",
                lang.t(
                    "A nyilvántartást közben más módosította. Nyissa meg újra, és írja be ismét a javítást.",
                    "Someone else changed the record meanwhile. Open it again and make the correction once more.",
                ),
            );
            Some(errors)
        }
        _ => None,
    }
}

/// `GET /office/people/new`: a person served at the desk, recorded.
pub async fn new_form(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
) -> Response {
    let here = path("/people/new");
    let visitor = match guard(&state, lang, &headers, &CRM, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    edit_page(
        lang,
        &visitor,
        here,
        &PersonForm::default(),
        FieldErrors::default(),
        true,
        l.t("Új ügyfél", "New person"),
    )
}

/// `POST /office/people/new`.
pub async fn create(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Form(form): Form<PersonForm>,
) -> Response {
    let here = path("/people/new");
    let visitor =
        match guard_posted(&state, lang, &headers, &CRM, &here, form.csrf.as_deref()).await {
            Ok(v) => v,
            Err(r) => return r,
        };
    let l = lang.lang;
    let title = l.t("Új ügyfél", "New person");
    let (input, kinds) = match form.input(&[], l) {
        Ok(i) => i,
        Err(errors) => return edit_page(lang, &visitor, here, &form, errors, true, title),
    };
    match state
        .crm
        .create(&crm_actor(&visitor, &origin), &input, None, None)
        .await
    {
        Ok(record) => see_other(&format!(
            "{}?purpose=customer_service",
            person_path(record.id)
        )),
        Err(e) => match domain_errors(&e, &kinds, l) {
            Some(errors) => edit_page(lang, &visitor, here, &form, errors, true, title),
            None => failed(lang, &visitor, &e),
        },
    }
}

async fn load(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    person_id: &str,
) -> Result<StoredPerson, Response> {
    let Some(id) = parse_person(person_id) else {
        return Err(not_found(lang, visitor));
    };
    match state.crm.store.get(id).await {
        Ok(Some(s)) if s.record.merged_into.is_none() => Ok(s),
        Ok(_) => Err(not_found(lang, visitor)),
        Err(e) => Err(failed(lang, visitor, &e.into())),
    }
}

/// `GET /office/people/{id}/edit`: manual cleansing of one record (the read is audited
/// for data quality).
pub async fn edit_form(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(person_id): Path<String>,
) -> Response {
    let here = path(&format!("/people/{person_id}/edit"));
    let visitor = match guard(&state, lang, &headers, &CRM, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let stored = match load(&state, lang, &visitor, &person_id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(e) = state
        .crm
        .read(
            &crm_actor(&visitor, &origin),
            stored.record.id,
            Purpose::DataQuality,
        )
        .await
    {
        return failed(lang, &visitor, &e);
    }
    let form = PersonForm::of(&stored.record, stored.version, state.crm.today());
    let l = lang.lang;
    edit_page(
        lang,
        &visitor,
        here,
        &form,
        FieldErrors::default(),
        false,
        l.t("Adatok javítása", "Correct the record"),
    )
}

/// `POST /office/people/{id}/edit`.
pub async fn edit(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(person_id): Path<String>,
    Form(form): Form<PersonForm>,
) -> Response {
    let here = path(&format!("/people/{person_id}/edit"));
    let visitor =
        match guard_posted(&state, lang, &headers, &CRM, &here, form.csrf.as_deref()).await {
            Ok(v) => v,
            Err(r) => return r,
        };
    let l = lang.lang;
    let title = l.t("Adatok javítása", "Correct the record");
    let stored = match load(&state, lang, &visitor, &person_id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (input, kinds) = match form.input(&stored.record.addresses, l) {
        Ok(i) => i,
        Err(errors) => return edit_page(lang, &visitor, here, &form, errors, false, title),
    };
    let version = form.version.unwrap_or_default();
    match state
        .crm
        .update(
            &crm_actor(&visitor, &origin),
            stored.record.id,
            version,
            &input,
        )
        .await
    {
        Ok(saved) => see_other(&format!(
            "{}?purpose=data_quality",
            person_path(saved.record.id)
        )),
        Err(e) => match domain_errors(&e, &kinds, l) {
            Some(errors) => edit_page(lang, &visitor, here, &form, errors, false, title),
            None => failed(lang, &visitor, &e),
        },
    }
}

struct AuditLine {
    seq: u64,
    at: String,
    by: String,
    action: String,
    object: String,
    origin: String,
}

#[derive(Template)]
#[template(path = "people/audit.html")]
struct AuditBody {
    lang: Lang,
    lines: Vec<AuditLine>,
    back: String,
}

/// `GET /office/people/{id}/audit`: every read (with its purpose) and change of the record.
pub async fn audit(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(person_id): Path<String>,
) -> Response {
    let here = path(&format!("/people/{person_id}/audit"));
    let visitor = match guard(&state, lang, &headers, &CRM, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let Some(id) = parse_person(&person_id) else {
        return not_found(lang, &visitor);
    };
    match state.crm.store.get(id).await {
        Ok(Some(_)) => {}
        Ok(None) => return not_found(lang, &visitor),
        Err(e) => return failed(lang, &visitor, &e.into()),
    }
    let trail = match state.crm.trail(id).await {
        Ok(t) => t,
        Err(e) => return failed(lang, &visitor, &e),
    };
    let mut names = StaffNames::default();
    let mut lines = Vec::new();
    for e in &trail {
        let by = match e.actor.account() {
            Some(account) => names.of(&state, account).await,
            None => l.t("a rendszer", "the system").to_owned(),
        };
        let object = match e
            .object
            .as_deref()
            .and_then(|o| o.strip_prefix("purpose/"))
            .and_then(Purpose::parse)
        {
            Some(p) => format!("{}: {}", l.t("cél", "purpose"), purpose_text(p, l)),
            None => e.object.clone().unwrap_or_default(),
        };
        lines.push(AuditLine {
            seq: e.seq,
            at: state.cases.cases.local_time(e.at),
            by,
            action: e.action.clone(),
            object,
            origin: e.origin.clone().unwrap_or_default(),
        });
    }
    people_page(
        lang,
        l.t("A nyilvántartás naplója", "The record's audit trail"),
        &visitor,
    )
    .template(&AuditBody {
        lang: l,
        lines,
        back: format!("{}?purpose=data_quality", person_path(id)),
    })
}
