//! The second factor on the account page: enrolling an authenticator app with an SVG QR
//! code and a proving code, the one-time recovery codes, and turning it off.

use super::{Signed, account_page, internal, posted_lang, require, require_posted, see_other};
use crate::provider::Provider;
use crate::web::page_form::{PageFields, PageForm};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use varoskapu_accounts::{AccountError, totp};
use varoskapu_http::ClientAddress;
use varoskapu_web::{FieldErrors, Lang, PageLang};

/// A secret shown for scanning.
struct Enrolment {
    secret: String,
    qr_svg: String,
}

#[derive(Template)]
#[template(path = "account/second_factor.html")]
struct SecondFactorPage<'a> {
    lang: Lang,
    csrf: &'a str,
    on: bool,
    codes_left: usize,
    enrolment: Option<Enrolment>,
    code_error: Option<String>,
    password_error: Option<String>,
}

#[derive(Template)]
#[template(path = "account/recovery_codes.html")]
struct RecoveryCodesPage {
    lang: Lang,
    codes: Vec<String>,
}

/// The QR code of an `otpauth://` URI as an SVG the page embeds (no script, no request).
fn qr_svg(uri: &str) -> Result<String, String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| e.to_string())?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build())
}

fn render(
    lang: PageLang,
    signed: &Signed,
    enrolment: Option<String>,
    code_error: Option<String>,
    password_error: Option<String>,
) -> Response {
    let l = lang.lang;
    let enrolment = match enrolment {
        Some(secret) => {
            let uri = totp::otpauth_uri("Városkapu", &signed.account.email, &secret);
            match qr_svg(&uri) {
                Ok(qr_svg) => Some(Enrolment {
                    // Grouped by four for typing; authenticator apps ignore the spaces.
                    secret: secret
                        .as_bytes()
                        .chunks(4)
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect::<Vec<_>>()
                        .join(" "),
                    qr_svg,
                }),
                Err(e) => return internal(l, &e),
            }
        }
        None => None,
    };
    let mut errors = FieldErrors::default();
    if let Some(e) = &code_error {
        errors.add("code", e.clone());
    }
    if let Some(e) = &password_error {
        errors.add("password", e.clone());
    }
    account_page(
        lang,
        l.t("Kétlépcsős azonosítás", "Two-step verification"),
        signed,
        "/account/second-factor",
    )
    .errors(errors)
    .template(&SecondFactorPage {
        lang: l,
        csrf: &signed.session.csrf,
        on: signed.account.has_second_factor(),
        codes_left: signed.account.recovery_codes.len(),
        enrolment,
        code_error,
        password_error,
    })
}

