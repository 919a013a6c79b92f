//! The production `Notifier`: e-mail through Amazon SES (v2 API), as a raw MIME message so
//! that attachments such as a booking's `.ics` travel with it.
//!
//! Messages are addressed to accounts; the address is looked up through [`AddressBook`] at
//! the last moment, so no function ever holds an e-mail address it does not need.

use async_trait::async_trait;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::sync::Arc;
pub use varoskapu_core::notify::AddressBook;
use varoskapu_core::notify::suppression::SuppressionList;
use varoskapu_core::notify::{Message, Notifier, NotifyError, OutboxNotifier};
use varoskapu_core::{Cause, Clock, Table, UuidV7Ids};

/// Environment variable naming the verified SES identity notices are sent from: an
/// address, or a domain (notices then come from [`DOMAIN_SENDER_LOCAL_PART`]`@<domain>`).
pub const SENDER_VAR: &str = "VAROSKAPU_SES_SENDER";

/// The local part notices are sent from when the sender is a domain; the template's SES
/// policy allows exactly this address at the domain.
pub const DOMAIN_SENDER_LOCAL_PART: &str = "noreply";

/// The address notices are sent from, for a sender that is an address or a domain.
pub fn sender_address(sender: &str) -> Result<String, NotifyError> {
    let sender = sender.trim();
    let address = if sender.contains('@') {
        sender.to_owned()
    } else {
        format!("{DOMAIN_SENDER_LOCAL_PART}@{sender}")
    };
    if plausible_address(&address) {
        Ok(address)
    } else {
        Err(NotifyError::Unavailable(
            format!("{SENDER_VAR} is neither an e-mail address nor a domain").into(),
        ))
    }
}

/// Sends each message as one e-mail from a verified SES identity.
pub struct SesNotifier {
    client: aws_sdk_sesv2::Client,
    from: String,
    addresses: Arc<dyn AddressBook>,
    /// Addresses mail is stopped to (hard bounces, complaints), when known.
    suppressions: Option<SuppressionList>,
}

impl SesNotifier {
    /// A notifier sending from `from` (a verified SES identity) to the addresses `addresses` knows.
    pub fn new(
        client: aws_sdk_sesv2::Client,
        from: impl Into<String>,
        addresses: Arc<dyn AddressBook>,
    ) -> Result<Self, NotifyError> {
        let from = from.into();
        if !plausible_address(&from) {
            return Err(NotifyError::Unavailable(
                format!("{SENDER_VAR} is not an e-mail address").into(),
            ));
        }
        Ok(Self {
            client,
            from,
            addresses,
            suppressions: None,
        })
    }

    /// Never sends to the addresses on `list`.
    pub fn with_suppressions(mut self, list: SuppressionList) -> Self {
        self.suppressions = Some(list);
        self
    }
}

#[async_trait]
impl Notifier for SesNotifier {
    #[tracing::instrument(skip_all, fields(kind = %message.kind))]
    async fn send(&self, message: Message) -> Result<(), NotifyError> {
        let Some(to) = self.addresses.email_of(&message.recipient).await? else {
            // Nothing to deliver to; the caller's action must not fail for it.
            tracing::warn!("notice not sent: the account has no e-mail address");
            return Ok(());
        };
        if let Some(list) = &self.suppressions
            && list.get(&to).await?.is_some()
        {
            // SES would refuse it anyway (and count it against the account's reputation).
            tracing::warn!("notice not sent: mail to the address is stopped after a bounce");
            return Ok(());
        }
        if !plausible_address(&to) {
            return Err(NotifyError::Unavailable(
                "the account's e-mail address is malformed".into(),
            ));
        }
        let boundary = format!("varoskapu-{}", uuid::Uuid::now_v7().simple());
        let raw = mime_message(&self.from, &to, &message, &boundary);
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&to).build())
            .content(
                EmailContent::builder()
                    .raw(
                        RawMessage::builder()
                            .data(Blob::new(raw))
                            .build()
                            .map_err(|e| NotifyError::Unavailable(Cause::of(e)))?,
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                let message = aws_sdk_sesv2::error::DisplayErrorContext(&e).to_string();
                NotifyError::Unavailable(Cause::with_source(message, e))
            })?;
        Ok(())
    }
}

/// The notifier a function delivers notices with: SES from the sender `VAROSKAPU_SES_SENDER`
/// names, or, when it is unset (the emulator, a stage without SES), the table's outbox,
/// which start-up reports in the log so that no one mistakes it for delivery.
pub fn notifier_from_env(
    sdk: &aws_config::SdkConfig,
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    addresses: Arc<dyn AddressBook>,
) -> Result<Arc<dyn Notifier>, NotifyError> {
    notifier_from_lookup(sdk, table, clock, addresses, |name| {
        std::env::var(name).ok()
    })
}

/// [`notifier_from_env`] with the environment read through `lookup`, for tests.
pub fn notifier_from_lookup(
    sdk: &aws_config::SdkConfig,
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    addresses: Arc<dyn AddressBook>,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Arc<dyn Notifier>, NotifyError> {
    match lookup(SENDER_VAR).filter(|sender| !sender.trim().is_empty()) {
        Some(sender) => Ok(Arc::new(
            SesNotifier::new(
                aws_sdk_sesv2::Client::new(sdk),
                sender_address(&sender)?,
                addresses,
            )?
            .with_suppressions(SuppressionList::new(table.clone())),
        )),
        None => {
            tracing::warn!("{SENDER_VAR} is not set: notices stay in the table's outbox");
            Ok(Arc::new(OutboxNotifier::new(
                table,
                clock,
                Arc::new(UuidV7Ids),
            )))
        }
    }
}

/// One address, no display name, nothing that could end a header line.
fn plausible_address(address: &str) -> bool {
    let ok_chars = !address
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '<' | '>' | ',' | '"'));
    ok_chars
        && address.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        })
}

