//! The account pages of the provider: signing up, asking for a password reset, signing in
//! to the account itself, and, behind the SSO session, the person's own account (name,
//! e-mail address, password, second factor, the apps with access).
//!
//! Server-rendered on the page kit, Hungarian first, plain forms that work without
//! JavaScript, POST-redirect-GET. Forms shown before sign-in carry the kit's double-submit
//! token; the signed-in pages' forms carry the session's own token. A refused token is 403
//! and changes nothing.

mod apps;
mod entry;
mod passkeys;
mod profile;
mod second_factor;

use super::cookies::{self, SESSION};
use crate::provider::Provider;
use crate::secrets::sha256_hex;
use crate::sessions::Session;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use varoskapu_accounts::Account;
use varoskapu_accounts::password::Weakness;
use varoskapu_web::page::SignedIn;
use varoskapu_web::{Lang, NavLink, Page, PageLang};

/// The account pages in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        entry::sign_in_page, entry::sign_in, entry::sign_in_second_factor, entry::register_page,
        entry::register, entry::check_email, entry::reset_page, entry::request_reset,
        profile::overview, profile::name_page, profile::change_name, profile::email_page,
        profile::change_email, profile::confirm_email_page, profile::confirm_email,
        profile::password_page, profile::change_password, second_factor::page,
        second_factor::start, second_factor::confirm, second_factor::renew_codes,
        second_factor::turn_off, apps::page, apps::withdraw, passkeys::page, passkeys::rename,
        passkeys::remove, passkeys::register_start, passkeys::register_finish,
        passkeys::sign_in_start, passkeys::sign_in_finish, passkeys::script,
    ),
    components(schemas(
        entry::SignInForm, entry::CodeForm, entry::RegisterForm, entry::ResetForm,
        profile::ChangeForm, second_factor::FactorForm, apps::WithdrawForm,
        passkeys::PasskeyForm, passkeys::RegisterStart, passkeys::RegisterFinish,
        passkeys::SignInFinish, passkeys::Next,
    )),
    tags((name = "account-pages", description = "The account pages a person's browser sees: sign-up, reset request, sign-in, and behind the SSO session the account itself (HTML forms with CSRF tokens, 303 redirects)"))
)]
pub(super) struct AccountPagesApi;

/// The account pages' routes.
pub fn routes() -> Router<Provider> {
    Router::new()
        .route("/account", get(profile::overview))
        .route(
            "/account/sign-in",
            get(entry::sign_in_page).post(entry::sign_in),
        )
        .route(
            "/account/sign-in/second-factor",
            post(entry::sign_in_second_factor),
        )
        .route(
            "/account/register",
            get(entry::register_page).post(entry::register),
        )
        .route(
            "/account/password-reset",
            get(entry::reset_page).post(entry::request_reset),
        )
        .route("/account/check-email", get(entry::check_email))
        .route(
            "/account/name",
            get(profile::name_page).post(profile::change_name),
        )
        .route(
            "/account/email",
            get(profile::email_page).post(profile::change_email),
        )
        .route(
            "/account/email/confirm",
            get(profile::confirm_email_page).post(profile::confirm_email),
        )
        .route(
            "/account/password",
            get(profile::password_page).post(profile::change_password),
        )
        .route(
            "/account/second-factor",
            get(second_factor::page).post(second_factor::start),
        )
        .route(
            "/account/second-factor/confirm",
            post(second_factor::confirm),
        )
        .route(
            "/account/second-factor/recovery-codes",
            post(second_factor::renew_codes),
        )
        .route("/account/second-factor/off", post(second_factor::turn_off))
        .route("/account/apps", get(apps::page))
        .route("/account/apps/withdraw", post(apps::withdraw))
        .route("/account/passkeys", get(passkeys::page))
        .route("/account/passkeys/rename", post(passkeys::rename))
        .route("/account/passkeys/remove", post(passkeys::remove))
        .route(
            "/account/passkeys/register/start",
            post(passkeys::register_start),
        )
        .route(
            "/account/passkeys/register/finish",
            post(passkeys::register_finish),
        )
        .route(
            "/account/passkeys/sign-in/start",
            post(passkeys::sign_in_start),
        )
        .route(
            "/account/passkeys/sign-in/finish",
            post(passkeys::sign_in_finish),
        )
        .route(passkeys::SCRIPT_PATH, get(passkeys::script))
}

pub(super) use passkeys::sign_in_section as passkey_sign_in_section;
pub(in crate::web) use passkeys::{PASSKEY_COOKIE, SCRIPT_PATH};

/// A person signed in to the provider, with the account behind the session.
pub(super) struct Signed {
    pub secret: String,
    pub session: Session,
    pub account: Account,
}

impl Signed {
    /// Whether a posted form carries this session's token.
    pub fn accepts(&self, posted: Option<&str>) -> bool {
        varoskapu_web::csrf::matches(&self.session.csrf, posted)
    }
}

/// The live session of the browser (none once its password was set again since).
pub(super) async fn signed(p: &Provider, headers: &HeaderMap) -> Result<Option<Signed>, String> {
    let Some(secret) = cookies::read(headers, SESSION, p.config.secure_cookies()) else {
        return Ok(None);
    };
    let Some(session) = p.live_session(&secret).await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let account = p
        .accounts
        .get(session.account_id)
        .await
        .map_err(|e| e.to_string())?;
    Ok(account.map(|account| Signed {
        secret,
        session,
        account,
    }))
}

