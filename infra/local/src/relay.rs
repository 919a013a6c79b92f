//! The local sender of the outbox: when `VAROSKAPU_SMTP_URL` is set, every queued message
//! is delivered to that SMTP server (a developer's own mail catcher, or a real relay) with
//! lettre, and marked sent in the outbox.
//!
//! Each message is claimed with a conditional write before it is sent and marked sent with
//! one conditional on that claim, so a retry, a second relay or a restart never sends an
//! acknowledged message again. A refused or failed attempt is tried again with a growing
//! delay (a permanent refusal is recorded and not retried); nothing queued is dropped.
//! Stopping lets the message being sent finish first.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use varoskapu_core::notify::{AddressBook, Claim, DeliveryState, Outbox, OutboxEntry};
use varoskapu_core::{Clock, TableError};

/// The setting naming the SMTP server: `smtp://host:port` (plain), `smtp://host?tls=required`
/// (STARTTLS), `smtps://host` (TLS), with `user:password@` when it wants a login.
pub const SMTP_URL_VAR: &str = "VAROSKAPU_SMTP_URL";

/// The setting naming the sender of relayed mail (`Name <address>` or an address).
pub const SMTP_FROM_VAR: &str = "VAROSKAPU_SMTP_FROM";

/// The sender when [`SMTP_FROM_VAR`] is unset.
pub const DEFAULT_FROM: &str = "Városkapu <noreply@localhost>";

/// Where relayed mail goes, parsed once at start-up.
#[derive(Clone)]
pub struct RelayConfig {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The server's address without any password, for the start-up line.
    shown: String,
}

impl std::fmt::Debug for RelayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayConfig")
            .field("server", &self.shown)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl RelayConfig {
    /// The relay of `url` sending from `from` (or [`DEFAULT_FROM`]); a bad value is an error
    /// naming its setting.
    pub fn parse(url: &str, from: Option<&str>) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(url.trim())
            .map_err(|e| anyhow::anyhow!("{SMTP_URL_VAR} is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "smtp" | "smtps") || parsed.host_str().is_none() {
            anyhow::bail!("{SMTP_URL_VAR} must be smtp://host[:port] or smtps://host[:port]");
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.trim())
            .map_err(|e| anyhow::anyhow!("{SMTP_URL_VAR} is not an SMTP server's URL: {e}"))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from = from
            .filter(|f| !f.trim().is_empty())
            .unwrap_or(DEFAULT_FROM);
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{SMTP_FROM_VAR} is not an e-mail address: {e}"))?;
        let mut shown = parsed.clone();
        let _ = shown.set_password(None);
        let _ = shown.set_username("");
        Ok(Self {
            transport,
            from,
            shown: shown.to_string(),
        })
    }

    /// The relay the environment asks for: none without [`SMTP_URL_VAR`].
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        match std::env::var(SMTP_URL_VAR) {
            Ok(url) if !url.trim().is_empty() => Ok(Some(Self::parse(
                &url,
                std::env::var(SMTP_FROM_VAR).ok().as_deref(),
            )?)),
            _ => Ok(None),
        }
    }

    /// The server, without credentials.
    pub fn server(&self) -> &str {
        &self.shown
    }
}

/// How often and how patiently the relay works.
#[derive(Debug, Clone, Copy)]
pub struct RelaySettings {
    /// How often the outbox is looked at.
    pub poll: Duration,
    /// The wait after the first failed attempt; doubled after each further one.
    pub first_retry: Duration,
    /// The longest wait between attempts.
    pub longest_retry: Duration,
    /// How long a claim holds before a claim in doubt (its relay died mid-send) is taken up.
    pub lease: Duration,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(2),
            first_retry: Duration::from_secs(5),
            longest_retry: Duration::from_secs(15 * 60),
            lease: Duration::from_secs(5 * 60),
        }
    }
}

impl RelaySettings {
    /// The wait before the attempt after `failed` failed ones.
    pub fn backoff(&self, failed: u32) -> Duration {
        let factor = 2u32.saturating_pow(failed.saturating_sub(1).min(16));
        self.first_retry
            .saturating_mul(factor)
            .min(self.longest_retry)
    }
}

