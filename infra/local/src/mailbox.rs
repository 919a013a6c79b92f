//! The demo mailbox: every message the system "sent" (verification and reset links, case
//! and payment notices, reminders), read from the outbox and shown per person, so that a
//! newcomer completes registration in the browser. Mounted in demo mode only.
//!
//! Messages are grouped by the address they reach: a message to an account is shown under
//! the account's address (looked up through the [`AddressBook`]), beside any message sent
//! to the address itself. A mail body is untrusted text: everything is escaped, and only
//! `http(s)` links to this server's own public base URL become links.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use std::collections::HashMap;
use std::sync::Arc;
use varoskapu_core::notify::{AddressBook, DeliveryState, Outbox, OutboxEntry};
use varoskapu_web::{Lang, Page, PageLang, escape};

/// Most messages the recipients' list reads (the outbox keeps 30 days).
const LISTED_MESSAGES: usize = 5_000;

/// What the mailbox pages read.
#[derive(Clone)]
pub struct MailboxState {
    pub outbox: Outbox,
    pub addresses: Arc<dyn AddressBook>,
    /// Where this server is reached: only links under it are clickable.
    pub public_base_url: url::Url,
}

/// The mailbox of the local server's outbox, its addresses looked up among the accounts.
pub fn state(ports: &crate::LocalPorts) -> anyhow::Result<MailboxState> {
    Ok(MailboxState {
        outbox: Outbox::new(ports.table.clone(), ports.clock.clone()),
        addresses: Arc::new(varoskapu_accounts::AccountAddresses::new(
            ports.table.clone(),
        )),
        public_base_url: url::Url::parse(&ports.public_base_url).map_err(|e| {
            anyhow::anyhow!(
                "the public base URL {} is not a URL: {e}",
                ports.public_base_url
            )
        })?,
    })
}

/// `GET /mailbox`, `/mailbox/{recipient}`, `/mailbox/{recipient}/{message}` and its
/// attachments.
pub fn router(state: MailboxState) -> Router {
    Router::new()
        .route("/mailbox", get(index))
        .route("/mailbox/{recipient}", get(recipient))
        .route("/mailbox/{recipient}/{message}", get(message))
        .route(
            "/mailbox/{recipient}/{message}/attachments/{index}",
            get(attachment),
        )
        .with_state(state)
}

#[derive(askama::Template)]
#[template(path = "mailbox/index.html")]
struct IndexPage {
    lang: Lang,
    rows: Vec<RecipientRow>,
}

struct RecipientRow {
    address: String,
    key_path: String,
    accounts: Vec<String>,
    count: usize,
    newest: String,
}

/// The messages that reach one address (or one recipient without an address).
struct Group {
    key: String,
    address: Option<String>,
    accounts: Vec<String>,
    count: usize,
    newest: i64,
}

#[derive(askama::Template)]
#[template(path = "mailbox/recipient.html")]
struct RecipientPage {
    lang: Lang,
    key_path: String,
    rows: Vec<MessageRow>,
}

struct MessageRow {
    id: String,
    subject: String,
    queued: String,
    channel: &'static str,
    kind: String,
    delivery: &'static str,
}

#[derive(askama::Template)]
#[template(path = "mailbox/message.html")]
struct MessagePage {
    lang: Lang,
    key_path: String,
    id: String,
    to: String,
    account: Option<String>,
    queued: String,
    channel: &'static str,
    kind: String,
    delivery: &'static str,
    body: String,
    attachments: Vec<AttachmentRow>,
}

struct AttachmentRow {
    index: usize,
    name: String,
    content_type: String,
}

/// Something the mailbox could not read.
struct Failure;

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    }
}

fn failed(e: impl std::fmt::Display) -> Failure {
    tracing::warn!(error = %e, "the mailbox could not read the outbox");
    Failure
}

