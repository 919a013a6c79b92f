//! Passkeys on the account pages: the list (name, added, last used) with plain forms to
//! rename and remove, and the JSON steps of adding a passkey and of signing in with one,
//! which the one script of the pages (`/assets/passkeys.js`) calls with
//! `navigator.credentials` in between.
//!
//! Adding a passkey needs a recent sign-in ([`RECENT_SIGN_IN_SECONDS`]) or the current
//! password: a session left open on a shared computer cannot plant a passkey. The JSON steps
//! carry the CSRF token in the `X-CSRF-Token` header: the session's token once signed in,
//! the sign-in page's double-submit token before. A ceremony's state is bound to the
//! browser by the `vk_passkey` cookie, used once, and expires.

use super::{Signed, account_page, internal, posted_lang, require, require_posted, see_other};
use crate::passkeys::{CEREMONY_SECONDS, PasskeyError, Passkeys};
use crate::provider::{ACR_MFA, Provider};
use crate::web::cookies;
use crate::web::page_form::{PageFields, PageForm};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use varoskapu_accounts::AccountError;
use varoskapu_http::{ApiJson, ClientAddress, Problem, ProblemKind};
use varoskapu_web::{Lang, PageLang, csrf};
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

/// Binds a passkey ceremony to the browser that started it.
pub const PASSKEY_COOKIE: &str = "vk_passkey";
/// The header the script sends the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How recent a sign-in must be to add a passkey without the password.
pub const RECENT_SIGN_IN_SECONDS: i64 = 10 * 60;
/// Where the script is served.
pub const SCRIPT_PATH: &str = "/assets/passkeys.js";
/// The script's text.
const SCRIPT: &str = include_str!("../../../static/passkeys.js");

/// A passkey as the list shows it.
struct Row {
    credential_id: String,
    name: String,
    created: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "account/passkeys.html")]
struct PasskeysPage<'a> {
    lang: Lang,
    csrf: &'a str,
    passkeys: Vec<Row>,
    available: bool,
    recent: bool,
}

fn local_time(at: i64) -> String {
    match jiff::Timestamp::from_second(at) {
        Ok(t) => t
            .to_zoned(jiff::tz::TimeZone::get("Europe/Budapest").unwrap_or(jiff::tz::TimeZone::UTC))
            .strftime("%Y.%m.%d. %H:%M")
            .to_string(),
        Err(_) => String::new(),
    }
}

