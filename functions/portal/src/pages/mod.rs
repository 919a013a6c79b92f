//! The portal's pages: the shared frame (menu, who is signed in, plain message pages) and
//! sign-in, sign-out and the callback; each area's pages in a module of its own.

pub mod appointments;
pub mod cases;
pub mod catalogue;
pub mod me;
pub mod notices;
pub mod payments;

use crate::PortalState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use varoskapu_web::page::SignedIn;
use varoskapu_web::session::BrowserSession;
use varoskapu_web::signin::{Refusal, SiteSession, Visitor};
use varoskapu_web::{NavLink, Page, PageLang};

/// The largest form body accepted (an upload with its form fields).
pub const MAX_UPLOAD_BODY: usize = 12 * 1024 * 1024;

/// The menu; `current` is the path of the page shown.
pub fn nav(lang: PageLang, current: &str, signed_in: bool) -> Vec<NavLink> {
    let l = lang.lang;
    let mut links = vec![("/", l.t("Ügyek katalógusa", "Case catalogue"))];
    if signed_in {
        links.push(("/my-cases", l.t("Ügyeim", "My cases")));
        links.push(("/my-appointments", l.t("Időpontfoglalás", "Appointments")));
        links.push(("/notifications", l.t("Értesítéseim", "My notifications")));
        links.push(("/my-data", l.t("Adataim", "My data")));
    } else {
        links.push(("/auth/login", l.t("Bejelentkezés", "Sign in")));
    }
    links
        .into_iter()
        .map(|(href, label)| NavLink {
            href: href.to_owned(),
            label: label.to_owned(),
            current: href == current,
        })
        .collect()
}

/// A page of the portal with its menu and, when signed in, the person and sign-out.
pub fn page(
    lang: PageLang,
    title: &str,
    current: &str,
    session: Option<&BrowserSession<SiteSession>>,
) -> Page {
    let mut page = Page::new(lang, title).nav(nav(lang, current, session.is_some()));
    if let Some(s) = session {
        page = page.signed_in(SignedIn {
            name: s
                .data
                .tokens
                .as_ref()
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            sign_out: "/auth/logout".into(),
            csrf: s.csrf.clone(),
        });
    }
    page
}

/// A page of a signed-in visitor.
pub fn visitor_page(lang: PageLang, title: &str, current: &str, visitor: &Visitor) -> Page {
    page(lang, title, current, Some(&visitor.session))
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessageBody<'a> {
    text: &'a str,
    lang: varoskapu_web::Lang,
}

/// A page that only says something (refusals, errors).
pub fn message_page(
    _state: &PortalState,
    lang: PageLang,
    session: Option<&BrowserSession<SiteSession>>,
    status: StatusCode,
    title: &str,
    text: &str,
) -> Response {
    page(lang, title, "", session)
        .status(status)
        .template(&MessageBody {
            text,
            lang: lang.lang,
        })
}

/// The page for a case (or other record) that is not the visitor's, or does not exist.
pub fn not_found(state: &PortalState, lang: PageLang, visitor: &Visitor) -> Response {
    message_page(
        state,
        lang,
        Some(&visitor.session),
        StatusCode::NOT_FOUND,
        lang.lang.t("Nem található", "Not found"),
        lang.lang.t(
            "Nincs ilyen ügy, vagy nem az Öné.",
            "There is no such case, or it is not yours.",
        ),
    )
}

/// The answer to a form whose CSRF token is missing or wrong: nothing was done.
pub fn csrf_refused(state: &PortalState, lang: PageLang, visitor: &Visitor) -> Response {
    message_page(
        state,
        lang,
        Some(&visitor.session),
        StatusCode::FORBIDDEN,
        lang.lang.t("Az űrlap lejárt", "The form has expired"),
        lang.lang.t(
            "Biztonsági okból nem dolgoztuk fel az űrlapot. Kérjük, nyissa meg újra az oldalt, és küldje el ismét.",
            "For your security the form was not processed. Please open the page again and send it once more.",
        ),
    )
}

/// The answer when a domain service is unavailable.
pub fn unavailable(state: &PortalState, lang: PageLang, visitor: Option<&Visitor>) -> Response {
    message_page(
        state,
        lang,
        visitor.map(|v| &v.session),
        StatusCode::SERVICE_UNAVAILABLE,
        lang.lang.t("Átmeneti hiba", "Temporarily unavailable"),
        lang.lang.t(
            "A szolgáltatás átmenetileg nem érhető el. Kérjük, próbálja újra néhány perc múlva.",
            "The service is temporarily unavailable. Please try again in a few minutes.",
        ),
    )
}

/// The answer to a browser that may not see a page (see [`Refusal`]).
pub fn refused(state: &PortalState, lang: PageLang, refusal: Refusal) -> Response {
    match refusal {
        Refusal::SignIn(to) => {
            varoskapu_web::signin::see_other(&state.signin.login_url(&to, false))
        }
        // The portal's pages need no second factor: a token without one is short of scope.
        Refusal::Forbidden | Refusal::SecondFactor => message_page(
            state,
            lang,
            None,
            StatusCode::FORBIDDEN,
            lang.lang.t("Nincs jogosultsága", "Not allowed"),
            lang.lang.t(
                "A bejelentkezése ehhez az oldalhoz nem ad jogosultságot.",
                "Your sign-in does not allow this page.",
            ),
        ),
        Refusal::Unavailable => unavailable(state, lang, None),
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
}

/// `GET /auth/login`: to the provider's sign-in page.
pub async fn login(
    State(state): State<PortalState>,
    lang: PageLang,
    Query(q): Query<LoginQuery>,
) -> Response {
    state
        .signin
        .start_sign_in(q.return_to.as_deref(), lang.lang.code(), false)
        .await
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /auth/callback`: back from the provider.
pub async fn callback(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    if q.error.is_some() {
        return message_page(
            &state,
            lang,
            None,
            StatusCode::BAD_REQUEST,
            lang.lang
                .t("A bejelentkezés megszakadt", "Sign-in was cancelled"),
            lang.lang.t(
                "A bejelentkezés nem fejeződött be. Az „Bejelentkezés” menüponttal újrakezdheti.",
                "Signing in did not finish. You can start again with “Sign in”.",
            ),
        );
    }
    match state
        .signin
        .finish_sign_in(&headers, q.code.as_deref(), q.state.as_deref())
        .await
    {
        Ok(response) => response,
        Err(reason) => {
            tracing::info!(reason, "portal sign-in refused");
            let mut response = message_page(
                &state,
                lang,
                None,
                StatusCode::BAD_REQUEST,
                lang.lang.t("A bejelentkezés nem sikerült", "Sign-in failed"),
                lang.lang.t(
                    "A bejelentkezést nem tudtuk befejezni. Kérjük, kezdje újra a „Bejelentkezés” menüponttal.",
                    "We could not finish signing you in. Please start again with “Sign in”.",
                ),
            );
            response.headers_mut().append(
                axum::http::header::SET_COOKIE,
                state.signin.sessions.clear(),
            );
            response
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /auth/logout`: ends the session (with its CSRF token) and signs out at the provider.
pub async fn logout(
    State(state): State<PortalState>,
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
        Some((_, session)) => message_page(
            &state,
            lang,
            Some(&session),
            StatusCode::FORBIDDEN,
            lang.lang.t("Az űrlap lejárt", "The form has expired"),
            lang.lang.t(
                "Biztonsági okból nem jelentettük ki. Kérjük, próbálja újra.",
                "For your security you were not signed out. Please try again.",
            ),
        ),
        None => varoskapu_web::signin::see_other("/"),
    }
}

pub use varoskapu_web::format::money;
