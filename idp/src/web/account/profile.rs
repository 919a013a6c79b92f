//! The account overview and the changes of name, e-mail address and password.

use super::{
    Signed, account_page, forbidden, internal, password_hint, posted_lang, require, require_posted,
    see_other, weakness_message,
};
use crate::provider::Provider;
use crate::web::form_page::{Field, FormPage};
use crate::web::page_form::{PageFields, PageForm};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use varoskapu_accounts::AccountError;
use varoskapu_accounts::account::normalize_email;
use varoskapu_accounts::password::weakness;
use varoskapu_http::ClientAddress;
use varoskapu_web::{FieldErrors, Lang, Page, PageLang};

#[derive(Template)]
#[template(path = "account/overview.html")]
struct Overview<'a> {
    lang: Lang,
    name: &'a str,
    email: &'a str,
    second_factor: bool,
}

/// Which change the overview's notice confirms (`?done=`).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Done {
    done: Option<String>,
}

/// `GET /account`: the person's details and the ways to change them.
#[utoipa::path(get, path = "/account", tag = "account-pages", operation_id = "account_overview",
    description = "The person's details and the ways to change them.",
    params(Done),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 303, description = "Not signed in: to the sign-in page, which comes back here", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn overview(
    State(p): State<Provider>,
    lang: PageLang,
    headers: HeaderMap,
    Query(done): Query<Done>,
) -> Response {
    let signed = match require(&p, &headers, lang.lang, "/account").await {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    let l = lang.lang;
    let mut page = account_page(lang, l.t("Fiókom", "My account"), &signed, "/account");
    let notice = match done.done.as_deref() {
        Some("name") => Some(l.t("A nevét módosítottuk.", "Your name has been changed.")),
        Some("email-sent") => Some(l.t(
            "Az új címre megerősítő linket küldtünk; a cím a link megnyitásakor változik meg.",
            "We have sent a confirmation link to the new address; the address changes once it is opened.",
        )),
        Some("email") => Some(l.t("Az e-mail-címét módosítottuk.", "Your e-mail address has been changed.")),
        _ => None,
    };
    if let Some(notice) = notice {
        page = page.notice(notice);
    }
    page.template(&Overview {
        lang: l,
        name: &signed.account.name,
        email: &signed.account.email,
        second_factor: signed.account.has_second_factor(),
    })
}

/// The fields of the account page's forms (each reads those it has).
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AccountChangeForm)]
pub struct ChangeForm {
    csrf: Option<String>,
    name: Option<String>,
    email: Option<String>,
    current_password: Option<String>,
    new_password: Option<String>,
    token: Option<String>,
}
impl PageFields for ChangeForm {}

fn name_form(lang: PageLang, signed: &Signed, value: &str, errors: FieldErrors) -> Response {
    let l = lang.lang;
    let form = FormPage::new("/account/name", l.t("Mentés", "Save"))
        .hidden("csrf", &signed.session.csrf)
        .field(
            Field::new("name", l.t("Teljes név", "Full name"), "text", "name")
                .hint(l.t(
                    "Családnév elöl, például: Kovács Anna",
                    "Family name first, for example: Kovács Anna",
                ))
                .value(value)
                .errors(&errors),
        )
        .link("/account", l.t("Vissza a fiókhoz", "Back to your account"));
    account_page(lang, l.t("Név módosítása", "Change your name"), signed, "")
        .errors(errors)
        .template(&form)
}