/// `GET /account/second-factor`: its state, and the enrolment under way if any.
#[utoipa::path(get, path = "/account/second-factor", tag = "account-pages", operation_id = "account_second_factor_page",
    description = "The second factor: off, being enrolled (SVG QR code and secret), or on.",
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 303, description = "Not signed in: to the sign-in page, which comes back here", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn page(State(p): State<Provider>, lang: PageLang, headers: HeaderMap) -> Response {
    let signed = match require(&p, &headers, lang.lang, "/account/second-factor").await {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    let pending = if signed.account.has_second_factor() {
        None
    } else {
        match p.accounts.pending_totp(signed.account.id).await {
            Ok(pending) => pending,
            Err(e) => return internal(lang.lang, &e),
        }
    };
    render(lang, &signed, pending, None, None)
}

/// The second-factor forms' fields.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AccountFactorForm)]
pub struct FactorForm {
    csrf: Option<String>,
    code: Option<String>,
    password: Option<String>,
}
impl PageFields for FactorForm {}

/// `POST /account/second-factor`: a new secret to scan, shown on the page.
#[utoipa::path(post, path = "/account/second-factor", tag = "account-pages", operation_id = "account_second_factor_start",
    description = "A new authenticator secret to scan.",
    request_body(content = FactorForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Back to the page, which shows it", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn start(
    State(p): State<Provider>,
    headers: HeaderMap,
    PageForm { lang, form }: PageForm<FactorForm>,
) -> Response {
    let signed = match require_posted(
        &p,
        &headers,
        lang,
        "/account/second-factor",
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    if signed.account.has_second_factor() {
        return see_other("/account/second-factor");
    }
    match p.accounts.start_totp_enrolment(signed.account.id).await {
        Ok(_) => see_other("/account/second-factor"),
        Err(e) => internal(lang, &e),
    }
}

/// `POST /account/second-factor/confirm`: the code proves the scan; the recovery codes are
/// shown this once.
#[utoipa::path(post, path = "/account/second-factor/confirm", tag = "account-pages", operation_id = "account_second_factor_confirm",
    description = "The code proves the scan; the recovery codes are shown this once.",
    request_body(content = FactorForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The recovery codes", content_type = "text/html", body = String),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 422, description = "The page again: the code is wrong", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn confirm(
    State(p): State<Provider>,
    headers: HeaderMap,
    PageForm { lang, form }: PageForm<FactorForm>,
) -> Response {
    let signed = match require_posted(
        &p,
        &headers,
        lang,
        "/account/second-factor",
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    match p
        .accounts
        .confirm_totp(signed.account.id, form.code.as_deref().unwrap_or_default())
        .await
    {
        Ok(codes) => codes_page(posted_lang(lang), &signed, codes),
        Err(AccountError::InvalidSecondFactor) => {
            let pending = p
                .accounts
                .pending_totp(signed.account.id)
                .await
                .ok()
                .flatten();
            let error = lang.t(
                "A kód hibás. Írja be az alkalmazás által most mutatott 6 jegyű kódot.",
                "The code is wrong. Enter the 6-digit code the app shows now.",
            );
            render(
                posted_lang(lang),
                &signed,
                pending,
                Some(error.into()),
                None,
            )
        }
        Err(AccountError::InvalidToken) => see_other("/account/second-factor"),
        Err(e) => internal(lang, &e),
    }
}

fn codes_page(lang: PageLang, signed: &Signed, codes: Vec<String>) -> Response {
    let l = lang.lang;
    account_page(
        lang,
        l.t("Helyreállító kódok", "Recovery codes"),
        signed,
        "/account/second-factor",
    )
    .notice(l.t(
        "A kétlépcsős azonosítás be van kapcsolva.",
        "Two-step verification is on.",
    ))
    .template(&RecoveryCodesPage { lang: l, codes })
}

/// `POST /account/second-factor/recovery-codes`: new codes, shown this once.
#[utoipa::path(post, path = "/account/second-factor/recovery-codes", tag = "account-pages", operation_id = "account_recovery_codes",
    description = "New recovery codes, shown this once; the old ones stop working.",
    request_body(content = FactorForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The new codes", content_type = "text/html", body = String),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn renew_codes(
    State(p): State<Provider>,
    headers: HeaderMap,
    PageForm { lang, form }: PageForm<FactorForm>,
) -> Response {
    let signed = match require_posted(
        &p,
        &headers,
        lang,
        "/account/second-factor",
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    match p.accounts.renew_recovery_codes(signed.account.id).await {
        Ok(codes) => codes_page(posted_lang(lang), &signed, codes),
        Err(AccountError::NotFound) => see_other("/account/second-factor"),
        Err(e) => internal(lang, &e),
    }
}

/// `POST /account/second-factor/off`: with the current password.
#[utoipa::path(post, path = "/account/second-factor/off", tag = "account-pages", operation_id = "account_second_factor_off",
    description = "Turns the second factor off with the current password.",
    request_body(content = FactorForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Back to the page", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 422, description = "The page again: the password is wrong", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn turn_off(
    State(p): State<Provider>,
    headers: HeaderMap,
    address: ClientAddress,
    PageForm { lang, form }: PageForm<FactorForm>,
) -> Response {
    let signed = match require_posted(
        &p,
        &headers,
        lang,
        "/account/second-factor",
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    let refused = |hu, en| {
        render(
            posted_lang(lang),
            &signed,
            None,
            None,
            Some(lang.t(hu, en).to_owned()),
        )
    };
    match p
        .accounts
        .disable_totp(
            signed.account.id,
            form.password.as_deref().unwrap_or_default(),
            address.text().as_deref(),
        )
        .await
    {
        Ok(()) => see_other("/account/second-factor"),
        Err(AccountError::InvalidCredentials) => {
            refused("A jelszó hibás.", "The password is wrong.")
        }
        Err(AccountError::Throttled { .. }) => refused(
            "Túl sok sikertelen próbálkozás. Próbálja újra később.",
            "Too many failed attempts. Please try again later.",
        ),
        Err(e) => internal(lang, &e),
    }
}