/// The signed-in person, or the answer that sends the browser to sign in and back here.
pub(super) async fn require(
    p: &Provider,
    headers: &HeaderMap,
    lang: Lang,
    back_to: &str,
) -> Result<Signed, Response> {
    match signed(p, headers).await {
        Ok(Some(signed)) => Ok(signed),
        Ok(None) => Err(see_other(&format!(
            "/account/sign-in?return_to={}",
            url::form_urlencoded::byte_serialize(back_to.as_bytes()).collect::<String>()
        ))),
        Err(e) => Err(internal(lang, &e)),
    }
}

/// The signed-in person who posted a form carrying her session's CSRF token; without a
/// session the browser is sent to sign in and back to `back_to`, and a form without the
/// token is refused (403) before anything changes.
pub(super) async fn require_posted(
    p: &Provider,
    headers: &HeaderMap,
    lang: Lang,
    back_to: &str,
    csrf: Option<&str>,
) -> Result<Signed, Response> {
    let signed = require(p, headers, lang, back_to).await?;
    if !signed.accepts(csrf) {
        return Err(forbidden(lang));
    }
    Ok(signed)
}

/// A page of the kit in the language negotiated for a posted form.
pub(super) fn posted_lang(lang: Lang) -> PageLang {
    PageLang {
        lang,
        explicit: false,
    }
}

/// An account page with the account menu and the sign-out button.
pub(super) fn account_page(lang: PageLang, title: &str, signed: &Signed, current: &str) -> Page {
    let l = lang.lang;
    let link = |href: &str, label: &str| NavLink {
        href: href.to_owned(),
        label: label.to_owned(),
        current: href == current,
    };
    Page::new(lang, title)
        .home("/account")
        .nav(vec![
            link("/account", l.t("Fiókom", "My account")),
            link("/account/second-factor", l.t("Biztonság", "Security")),
            link("/account/passkeys", "Passkey"),
            link("/account/apps", l.t("Alkalmazások", "Apps with access")),
        ])
        .signed_in(SignedIn {
            name: signed.account.name.clone(),
            sign_out: "/oauth2/logout".to_owned(),
            // The provider's logout form checks the hash of the session's cookie secret.
            csrf: sha256_hex(&signed.secret),
        })
}

/// A 303 that no cache keeps.
pub(super) fn see_other(location: &str) -> Response {
    super::browser::see_other(location)
}

/// The page for a form that did not come from this browser's page: 403, nothing changed.
pub(super) fn forbidden(lang: Lang) -> Response {
    tracing::warn!("account page form refused: CSRF token missing or wrong");
    message(
        posted_lang(lang),
        StatusCode::FORBIDDEN,
        lang.t("Hozzáférés megtagadva", "Forbidden"),
        lang.t(
            "A kérés nem ebből a böngészőből, az oldal saját űrlapjáról érkezett (CSRF-védelem). Semmi sem változott. Töltse be újra az oldalt, és próbálja újra.",
            "The request did not come from this page's own form in this browser (CSRF protection). Nothing was changed. Reload the page and try again.",
        ),
    )
}

/// The page for a failure the person cannot fix; the cause goes to the log only.
pub(super) fn internal(lang: Lang, cause: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %cause, "account page failure");
    message(
        posted_lang(lang),
        StatusCode::INTERNAL_SERVER_ERROR,
        lang.t("Hiba", "Error"),
        lang.t(
            "Váratlan hiba történt. Kérjük, próbálja újra később.",
            "Something went wrong. Please try again later.",
        ),
    )
}

/// A page with one paragraph and a way on.
pub(super) fn message(lang: PageLang, status: StatusCode, title: &str, text: &str) -> Response {
    let l = lang.lang;
    let body = format!(
        r#"<p>{}</p><p><a href="/account">{}</a></p>"#,
        varoskapu_web::escape(text),
        l.t("Tovább a fiókomhoz", "On to my account")
    );
    Page::new(lang, title).status(status).render(&body)
}

/// What to tell a person whose new password is refused.
pub(super) fn weakness_message(lang: Lang, weakness: Weakness) -> &'static str {
    match weakness {
        Weakness::TooShort => lang.t(
            "A jelszó legalább 10 karakter legyen. Több szóból álló jelmondat a legjobb.",
            "The password must be at least 10 characters long. A passphrase of several words is best.",
        ),
        Weakness::TooLong => lang.t(
            "A jelszó legfeljebb 128 karakter lehet.",
            "The password may be at most 128 characters long.",
        ),
        Weakness::Common => lang.t(
            "Ez a jelszó szerepel a gyakran használt, kiszivárgott jelszavak listáján. Válasszon mást.",
            "This password is on the list of common, breached passwords. Please choose another.",
        ),
        Weakness::Pattern => lang.t(
            "A jelszó egyetlen ismétlődő karakter vagy egyszerű sorozat. Válasszon nehezebben kitalálhatót.",
            "The password is one repeated character or a simple run. Please choose one that is harder to guess.",
        ),
    }
}

/// The hint under every new-password field.
pub(super) fn password_hint(lang: Lang) -> &'static str {
    lang.t(
        "Legalább 10 karakter. Több szóból álló jelmondat a legjobb; a gyakori, kiszivárgott jelszavakat nem fogadjuk el.",
        "At least 10 characters. A passphrase of several words is best; common, breached passwords are refused.",
    )
}

/// Appends a `Set-Cookie` to an answer.
pub(super) fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