/// `GET /account/name`.
#[utoipa::path(get, path = "/account/name", tag = "account-pages", operation_id = "account_name_page",
    description = "The name form.",
    responses(
        (status = 200, description = "The form", content_type = "text/html", body = String),
        (status = 303, description = "Not signed in: to the sign-in page, which comes back here", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn name_page(State(p): State<Provider>, lang: PageLang, headers: HeaderMap) -> Response {
    match require(&p, &headers, lang.lang, "/account/name").await {
        Ok(signed) => {
            let name = signed.account.name.clone();
            name_form(lang, &signed, &name, FieldErrors::default())
        }
        Err(answer) => answer,
    }
}

/// `POST /account/name`.
#[utoipa::path(post, path = "/account/name", tag = "account-pages", operation_id = "account_change_name",
    description = "Changes the name.",
    request_body(content = ChangeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "To the account page", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 422, description = "The form again with the field error", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn change_name(
    State(p): State<Provider>,
    headers: HeaderMap,
    PageForm { lang, form }: PageForm<ChangeForm>,
) -> Response {
    let signed =
        match require_posted(&p, &headers, lang, "/account/name", form.csrf.as_deref()).await {
            Ok(signed) => signed,
            Err(answer) => return answer,
        };
    let name = form.name.unwrap_or_default();
    match p.accounts.change_name(signed.account.id, &name).await {
        Ok(()) => see_other("/account?done=name"),
        Err(AccountError::InvalidName) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "name",
                lang.t(
                    "Adja meg a nevét (legfeljebb 200 karakter).",
                    "Enter your name (at most 200 characters).",
                ),
            );
            name_form(posted_lang(lang), &signed, &name, errors)
        }
        Err(e) => internal(lang, &e),
    }
}

fn email_form(lang: PageLang, signed: &Signed, value: &str, errors: FieldErrors) -> Response {
    let l = lang.lang;
    let form = FormPage::new("/account/email", l.t("Megerősítő link küldése", "Send a confirmation link"))
        .intro(l.t(
            "Az új címre megerősítő linket küldünk; a cím csak a link megnyitása után változik meg. A régi címre értesítést küldünk.",
            "We send a confirmation link to the new address; the address changes only once it is opened. The old address is told.",
        ))
        .hidden("csrf", &signed.session.csrf)
        .field(
            Field::new("email", l.t("Új e-mail-cím", "New e-mail address"), "email", "email")
                .value(value)
                .errors(&errors),
        )
        .link("/account", l.t("Vissza a fiókhoz", "Back to your account"));
    account_page(
        lang,
        l.t("E-mail-cím módosítása", "Change your e-mail address"),
        signed,
        "",
    )
    .errors(errors)
    .template(&form)
}

/// `GET /account/email`.
#[utoipa::path(get, path = "/account/email", tag = "account-pages", operation_id = "account_email_page",
    description = "The new-address form.",
    responses(
        (status = 200, description = "The form", content_type = "text/html", body = String),
        (status = 303, description = "Not signed in: to the sign-in page, which comes back here", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn email_page(State(p): State<Provider>, lang: PageLang, headers: HeaderMap) -> Response {
    match require(&p, &headers, lang.lang, "/account/email").await {
        Ok(signed) => email_form(lang, &signed, "", FieldErrors::default()),
        Err(answer) => answer,
    }
}

/// `POST /account/email`: mails the new address a confirmation link.
#[utoipa::path(post, path = "/account/email", tag = "account-pages", operation_id = "account_change_email",
    description = "Mails a confirmation link to the new address and tells the old one.",
    request_body(content = ChangeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "To the account page", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 422, description = "The form again with the field error", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn change_email(
    State(p): State<Provider>,
    headers: HeaderMap,
    address: ClientAddress,
    PageForm { lang, form }: PageForm<ChangeForm>,
) -> Response {
    let signed =
        match require_posted(&p, &headers, lang, "/account/email", form.csrf.as_deref()).await {
            Ok(signed) => signed,
            Err(answer) => return answer,
        };
    let email = form.email.unwrap_or_default();
    let invalid = || {
        let mut errors = FieldErrors::default();
        errors.add(
            "email",
            lang.t(
                "Adjon meg egy érvényes e-mail-címet, például: nev@example.hu",
                "Enter a valid e-mail address, for example: name@example.hu",
            ),
        );
        email_form(posted_lang(lang), &signed, &email, errors)
    };
    if normalize_email(&email).is_none() {
        return invalid();
    }
    match p
        .accounts
        .request_email_change(signed.account.id, &email, address.text().as_deref())
        .await
    {
        Ok(()) => see_other("/account?done=email-sent"),
        Err(AccountError::InvalidEmail) => invalid(),
        Err(AccountError::Throttled { .. }) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "email",
                lang.t(
                    "Túl sok kérés. Kérjük, próbálja újra később.",
                    "Too many requests. Please try again later.",
                ),
            );
            email_form(posted_lang(lang), &signed, &email, errors)
        }
        Err(e) => internal(lang, &e),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    token: Option<String>,
}

/// `GET /account/email/confirm?token=…`: the mailed link's page. Opening it changes
/// nothing (mail scanners open links too); its button does. It needs no sign-in: the token
/// proves the mailbox, and it was asked for from a signed-in session.
#[utoipa::path(get, path = "/account/email/confirm", tag = "account-pages", operation_id = "account_confirm_email_page",
    description = "The mailed link's page; opening it changes nothing.",
    params(TokenQuery),
    responses(
        (status = 200, description = "The confirmation form", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn confirm_email_page(
    State(p): State<Provider>,
    lang: PageLang,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Response {
    let l = lang.lang;
    let (csrf_token, cookie) = varoskapu_web::csrf::form_token(&headers, p.config.secure_cookies());
    let form = FormPage::new("/account/email/confirm", l.t("Megerősítem", "Confirm"))
        .intro(l.t(
            "Erősítse meg, hogy Városkapu-fiókja ezt az e-mail-címet használja.",
            "Confirm that your Városkapu account uses this e-mail address.",
        ))
        .hidden("csrf", &csrf_token)
        .hidden("token", query.token.as_deref().unwrap_or_default());
    super::with_cookie(
        Page::new(
            lang,
            l.t(
                "Új e-mail-cím megerősítése",
                "Confirm your new e-mail address",
            ),
        )
        .template(&form),
        cookie,
    )
}

/// `POST /account/email/confirm`: moves the account to the new address.
#[utoipa::path(post, path = "/account/email/confirm", tag = "account-pages", operation_id = "account_confirm_email",
    description = "Moves the account to the new address.",
    request_body(content = ChangeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "To the account page", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 400, description = "The link is invalid, expired or its address taken meanwhile", content_type = "text/html", body = String),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn confirm_email(
    State(p): State<Provider>,
    headers: HeaderMap,
    PageForm { lang, form }: PageForm<ChangeForm>,
) -> Response {
    if !varoskapu_web::csrf::form_accepted(
        &headers,
        p.config.secure_cookies(),
        form.csrf.as_deref(),
    ) {
        return forbidden(lang);
    }
    match p
        .accounts
        .confirm_email_change(form.token.as_deref().unwrap_or_default())
        .await
    {
        Ok(_) => see_other("/account?done=email"),
        Err(AccountError::InvalidToken) => super::message(
            posted_lang(lang),
            StatusCode::BAD_REQUEST,
            lang.t("Új e-mail-cím megerősítése", "Confirm your new e-mail address"),
            lang.t(
                "A link érvénytelen vagy lejárt, vagy a címet időközben más fiók vette használatba. Kérjen új linket a fiókoldalon.",
                "The link is invalid or has expired, or another account has taken the address meanwhile. Ask for a new link on your account page.",
            ),
        ),
        Err(e) => internal(lang, &e),
    }
}

fn password_form(lang: PageLang, signed: &Signed, errors: FieldErrors) -> Response {
    let l = lang.lang;
    let form = FormPage::new("/account/password", l.t("Jelszó módosítása", "Change password"))
        .intro(l.t(
            "A módosítás után minden eszközön kijelentkeztetjük, ezen is: utána az új jelszóval lépjen be.",
            "After the change you are signed out everywhere, here too: then sign in with the new password.",
        ))
        .hidden("csrf", &signed.session.csrf)
        .field(
            Field::new("current_password", l.t("Jelenlegi jelszó", "Current password"), "password", "current-password")
                .errors(&errors),
        )
        .field(
            Field::new("new_password", l.t("Új jelszó", "New password"), "password", "new-password")
                .hint(password_hint(l))
                .errors(&errors),
        )
        .link("/account", l.t("Vissza a fiókhoz", "Back to your account"));
    account_page(
        lang,
        l.t("Jelszó módosítása", "Change your password"),
        signed,
        "",
    )
    .errors(errors)
    .template(&form)
}

/// `GET /account/password`.
#[utoipa::path(get, path = "/account/password", tag = "account-pages", operation_id = "account_password_page",
    description = "The password-change form.",
    responses(
        (status = 200, description = "The form", content_type = "text/html", body = String),
        (status = 303, description = "Not signed in: to the sign-in page, which comes back here", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn password_page(
    State(p): State<Provider>,
    lang: PageLang,
    headers: HeaderMap,
) -> Response {
    match require(&p, &headers, lang.lang, "/account/password").await {
        Ok(signed) => password_form(lang, &signed, FieldErrors::default()),
        Err(answer) => answer,
    }
}

/// `POST /account/password`: the current password, then the new one; every session ends.
#[utoipa::path(post, path = "/account/password", tag = "account-pages", operation_id = "account_change_password",
    description = "Checks the current password, sets the new one and ends every session.",
    request_body(content = ChangeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Changed: sign in again", content_type = "text/html", body = String),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 422, description = "The form again with field errors", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn change_password(
    State(p): State<Provider>,
    headers: HeaderMap,
    address: ClientAddress,
    PageForm { lang, form }: PageForm<ChangeForm>,
) -> Response {
    let signed = match require_posted(
        &p,
        &headers,
        lang,
        "/account/password",
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    let new_password = form.new_password.unwrap_or_default();
    let mut errors = FieldErrors::default();
    if let Some(weak) = weakness(&new_password) {
        errors.add("new_password", weakness_message(lang, weak));
        return password_form(posted_lang(lang), &signed, errors);
    }
    match p
        .accounts
        .change_password(
            signed.account.id,
            form.current_password.as_deref().unwrap_or_default(),
            &new_password,
            address.text().as_deref(),
        )
        .await
    {
        Ok(()) => {
            if let Err(e) = p.sessions.end(&signed.secret).await {
                return internal(lang, &e);
            }
            super::with_cookie(
                super::message(
                    posted_lang(lang),
                    StatusCode::OK,
                    lang.t("Jelszó módosítva", "Password changed"),
                    lang.t(
                        "Az új jelszót beállítottuk, és minden korábbi bejelentkezés véget ért. Jelentkezzen be az új jelszóval.",
                        "Your new password is set and every earlier sign-in has ended. Sign in with the new password.",
                    ),
                ),
                Some(crate::web::cookies::set(
                    crate::web::cookies::SESSION,
                    "",
                    0,
                    p.config.secure_cookies(),
                )),
            )
        }
        Err(AccountError::InvalidCredentials) => {
            errors.add(
                "current_password",
                lang.t(
                    "A jelenlegi jelszó hibás.",
                    "The current password is wrong.",
                ),
            );
            password_form(posted_lang(lang), &signed, errors)
        }
        Err(AccountError::Throttled { .. }) => {
            errors.add(
                "current_password",
                lang.t(
                    "Túl sok sikertelen próbálkozás. Próbálja újra később.",
                    "Too many failed attempts. Please try again later.",
                ),
            );
            password_form(posted_lang(lang), &signed, errors)
        }
        Err(AccountError::WeakPassword) => {
            errors.add("new_password", password_hint(lang));
            password_form(posted_lang(lang), &signed, errors)
        }
        Err(e) => internal(lang, &e),
    }
}
