//! The office's pages: the shared frame (menu by role, who is signed in, plain message
//! pages, the guards every page passes) and sign-in, sign-out and the callback; each area's
//! pages in a module of its own, each with its routes.

pub mod admin;
pub mod appointments;
pub mod cases;
pub mod diary;
pub mod payments;
pub mod people;
pub mod start;

use crate::OfficeState;
use crate::config::BASE;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use varoskapu_core::access::Role;
use varoskapu_http::auth::Requirement;
use varoskapu_web::page::SignedIn;
use varoskapu_web::session::BrowserSession;
use varoskapu_web::signin::{
    CALLBACK_PATH, LOGIN_PATH, LOGOUT_PATH, Refusal, SiteSession, Visitor, see_other,
};
use varoskapu_web::{NavLink, Page, PageLang};

#[allow(unused_imports)]
pub use varoskapu_web::format::money;

/// The largest form body accepted (a bank statement or a document with its form fields).
pub const MAX_UPLOAD_BODY: usize = 12 * 1024 * 1024;

/// Every office page, relative to [`BASE`].
pub fn routes() -> Router<OfficeState> {
    Router::new()
        .route(LOGIN_PATH, get(login))
        .route(CALLBACK_PATH, get(callback))
        .route(LOGOUT_PATH, post(logout))
        .merge(start::routes())
        .merge(cases::routes())
        .merge(diary::routes())
        .merge(payments::routes())
        .merge(appointments::routes())
        .merge(people::routes())
        .merge(admin::routes())
}

/// The office path of `path` (`/cases` → `/office/cases`).
pub fn path(path: &str) -> String {
    format!("{BASE}{path}")
}

/// The menu for the signed-in staff member's roles; `current` is the path of the page.
pub fn nav(lang: PageLang, current: &str, roles: &[Role]) -> Vec<NavLink> {
    let l = lang.lang;
    let has = |r: Role| roles.contains(&r);
    let mut links = vec![(path(""), l.t("Teendőim", "What waits for me"))];
    if has(Role::Clerk) || has(Role::Signatory) {
        links.push((path("/cases"), l.t("Ügyek", "Cases")));
        links.push((path("/diary"), l.t("Határidőnapló", "Deadline diary")));
        links.push((path("/payments"), l.t("Befizetések", "Payments")));
    }
    if has(Role::Clerk) || has(Role::Admin) {
        links.push((path("/appointments"), l.t("Ügyfélfogadás", "Appointments")));
    }
    if has(Role::Clerk) || has(Role::Signatory) || has(Role::Admin) {
        links.push((path("/people"), l.t("Ügyfelek", "People")));
    }
    if has(Role::Admin) {
        links.push((path("/admin"), l.t("Beállítások", "Administration")));
    }
    links
        .into_iter()
        .map(|(href, label)| NavLink {
            current: href == current,
            href,
            label: label.to_owned(),
        })
        .collect()
}

/// A page of the office with its menu and, when signed in, the person and sign-out.
fn frame(
    lang: PageLang,
    title: &str,
    current: &str,
    session: Option<&BrowserSession<SiteSession>>,
    roles: &[Role],
) -> Page {
    let mut page = Page::new(lang, title)
        .home(path(""))
        .nav(nav(lang, current, roles));
    if let Some(s) = session {
        page = page.signed_in(SignedIn {
            name: s
                .data
                .tokens
                .as_ref()
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            sign_out: path(LOGOUT_PATH),
            csrf: s.csrf.clone(),
        });
    }
    page
}

/// A page of a signed-in staff member; `current` is the menu entry it belongs to.
pub fn staff_page(lang: PageLang, title: &str, current: &str, visitor: &Visitor) -> Page {
    frame(
        lang,
        title,
        current,
        Some(&visitor.session),
        &visitor.principal.roles,
    )
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessageBody<'a> {
    text: &'a str,
    /// An action that gets the person further (sign in with a second factor, say).
    links: Vec<(String, String)>,
}