fn recent(p: &Provider, signed: &Signed) -> bool {
    p.clock.unix_seconds() - signed.session.auth_time <= RECENT_SIGN_IN_SECONDS
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Done {
    /// What was just done (`added`, `renamed`, `removed`), for the notice.
    done: Option<String>,
}

/// `GET /account/passkeys`.
#[utoipa::path(get, path = "/account/passkeys", tag = "account-pages", operation_id = "account_passkeys",
    description = "The person's passkeys (name, added, last used) with forms to rename and remove them; adding one needs the page's script (WebAuthn).",
    params(Done),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 303, description = "Not signed in: to the sign-in page, which comes back here", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn page(
    State(p): State<Provider>,
    lang: PageLang,
    headers: HeaderMap,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> Response {
    let signed = match require(&p, &headers, lang.lang, "/account/passkeys").await {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    let l = lang.lang;
    let notice = match done.done.as_deref() {
        Some("added") => Some(l.t("A passkey-t hozzáadtuk.", "The passkey was added.")),
        Some("renamed") => Some(l.t("A passkey-t átneveztük.", "The passkey was renamed.")),
        Some("removed") => Some(l.t(
            "A passkey-t eltávolítottuk; azzal többé nem lehet belépni.",
            "The passkey was removed; it no longer signs in.",
        )),
        _ => None,
    };
    render(&p, lang, &signed, notice, StatusCode::OK).await
}

async fn render(
    p: &Provider,
    lang: PageLang,
    signed: &Signed,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let l = lang.lang;
    let keys = match p.accounts.passkeys(signed.account.id).await {
        Ok(keys) => keys,
        Err(e) => return internal(l, &e),
    };
    let never = l.t("még nem", "not yet");
    let rows = keys
        .into_iter()
        .map(|k| Row {
            created: local_time(k.created_at),
            last_used: k
                .last_used_at
                .map(local_time)
                .unwrap_or_else(|| never.into()),
            credential_id: k.credential_id,
            name: k.name,
        })
        .collect();
    let mut page = account_page(lang, "Passkey", signed, "/account/passkeys")
        .status(status)
        .scripts_from_self();
    if let Some(notice) = notice {
        page = page.notice(notice);
    }
    page.template(&PasskeysPage {
        lang: l,
        csrf: &signed.session.csrf,
        passkeys: rows,
        available: p.passkeys.is_some(),
        recent: recent(p, signed),
    })
}

/// The rename and remove forms' fields.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AccountPasskeyForm)]
pub struct PasskeyForm {
    csrf: Option<String>,
    /// The passkey's credential id (base64url).
    credential: Option<String>,
    name: Option<String>,
}
impl PageFields for PasskeyForm {}

/// `POST /account/passkeys/rename`.
#[utoipa::path(post, path = "/account/passkeys/rename", tag = "account-pages", operation_id = "account_passkey_rename",
    description = "Gives a passkey a new name (1 to 60 characters).",
    request_body(content = PasskeyForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Back to the page", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 422, description = "The page again: the name is empty or too long", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn rename(
    State(p): State<Provider>,
    headers: HeaderMap,
    PageForm { lang, form }: PageForm<PasskeyForm>,
) -> Response {
    let signed = match require_posted(
        &p,
        &headers,
        lang,
        "/account/passkeys",
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    match p
        .accounts
        .rename_passkey(
            signed.account.id,
            form.credential.as_deref().unwrap_or_default(),
            form.name.as_deref().unwrap_or_default(),
        )
        .await
    {
        Ok(()) => see_other("/account/passkeys?done=renamed"),
        Err(AccountError::InvalidName) => {
            render(
                &p,
                posted_lang(lang),
                &signed,
                Some(lang.t(
                    "A név 1–60 karakter legyen.",
                    "The name must be 1 to 60 characters long.",
                )),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AccountError::NotFound) => see_other("/account/passkeys"),
        Err(e) => internal(lang, &e),
    }
}

/// `POST /account/passkeys/remove`.
#[utoipa::path(post, path = "/account/passkeys/remove", tag = "account-pages", operation_id = "account_passkey_remove",
    description = "Removes a passkey: it no longer signs in. The person is told by mail.",
    request_body(content = PasskeyForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Back to the page", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn remove(
    State(p): State<Provider>,
    headers: HeaderMap,
    PageForm { lang, form }: PageForm<PasskeyForm>,
) -> Response {
    let signed = match require_posted(
        &p,
        &headers,
        lang,
        "/account/passkeys",
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    match p
        .accounts
        .remove_passkey(
            signed.account.id,
            form.credential.as_deref().unwrap_or_default(),
        )
        .await
    {
        Ok(()) => see_other("/account/passkeys?done=removed"),
        Err(AccountError::NotFound) => see_other("/account/passkeys"),
        Err(e) => internal(lang, &e),
    }
}

fn problem(kind: ProblemKind, lang: Lang, hu: &str, en: &str) -> Response {
    Problem::with_detail(kind, lang.t(hu, en)).into_response()
}

fn unavailable(lang: Lang) -> Response {
    problem(
        ProblemKind::NotFound,
        lang,
        "Ezen a címen a passkey nem használható.",
        "Passkeys cannot be used at this address.",
    )
}

fn csrf_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok())
}

fn ceremony_cookie(p: &Provider, secret: &str) -> HeaderValue {
    cookies::set(
        PASSKEY_COOKIE,
        secret,
        CEREMONY_SECONDS,
        p.config.secure_cookies(),
    )
}

fn ceremony_secret(p: &Provider, headers: &HeaderMap) -> Option<String> {
    cookies::read(headers, PASSKEY_COOKIE, p.config.secure_cookies())
}

/// The signed-in person of a JSON step, its CSRF header checked.
async fn signed_json(
    p: &Provider,
    headers: &HeaderMap,
    lang: Lang,
) -> Result<(Signed, Passkeys), Response> {
    let Some(passkeys) = p.passkeys.clone() else {
        return Err(unavailable(lang));
    };
    let signed = match super::signed(p, headers).await {
        Ok(Some(signed)) => signed,
        Ok(None) => {
            return Err(problem(
                ProblemKind::Unauthenticated,
                lang,
                "Jelentkezzen be újra.",
                "Please sign in again.",
            ));
        }
        Err(e) => return Err(Problem::internal(&e).into_response()),
    };
    if !signed.accepts(csrf_header(headers)) {
        tracing::warn!("passkey step refused: CSRF token missing or wrong");
        return Err(problem(
            ProblemKind::Forbidden,
            lang,
            "A kérés nem ebből a böngészőből érkezett (CSRF-védelem).",
            "The request did not come from this browser (CSRF protection).",
        ));
    }
    Ok((signed, passkeys))
}

/// The first step of adding a passkey.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AccountPasskeyRegisterStart)]
pub struct RegisterStart {
    /// The current password; needed only when the sign-in is not recent.
    password: Option<String>,
}

/// `POST /account/passkeys/register/start`: the options for `navigator.credentials.create`.
#[utoipa::path(post, path = "/account/passkeys/register/start", tag = "account-pages", operation_id = "account_passkey_register_start",
    description = "Starts adding a passkey: the WebAuthn creation options (user verification required). Needs the session's CSRF token in `X-CSRF-Token`, and a sign-in of the last 10 minutes or the current password. Sets the ceremony's cookie.",
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body(content = RegisterStart, content_type = "application/json"),
    responses(
        (status = 200, description = "The creation options (WebAuthn `CredentialCreationOptions`, binary members base64url)", content_type = "application/json", body = Object),
        (status = 400, description = "The body is not such JSON", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "Not signed in, or the password is wrong", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "The CSRF token is missing or wrong", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "Passkeys cannot work at this provider's address", content_type = "application/problem+json", body = Problem),
        (status = 429, description = "Too many wrong passwords", content_type = "application/problem+json", body = Problem),
        (status = 500, description = "A failure", content_type = "application/problem+json", body = Problem)))]
pub async fn register_start(
    State(p): State<Provider>,
    lang: PageLang,
    headers: HeaderMap,
    address: ClientAddress,
    ApiJson(body): ApiJson<RegisterStart>,
) -> Response {
    let lang = lang.lang;
    let (signed, passkeys) = match signed_json(&p, &headers, lang).await {
        Ok(ok) => ok,
        Err(answer) => return answer,
    };
    if !recent(&p, &signed) {
        match p
            .accounts
            .authenticate(
                &signed.account.email,
                body.password.as_deref().unwrap_or_default(),
                address.text().as_deref(),
            )
            .await
        {
            Ok(_) => {}
            Err(AccountError::Throttled { .. }) => {
                return problem(
                    ProblemKind::TooManyRequests,
                    lang,
                    "Túl sok sikertelen próbálkozás. Próbálja újra később.",
                    "Too many failed attempts. Please try again later.",
                );
            }
            Err(AccountError::InvalidCredentials | AccountError::EmailNotVerified) => {
                return problem(
                    ProblemKind::Unauthenticated,
                    lang,
                    "A jelszó hibás.",
                    "The password is wrong.",
                );
            }
            Err(e) => return Problem::internal(&e).into_response(),
        }
    }
    let existing = match p.accounts.passkeys(signed.account.id).await {
        Ok(keys) => keys,
        Err(e) => return Problem::internal(&e).into_response(),
    };
    match passkeys
        .start_registration(&signed.account, &existing)
        .await
    {
        Ok((secret, options)) => json_with_cookie(&options, ceremony_cookie(&p, &secret)),
        Err(e) => Problem::internal(&e).into_response(),
    }
}

fn json_with_cookie(value: &impl Serialize, cookie: HeaderValue) -> Response {
    let mut response = axum::Json(value).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.append(header::SET_COOKIE, cookie);
    response
}

fn refused(lang: Lang, e: &PasskeyError) -> Response {
    match e {
        PasskeyError::NoCeremony => problem(
            ProblemKind::BadRequest,
            lang,
            "A passkey-kérés lejárt vagy már felhasználták. Próbálja újra.",
            "The passkey request has expired or was already used. Please try again.",
        ),
        PasskeyError::Refused => problem(
            ProblemKind::Unauthenticated,
            lang,
            "A passkey-t nem fogadtuk el.",
            "The passkey was not accepted.",
        ),
        PasskeyError::Taken => problem(
            ProblemKind::Conflict,
            lang,
            "Ez a passkey már regisztrálva van.",
            "This passkey is already registered.",
        ),
        PasskeyError::Storage(_) => Problem::internal(e).into_response(),
    }
}

/// Where the script goes next.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AccountPasskeyNext)]
pub struct Next {
    location: String,
}

/// The second step of adding a passkey.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AccountPasskeyRegisterFinish)]
pub struct RegisterFinish {
    /// The name the person gives it.
    name: String,
    /// The authenticator's answer (WebAuthn `PublicKeyCredential` of `create`, binary
    /// members base64url).
    #[schema(value_type = Object)]
    credential: RegisterPublicKeyCredential,
}

/// `POST /account/passkeys/register/finish`: the authenticator's answer; the passkey is stored.
#[utoipa::path(post, path = "/account/passkeys/register/finish", tag = "account-pages", operation_id = "account_passkey_register_finish",
    description = "Finishes adding a passkey with the authenticator's answer to this browser's started ceremony (its cookie; used once). The person is told by mail.",
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    request_body(content = RegisterFinish, content_type = "application/json"),
    responses(
        (status = 200, description = "Added: where to go next", content_type = "application/json", body = Next),
        (status = 400, description = "The body is not such JSON, or no ceremony of this browser is waiting", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "Not signed in, or the answer does not verify", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "The CSRF token is missing or wrong", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "Passkeys cannot work at this provider's address", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "The passkey is registered already", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "The name is empty or too long", content_type = "application/problem+json", body = Problem),
        (status = 500, description = "A failure", content_type = "application/problem+json", body = Problem)))]