/// An RFC 2047 encoded word, so that any subject (accents, line breaks) is one safe header.
fn encoded_word(text: &str) -> String {
    format!("=?UTF-8?B?{}?=", STANDARD.encode(text))
}

/// Base64 wrapped at 76 characters, as MIME bodies want it.
fn wrapped_base64(bytes: &[u8]) -> String {
    let encoded = STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 76 * 2 + 2);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push_str("\r\n");
    }
    out
}

/// A file name safe inside a quoted MIME parameter.
fn safe_filename(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '/'))
        .collect();
    if cleaned.is_empty() {
        "attachment".into()
    } else {
        cleaned
    }
}

/// A media type safe as a header value (falls back to octet-stream).
fn safe_media_type(media_type: &str) -> &str {
    let ok = !media_type.is_empty()
        && media_type.contains('/')
        && media_type
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/.+-".contains(c));
    if ok {
        media_type
    } else {
        "application/octet-stream"
    }
}

/// The whole message: a UTF-8 text part and one part per attachment, all base64.
fn mime_message(from: &str, to: &str, message: &Message, boundary: &str) -> Vec<u8> {
    let mut out = String::new();
    out.push_str(&format!("From: {from}\r\nTo: {to}\r\n"));
    out.push_str(&format!("Subject: {}\r\n", encoded_word(&message.subject)));
    out.push_str("MIME-Version: 1.0\r\n");
    out.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
    ));
    out.push_str(&format!("--{boundary}\r\n"));
    out.push_str("Content-Type: text/plain; charset=UTF-8\r\n");
    out.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
    out.push_str(&wrapped_base64(message.body.as_bytes()));
    for attachment in &message.attachments {
        let name = safe_filename(&attachment.filename);
        out.push_str(&format!("--{boundary}\r\n"));
        out.push_str(&format!(
            "Content-Type: {}; charset=UTF-8; name=\"{name}\"\r\n",
            safe_media_type(&attachment.content_type)
        ));
        out.push_str(&format!(
            "Content-Disposition: attachment; filename=\"{name}\"\r\n"
        ));
        out.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
        out.push_str(&wrapped_base64(attachment.content.as_bytes()));
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use varoskapu_core::notify::Attachment;

    fn message() -> Message {
        Message {
            recipient: "account-1".into(),
            kind: "appointment_booked".into(),
            subject: "Időpontfoglalás\r\nBcc: victim@example.com".into(),
            body: "Kedves Ügyfél! Az időpontja: 2026-11-25 08:00.".into(),
            attachments: vec![Attachment {
                filename: "foglalas\".ics".into(),
                content_type: "text/calendar".into(),
                content: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into(),
            }],
        }
    }

    #[test]
    fn the_message_is_mime_with_a_safe_subject_and_base64_parts() {
        let raw = mime_message(
            "ertesito@kapu.example.hu",
            "polgar@example.hu",
            &message(),
            "b1",
        );
        let text = String::from_utf8(raw).expect("ASCII");
        assert!(text.is_ascii());
        let headers = text.split("\r\n\r\n").next().expect("headers");
        assert!(
            !headers.contains("Bcc:"),
            "no header injection through the subject"
        );
        assert!(headers.contains(&encoded_word(&message().subject)));
        assert!(text.contains(&STANDARD.encode(message().body.as_bytes())));
        assert!(text.contains("filename=\"foglalas.ics\""));
        assert!(text.contains("Content-Type: text/calendar; charset=UTF-8"));
        assert!(text.ends_with("--b1--\r\n"));
        assert!(text.lines().all(|line| line.len() <= 998));
    }

    #[test]
    fn a_sender_domain_sends_from_noreply_at_it_and_an_address_from_itself() {
        assert_eq!(
            sender_address("kapu.example.hu").unwrap(),
            "noreply@kapu.example.hu"
        );
        assert_eq!(
            sender_address(" ertesito@kapu.example.hu ").unwrap(),
            "ertesito@kapu.example.hu"
        );
        // Neither: refused at start-up, naming the setting; no header can be smuggled in.
        for bad in [
            "kapu",
            "kapu.example.hu\r\nBcc: x@y.z",
            "a@b@c.hu",
            "Kapu <a@b.hu>",
        ] {
            let error = sender_address(bad).unwrap_err();
            assert!(error.to_string().contains(SENDER_VAR), "{bad}: {error}");
        }
    }

    #[test]
    fn only_plain_addresses_are_accepted() {
        assert!(plausible_address("polgar@example.hu"));
        assert!(!plausible_address("polgar@example.hu\r\nBcc: x@y.z"));
        assert!(!plausible_address("Polgár <polgar@example.hu>"));
        assert!(!plausible_address("a,b@example.hu"));
        assert!(!plausible_address("nobody"));
        assert_eq!(
            safe_media_type("text/calendar\r\nX: y"),
            "application/octet-stream"
        );
    }
}
