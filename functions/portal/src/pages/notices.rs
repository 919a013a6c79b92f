//! The person's notices: every message the system wrote to them (the outbox), newest first.

use super::{unavailable, visitor_page};
use crate::PortalState;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use varoskapu_core::notify::OutboxNotifier;
use varoskapu_http::auth::OWN_CASES;
use varoskapu_web::{Lang, PageLang};

struct Notice {
    subject: String,
    body: String,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NoticesBody {
    lang: Lang,
    notices: Vec<Notice>,
}

/// `GET /notifications`.
pub async fn list(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
) -> Response {
    let visitor = match state
        .signin
        .visitor(&headers, &OWN_CASES, "/notifications")
        .await
    {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    let messages =
        match OutboxNotifier::messages_to(state.table.as_ref(), &visitor.principal.account).await {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(error = %e, "notices unavailable");
                return unavailable(&state, lang, Some(&visitor));
            }
        };
    let notices = messages
        .into_iter()
        .rev()
        .map(|m| Notice {
            subject: m.subject,
            body: m.body,
        })
        .collect();
    visitor_page(
        lang,
        lang.lang.t("Értesítéseim", "My notifications"),
        "/notifications",
        &visitor,
    )
    .template(&NoticesBody {
        lang: lang.lang,
        notices,
    })
}
