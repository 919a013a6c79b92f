//! The SES notifier on moto: a notice to an account reaches SES as one raw e-mail to the
//! account's address; an account without an address sends nothing and fails nothing. The
//! functions' wiring sends through SES when a sender is configured and keeps notices in the
//! table's outbox when none is.
//! Skipped, with a line saying so, when `VAROSKAPU_TEST_AWS_ENDPOINT` is not set (a
//! failure under `CI=true`).
#![cfg(feature = "ses")]

use async_trait::async_trait;
use std::sync::Arc;
use varoskapu_accounts::{AccountAddresses, Accounts, AccountsConfig, NewAccount, Role};
use varoskapu_aws::AwsConfig;
use varoskapu_aws::ses_notifier::{AddressBook, SENDER_VAR, SesNotifier, notifier_from_lookup};
use varoskapu_core::notify::{Attachment, Message, Notifier, NotifyError, OutboxNotifier};
use varoskapu_core::{SystemClock, Table, UuidV7Ids};
use varoskapu_embedded::SqliteTable;

struct OneAccount;

#[async_trait]
impl AddressBook for OneAccount {
    async fn email_of(&self, account: &str) -> Result<Option<String>, NotifyError> {
        Ok((account == "account-1").then(|| "polgar@example.hu".to_owned()))
    }
}

async fn sdk() -> Option<aws_config::SdkConfig> {
    let endpoint = varoskapu_tests::moto::aws_endpoint()?;
    let config = AwsConfig::from_lookup(|name| match name {
        "VAROSKAPU_TABLE" => Some("unused".into()),
        "VAROSKAPU_DOCUMENTS_BUCKET" => Some("unused".into()),
        "AWS_REGION" => Some("eu-central-1".into()),
        "VAROSKAPU_AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        _ => None,
    })
    .expect("config");
    Some(config.sdk_config().await)
}

async fn ses() -> Option<aws_sdk_sesv2::Client> {
    Some(aws_sdk_sesv2::Client::new(&sdk().await?))
}

