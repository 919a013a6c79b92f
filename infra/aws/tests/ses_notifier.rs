//! The SES notifier on moto: a notice to an account reaches SES as one raw e-mail to the
//! account's address; an account without an address sends nothing and fails nothing.
//! Skipped, with a line saying so, when `VAROSKAPU_TEST_AWS_ENDPOINT` is not set.
#![cfg(feature = "ses")]

use async_trait::async_trait;
use std::sync::Arc;
use varoskapu_aws::AwsConfig;
use varoskapu_aws::ses_notifier::{AddressBook, SesNotifier};
use varoskapu_core::notify::{Attachment, Message, Notifier, NotifyError};

struct OneAccount;

#[async_trait]
impl AddressBook for OneAccount {
    async fn email_of(&self, account: &str) -> Result<Option<String>, NotifyError> {
        Ok((account == "account-1").then(|| "polgar@example.hu".to_owned()))
    }
}

async fn ses() -> Option<aws_sdk_sesv2::Client> {
    let Ok(endpoint) = std::env::var("VAROSKAPU_TEST_AWS_ENDPOINT") else {
        eprintln!("skipped: VAROSKAPU_TEST_AWS_ENDPOINT is not set");
        return None;
    };
    let config = AwsConfig::from_lookup(|name| match name {
        "VAROSKAPU_TABLE" => Some("unused".into()),
        "VAROSKAPU_DOCUMENTS_BUCKET" => Some("unused".into()),
        "AWS_REGION" => Some("eu-central-1".into()),
        "VAROSKAPU_AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        _ => None,
    })
    .expect("config");
    Some(aws_sdk_sesv2::Client::new(&config.sdk_config().await))
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

#[tokio::test]
async fn a_sender_that_is_no_address_stops_start_up() {
    let Some(client) = ses().await else { return };
    assert!(SesNotifier::new(client, "Városkapu\r\nBcc: x@y.z", Arc::new(OneAccount)).is_err());
}