/// A page that only says something (refusals, errors), with links onwards.
pub fn message_page(
    lang: PageLang,
    visitor: Option<&Visitor>,
    status: StatusCode,
    title: &str,
    text: &str,
    links: Vec<(String, String)>,
) -> Response {
    let (session, roles) = match visitor {
        Some(v) => (Some(&v.session), v.principal.roles.as_slice()),
        None => (None, &[][..]),
    };
    frame(lang, title, "", session, roles)
        .status(status)
        .template(&MessageBody { text, links })
}

/// The answer to a browser that may not see a page (see [`Refusal`]); `here` is the page.
pub fn refused(state: &OfficeState, lang: PageLang, refusal: Refusal, here: &str) -> Response {
    let l = lang.lang;
    match refusal {
        Refusal::SignIn(to) => see_other(&state.signin.login_url(&to, false)),
        Refusal::Forbidden => message_page(
            lang,
            None,
            StatusCode::FORBIDDEN,
            l.t("Nincs jogosultsága", "Not allowed"),
            l.t(
                "Ez az oldal a hivatal munkatársaié, és az Ön bejelentkezése ehhez nem ad jogosultságot. Ha Ön ügyfél, ügyeit az Ügyfélkapuban intézheti.",
                "This page is for the office's staff, and your sign-in does not allow it. If you are a citizen, your cases are in the citizen portal.",
            ),
            vec![("/".to_owned(), l.t("Az Ügyfélkapu", "The citizen portal").to_owned())],
        ),
        Refusal::SecondFactor => message_page(
            lang,
            None,
            StatusCode::FORBIDDEN,
            l.t("Második lépcsős azonosítás szükséges", "A second factor is needed"),
            l.t(
                "Ehhez a művelethez második lépcsővel (hitelesítő alkalmazás kódjával vagy jelszó nélküli belépési kulccsal) kell bejelentkeznie. Ha még nincs második lépcsője, előbb adja hozzá fiókjában, majd jelentkezzen be újra.",
                "This needs a sign-in with a second factor (an authenticator app's code or a passkey). If you have none yet, add one in your account first, then sign in again.",
            ),
            vec![
                (
                    state.signin.login_url(here, true),
                    l.t("Bejelentkezés második lépcsővel", "Sign in with a second factor").to_owned(),
                ),
                (
                    format!("{}/account/second-factor", state.signin.config.issuer),
                    l.t("Második lépcső hozzáadása a fiókban", "Add a second factor in your account")
                        .to_owned(),
                ),
            ],
        ),
        Refusal::Unavailable => unavailable(lang, None),
    }
}

/// The signed-in staff member of a page that needs `requirement`, or the answer that
/// refuses her; `here` is where to come back after signing in.
pub async fn guard(
    state: &OfficeState,
    lang: PageLang,
    headers: &HeaderMap,
    requirement: &Requirement,
    here: &str,
) -> Result<Visitor, Response> {
    state
        .signin
        .visitor(headers, requirement, here)
        .await
        .map_err(|r| refused(state, lang, r, here))
}

/// Like [`guard`] for a posted form, which must also carry the session's CSRF token;
/// `back` is the page the form is on (where a sign-in or a step-up returns to).
pub async fn guard_posted(
    state: &OfficeState,
    lang: PageLang,
    headers: &HeaderMap,
    requirement: &Requirement,
    back: &str,
    csrf: Option<&str>,
) -> Result<Visitor, Response> {
    let visitor = guard(state, lang, headers, requirement, back).await?;
    if visitor.form_ok(csrf) {
        Ok(visitor)
    } else {
        Err(csrf_refused(lang, &visitor))
    }
}

/// The page for a record that does not exist (or that this staff member may not see).
pub fn not_found(lang: PageLang, visitor: &Visitor) -> Response {
    message_page(
        lang,
        Some(visitor),
        StatusCode::NOT_FOUND,
        lang.lang.t("Nem található", "Not found"),
        lang.lang
            .t("Nincs ilyen tétel.", "There is no such record."),
        vec![(
            path(""),
            lang.lang
                .t("Vissza a teendőkhöz", "Back to what waits for me")
                .to_owned(),
        )],
    )
}