async fn index(State(state): State<MailboxState>, lang: PageLang) -> Result<Response, Failure> {
    let entries = state.outbox.newest(LISTED_MESSAGES).await.map_err(failed)?;
    let mut resolved: HashMap<String, Option<String>> = HashMap::new();
    // Newest first, so each group's first message is its newest.
    let mut groups: Vec<Group> = Vec::new();
    for entry in &entries {
        let recipient = &entry.message.recipient;
        if !resolved.contains_key(recipient) {
            let address = state.addresses.email_of(recipient).await.map_err(failed)?;
            resolved.insert(recipient.clone(), address);
        }
        let address = resolved.get(recipient).cloned().flatten();
        let key = address.clone().unwrap_or_else(|| recipient.clone());
        let account = (!recipient.contains('@')).then(|| recipient.clone());
        match groups.iter_mut().find(|g| g.key == key) {
            Some(group) => {
                group.count += 1;
                if let Some(account) = account
                    && !group.accounts.contains(&account)
                {
                    group.accounts.push(account);
                }
            }
            None => groups.push(Group {
                key,
                address,
                accounts: account.into_iter().collect(),
                count: 1,
                newest: entry.queued_at,
            }),
        }
    }
    let no_address = lang.lang.t("(nincs cím) ", "(no address) ");
    let rows = groups
        .into_iter()
        .map(|g| RecipientRow {
            address: g
                .address
                .unwrap_or_else(|| format!("{no_address}{}", g.key)),
            key_path: path_segment(&g.key),
            accounts: g.accounts,
            count: g.count,
            newest: local_time(g.newest),
        })
        .collect();
    let title = lang.lang.t("Bemutató postafiók", "Demo mailbox");
    Ok(Page::new(lang, title).template(&IndexPage {
        lang: lang.lang,
        rows,
    }))
}

/// The recipients whose messages a mailbox key (an address, or a recipient with none)
/// shows; `Err` with the address to go to when the key is an account that has one.
async fn recipients(
    state: &MailboxState,
    key: &str,
) -> Result<Result<Vec<String>, String>, Failure> {
    if key.contains('@') {
        let recipients = state.addresses.recipients_of(key).await.map_err(failed)?;
        return Ok(Ok(recipients));
    }
    match state.addresses.email_of(key).await.map_err(failed)? {
        Some(address) => Ok(Err(address)),
        None => Ok(Ok(vec![key.to_owned()])),
    }
}

async fn recipient(
    State(state): State<MailboxState>,
    Path(key): Path<String>,
    lang: PageLang,
) -> Result<Response, Failure> {
    let recipients = match recipients(&state, &key).await? {
        Ok(recipients) => recipients,
        Err(address) => {
            return Ok(
                Redirect::to(&format!("/mailbox/{}", path_segment(&address))).into_response(),
            );
        }
    };
    let entries = state
        .outbox
        .messages_of(&recipients)
        .await
        .map_err(failed)?;
    let rows = entries
        .iter()
        .map(|e| MessageRow {
            id: e.id.clone(),
            subject: e.message.subject.clone(),
            queued: local_time(e.queued_at),
            channel: channel(lang.lang),
            kind: e.message.kind.clone(),
            delivery: delivery(lang.lang, e.state),
        })
        .collect();
    let title = format!("{}: {key}", lang.lang.t("Postafiók", "Mailbox"));
    Ok(Page::new(lang, title).template(&RecipientPage {
        lang: lang.lang,
        key_path: path_segment(&key),
        rows,
    }))
}

/// The message `id` among the messages a mailbox key shows.
async fn find(state: &MailboxState, key: &str, id: &str) -> Result<Option<OutboxEntry>, Failure> {
    let recipients = match recipients(state, key).await? {
        Ok(recipients) => recipients,
        Err(_) => vec![key.to_owned()],
    };
    for recipient in &recipients {
        if let Some(entry) = state.outbox.entry(recipient, id).await.map_err(failed)? {
            return Ok(Some(entry));
        }
    }
    Ok(None)
}

fn not_found(lang: PageLang) -> Response {
    let title = lang.lang.t("Nincs ilyen üzenet", "No such message");
    Page::new(lang, title)
        .status(StatusCode::NOT_FOUND)
        .render(&format!(
            "<p><a href=\"/mailbox\">{}</a></p>",
            escape(lang.lang.t("Vissza a postafiókhoz", "Back to the mailbox"))
        ))
}

async fn message(
    State(state): State<MailboxState>,
    Path((key, id)): Path<(String, String)>,
    lang: PageLang,
) -> Result<Response, Failure> {
    let Some(entry) = find(&state, &key, &id).await? else {
        return Ok(not_found(lang));
    };
    let recipient = &entry.message.recipient;
    let to = match state.addresses.email_of(recipient).await.map_err(failed)? {
        Some(address) => address,
        None => lang.lang.t("(nincs cím)", "(no address)").to_owned(),
    };
    let page = MessagePage {
        lang: lang.lang,
        key_path: path_segment(&key),
        id: entry.id.clone(),
        to,
        account: (!recipient.contains('@')).then(|| recipient.clone()),
        queued: local_time(entry.queued_at),
        channel: channel(lang.lang),
        kind: entry.message.kind.clone(),
        delivery: delivery(lang.lang, entry.state),
        body: linked_text(&entry.message.body, &state.public_base_url),
        attachments: entry
            .message
            .attachments
            .iter()
            .enumerate()
            .map(|(index, a)| AttachmentRow {
                index,
                name: a.filename.clone(),
                content_type: a.content_type.clone(),
            })
            .collect(),
    };
    Ok(Page::new(lang, entry.message.subject.clone()).template(&page))
}

