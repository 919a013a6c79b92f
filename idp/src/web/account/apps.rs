//! "Apps with access": the partner apps the person consented to, each with a button that
//! withdraws the consent and revokes the app's tokens for this person.

use super::{account_page, internal, require, require_posted, see_other};
use crate::account::AppWithAccess;
use crate::provider::Provider;
use crate::web::page_form::{PageFields, PageForm};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use varoskapu_web::{Lang, PageLang};

#[derive(Template)]
#[template(path = "account/apps.html")]
struct AppsPage<'a> {
    lang: Lang,
    csrf: &'a str,
    apps: Vec<AppWithAccess>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Withdrawn {
    withdrawn: Option<String>,
}

/// `GET /account/apps`.
#[utoipa::path(get, path = "/account/apps", tag = "account-pages", operation_id = "account_apps",
    description = "The partner apps the person consented to.",
    params(Withdrawn),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 303, description = "Not signed in: to the sign-in page, which comes back here", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn page(
    State(p): State<Provider>,
    lang: PageLang,
    headers: HeaderMap,
    Query(done): Query<Withdrawn>,
) -> Response {
    let signed = match require(&p, &headers, lang.lang, "/account/apps").await {
        Ok(signed) => signed,
        Err(answer) => return answer,
    };
    let apps = match p.apps_with_access(signed.account.id).await {
        Ok(apps) => apps,
        Err(e) => return internal(lang.lang, &e),
    };
    let l = lang.lang;
    let mut page = account_page(
        lang,
        l.t("Hozzáféréssel rendelkező alkalmazások", "Apps with access"),
        &signed,
        "/account/apps",
    );
    if done.withdrawn.is_some() {
        page = page.notice(l.t(
            "A hozzáférést visszavontuk; az alkalmazás bejelentkezései és tokenjei érvényüket vesztették.",
            "Access has been withdrawn; the app's sign-ins and tokens no longer work.",
        ));
    }
    page.template(&AppsPage {
        lang: l,
        csrf: &signed.session.csrf,
        apps,
    })
}

/// The withdraw button's fields.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AccountWithdrawForm)]
pub struct WithdrawForm {
    csrf: Option<String>,
    client_id: Option<String>,
}
impl PageFields for WithdrawForm {}

/// `POST /account/apps/withdraw`.
#[utoipa::path(post, path = "/account/apps/withdraw", tag = "account-pages", operation_id = "account_apps_withdraw",
    description = "Withdraws an app's consent and revokes its tokens for this person.",
    request_body(content = WithdrawForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Back to the list", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 403, description = "The form's CSRF token is missing or wrong: nothing changed", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn withdraw(
    State(p): State<Provider>,
    headers: HeaderMap,
    PageForm { lang, form }: PageForm<WithdrawForm>,
) -> Response {
    let signed =
        match require_posted(&p, &headers, lang, "/account/apps", form.csrf.as_deref()).await {
            Ok(signed) => signed,
            Err(answer) => return answer,
        };
    let client_id = form.client_id.unwrap_or_default();
    match p.withdraw_consent(signed.account.id, &client_id).await {
        Ok(_) => see_other("/account/apps?withdrawn=1"),
        Err(e) => internal(lang, &e),
    }
}
