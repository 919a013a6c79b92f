//! The start page, "what waits for me": the staff member's own cases, the unassigned ones,
//! those waiting for the citizen, drafts waiting for a signatory's approval, deadlines of
//! the next working days, bank entries nobody matched yet and today's appointments at her
//! desk, each with its count and a link to the page where the work is done. Each part is
//! shown only to the roles whose work it is, and the cases only of her post's case types;
//! the counts carry no personal data.

use super::{guard, path, staff_page, unavailable};
use crate::OfficeState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use varoskapu_core::access::{Role, Scope};
use varoskapu_core::appointments::booking::BookingStatus;
use varoskapu_core::cases::{CaseStatus, QueueFilter};
use varoskapu_http::auth::{Principal, Requirement};
use varoskapu_web::{Lang, PageLang};

/// Any member of staff with the office scope; each part of the page is for some roles.
const ANY_STAFF: Requirement = Requirement::staff(
    Scope::Backoffice,
    &[Role::Clerk, Role::Signatory, Role::Admin],
);

/// How many working days ahead a deadline counts as close.
const CLOSE_DEADLINE_DAYS: i64 = 3;

/// This area's pages, relative to `/office`.
pub fn routes() -> Router<OfficeState> {
    Router::new().route("/", get(index))
}

/// One tile: what it counts, how many, where the work is.
struct Tile {
    label: &'static str,
    /// `None` for a tile that only leads somewhere.
    count: Option<usize>,
    href: String,
    /// Worth the eye: overdue or close deadlines.
    urgent: bool,
}

#[derive(Template)]
#[template(path = "start/index.html")]
struct StartBody {
    lang: Lang,
    tiles: Vec<Tile>,
    today: String,
}

/// What the case queue holds for this staff member.
#[derive(Default)]
struct CaseCounts {
    mine: usize,
    unassigned: usize,
    waiting_for_citizen: usize,
    awaiting_approval: usize,
    close_deadlines: usize,
    overdue: usize,
}

/// What the case queue holds for the staff member `who`, within her post.
async fn case_counts(state: &OfficeState, who: &Principal) -> Result<CaseCounts, String> {
    let me = who.account.as_str();
    let cases = &state.cases.cases;
    let open = cases
        .queue(&QueueFilter::default())
        .await
        .map_err(|e| e.to_string())?;
    let mut counts = CaseCounts::default();
    for case in open.iter().filter(|c| who.post_covers(&c.case_type)) {
        let assignee = case.assignee.as_deref();
        match case.status {
            CaseStatus::Submitted if assignee.is_none() => counts.unassigned += 1,
            CaseStatus::WaitingForCitizen if assignee == Some(me) => {
                counts.waiting_for_citizen += 1
            }
            CaseStatus::DecisionDrafted => counts.awaiting_approval += 1,
            _ if assignee == Some(me) => counts.mine += 1,
            _ => {}
        }
    }
    for entry in cases.diary().await.map_err(|e| e.to_string())? {
        if !who.post_covers(&entry.case.case_type) {
            continue;
        }
        let assignee = entry.case.assignee.as_deref();
        if assignee.is_some() && assignee != Some(me) {
            continue;
        }
        if entry.overdue {
            counts.overdue += 1;
        } else if !entry.paused && entry.days_left <= CLOSE_DEADLINE_DAYS {
            counts.close_deadlines += 1;
        }
    }
    Ok(counts)
}

/// Bank entries waiting for a clerk. Only their number is shown, so the store is asked
/// directly: the audited queue read is for the page that shows the payers.
async fn unmatched_entries(state: &OfficeState) -> Result<usize, String> {
    let store = &state.payments.payments.store;
    Ok(store.queue().await.map_err(|e| e.to_string())?.len())
}

/// Today's open bookings at this clerk's desk, in every office.
async fn todays_bookings(state: &OfficeState, me: &str) -> Result<usize, String> {
    let store = state.appointments.appointments.store();
    let today = state.cases.cases.today();
    let mut count = 0;
    for office in store.offices().await.map_err(|e| e.to_string())? {
        count += store
            .day(&office.id, today)
            .await
            .map_err(|e| e.to_string())?
            .iter()
            .filter(|b| {
                b.clerk_id == me
                    && matches!(b.status, BookingStatus::Booked | BookingStatus::Rescheduled)
            })
            .count();
    }
    Ok(count)
}

/// `GET /office`.
async fn index(State(state): State<OfficeState>, lang: PageLang, headers: HeaderMap) -> Response {
    let here = path("");
    let visitor = match guard(&state, lang, &headers, &ANY_STAFF, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let me = visitor.principal.account.clone();
    let has = |r: Role| visitor.principal.has_role(r);
    let mut tiles = Vec::new();
    let tile = |label: &'static str, count: usize, href: String, urgent: bool| Tile {
        label,
        count: Some(count),
        href,
        urgent: urgent && count > 0,
    };
    if has(Role::Clerk) || has(Role::Signatory) {
        let counts = match case_counts(&state, &visitor.principal).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "the office's start page cannot read the cases");
                return unavailable(lang, Some(&visitor));
            }
        };
        if has(Role::Clerk) {
            tiles.push(tile(
                l.t("Nálam lévő ügyek", "Cases I hold"),
                counts.mine,
                path("/cases?assignee=mine"),
                false,
            ));
            tiles.push(tile(
                l.t("Kiosztatlan új ügyek", "New unassigned cases"),
                counts.unassigned,
                path("/cases?status=submitted&assignee=unassigned"),
                false,
            ));
            tiles.push(tile(
                l.t("Ügyfélre váró ügyeim", "My cases waiting for the citizen"),
                counts.waiting_for_citizen,
                path("/cases?status=waiting_for_citizen&assignee=mine"),
                false,
            ));
        }
        if has(Role::Signatory) {
            tiles.push(tile(
                l.t(
                    "Kiadmányozásra váró tervezetek",
                    "Drafts waiting for approval",
                ),
                counts.awaiting_approval,
                path("/cases?status=decision_drafted"),
                true,
            ));
        }
        tiles.push(tile(
            l.t("Lejárt határidők", "Overdue deadlines"),
            counts.overdue,
            path("/diary?who=mine"),
            true,
        ));
        tiles.push(tile(
            l.t(
                "Határidők a következő 3 munkanapon",
                "Deadlines in the next 3 working days",
            ),
            counts.close_deadlines,
            path("/diary?who=mine"),
            true,
        ));
        match unmatched_entries(&state).await {
            Ok(count) => tiles.push(tile(
                l.t("Párosításra váró banki tételek", "Bank entries to match"),
                count,
                path("/payments"),
                false,
            )),
            Err(e) => tracing::warn!(error = %e, "bank entries not counted"),
        }
    }
    if has(Role::Clerk) {
        match todays_bookings(&state, &me).await {
            Ok(count) => tiles.push(tile(
                l.t(
                    "Mai időpontok az ablakomnál",
                    "Today's appointments at my desk",
                ),
                count,
                path("/appointments"),
                false,
            )),
            Err(e) => tracing::warn!(error = %e, "today's bookings not counted"),
        }
    }
    if has(Role::Admin) {
        tiles.push(Tile {
            label: l.t(
                "Ügytípusok és partneralkalmazások",
                "Case types and partner apps",
            ),
            count: None,
            href: path("/admin"),
            urgent: false,
        });
    }
    let today = state.cases.cases.today().to_string();
    staff_page(lang, l.t("Teendőim", "What waits for me"), &here, &visitor).template(&StartBody {
        lang: l,
        tiles,
        today,
    })
}