async fn attachment(
    State(state): State<MailboxState>,
    Path((key, id, index)): Path<(String, String, usize)>,
    lang: PageLang,
) -> Result<Response, Failure> {
    let Some(entry) = find(&state, &key, &id).await? else {
        return Ok(not_found(lang));
    };
    let Some(file) = entry.message.attachments.get(index) else {
        return Ok(not_found(lang));
    };
    let disposition = format!("attachment; filename=\"{}\"", safe_filename(&file.filename));
    let mut response = file.content.clone().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(download_type(&file.content_type)),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `varoskapu mail list`: the outbox, newest first (only what reaches `to`, if given), one
/// message a line: when, to whom, what kind, its delivery, its subject.
pub async fn list(
    ports: &crate::LocalPorts,
    to: Option<&str>,
    limit: usize,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    let state = state(ports)?;
    let mut entries = match to {
        Some(address) => {
            let recipients = state.addresses.recipients_of(address).await?;
            state.outbox.messages_of(&recipients).await?
        }
        None => state.outbox.newest(limit).await?,
    };
    entries.truncate(limit);
    if entries.is_empty() {
        writeln!(out, "no messages")?;
    }
    for entry in entries {
        let address = state
            .addresses
            .email_of(&entry.message.recipient)
            .await?
            .unwrap_or_else(|| format!("({})", entry.message.recipient));
        writeln!(
            out,
            "{}  {}  {}  {}  {}",
            local_time(entry.queued_at),
            address,
            entry.message.kind,
            entry.state.as_str(),
            entry.message.subject.replace(['\r', '\n'], " "),
        )?;
    }
    Ok(())
}

/// The only channel the system has: every notice is an e-mail (there is no SMS).
fn channel(lang: Lang) -> &'static str {
    lang.t("e-mail", "e-mail")
}

fn delivery(lang: Lang, state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Queued => lang.t("várakozik", "queued"),
        DeliveryState::Sending => lang.t("küldés alatt", "sending"),
        DeliveryState::Sent => lang.t("továbbítva SMTP-n", "relayed by SMTP"),
        DeliveryState::Failed => lang.t("visszautasítva", "refused"),
        DeliveryState::NoAddress => lang.t("nincs cím", "no address"),
        DeliveryState::Suppressed => {
            lang.t("letiltott cím (visszapattant)", "address stopped (bounced)")
        }
    }
}

/// A time as the pages show it: Budapest local time.
fn local_time(unix: i64) -> String {
    let Ok(at) = jiff::Timestamp::from_second(unix) else {
        return String::new();
    };
    match varoskapu_core::appointments::budapest() {
        Some(tz) => at.to_zoned(tz).strftime("%Y.%m.%d. %H:%M:%S").to_string(),
        None => at.to_string(),
    }
}

/// A mailbox key as one path segment: unreserved characters and `@` as they are, the rest
/// percent-encoded.
pub fn path_segment(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@+".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The media types an attachment is served as; anything else downloads as bytes.
fn download_type(content_type: &str) -> &'static str {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "text/calendar" => "text/calendar; charset=utf-8",
        "text/plain" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A file name safe inside a quoted `Content-Disposition` parameter.
fn safe_filename(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '/' | ';'))
        .collect();
    if cleaned.is_empty() {
        "attachment".into()
    } else {
        cleaned
    }
}

/// A mail body as HTML: every character escaped, and each `http(s)` URL under `base` (this
/// server's public base URL) made a link; other URLs stay text.
pub fn linked_text(body: &str, base: &url::Url) -> String {
    let mut out = String::with_capacity(body.len() + 64);
    let mut rest = body;
    while let Some(start) = next_url_start(rest) {
        out.push_str(&escape(&rest[..start]));
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
            .unwrap_or(candidate.len());
        let url_text =
            candidate[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '}']);
        let url_text = if url_text.is_empty() {
            &candidate[..end]
        } else {
            url_text
        };
        match own_link(url_text, base) {
            Some(href) => {
                out.push_str("<a href=\"");
                out.push_str(&escape(href.as_str()));
                out.push_str("\">");
                out.push_str(&escape(url_text));
                out.push_str("</a>");
            }
            None => out.push_str(&escape(url_text)),
        }
        rest = &candidate[url_text.len()..];
    }
    out.push_str(&escape(rest));
    out
}