/// What one pass over the outbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayRun {
    pub sent: usize,
    pub retried: usize,
    pub given_up: usize,
    /// Messages another relay claimed first.
    pub skipped: usize,
}

/// Delivers the outbox to one SMTP server.
#[derive(Clone)]
pub struct Relay {
    outbox: Outbox,
    addresses: Arc<dyn AddressBook>,
    clock: Arc<dyn Clock>,
    config: RelayConfig,
    settings: RelaySettings,
}

/// A relay running in the background.
pub struct RelayHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RelayHandle {
    /// Stops after the message being sent, and waits.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// What became of one attempt.
enum Attempt {
    Sent,
    Retry(String),
    GiveUp(DeliveryState, String),
}

impl Relay {
    pub fn new(
        outbox: Outbox,
        addresses: Arc<dyn AddressBook>,
        clock: Arc<dyn Clock>,
        config: RelayConfig,
        settings: RelaySettings,
    ) -> Self {
        Self {
            outbox,
            addresses,
            clock,
            config,
            settings,
        }
    }

    /// Starts relaying in the background.
    pub fn spawn(self) -> RelayHandle {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(self.run(stopped));
        RelayHandle { stop, task }
    }

    async fn run(self, mut stopped: watch::Receiver<bool>) {
        tracing::info!(server = %self.config.server(), "relaying the outbox by SMTP");
        loop {
            if *stopped.borrow() {
                return;
            }
            if let Err(e) = self.deliver_due(&stopped).await {
                tracing::warn!(error = %e, "the relay could not read the outbox");
            }
            tokio::select! {
                _ = stopped.changed() => {}
                () = tokio::time::sleep(self.settings.poll) => {}
            }
        }
    }

    /// Delivers every message due now, oldest first, until `stopped` says stop.
    pub async fn deliver_due(
        &self,
        stopped: &watch::Receiver<bool>,
    ) -> Result<RelayRun, TableError> {
        let mut run = RelayRun::default();
        let lease = i64::try_from(self.settings.lease.as_secs()).unwrap_or(i64::MAX);
        for entry in self.outbox.due(100, lease).await? {
            if *stopped.borrow() {
                break;
            }
            let token = uuid::Uuid::now_v7().to_string();
            let Some(claim) = self.outbox.claim(&entry, &token).await? else {
                run.skipped += 1;
                continue;
            };
            match self.attempt(&claim.entry).await {
                Attempt::Sent => {
                    self.mark_sent(&claim).await;
                    run.sent += 1;
                }
                Attempt::Retry(error) => {
                    let failed = claim.entry.attempts + 1;
                    let wait = self.settings.backoff(failed);
                    let at = self.clock.unix_seconds()
                        + i64::try_from(wait.as_secs()).unwrap_or(i64::MAX / 2).max(1);
                    tracing::warn!(message = %claim.entry.id, attempts = failed, retry_in_s = wait.as_secs(), "relaying a message failed; it is tried again");
                    self.outbox.retry_later(&claim, &error, at).await?;
                    run.retried += 1;
                }
                Attempt::GiveUp(state, error) => {
                    tracing::warn!(message = %claim.entry.id, state = state.as_str(), "a message cannot be relayed and is not tried again");
                    self.outbox.give_up(&claim, state, &error).await?;
                    run.given_up += 1;
                }
            }
        }
        Ok(run)
    }