/// The raw e-mails moto's SES accepted for `address`.
async fn delivered_to(address: &str) -> Vec<String> {
    let endpoint = std::env::var(varoskapu_tests::moto::ENDPOINT_VAR).expect("endpoint");
    let data: serde_json::Value = reqwest::get(format!("{endpoint}/moto-api/data.json"))
        .await
        .expect("moto data")
        .json()
        .await
        .expect("moto data is JSON");
    data["ses"]["RawMessage"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| {
            m["destinations"]
                .as_array()
                .is_some_and(|d| d.iter().any(|a| a == address))
        })
        .map(|m| m["raw_data"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A sender identity of this test's own, verified in moto.
async fn verified_sender(client: &aws_sdk_sesv2::Client) -> String {
    let sender = format!("ertesito-{}@kapu.example.hu", uuid::Uuid::now_v7().simple());
    client
        .create_email_identity()
        .email_identity(&sender)
        .send()
        .await
        .expect("identity");
    sender
}

/// Accounts on an embedded table whose notices go through `notifier_from_lookup`.
async fn accounts_with(
    sdk: &aws_config::SdkConfig,
    sender: Option<String>,
) -> (Arc<dyn Table>, Accounts) {
    let clock = Arc::new(SystemClock);
    let table: Arc<dyn Table> = Arc::new(SqliteTable::in_memory(clock.clone()).unwrap());
    let addresses = Arc::new(AccountAddresses::new(table.clone()));
    let notifier = notifier_from_lookup(sdk, table.clone(), clock.clone(), addresses, |name| {
        (name == SENDER_VAR).then(|| sender.clone()).flatten()
    })
    .expect("notifier");
    let accounts = Accounts::new(
        table.clone(),
        clock,
        Arc::new(UuidV7Ids),
        notifier,
        AccountsConfig::new("https://kapu.example.hu"),
    );
    (table, accounts)
}

fn person() -> NewAccount {
    NewAccount {
        email: format!("polgar-{}@example.hu", uuid::Uuid::now_v7().simple()),
        password: "correct horse battery staple".into(),
        name: "Kiss Anna".into(),
        roles: vec![Role::Citizen],
    }
}

#[tokio::test]
async fn with_a_sender_notices_to_an_account_and_reset_links_arrive_by_ses() {
    let Some(sdk) = sdk().await else { return };
    let sender = verified_sender(&aws_sdk_sesv2::Client::new(&sdk)).await;
    let (table, accounts) = accounts_with(&sdk, Some(sender.clone())).await;
    let anna = accounts.create(person()).await.expect("account");

    // Cases and appointments address the account by id; the address is looked up.
    let notifier = notifier_from_lookup(
        &sdk,
        table.clone(),
        Arc::new(SystemClock),
        Arc::new(AccountAddresses::new(table.clone())),
        |name| (name == SENDER_VAR).then(|| sender.clone()),
    )
    .unwrap();
    notifier
        .send(notice(&anna.id.to_string()))
        .await
        .expect("sent");
    let mails = delivered_to(&anna.email).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].contains(&format!("From: {sender}")),
        "{}",
        mails[0]
    );
    assert!(mails[0].contains("foglalas.ics"), "{}", mails[0]);

    // The password-reset link is addressed to the address itself.
    accounts
        .request_password_reset(&anna.email, None)
        .await
        .expect("reset requested");
    let mails = delivered_to(&anna.email).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(
        mails[1].contains("text/plain"),
        "the reset mail is a text e-mail: {}",
        mails[1]
    );

    // Nothing was left in the table's outbox.
    let outbox = OutboxNotifier::messages_to(table.as_ref(), &anna.id.to_string())
        .await
        .unwrap();
    assert!(outbox.is_empty(), "{outbox:?}");
}

#[tokio::test]
async fn without_a_sender_notices_stay_in_the_outbox_and_nothing_is_mailed() {
    let Some(sdk) = sdk().await else { return };
    let (table, accounts) = accounts_with(&sdk, None).await;
    let anna = accounts.create(person()).await.expect("account");
    accounts
        .request_password_reset(&anna.email, None)
        .await
        .expect("reset requested");
    let outbox = OutboxNotifier::messages_to(table.as_ref(), &anna.id.to_string())
        .await
        .unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].kind, "password_reset");
    assert!(delivered_to(&anna.email).await.is_empty());
}

#[tokio::test]
async fn a_configured_sender_that_is_no_address_stops_start_up() {
    let Some(sdk) = sdk().await else { return };
    let clock = Arc::new(SystemClock);
    let table: Arc<dyn Table> = Arc::new(SqliteTable::in_memory(clock.clone()).unwrap());
    let addresses = Arc::new(AccountAddresses::new(table.clone()));
    let wired = notifier_from_lookup(&sdk, table, clock, addresses, |_| {
        Some("Városkapu".to_owned())
    });
    assert!(wired.is_err());
}

fn notice(recipient: &str) -> Message {
    Message {
        recipient: recipient.into(),
        kind: "appointment_booked".into(),
        subject: "Időpontfoglalás".into(),
        body: "Az időpontja: 2026-11-25 08:00.".into(),
        attachments: vec![Attachment {
            filename: "foglalas.ics".into(),
            content_type: "text/calendar".into(),
            content: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into(),
        }],
    }
}

#[tokio::test]
async fn a_notice_is_sent_to_the_accounts_address_and_a_missing_address_is_no_failure() {
    let Some(client) = ses().await else { return };
    client
        .create_email_identity()
        .email_identity("ertesito@kapu.example.hu")
        .send()
        .await
        .expect("identity");
    let notifier = SesNotifier::new(client, "ertesito@kapu.example.hu", Arc::new(OneAccount))
        .expect("notifier");
    notifier.send(notice("account-1")).await.expect("sent");
    notifier
        .send(notice("account-without-address"))
        .await
        .expect("nothing to send is no failure");
}
