//! The pages before anyone is signed in: signing up, asking for a password-reset link, the
//! "check your e-mail" page both lead to, and signing in to the account pages (password,
//! then the second factor when the account has one).

use super::{
    forbidden, internal, password_hint, posted_lang, see_other, weakness_message, with_cookie,
};
use crate::provider::{ACR_MFA, ACR_PASSWORD, Provider};
use crate::secrets::{random_token, sha256_hex};
use crate::web::cookies::{self, SESSION};
use crate::web::form_page::{Field, FormPage};
use crate::web::page_form::{PageFields, PageForm};
use crate::web::pages::code_field;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use varoskapu_accounts::AccountError;
use varoskapu_accounts::account::normalize_email;
use varoskapu_accounts::password::weakness;
use varoskapu_core::{Condition, ItemWrite, Key};
use varoskapu_http::ClientAddress;
use varoskapu_web::{FieldErrors, Lang, Page, PageLang, csrf};

/// Where a sign-in may send the browser back to: an account page of this origin only.
pub(super) fn safe_return(return_to: Option<&str>) -> String {
    match return_to {
        Some(path)
            if path.starts_with("/account")
                && !path.starts_with("/account/sign-in")
                && !path.contains("//")
                && !path.contains('\\')
                && path.chars().all(|c| c.is_ascii_graphic()) =>
        {
            path.to_owned()
        }
        _ => "/account".to_owned(),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReturnQuery {
    return_to: Option<String>,
}

/// The sign-in form's fields.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AccountSignInForm)]
pub struct SignInForm {
    csrf: Option<String>,
    return_to: Option<String>,
    email: Option<String>,
    password: Option<String>,
}
impl PageFields for SignInForm {}

fn render_sign_in(
    lang: PageLang,
    status: StatusCode,
    token: &str,
    return_to: &str,
    email: &str,
    errors: FieldErrors,
) -> Response {
    let l = lang.lang;
    let mut form = FormPage::new("/account/sign-in", l.t("Bejelentkezés", "Sign in"))
        .intro(l.t(
            "Jelentkezzen be Városkapu-fiókjába.",
            "Sign in to your Városkapu account.",
        ))
        .hidden("csrf", token)
        .hidden("return_to", return_to)
        .field(
            Field::new(
                "email",
                l.t("E-mail-cím", "E-mail address"),
                "email",
                "username",
            )
            .value(email)
            .errors(&errors),
        )
        .field(
            Field::new(
                "password",
                l.t("Jelszó", "Password"),
                "password",
                "current-password",
            )
            .errors(&errors),
        )
        .link(
            "/account/password-reset",
            l.t("Elfelejtette a jelszavát?", "Forgot your password?"),
        )
        .link(
            "/account/register",
            l.t("Nincs még fiókja? Regisztráció", "No account yet? Register"),
        );
    form.after = super::passkey_sign_in_section(l, token, return_to);
    Page::new(lang, l.t("Bejelentkezés", "Sign in"))
        .errors(errors)
        .status(status)
        .scripts_from_self()
        .template(&form)
}

/// `GET /account/sign-in`: the form, or straight on when already signed in.
#[utoipa::path(get, path = "/account/sign-in", tag = "account-pages", operation_id = "account_sign_in_page",
    description = "The account pages' sign-in form, with links to registration and the forgotten-password page.",
    params(ReturnQuery),
    responses(
        (status = 200, description = "The form", content_type = "text/html", body = String),
        (status = 303, description = "Already signed in: on to the page asked for", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn sign_in_page(
    State(p): State<Provider>,
    lang: PageLang,
    headers: HeaderMap,
    Query(query): Query<ReturnQuery>,
) -> Response {
    let return_to = safe_return(query.return_to.as_deref());
    match super::signed(&p, &headers).await {
        Ok(Some(_)) => return see_other(&return_to),
        Ok(None) => {}
        Err(e) => return internal(lang.lang, &e),
    }
    let (token, cookie) = csrf::form_token(&headers, p.config.secure_cookies());
    with_cookie(
        render_sign_in(
            lang,
            StatusCode::OK,
            &token,
            &return_to,
            "",
            FieldErrors::default(),
        ),
        cookie,
    )
}

/// A correct password of an account with a second factor, waiting for its code.
#[derive(Serialize, Deserialize)]
struct AwaitingCode {
    account_id: Uuid,
    return_to: String,
}

fn awaiting_key(step: &str) -> Key {
    Key::new(
        format!("ACCOUNTSIGNIN#{}", sha256_hex(step)),
        "ACCOUNTSIGNIN",
    )
}

/// Starts the session (a fresh one: a planted cookie is worthless) and goes back.
async fn start_session(
    p: &Provider,
    headers: &HeaderMap,
    lang: Lang,
    account_id: Uuid,
    acr: &str,
    return_to: &str,
) -> Response {
    if let Some(old) = cookies::read(headers, SESSION, p.config.secure_cookies())
        && let Err(e) = p.sessions.end(&old).await
    {
        return internal(lang, &e);
    }
    match p.sessions.start(account_id, Some(acr.to_owned())).await {
        Ok((secret, _)) => {
            let cookie = cookies::set(
                SESSION,
                &secret,
                p.config.session_seconds,
                p.config.secure_cookies(),
            );
            with_cookie(see_other(return_to), Some(cookie))
        }
        Err(e) => internal(lang, &e),
    }
}

/// `POST /account/sign-in`: the password, then the session or the second factor.
#[utoipa::path(post, path = "/account/sign-in", tag = "account-pages", operation_id = "account_sign_in",
    description = "E-mail address and password; then the session, or the second-factor step.",
    request_body(content = SignInForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The second-factor step", content_type = "text/html", body = String),
        (status = 303, description = "Signed in: on to the page asked for", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 401, description = "The form again: wrong e-mail address or password", content_type = "text/html", body = String),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 429, description = "The form again: too many failed attempts", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn sign_in(
    State(p): State<Provider>,
    headers: HeaderMap,
    address: ClientAddress,
    PageForm { lang, form }: PageForm<SignInForm>,
) -> Response {
    let secure = p.config.secure_cookies();
    if !csrf::form_accepted(&headers, secure, form.csrf.as_deref()) {
        return forbidden(lang);
    }
    let token = form.csrf.unwrap_or_default();
    let return_to = safe_return(form.return_to.as_deref());
    let email = form.email.unwrap_or_default();
    let again = |status, message: &str| {
        let mut errors = FieldErrors::default();
        errors.add("password", message);
        render_sign_in(
            posted_lang(lang),
            status,
            &token,
            &return_to,
            &email,
            errors,
        )
    };
    let account = match p
        .accounts
        .authenticate(
            &email,
            form.password.as_deref().unwrap_or_default(),
            address.text().as_deref(),
        )
        .await
    {
        Ok(account) => account,
        Err(AccountError::InvalidCredentials) => {
            return again(
                StatusCode::UNAUTHORIZED,
                lang.t(
                    "Hibás e-mail-cím vagy jelszó.",
                    "Wrong e-mail address or password.",
                ),
            );
        }
        Err(AccountError::Throttled { .. }) => {
            return again(
                StatusCode::TOO_MANY_REQUESTS,
                lang.t(
                    "Túl sok sikertelen próbálkozás. Próbálja újra később.",
                    "Too many failed attempts. Please try again later.",
                ),
            );
        }
        Err(AccountError::EmailNotVerified) => {
            return again(
                StatusCode::FORBIDDEN,
                lang.t(
                    "Előbb erősítse meg e-mail-címét a kapott levélben.",
                    "Please confirm your e-mail address with the message we sent first.",
                ),
            );
        }
        Err(e) => return internal(lang, &e),
    };
    if !account.has_second_factor() {
        return start_session(&p, &headers, lang, account.id, ACR_PASSWORD, &return_to).await;
    }
    let step = random_token();
    let item = ItemWrite::from_serde(
        awaiting_key(&step),
        &AwaitingCode {
            account_id: account.id,
            return_to: return_to.clone(),
        },
    )
    .map(|item| item.expires_at(p.clock.unix_seconds() + p.config.login_seconds));
    let stored = match item {
        Ok(item) => p.table.put(item, Condition::NotExists).await,
        Err(e) => Err(e),
    };
    if let Err(e) = stored {
        return internal(lang, &e);
    }
    render_code(
        posted_lang(lang),
        StatusCode::OK,
        &token,
        &step,
        &return_to,
        FieldErrors::default(),
    )
}

/// The code step; a passkey of the account is accepted there too (it is itself a
/// multi-factor sign-in).
fn render_code(
    lang: PageLang,
    status: StatusCode,
    token: &str,
    step: &str,
    return_to: &str,
    errors: FieldErrors,
) -> Response {
    let l = lang.lang;
    let mut form = FormPage::new("/account/sign-in/second-factor", l.t("Tovább", "Continue"))
        .hidden("csrf", token)
        .hidden("step", step)
        .field(code_field(l, &errors));
    form.after = super::passkey_sign_in_section(l, token, return_to);
    Page::new(lang, l.t("Kétlépcsős azonosítás", "Two-step verification"))
        .scripts_from_self()
        .status(status)
        .errors(errors)
        .template(&form)
}

/// The second-factor form's fields.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AccountCodeForm)]
pub struct CodeForm {
    csrf: Option<String>,
    step: Option<String>,
    code: Option<String>,
}
impl PageFields for CodeForm {}

/// `POST /account/sign-in/second-factor`: the app's code or a recovery code, then the
/// session, whose assurance is the second factor's.
#[utoipa::path(post, path = "/account/sign-in/second-factor", tag = "account-pages", operation_id = "account_sign_in_second_factor",
    description = "The authenticator code or a recovery code; the session then counts as multi-factor.",
    request_body(content = CodeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Signed in", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 400, description = "The step has expired", content_type = "text/html", body = String),
        (status = 401, description = "The step again: the code is wrong or was used", content_type = "text/html", body = String),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 429, description = "The step again: too many failed attempts", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn sign_in_second_factor(
    State(p): State<Provider>,
    headers: HeaderMap,
    address: ClientAddress,
    PageForm { lang, form }: PageForm<CodeForm>,
) -> Response {
    if !csrf::form_accepted(&headers, p.config.secure_cookies(), form.csrf.as_deref()) {
        return forbidden(lang);
    }
    let token = form.csrf.unwrap_or_default();
    let step = form.step.unwrap_or_default();
    let key = awaiting_key(&step);
    let awaiting: AwaitingCode = match p.table.get(&key).await {
        Ok(Some(item)) => match item.parse() {
            Ok(awaiting) => awaiting,
            Err(e) => return internal(lang, &e),
        },
        Ok(None) => {
            return super::message(
                posted_lang(lang),
                StatusCode::BAD_REQUEST,
                lang.t("Bejelentkezés", "Sign in"),
                lang.t(
                    "A bejelentkezési oldal lejárt. Kérjük, jelentkezzen be újra.",
                    "The sign-in page has expired. Please sign in again.",
                ),
            );
        }
        Err(e) => return internal(lang, &e),
    };
    let again = |status, hu, en| {
        let mut errors = FieldErrors::default();
        errors.add("code", lang.t(hu, en));
        render_code(
            posted_lang(lang),
            status,
            &token,
            &step,
            &awaiting.return_to,
            errors,
        )
    };
    match p
        .accounts
        .verify_second_factor(
            awaiting.account_id,
            form.code.as_deref().unwrap_or_default(),
            address.text().as_deref(),
        )
        .await
    {
        Ok(()) => {}
        Err(AccountError::InvalidSecondFactor) => {
            return again(
                StatusCode::UNAUTHORIZED,
                "A kód hibás vagy már felhasználták.",
                "The code is wrong or was already used.",
            );
        }
        Err(AccountError::Throttled { .. }) => {
            return again(
                StatusCode::TOO_MANY_REQUESTS,
                "Túl sok sikertelen próbálkozás. Próbálja újra később.",
                "Too many failed attempts. Please try again later.",
            );
        }
        Err(e) => return internal(lang, &e),
    }
    // Once: a second use of the same step finds nothing.
    match p.table.delete(&key, Condition::Exists).await {
        Ok(()) => {}
        Err(e) if e.is_condition_failure() => return forbidden(lang),
        Err(e) => return internal(lang, &e),
    }
    start_session(
        &p,
        &headers,
        lang,
        awaiting.account_id,
        ACR_MFA,
        &awaiting.return_to,
    )
    .await
}

/// The sign-up form's fields.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AccountRegisterForm)]
pub struct RegisterForm {
    csrf: Option<String>,
    name: Option<String>,
    email: Option<String>,
    password: Option<String>,
}
impl PageFields for RegisterForm {}

fn render_register(
    lang: PageLang,
    token: &str,
    name: &str,
    email: &str,
    errors: FieldErrors,
    notice: Option<&str>,
) -> Response {
    let l = lang.lang;
    let form = FormPage::new("/account/register", l.t("Regisztráció", "Register"))
        .intro(l.t(
            "Városkapu-fiókkal intézheti ügyeit az önkormányzatnál, és beléphet a partneralkalmazásokba. A megadott címre megerősítő levelet küldünk.",
            "With a Városkapu account you deal with the municipality online and sign in to its partner apps. We send a confirmation message to the address you give.",
        ))
        .hidden("csrf", token)
        .field(
            Field::new("name", l.t("Teljes név", "Full name"), "text", "name")
                .hint(l.t("Családnév elöl, például: Kovács Anna", "Family name first, for example: Kovács Anna"))
                .value(name)
                .errors(&errors),
        )
        .field(
            Field::new("email", l.t("E-mail-cím", "E-mail address"), "email", "email")
                .value(email)
                .errors(&errors),
        )
        .field(
            Field::new("password", l.t("Jelszó", "Password"), "password", "new-password")
                .hint(password_hint(l))
                .errors(&errors),
        )
        .link("/account/sign-in", l.t("Van már fiókja? Bejelentkezés", "Already have an account? Sign in"));
    let mut page = Page::new(lang, l.t("Regisztráció", "Register")).errors(errors);
    if let Some(notice) = notice {
        page = page.notice(notice).status(StatusCode::TOO_MANY_REQUESTS);
    }
    page.template(&form)
}

/// `GET /account/register`: the sign-up form.
#[utoipa::path(get, path = "/account/register", tag = "account-pages", operation_id = "account_register_page",
    description = "The sign-up form: name, e-mail address, password with guidance.",
    responses(
        (status = 200, description = "The form", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn register_page(
    State(p): State<Provider>,
    lang: PageLang,
    headers: HeaderMap,
) -> Response {
    let (token, cookie) = csrf::form_token(&headers, p.config.secure_cookies());
    with_cookie(
        render_register(lang, &token, "", "", FieldErrors::default(), None),
        cookie,
    )
}

/// `POST /account/register`: signs up; the answer never tells whether the address had an
/// account (the mailbox is told instead).
#[utoipa::path(post, path = "/account/register", tag = "account-pages", operation_id = "account_register",
    description = "Signs up; the answer is the same whether or not the address had an account.",
    request_body(content = RegisterForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "To the check-your-e-mail page", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 422, description = "The form again with field errors", content_type = "text/html", body = String),
        (status = 429, description = "The form again: too many requests from here", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn register(
    State(p): State<Provider>,
    headers: HeaderMap,
    address: ClientAddress,
    PageForm { lang, form }: PageForm<RegisterForm>,
) -> Response {
    if !csrf::form_accepted(&headers, p.config.secure_cookies(), form.csrf.as_deref()) {
        return forbidden(lang);
    }
    let token = form.csrf.unwrap_or_default();
    let name = form.name.unwrap_or_default();
    let email = form.email.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    let mut errors = FieldErrors::default();
    if name.trim().is_empty() {
        errors.add("name", lang.t("Adja meg a nevét.", "Enter your name."));
    } else if name.trim().chars().count() > 200 {
        errors.add(
            "name",
            lang.t(
                "A név legfeljebb 200 karakter lehet.",
                "The name may be at most 200 characters long.",
            ),
        );
    }
    if normalize_email(&email).is_none() {
        errors.add(
            "email",
            lang.t(
                "Adjon meg egy érvényes e-mail-címet, például: nev@example.hu",
                "Enter a valid e-mail address, for example: name@example.hu",
            ),
        );
    }
    if let Some(weak) = weakness(&password) {
        errors.add("password", weakness_message(lang, weak));
    }
    if !errors.is_empty() {
        return render_register(posted_lang(lang), &token, &name, &email, errors, None);
    }
    match p
        .accounts
        .register(&email, &password, &name, address.text().as_deref())
        .await
    {
        Ok(()) => see_other("/account/check-email"),
        Err(AccountError::Throttled { .. }) => render_register(
            posted_lang(lang),
            &token,
            &name,
            &email,
            FieldErrors::default(),
            Some(lang.t(
                "Innen túl sok kérés érkezett. Kérjük, próbálja újra később.",
                "Too many requests came from here. Please try again later.",
            )),
        ),
        Err(e) => internal(lang, &e),
    }
}

/// `GET /account/check-email`: where sign-up and reset requests lead.
#[utoipa::path(get, path = "/account/check-email", tag = "account-pages", operation_id = "account_check_email",
    description = "Where sign-up and reset requests lead.",
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String)))]
pub async fn check_email(lang: PageLang) -> Response {
    let l = lang.lang;
    let body = format!(
        "<p>{}</p><p>{}</p><p><a href=\"/account/sign-in\">{}</a></p>",
        l.t(
            "Ha a megadott cím használható, levelet küldtünk rá a további teendőkkel. A levélben kapott link 24 órán át (jelszó-visszaállításnál 1 órán át) érvényes.",
            "If the address can be used, we have sent it a message with what to do next. Its link works for 24 hours (1 hour for a password reset).",
        ),
        l.t(
            "Nem érkezett levél? Nézze meg a levélszemét mappát is.",
            "No message? Please look in your spam folder too.",
        ),
        l.t("Bejelentkezés", "Sign in"),
    );
    Page::new(lang, l.t("Nézze meg a postafiókját", "Check your e-mail")).render(&body)
}

/// The reset request's fields.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AccountResetForm)]
pub struct ResetForm {
    csrf: Option<String>,
    email: Option<String>,
}
impl PageFields for ResetForm {}

fn render_reset(
    lang: PageLang,
    token: &str,
    email: &str,
    errors: FieldErrors,
    notice: Option<&str>,
) -> Response {
    let l = lang.lang;
    let form = FormPage::new(
        "/account/password-reset",
        l.t("Link kérése", "Send me a link"),
    )
    .intro(l.t(
        "Adja meg fiókja e-mail-címét: küldünk rá egy linket, amellyel új jelszót állíthat be.",
        "Enter your account's e-mail address: we send it a link to set a new password.",
    ))
    .hidden("csrf", token)
    .field(
        Field::new(
            "email",
            l.t("E-mail-cím", "E-mail address"),
            "email",
            "email",
        )
        .value(email)
        .errors(&errors),
    )
    .link(
        "/account/sign-in",
        l.t("Vissza a bejelentkezéshez", "Back to sign in"),
    );
    let mut page = Page::new(lang, l.t("Elfelejtett jelszó", "Forgotten password")).errors(errors);
    if let Some(notice) = notice {
        page = page.notice(notice).status(StatusCode::TOO_MANY_REQUESTS);
    }
    page.template(&form)
}

/// `GET /account/password-reset`: asks for the address to send a reset link to.
#[utoipa::path(get, path = "/account/password-reset", tag = "account-pages", operation_id = "account_password_reset_page",
    description = "Asks for the address to mail a password-reset link to.",
    responses(
        (status = 200, description = "The form", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn reset_page(State(p): State<Provider>, lang: PageLang, headers: HeaderMap) -> Response {
    let (token, cookie) = csrf::form_token(&headers, p.config.secure_cookies());
    with_cookie(
        render_reset(lang, &token, "", FieldErrors::default(), None),
        cookie,
    )
}

/// `POST /account/password-reset`: mails the link; the same answer for any address.
#[utoipa::path(post, path = "/account/password-reset", tag = "account-pages", operation_id = "account_password_reset",
    description = "Mails a reset link if the address has an account; the same answer either way.",
    request_body(content = ResetForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "To the check-your-e-mail page", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 422, description = "The form again: not an e-mail address", content_type = "text/html", body = String),
        (status = 429, description = "The form again: too many requests from here", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn request_reset(
    State(p): State<Provider>,
    headers: HeaderMap,
    address: ClientAddress,
    PageForm { lang, form }: PageForm<ResetForm>,
) -> Response {
    if !csrf::form_accepted(&headers, p.config.secure_cookies(), form.csrf.as_deref()) {
        return forbidden(lang);
    }
    let token = form.csrf.unwrap_or_default();
    let email = form.email.unwrap_or_default();
    if normalize_email(&email).is_none() {
        let mut errors = FieldErrors::default();
        errors.add(
            "email",
            lang.t(
                "Adjon meg egy érvényes e-mail-címet, például: nev@example.hu",
                "Enter a valid e-mail address, for example: name@example.hu",
            ),
        );
        return render_reset(posted_lang(lang), &token, &email, errors, None);
    }
    match p
        .accounts
        .request_password_reset(&email, address.text().as_deref())
        .await
    {
        Ok(()) => see_other("/account/check-email"),
        Err(AccountError::Throttled { .. }) => render_reset(
            posted_lang(lang),
            &token,
            &email,
            FieldErrors::default(),
            Some(lang.t(
                "Innen túl sok kérés érkezett. Kérjük, próbálja újra később.",
                "Too many requests came from here. Please try again later.",
            )),
        ),
        Err(e) => internal(lang, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return;

    #[test]
    fn a_sign_in_returns_only_to_an_account_page_of_this_origin() {
        assert_eq!(safe_return(Some("/account/apps")), "/account/apps");
        for bad in [
            "https://evil.example/",
            "//evil.example/account",
            "/account//evil",
            "/oauth2/x",
            "/account/sign-in",
        ] {
            assert_eq!(safe_return(Some(bad)), "/account", "{bad}");
        }
        assert_eq!(safe_return(None), "/account");
    }
}
