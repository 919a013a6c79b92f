//! The forms the provider's pages post, read once: the body parsed (a malformed one is a
//! page, not axum's text), the page's language, and for the pages of a pending sign-in
//! the request it continues, with its CSRF token and browser binding checked.

use super::browser::{PageError, internal};
use super::cookies::{self, BROWSER};
use super::pages::{self, Lang};
use crate::pending::PendingLogin;
use crate::provider::Provider;
use axum::extract::{Form, FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// A page in the person's language with a message of the status.
pub(in crate::web) fn refuse(
    lang: Lang,
    status: StatusCode,
    hu: &'static str,
    en: &'static str,
) -> PageError {
    PageError(pages::error(lang, status, lang.t(hu, en)))
}

/// The page of a form that did not come from this browser.
pub(super) fn csrf_refused(lang: Lang) -> PageError {
    refuse(
        lang,
        StatusCode::FORBIDDEN,
        "A kérés nem ebből a böngészőből érkezett (CSRF-védelem).",
        "The request did not come from this browser (CSRF protection).",
    )
}

/// The fields of a form one of the provider's pages posts.
pub(super) trait PageFields: DeserializeOwned + Send {
    /// The answer to a body that is no such form.
    fn malformed(lang: Lang) -> PageError {
        refuse(
            lang,
            StatusCode::BAD_REQUEST,
            "Hibás kérés.",
            "Malformed request.",
        )
    }
}

/// A posted form and the language to answer it in (the browser's preference).
pub(super) struct PageForm<T> {
    pub lang: Lang,
    pub form: T,
}

impl<T: PageFields> FromRequest<Provider> for PageForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, p: &Provider) -> Result<Self, Self::Rejection> {
        let lang = Lang::negotiate(request.headers(), None);
        match Form::<T>::from_request(request, p).await {
            Ok(Form(form)) => Ok(Self { lang, form }),
            Err(_) => Err(T::malformed(lang)),
        }
    }
}

/// The fields of a form that continues a pending sign-in (login, second factor, consent).
pub(super) trait PendingFields: PageFields {
    /// What the page is called in the message shown when its request has expired.
    const EXPIRED: (&'static str, &'static str);
    fn request_id(&self) -> Option<&str>;
    fn csrf(&self) -> Option<&str>;
}

/// A form of a pending sign-in whose request exists and whose CSRF token and browser
/// binding match it; anything else is refused with a page before the handler runs.
pub(super) struct PendingForm<T> {
    pub lang: Lang,
    pub form: T,
    pub request_id: String,
    pub pending: PendingLogin,
}

impl<T: PendingFields> PendingForm<T> {
    /// The page telling that this form's request has expired.
    pub fn expired(&self) -> PageError {
        expired::<T>(self.lang)
    }
}

fn expired<T: PendingFields>(lang: Lang) -> PageError {
    let (hu, en) = T::EXPIRED;
    refuse(lang, StatusCode::BAD_REQUEST, hu, en)
}

impl<T: PendingFields> FromRequest<Provider> for PendingForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, p: &Provider) -> Result<Self, Self::Rejection> {
        let browser = cookies::read(request.headers(), BROWSER, p.config.secure_cookies());
        let PageForm { lang, form } = PageForm::<T>::from_request(request, p).await?;
        let request_id = form.request_id().unwrap_or_default().to_owned();
        let Some(pending) = p
            .pending
            .get(&request_id)
            .await
            .map_err(|e| internal(lang, &e))?
        else {
            return Err(expired::<T>(lang));
        };
        if !pending.accepts(form.csrf(), browser.as_deref()) {
            tracing::warn!("page form refused: CSRF token or browser binding missing or wrong");
            return Err(csrf_refused(lang));
        }
        Ok(Self {
            lang,
            form,
            request_id,
            pending,
        })
    }
}