    /// Records an acknowledged message as sent, trying again while the table is unavailable
    /// (the message is out: giving up here would send it twice).
    async fn mark_sent(&self, claim: &Claim) {
        let mut wait = Duration::from_millis(100);
        loop {
            match self.outbox.mark_sent(claim).await {
                Ok(true) => return,
                Ok(false) => {
                    tracing::warn!(message = %claim.entry.id, "a relayed message's claim was taken over before it was marked sent");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, message = %claim.entry.id, "marking a relayed message sent failed; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    async fn attempt(&self, entry: &OutboxEntry) -> Attempt {
        let to = match self.addresses.email_of(&entry.message.recipient).await {
            Ok(Some(to)) => to,
            Ok(None) => {
                return Attempt::GiveUp(
                    DeliveryState::NoAddress,
                    "the recipient has no e-mail address".into(),
                );
            }
            Err(e) => return Attempt::Retry(e.to_string()),
        };
        match self.outbox.suppressions().get(&to).await {
            Ok(Some(_)) => {
                return Attempt::GiveUp(
                    DeliveryState::Suppressed,
                    "mail to the address is stopped after a hard bounce or a complaint".into(),
                );
            }
            Ok(None) => {}
            Err(e) => return Attempt::Retry(e.to_string()),
        }
        let email = match self.email(entry, &to) {
            Ok(email) => email,
            Err(reason) => return Attempt::GiveUp(DeliveryState::Failed, reason),
        };
        match self.config.transport.send(email).await {
            Ok(_) => Attempt::Sent,
            Err(e) if e.is_permanent() => Attempt::GiveUp(DeliveryState::Failed, e.to_string()),
            Err(e) => Attempt::Retry(e.to_string()),
        }
    }

    /// The e-mail of an outbox message: its text, and each attachment as a part of its own.
    fn email(&self, entry: &OutboxEntry, to: &str) -> Result<lettre::Message, String> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| "the recipient's e-mail address is malformed".to_owned())?;
        // A subject is one line, whatever the message says.
        let subject: String = entry
            .message
            .subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let builder = lettre::Message::builder()
            .from(self.config.from.clone())
            .to(to)
            .subject(subject)
            // The outbox id: a receiver can tell a message taken up again after a crash.
            .message_id(Some(format!("<{}@varoskapu.outbox>", entry.id)));
        let text = SinglePart::plain(entry.message.body.clone());
        let built = if entry.message.attachments.is_empty() {
            builder.singlepart(text)
        } else {
            let mut parts = MultiPart::mixed().singlepart(text);
            for file in &entry.message.attachments {
                let content_type =
                    ContentType::parse(&file.content_type).unwrap_or(ContentType::TEXT_PLAIN);
                parts = parts.singlepart(
                    Attachment::new(file.filename.clone()).body(file.content.clone(), content_type),
                );
            }
            builder.multipart(parts)
        };
        built.map_err(|e| format!("the message cannot be written as an e-mail: {e}"))
    }
}

/// Starts relaying the outbox of the local server's data folder, addresses looked up among
/// its accounts.
pub fn spawn_local(ports: &crate::LocalPorts, config: RelayConfig) -> RelayHandle {
    Relay::new(
        Outbox::new(ports.table.clone(), ports.clock.clone()),
        Arc::new(varoskapu_accounts::AccountAddresses::new(
            ports.table.clone(),
        )),
        ports.clock.clone(),
        config,
        RelaySettings::default(),
    )
    .spawn()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_url_or_sender_is_refused_naming_its_setting() {
        for bad in [
            "",
            "127.0.0.1:1025",
            "http://127.0.0.1:1025",
            "smtp://",
            "smtp://h?tls=maybe",
        ] {
            let error = RelayConfig::parse(bad, None).unwrap_err().to_string();
            assert!(error.contains(SMTP_URL_VAR), "{bad}: {error}");
        }
        let error = RelayConfig::parse("smtp://127.0.0.1:1025", Some("not an address"))
            .unwrap_err()
            .to_string();
        assert!(error.contains(SMTP_FROM_VAR), "{error}");
    }

    #[test]
    fn the_server_is_shown_without_its_password() {
        let config = RelayConfig::parse("smtp://user:s3cret@127.0.0.1:1025", None).unwrap();
        assert!(!config.server().contains("s3cret"), "{}", config.server());
        assert!(!format!("{config:?}").contains("s3cret"));
        assert!(config.server().contains("127.0.0.1:1025"));
        assert!(RelayConfig::parse("smtps://mail.example.hu", Some("kapu@example.hu")).is_ok());
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_a_limit() {
        let settings = RelaySettings::default();
        assert_eq!(settings.backoff(1), Duration::from_secs(5));
        assert_eq!(settings.backoff(2), Duration::from_secs(10));
        assert_eq!(settings.backoff(4), Duration::from_secs(40));
        assert_eq!(settings.backoff(40), Duration::from_secs(15 * 60));
    }
}