pub async fn register_finish(
    State(p): State<Provider>,
    lang: PageLang,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RegisterFinish>,
) -> Response {
    let lang = lang.lang;
    let (signed, passkeys) = match signed_json(&p, &headers, lang).await {
        Ok(ok) => ok,
        Err(answer) => return answer,
    };
    if varoskapu_accounts::passkey_name(&body.name).is_err() {
        return problem(
            ProblemKind::ValidationFailed,
            lang,
            "A név 1–60 karakter legyen.",
            "The name must be 1 to 60 characters long.",
        );
    }
    let Some(secret) = ceremony_secret(&p, &headers) else {
        return refused(lang, &PasskeyError::NoCeremony);
    };
    match passkeys
        .finish_registration(
            &p.accounts,
            &secret,
            signed.account.id,
            &body.name,
            &body.credential,
        )
        .await
    {
        Ok(_) => json_with_cookie(
            &Next {
                location: "/account/passkeys?done=added".into(),
            },
            cookies::set(PASSKEY_COOKIE, "", 0, p.config.secure_cookies()),
        ),
        Err(e) => refused(lang, &e),
    }
}

/// `POST /account/passkeys/sign-in/start`: the options for `navigator.credentials.get`.
#[utoipa::path(post, path = "/account/passkeys/sign-in/start", tag = "account-pages", operation_id = "account_passkey_sign_in_start",
    description = "Starts signing in with a passkey (discoverable credential, user verification required). Needs the sign-in page's CSRF token (its cookie and `X-CSRF-Token`). Sets the ceremony's cookie.",
    params(("X-CSRF-Token" = String, Header, description = "The sign-in page's CSRF token")),
    responses(
        (status = 200, description = "The request options (WebAuthn `CredentialRequestOptions`, binary members base64url)", content_type = "application/json", body = Object),
        (status = 403, description = "The CSRF token is missing or wrong", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "Passkeys cannot work at this provider's address", content_type = "application/problem+json", body = Problem),
        (status = 500, description = "A failure", content_type = "application/problem+json", body = Problem)))]