/// Where the next `http://` or `https://` starts (ASCII case-insensitively).
fn next_url_start(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    [lower.find("http://"), lower.find("https://")]
        .into_iter()
        .flatten()
        .min()
}

/// The URL, if it is an http(s) URL on the same origin as `base` and under its path.
fn own_link(text: &str, base: &url::Url) -> Option<url::Url> {
    let url = url::Url::parse(text).ok()?;
    let same_origin = matches!(url.scheme(), "http" | "https")
        && url.origin() == base.origin()
        && url.username().is_empty()
        && url.password().is_none();
    let base_path = base.path().trim_end_matches('/');
    let under = url.path() == base_path || url.path().starts_with(&format!("{base_path}/"));
    (same_origin && under).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> url::Url {
        url::Url::parse("http://127.0.0.1:8080").unwrap()
    }

    #[test]
    fn own_links_become_links_and_everything_else_stays_escaped_text() {
        let body = "Kérjük: http://127.0.0.1:8080/register/verify?token=a_b-c.\n\
                    <script>alert(1)</script> https://evil.example/x \
                    http://127.0.0.1:8080@evil.example/ \"http://127.0.0.1:8080/a\"";
        let html = linked_text(body, &base());
        assert!(
            html.contains(
                "<a href=\"http://127.0.0.1:8080/register/verify?token=a_b-c\">\
                 http://127.0.0.1:8080/register/verify?token=a_b-c</a>."
            ),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&#60;script&#62;"), "{html}");
        assert!(!html.contains("href=\"https://evil"), "{html}");
        assert!(html.contains("https://evil.example/x"), "{html}");
        // A user-info trick names another host: not a link.
        assert_eq!(html.matches("<a href").count(), 2, "{html}");
        assert!(
            html.contains("<a href=\"http://127.0.0.1:8080/a\">"),
            "{html}"
        );
    }

    #[test]
    fn a_link_of_another_port_scheme_or_path_is_not_ours() {
        let base = url::Url::parse("https://kapu.example.hu/varos").unwrap();
        assert!(own_link("https://kapu.example.hu/varos/cases/1", &base).is_some());
        assert!(own_link("https://kapu.example.hu/varos", &base).is_some());
        assert!(own_link("https://kapu.example.hu/varosok", &base).is_none());
        assert!(own_link("http://kapu.example.hu/varos/x", &base).is_none());
        assert!(own_link("https://kapu.example.hu:444/varos/x", &base).is_none());
        assert!(own_link("javascript:alert(1)//https://kapu.example.hu/varos", &base).is_none());
    }

    #[tokio::test]
    async fn the_cli_lists_the_outbox_newest_first_with_each_delivery() {
        use varoskapu_core::notify::{Message, Notifier, OutboxNotifier};
        let dir = tempfile::tempdir().unwrap();
        let ports = crate::LocalPorts::open(dir.path(), "http://127.0.0.1:8080").unwrap();
        let mut out = Vec::new();
        list(&ports, None, 10, &mut out).await.unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "no messages\n");
        let outbox =
            OutboxNotifier::new(ports.table.clone(), ports.clock.clone(), ports.ids.clone());
        for (recipient, subject) in [("anna@example.hu", "első"), ("acct-1", "második\r\nBcc: x")]
        {
            outbox
                .send(Message {
                    recipient: recipient.into(),
                    kind: "test".into(),
                    subject: subject.into(),
                    body: String::new(),
                    attachments: Vec::new(),
                })
                .await
                .unwrap();
        }
        let mut out = Vec::new();
        list(&ports, None, 10, &mut out).await.unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].contains("(acct-1)  test  queued  második  Bcc: x"),
            "{text}"
        );
        assert!(
            lines[1].contains("anna@example.hu  test  queued  első"),
            "{text}"
        );
        let mut out = Vec::new();
        list(&ports, Some("anna@example.hu"), 10, &mut out)
            .await
            .unwrap();
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 1);
    }

    #[test]
    fn keys_are_one_path_segment_and_downloads_never_render() {
        assert_eq!(path_segment("anna+x@example.hu"), "anna+x@example.hu");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(
            download_type("text/calendar"),
            "text/calendar; charset=utf-8"
        );
        assert_eq!(download_type("text/html"), "application/octet-stream");
        assert_eq!(safe_filename("x\"; y/.ics"), "xy.ics");
    }
}