/// The answer to a form whose CSRF token is missing or wrong: nothing was done.
pub fn csrf_refused(lang: PageLang, visitor: &Visitor) -> Response {
    message_page(
        lang,
        Some(visitor),
        StatusCode::FORBIDDEN,
        lang.lang.t("Az űrlap lejárt", "The form has expired"),
        lang.lang.t(
            "Biztonsági okból nem dolgoztuk fel az űrlapot. Kérjük, nyissa meg újra az oldalt, és küldje el ismét.",
            "For your security the form was not processed. Please open the page again and send it once more.",
        ),
        vec![],
    )
}

/// The answer when a domain service is unavailable.
pub fn unavailable(lang: PageLang, visitor: Option<&Visitor>) -> Response {
    message_page(
        lang,
        visitor,
        StatusCode::SERVICE_UNAVAILABLE,
        lang.lang.t("Átmeneti hiba", "Temporarily unavailable"),
        lang.lang.t(
            "A szolgáltatás átmenetileg nem érhető el. Kérjük, próbálja újra néhány perc múlva.",
            "The service is temporarily unavailable. Please try again in a few minutes.",
        ),
        vec![],
    )
}

#[derive(Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
    /// Ask for a sign-in with a second factor.
    step_up: Option<String>,
}

/// `GET /office/auth/login`: to the provider's sign-in page.
pub async fn login(
    State(state): State<OfficeState>,
    lang: PageLang,
    Query(q): Query<LoginQuery>,
) -> Response {
    let return_to = q.return_to.as_deref().filter(|to| to.starts_with(BASE));
    state
        .signin
        .start_sign_in(return_to, lang.lang.code(), q.step_up.is_some())
        .await
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /office/auth/callback`: back from the provider.
pub async fn callback(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let again = vec![(
        path(LOGIN_PATH),
        lang.lang
            .t("Bejelentkezés újra", "Sign in again")
            .to_owned(),
    )];
    if q.error.is_some() {
        return message_page(
            lang,
            None,
            StatusCode::BAD_REQUEST,
            lang.lang
                .t("A bejelentkezés megszakadt", "Sign-in was cancelled"),
            lang.lang.t(
                "A bejelentkezés nem fejeződött be.",
                "Signing in did not finish.",
            ),
            again,
        );
    }
    match state
        .signin
        .finish_sign_in(&headers, q.code.as_deref(), q.state.as_deref())
        .await
    {
        Ok(response) => response,
        Err(reason) => {
            tracing::info!(reason, "office sign-in refused");
            let mut response = message_page(
                lang,
                None,
                StatusCode::BAD_REQUEST,
                lang.lang
                    .t("A bejelentkezés nem sikerült", "Sign-in failed"),
                lang.lang.t(
                    "A bejelentkezést nem tudtuk befejezni.",
                    "We could not finish signing you in.",
                ),
                again,
            );
            response.headers_mut().append(
                axum::http::header::SET_COOKIE,
                state.signin.sessions.clear(),
            );
            response
        }
    }
}

/// A form that carries only its CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: Option<String>,
}

/// `POST /office/auth/logout`: ends the session (with its CSRF token) and signs out at the
/// provider.
pub async fn logout(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Response {
    let loaded = state
        .signin
        .sessions
        .load::<SiteSession>(&headers)
        .await
        .ok()
        .flatten();
    match loaded {
        Some((secret, session))
            if varoskapu_web::csrf::matches(&session.csrf, form.csrf.as_deref()) =>
        {
            state.signin.sign_out(Some((secret, session))).await
        }
        Some(_) => message_page(
            lang,
            None,
            StatusCode::FORBIDDEN,
            lang.lang.t("Az űrlap lejárt", "The form has expired"),
            lang.lang.t(
                "Biztonsági okból nem jelentettük ki. Kérjük, próbálja újra.",
                "For your security you were not signed out. Please try again.",
            ),
            vec![],
        ),
        None => see_other(&path("")),
    }
}