pub async fn sign_in_start(
    State(p): State<Provider>,
    lang: PageLang,
    headers: HeaderMap,
) -> Response {
    let lang = lang.lang;
    let Some(passkeys) = p.passkeys.clone() else {
        return unavailable(lang);
    };
    if !csrf::form_accepted(&headers, p.config.secure_cookies(), csrf_header(&headers)) {
        return problem(
            ProblemKind::Forbidden,
            lang,
            "A kérés nem ebből a böngészőből érkezett (CSRF-védelem).",
            "The request did not come from this browser (CSRF protection).",
        );
    }
    match passkeys.start_sign_in().await {
        Ok((secret, mut options)) => {
            // A button starts it, so no conditional (autofill) mediation.
            options.mediation = None;
            json_with_cookie(&options, ceremony_cookie(&p, &secret))
        }
        Err(e) => Problem::internal(&e).into_response(),
    }
}

/// The answer of a passkey sign-in.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AccountPasskeySignIn)]
pub struct SignInFinish {
    /// The account page to go on to.
    return_to: Option<String>,
    /// The authenticator's answer (WebAuthn `PublicKeyCredential` of `get`, binary members
    /// base64url).
    #[schema(value_type = Object)]
    credential: PublicKeyCredential,
}

/// `POST /account/passkeys/sign-in/finish`: the session, as multi-factor.
#[utoipa::path(post, path = "/account/passkeys/sign-in/finish", tag = "account-pages", operation_id = "account_passkey_sign_in_finish",
    description = "Finishes signing in with a passkey: the answer to this browser's started ceremony (its cookie; used once). A new session starts whose assurance is multi-factor.",
    params(("X-CSRF-Token" = String, Header, description = "The sign-in page's CSRF token")),
    request_body(content = SignInFinish, content_type = "application/json"),
    responses(
        (status = 200, description = "Signed in: where to go next; sets the session cookie", content_type = "application/json", body = Next),
        (status = 400, description = "The body is not such JSON, or no ceremony of this browser is waiting", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "The passkey was not accepted", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "The CSRF token is missing or wrong", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "Passkeys cannot work at this provider's address", content_type = "application/problem+json", body = Problem),
        (status = 500, description = "A failure", content_type = "application/problem+json", body = Problem)))]
