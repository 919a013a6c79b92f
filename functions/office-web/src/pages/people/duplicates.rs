//! Data cleansing: the review queue of possible duplicates (both records side by side,
//! each shown as a read for duplicate review), merging one into the other or marking them
//! different people, a scan on demand, and the list of records the registry flagged or
//! whose mail bounced.

use super::record::flag_text;
use super::{crm_actor, failed, people_page, person_path};
use crate::OfficeState;
use crate::pages::diary::day_text;
use crate::pages::{guard, guard_posted, not_found, path};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use varoskapu_case_api::extract::Origin;
use varoskapu_core::crm::duplicates::{DEFAULT_THRESHOLD, MatchReason};
use varoskapu_core::crm::{AddressKind, CrmError, PersonId, PersonRecord, Purpose};
use varoskapu_http::auth::CRM;
use varoskapu_web::signin::see_other;
use varoskapu_web::{Lang, PageLang};

/// Pairs shown at once.
const QUEUE: usize = 20;

struct Side {
    id: String,
    href: String,
    name: String,
    birth: String,
    mother: String,
    address: String,
    emails: String,
    phones: String,
    card: String,
    account: bool,
}

struct PairView {
    score: String,
    reasons: String,
    a: Side,
    b: Side,
    merge: String,
    not_same: String,
}

#[derive(Template)]
#[template(path = "people/duplicates.html")]
struct QueueBody<'a> {
    lang: Lang,
    csrf: &'a str,
    pairs: Vec<PairView>,
    scan: String,
    notice: Option<String>,
}