pub async fn sign_in_finish(
    State(p): State<Provider>,
    lang: PageLang,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignInFinish>,
) -> Response {
    let lang = lang.lang;
    let Some(passkeys) = p.passkeys.clone() else {
        return unavailable(lang);
    };
    let secure = p.config.secure_cookies();
    if !csrf::form_accepted(&headers, secure, csrf_header(&headers)) {
        return problem(
            ProblemKind::Forbidden,
            lang,
            "A kérés nem ebből a böngészőből érkezett (CSRF-védelem).",
            "The request did not come from this browser (CSRF protection).",
        );
    }
    let Some(secret) = ceremony_secret(&p, &headers) else {
        return refused(lang, &PasskeyError::NoCeremony);
    };
    let account = match passkeys
        .finish_sign_in(&p.accounts, &secret, &body.credential)
        .await
    {
        Ok(account) => account,
        Err(e) => return refused(lang, &e),
    };
    if let Some(old) = cookies::read(&headers, cookies::SESSION, secure)
        && let Err(e) = p.sessions.end(&old).await
    {
        return Problem::internal(&e).into_response();
    }
    match p.sessions.start(account.id, Some(ACR_MFA.to_owned())).await {
        Ok((session, _)) => {
            let mut response = json_with_cookie(
                &Next {
                    location: super::entry::safe_return(body.return_to.as_deref()),
                },
                cookies::set(cookies::SESSION, &session, p.config.session_seconds, secure),
            );
            response.headers_mut().append(
                header::SET_COOKIE,
                cookies::set(PASSKEY_COOKIE, "", 0, secure),
            );
            response
        }
        Err(e) => Problem::internal(&e).into_response(),
    }
}

/// `GET /assets/passkeys.js`: the pages' one script (WebAuthn in the browser).
#[utoipa::path(get, path = "/assets/passkeys.js", tag = "account-pages", operation_id = "account_passkeys_script",
    description = "The script of the passkey steps, the pages' one progressive enhancement.",
    responses((status = 200, description = "The script", content_type = "text/javascript", body = String)))]
pub async fn script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        SCRIPT,
    )
        .into_response()
}

/// The passkey button under a sign-in form (shown by the script where passkeys work).
pub(in crate::web) fn sign_in_section(lang: Lang, token: &str, return_to: &str) -> String {
    let e = varoskapu_web::escape;
    format!(
        r#"<section id="passkey-sign-in" data-passkey="sign-in" data-csrf="{}" data-return-to="{}" aria-labelledby="passkey-sign-in-title" hidden>
<h2 id="passkey-sign-in-title">{}</h2>
<p>{}</p>
<button type="button" id="passkey-sign-in-button">{}</button>
<p id="passkey-status" role="status" aria-live="polite"></p>
</section>
<script src="{SCRIPT_PATH}" defer></script>"#,
        e(token),
        e(return_to),
        lang.t("Belépés passkey-jel", "Sign in with a passkey"),
        lang.t(
            "Jelszó nélkül, telefonjával, számítógépével vagy biztonsági kulcsával.",
            "Without a password, with your phone, computer or security key.",
        ),
        lang.t("Belépés passkey-jel", "Sign in with a passkey"),
    )
}