fn side(r: &PersonRecord, today: jiff::civil::Date, lang: Lang) -> Side {
    Side {
        id: r.id.to_string(),
        href: format!("{}?purpose=duplicate_review", person_path(r.id)),
        name: r.identity.full_name(),
        birth: [
            r.identity.birth_place.clone().unwrap_or_default(),
            r.identity
                .birth_date
                .map(|d| day_text(d, lang))
                .unwrap_or_default(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", "),
        mother: r.identity.mother_birth_name.clone().unwrap_or_default(),
        address: r
            .address(AddressKind::Permanent, today)
            .or_else(|| r.addresses.first())
            .map(|a| a.one_line())
            .unwrap_or_default(),
        emails: r
            .emails
            .iter()
            .map(|e| e.address.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        phones: r
            .phones
            .iter()
            .map(|p| p.number.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        card: r.card_number.clone().unwrap_or_default(),
        account: r.account.is_some(),
    }
}

fn reason_text(r: &MatchReason, lang: Lang) -> String {
    match r {
        MatchReason::SameEmail => lang.t("azonos e-mail-cím", "same e-mail").into(),
        MatchReason::SamePhone => lang.t("azonos telefonszám", "same phone").into(),
        MatchReason::SameCard => lang.t("azonos lakcímkártya", "same address card").into(),
        MatchReason::SameBirthDate => lang.t("azonos születési idő", "same birth date").into(),
        MatchReason::SimilarName(s) => format!(
            "{} ({:.0} %)",
            lang.t("hasonló név", "similar name"),
            s * 100.0
        ),
        MatchReason::SameBirthName => lang.t("azonos születési név", "same birth name").into(),
        MatchReason::SamePostcode => lang.t("azonos irányítószám", "same postcode").into(),
        MatchReason::SameMother => lang.t("azonos anyja neve", "same mother's name").into(),
    }
}

#[derive(Deserialize)]
pub struct Notice {
    done: Option<String>,
}

/// `GET /office/people/duplicates`: the open pairs, most likely first. Showing a pair is a
/// read of both records for duplicate review, and is audited so.
pub async fn queue(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    axum::extract::Query(notice): axum::extract::Query<Notice>,
) -> Response {
    let here = path("/people/duplicates");
    let visitor = match guard(&state, lang, &headers, &CRM, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let crm = &state.crm;
    let who = crm_actor(&visitor, &origin);
    let open = match crm.open_pairs(QUEUE).await {
        Ok(p) => p,
        Err(e) => return failed(lang, &visitor, &e),
    };
    let today = crm.today();
    let mut pairs = Vec::new();
    for pair in open {
        let a = crm.read(&who, pair.a, Purpose::DuplicateReview).await;
        let b = crm.read(&who, pair.b, Purpose::DuplicateReview).await;
        let (a, b) = match (a, b) {
            (Ok(a), Ok(b)) => (a.record, b.record),
            (Err(CrmError::UnknownPerson), _) | (_, Err(CrmError::UnknownPerson)) => continue,
            (Err(e), _) | (_, Err(e)) => return failed(lang, &visitor, &e),
        };
        if a.merged_into.is_some() || b.merged_into.is_some() {
            continue;
        }
        pairs.push(PairView {
            score: format!("{:.0} %", pair.score * 100.0),
            reasons: pair
                .reasons
                .iter()
                .map(|r| reason_text(r, l))
                .collect::<Vec<_>>()
                .join(", "),
            merge: path(&format!("/people/duplicates/{}/merge", pair.id)),
            not_same: path(&format!("/people/duplicates/{}/not-same", pair.id)),
            a: side(&a, today, l),
            b: side(&b, today, l),
        });
    }
    let notice = match notice.done.as_deref() {
        Some("merged") => Some(
            l.t(
                "A két nyilvántartást összevontuk.",
                "The two records were merged.",
            )
            .to_owned(),
        ),
        Some("not_same") => Some(
            l.t(
                "Megjelöltük: két különböző személy.",
                "Marked as two different people.",
            )
            .to_owned(),
        ),
        Some(n) if n.starts_with("scan") => Some(format!(
            "{} {}",
            l.t(
                "A keresés kész; új lehetséges duplikátumok:",
                "The scan is done; new possible duplicates:"
            ),
            n.trim_start_matches("scan-")
        )),
        _ => None,
    };
    people_page(
        lang,
        l.t("Lehetséges duplikátumok", "Possible duplicates"),
        &visitor,
    )
    .template(&QueueBody {
        lang: l,
        csrf: visitor.csrf(),
        pairs,
        scan: path("/people/duplicates/scan"),
        notice,
    })
}

#[derive(Deserialize)]
pub struct MergeForm {
    csrf: Option<String>,
    survivor: Option<String>,
}

/// `POST /office/people/duplicates/{pair}/merge`: the other record is merged into `survivor`.
pub async fn merge(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(pair_id): Path<String>,
    Form(form): Form<MergeForm>,
) -> Response {
    let back = path("/people/duplicates");
    let visitor =
        match guard_posted(&state, lang, &headers, &CRM, &back, form.csrf.as_deref()).await {
            Ok(v) => v,
            Err(r) => return r,
        };
    let Some(survivor) = form
        .survivor
        .as_deref()
        .and_then(|s| s.parse().ok())
        .map(PersonId)
    else {
        return not_found(lang, &visitor);
    };
    match state
        .crm
        .merge(&crm_actor(&visitor, &origin), &pair_id, survivor)
        .await
    {
        Ok(merged) => see_other(&format!(
            "{}?purpose=duplicate_review",
            person_path(merged.id)
        )),
        Err(
            CrmError::UnknownCandidate
            | CrmError::UnknownPerson
            | CrmError::Invalid(_)
            | CrmError::Merged,
        ) => not_found(lang, &visitor),
        Err(e) => failed(lang, &visitor, &e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /office/people/duplicates/{pair}/not-same`.
pub async fn not_same(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(pair_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let back = path("/people/duplicates");
    let visitor =
        match guard_posted(&state, lang, &headers, &CRM, &back, form.csrf.as_deref()).await {
            Ok(v) => v,
            Err(r) => return r,
        };
    match state
        .crm
        .not_same(&crm_actor(&visitor, &origin), &pair_id)
        .await
    {
        Ok(_) => see_other(&format!("{back}?done=not_same")),
        Err(CrmError::UnknownCandidate) => not_found(lang, &visitor),
        Err(e) => failed(lang, &visitor, &e),
    }
}

/// `POST /office/people/duplicates/scan`: looks for duplicates among all records now.
pub async fn scan(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let back = path("/people/duplicates");
    let visitor =
        match guard_posted(&state, lang, &headers, &CRM, &back, form.csrf.as_deref()).await {
            Ok(v) => v,
            Err(r) => return r,
        };
    match state.crm.scan_duplicates(DEFAULT_THRESHOLD).await {
        Ok(report) => see_other(&format!("{back}?done=scan-{}", report.new)),
        Err(e) => failed(lang, &visitor, &e),
    }
}

struct AttentionLine {
    href: String,
    name: String,
    reasons: String,
}

#[derive(Template)]
#[template(path = "people/cleansing.html")]
struct CleansingBody {
    lang: Lang,
    lines: Vec<AttentionLine>,
}

/// `GET /office/people/cleansing`: the records the registry flagged (moved, deceased, not
/// in the register) or whose mail bounced, for a clerk to correct by hand.
pub async fn cleansing(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
) -> Response {
    let here = path("/people/cleansing");
    let visitor = match guard(&state, lang, &headers, &CRM, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let records = match state.crm.store.needing_attention(200).await {
        Ok(r) => r,
        Err(e) => return failed(lang, &visitor, &e.into()),
    };
    let lines = records
        .iter()
        .map(|s| {
            let r = &s.record;
            let mut reasons: Vec<String> = r.flags.iter().map(|f| flag_text(f, l)).collect();
            for e in &r.emails {
                match e.state {
                    varoskapu_core::crm::ContactState::HardBounced => reasons.push(format!(
                        "{}: {}",
                        e.address,
                        l.t("kézbesíthetetlen", "hard bounce")
                    )),
                    varoskapu_core::crm::ContactState::SoftBounced => reasons.push(format!(
                        "{}: {}",
                        e.address,
                        l.t("átmenetileg kézbesíthetetlen", "soft bounce")
                    )),
                    varoskapu_core::crm::ContactState::Complained => reasons.push(format!(
                        "{}: {}",
                        e.address,
                        l.t("panaszt tett", "complained")
                    )),
                    _ => {}
                }
            }
            AttentionLine {
                href: format!("{}/edit", person_path(r.id)),
                name: r.identity.full_name(),
                reasons: reasons.join("; "),
            }
        })
        .collect();
    people_page(lang, l.t("Adattisztítás", "Data cleansing"), &visitor)
        .template(&CleansingBody { lang: l, lines })
}
