//! Bounce reports, so that a mailbox that no longer exists stops getting mail: RFC 3464
//! delivery status notifications (what mail servers send back) and Amazon SES notifications
//! (what SES posts through SNS).

use mail_parser::{MessageParser, MimeHeaders};
use serde::Deserialize;

/// One recipient's failed (or complained-about) delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    /// The address as the report names it (`kovacs@example.hu`), without its `rfc822;` type.
    pub recipient: String,
    pub kind: BounceKind,
    /// The enhanced status code (`5.1.1`), when the report gives one.
    pub status: Option<String>,
    /// The remote server's own words (`550 5.1.1 User unknown`), when given.
    pub diagnostic: Option<String>,
}

/// What a bounce means for the contact's delivery state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BounceKind {
    /// The mailbox does not exist or refuses for good: send nothing more.
    Hard,
    /// A passing failure (full mailbox, greylisting, delay): keep sending.
    Soft,
    /// The person marked our mail as spam: send nothing more.
    Complaint,
}

/// Why a bounce report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DsnError {
    #[error("not an e-mail message")]
    NotAMessage,
    #[error("not a delivery status report (multipart/report; report-type=delivery-status)")]
    NotAReport,
    #[error("the delivery status part names no recipient")]
    NoRecipient,
    #[error("not an Amazon SES notification")]
    NotSes(#[source] serde_json::Error),
    #[error("an Amazon SES notification of an unknown type: {0}")]
    UnknownSesType(String),
}

/// The bounces an RFC 3464 delivery status notification reports, one per recipient that
/// failed or was delayed; delivered, relayed and expanded recipients give none.
pub fn parse_dsn(raw: &[u8]) -> Result<Vec<Bounce>, DsnError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(DsnError::NotAMessage)?;
    let root = message.content_type().ok_or(DsnError::NotAReport)?;
    let is_report = root.ctype().eq_ignore_ascii_case("multipart")
        && root
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"));
    let report_type = root.attribute("report-type").unwrap_or("");
    if !is_report || !report_type.eq_ignore_ascii_case("delivery-status") {
        return Err(DsnError::NotAReport);
    }
    let status_part = message
        .parts
        .iter()
        .find(|part| {
            part.content_type().is_some_and(|ct| {
                ct.ctype().eq_ignore_ascii_case("message")
                    && ct.subtype().is_some_and(|s| {
                        s.eq_ignore_ascii_case("delivery-status")
                            || s.eq_ignore_ascii_case("global-delivery-status")
                    })
            })
        })
        .ok_or(DsnError::NotAReport)?;
    let text = String::from_utf8_lossy(status_part.contents());
    let groups = field_groups(&text);
    // The first group holds the per-message fields; each later one is a recipient.
    let mut bounces = Vec::new();
    let mut recipients = 0;
    for group in groups.iter().skip(1) {
        let Some(recipient) = field(group, "final-recipient")
            .or_else(|| field(group, "original-recipient"))
            .map(address_of)
            .filter(|a| !a.is_empty())
        else {
            continue;
        };
        recipients += 1;
        let action = field(group, "action").unwrap_or("").to_ascii_lowercase();
        let status = field(group, "status")
            .and_then(|s| s.split_whitespace().next())
            .map(str::to_owned);
        let kind = match (action.as_str(), status.as_deref()) {
            ("delivered" | "relayed" | "expanded", _) => continue,
            ("delayed", _) => BounceKind::Soft,
            (_, Some(s)) if s.starts_with('4') => BounceKind::Soft,
            ("failed", _) => BounceKind::Hard,
            (_, Some(s)) if s.starts_with('5') => BounceKind::Hard,
            _ => continue,
        };
        let diagnostic = field(group, "diagnostic-code").map(|d| {
            // `smtp; 550 5.1.1 ...`: the type names the diagnostic's language.
            match d.split_once(';') {
                Some((_, rest)) => rest.trim().to_owned(),
                None => d.to_owned(),
            }
        });
        bounces.push(Bounce {
            recipient,
            kind,
            status,
            diagnostic,
        });
    }
    if recipients == 0 {
        return Err(DsnError::NoRecipient);
    }
    Ok(bounces)
}

/// `rfc822; Kovacs@Example.HU` → `Kovacs@Example.HU`.
fn address_of(value: &str) -> String {
    let address = match value.split_once(';') {
        Some((_, address)) => address,
        None => value,
    };
    address
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

/// The groups of header-like fields of a `message/delivery-status` body, separated by blank
/// lines, with folded lines unfolded and names in lower case.
fn field_groups(text: &str) -> Vec<Vec<(String, String)>> {
    let mut groups = Vec::new();
    let mut group: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !group.is_empty() {
                groups.push(std::mem::take(&mut group));
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = group.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            group.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    if !group.is_empty() {
        groups.push(group);
    }
    groups
}

fn field<'a>(group: &'a [(String, String)], name: &str) -> Option<&'a str> {
    group
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[derive(Deserialize)]
struct SnsEnvelope {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Message")]
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesMessage {
    #[serde(alias = "eventType")]
    notification_type: String,
    #[serde(default)]
    bounce: Option<SesBounce>,
    #[serde(default)]
    complaint: Option<SesComplaint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesBounce {
    bounce_type: String,
    bounced_recipients: Vec<SesRecipient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesComplaint {
    complained_recipients: Vec<SesRecipient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesRecipient {
    email_address: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    diagnostic_code: Option<String>,
}

/// The bounces and complaints of an Amazon SES notification, as SNS delivers it (the
/// `{"Type":"Notification","Message":"…"}` envelope) or bare; a delivery gives none.
pub fn parse_ses_notification(json: &str) -> Result<Vec<Bounce>, DsnError> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(DsnError::NotSes)?;
    let message: SesMessage = if value.get("Type").is_some() {
        let envelope: SnsEnvelope = serde_json::from_value(value).map_err(DsnError::NotSes)?;
        if envelope.kind != "Notification" {
            return Err(DsnError::UnknownSesType(envelope.kind));
        }
        serde_json::from_str(&envelope.message).map_err(DsnError::NotSes)?
    } else {
        serde_json::from_value(value).map_err(DsnError::NotSes)?
    };
    match message.notification_type.as_str() {
        "Bounce" => {
            let bounce = message
                .bounce
                .ok_or_else(|| DsnError::NotSes(serde::de::Error::missing_field("bounce")))?;
            let kind = match bounce.bounce_type.as_str() {
                "Permanent" => BounceKind::Hard,
                // Transient and Undetermined: SES will not say the mailbox is gone.
                _ => BounceKind::Soft,
            };
            Ok(bounce
                .bounced_recipients
                .into_iter()
                .map(|r| Bounce {
                    recipient: r.email_address,
                    kind,
                    status: r.status,
                    diagnostic: r.diagnostic_code,
                })
                .collect())
        }
        "Complaint" => {
            let complaint = message
                .complaint
                .ok_or_else(|| DsnError::NotSes(serde::de::Error::missing_field("complaint")))?;
            Ok(complaint
                .complained_recipients
                .into_iter()
                .map(|r| Bounce {
                    recipient: r.email_address,
                    kind: BounceKind::Complaint,
                    status: None,
                    diagnostic: None,
                })
                .collect())
        }
        "Delivery" => Ok(Vec::new()),
        other => Err(DsnError::UnknownSesType(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Postfix bounce with two recipients: one unknown, one delayed.
    const POSTFIX_DSN: &str = "Return-Path: <>\r
Received: by mail.hegyvidek.hu (Postfix) id 4F1A2B3C4D; Wed,  2 Dec 2026 10:15:02 +0100 (CET)\r
Date: Wed,  2 Dec 2026 10:15:02 +0100 (CET)\r
From: MAILER-DAEMON@mail.hegyvidek.hu (Mail Delivery System)\r
Subject: Undelivered Mail Returned to Sender\r
To: hirlevel@varoskapu.hegyvidek.hu\r
Auto-Submitted: auto-replied\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status;\r
\tboundary=\"4F1A2B3C4D.1764666902/mail.hegyvidek.hu\"\r
Message-Id: <20261202091502.4F1A2B3C4D@mail.hegyvidek.hu>\r
\r
This is a MIME-encapsulated message.\r
\r
--4F1A2B3C4D.1764666902/mail.hegyvidek.hu\r
Content-Description: Notification\r
Content-Type: text/plain; charset=us-ascii\r
\r
This is the mail system at host mail.hegyvidek.hu.\r
\r
I'm sorry to have to inform you that your message could not\r
be delivered to one or more recipients.\r
\r
<nincs.ilyen@freemail.hu>: host mx.freemail.hu[195.228.245.5] said: 550 5.1.1\r
    User unknown (in reply to RCPT TO command)\r
\r
--4F1A2B3C4D.1764666902/mail.hegyvidek.hu\r
Content-Description: Delivery report\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mail.hegyvidek.hu\r
X-Postfix-Queue-ID: 4F1A2B3C4D\r
X-Postfix-Sender: rfc822; hirlevel@varoskapu.hegyvidek.hu\r
Arrival-Date: Wed,  2 Dec 2026 10:14:58 +0100 (CET)\r
\r
Final-Recipient: rfc822; nincs.ilyen@freemail.hu\r
Original-Recipient: rfc822;nincs.ilyen@freemail.hu\r
Action: failed\r
Status: 5.1.1\r
Remote-MTA: dns; mx.freemail.hu\r
Diagnostic-Code: smtp; 550 5.1.1 User unknown (in reply to RCPT TO\r
    command)\r
\r
Final-Recipient: rfc822; tele.postafiok@citromail.hu\r
Original-Recipient: rfc822;tele.postafiok@citromail.hu\r
Action: delayed\r
Status: 4.2.2\r
Remote-MTA: dns; mx.citromail.hu\r
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\r
Will-Retry-Until: Wed,  9 Dec 2026 10:14:58 +0100 (CET)\r
\r
--4F1A2B3C4D.1764666902/mail.hegyvidek.hu\r
Content-Description: Undelivered Message Headers\r
Content-Type: text/rfc822-headers\r
\r
From: hirlevel@varoskapu.hegyvidek.hu\r
To: nincs.ilyen@freemail.hu, tele.postafiok@citromail.hu\r
Subject: Hegyvideki hirlevel\r
\r
--4F1A2B3C4D.1764666902/mail.hegyvidek.hu--\r
";

    /// A Gmail-style bounce: LF line ends, an HTML part, the original message attached.
    const GMAIL_DSN: &str = "Delivered-To: ertesites@varoskapu.hegyvidek.hu
Return-Path: <>
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: ertesites@varoskapu.hegyvidek.hu
Auto-Submitted: auto-replied
Subject: Delivery Status Notification (Failure)
Date: Wed, 02 Dec 2026 01:15:02 -0800 (PST)
MIME-Version: 1.0
Content-Type: multipart/report; boundary=\"000000000000f3a1b2c3d4e5f607\"; report-type=delivery-status

--000000000000f3a1b2c3d4e5f607
Content-Type: multipart/related; boundary=\"000000000000f3a1b2c3d4e5f608\"

--000000000000f3a1b2c3d4e5f608
Content-Type: multipart/alternative; boundary=\"000000000000f3a1b2c3d4e5f609\"

--000000000000f3a1b2c3d4e5f609
Content-Type: text/plain; charset=\"UTF-8\"

** Address not found **

Your message wasn't delivered to kovacs.jozsef.regi@gmail.com because the address couldn't be found, or is unable to receive mail.

--000000000000f3a1b2c3d4e5f609
Content-Type: text/html; charset=\"UTF-8\"

<html><body><h2>Address not found</h2></body></html>

--000000000000f3a1b2c3d4e5f609--
--000000000000f3a1b2c3d4e5f608--
--000000000000f3a1b2c3d4e5f607
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Received-From-MTA: dns; ertesites@varoskapu.hegyvidek.hu
Arrival-Date: Wed, 02 Dec 2026 01:15:01 -0800 (PST)
X-Original-Message-ID: <20261202091500.abc@varoskapu.hegyvidek.hu>

Final-Recipient: rfc822; kovacs.jozsef.regi@gmail.com
Action: failed
Status: 5.1.1
Remote-MTA: dns; gmail-smtp-in.l.google.com. (2a00:1450:400c:c0b::1b, the
 server for the domain gmail.com.)
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.
 550 5.1.1 https://support.google.com/mail/?p=NoSuchUser
Last-Attempt-Date: Wed, 02 Dec 2026 01:15:02 -0800 (PST)

--000000000000f3a1b2c3d4e5f607
Content-Type: message/rfc822

From: ertesites@varoskapu.hegyvidek.hu
To: kovacs.jozsef.regi@gmail.com
Subject: =?UTF-8?Q?=C3=89rtes=C3=ADt=C3=A9s?=

Tisztelt Kovacs Jozsef!

--000000000000f3a1b2c3d4e5f607--
";

    #[test]
    fn a_report_of_one_failed_and_one_delayed_recipient_gives_a_hard_and_a_soft_bounce() {
        let bounces = parse_dsn(POSTFIX_DSN.as_bytes()).unwrap();
        assert_eq!(
            bounces,
            vec![
                Bounce {
                    recipient: "nincs.ilyen@freemail.hu".to_owned(),
                    kind: BounceKind::Hard,
                    status: Some("5.1.1".to_owned()),
                    diagnostic: Some(
                        "550 5.1.1 User unknown (in reply to RCPT TO command)".to_owned()
                    ),
                },
                Bounce {
                    recipient: "tele.postafiok@citromail.hu".to_owned(),
                    kind: BounceKind::Soft,
                    status: Some("4.2.2".to_owned()),
                    diagnostic: Some("452 4.2.2 Mailbox full".to_owned()),
                },
            ]
        );
    }

    #[test]
    fn a_gmail_report_of_an_unknown_address_is_a_hard_bounce() {
        let bounces = parse_dsn(GMAIL_DSN.as_bytes()).unwrap();
        assert_eq!(bounces.len(), 1);
        assert_eq!(bounces[0].recipient, "kovacs.jozsef.regi@gmail.com");
        assert_eq!(bounces[0].kind, BounceKind::Hard);
        assert_eq!(bounces[0].status.as_deref(), Some("5.1.1"));
        assert!(
            bounces[0]
                .diagnostic
                .as_deref()
                .is_some_and(|d| d.starts_with("550-5.1.1") && d.contains("NoSuchUser"))
        );
    }

    #[test]
    fn delivered_and_relayed_recipients_give_no_bounce() {
        let delivered = POSTFIX_DSN
            .replace("Action: failed", "Action: delivered")
            .replace("Status: 5.1.1\r", "Status: 2.0.0\r")
            .replace("Action: delayed", "Action: relayed")
            .replace("Status: 4.2.2", "Status: 2.0.0");
        assert_eq!(parse_dsn(delivered.as_bytes()).unwrap(), Vec::new());
    }

    #[test]
    fn a_failure_with_a_passing_status_is_soft() {
        let transient = POSTFIX_DSN.replace("Status: 5.1.1\r", "Status: 4.4.1\r");
        let bounces = parse_dsn(transient.as_bytes()).unwrap();
        assert_eq!(bounces[0].kind, BounceKind::Soft);
    }

    #[test]
    fn anything_but_a_delivery_status_report_is_refused() {
        assert!(matches!(parse_dsn(b""), Err(DsnError::NotAMessage)));
        assert!(matches!(
            parse_dsn(b"\x00\xff\xfe garbage"),
            Err(DsnError::NotAMessage | DsnError::NotAReport)
        ));
        let plain = "From: a@b.hu\r\nTo: c@d.hu\r\nSubject: Final-Recipient: rfc822; x@y.hu\r\n\r\n\
                     Final-Recipient: rfc822; x@y.hu\r\nAction: failed\r\nStatus: 5.1.1\r\n";
        assert!(matches!(
            parse_dsn(plain.as_bytes()),
            Err(DsnError::NotAReport)
        ));
        // A report of another kind (a read receipt) is no bounce either.
        let mdn = POSTFIX_DSN.replace(
            "report-type=delivery-status",
            "report-type=disposition-notification",
        );
        assert!(matches!(
            parse_dsn(mdn.as_bytes()),
            Err(DsnError::NotAReport)
        ));
        // A report that lost its status part.
        let stripped = POSTFIX_DSN.replace("message/delivery-status", "text/plain");
        assert!(matches!(
            parse_dsn(stripped.as_bytes()),
            Err(DsnError::NotAReport)
        ));
        // A status part without recipients.
        let empty = POSTFIX_DSN
            .replace("Final-Recipient", "X-Final")
            .replace("Original-Recipient", "X-Original");
        assert!(matches!(
            parse_dsn(empty.as_bytes()),
            Err(DsnError::NoRecipient)
        ));
    }

    /// A bounce notification as the SES developer guide shows it.
    const SES_BOUNCE: &str = r#"{
      "notificationType": "Bounce",
      "bounce": {
        "feedbackId": "0100017a1b2c3d4e-5f6a7b8c-1234-5678-9abc-def012345678-000000",
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [
          {
            "emailAddress": "nincs.ilyen@freemail.hu",
            "action": "failed",
            "status": "5.1.1",
            "diagnosticCode": "smtp; 550 5.1.1 user unknown"
          },
          { "emailAddress": "masik@citromail.hu" }
        ],
        "timestamp": "2026-12-02T09:15:02.000Z",
        "remoteMtaIp": "195.228.245.5",
        "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com"
      },
      "mail": {
        "timestamp": "2026-12-02T09:15:00.000Z",
        "source": "ertesites@varoskapu.hegyvidek.hu",
        "messageId": "0100017a1b2c3d4e-aaaa",
        "destination": ["nincs.ilyen@freemail.hu", "masik@citromail.hu"]
      }
    }"#;

    const SES_COMPLAINT: &str = r#"{
      "notificationType": "Complaint",
      "complaint": {
        "userAgent": "ExampleCorp Feedback Loop (V0.01)",
        "complainedRecipients": [ { "emailAddress": "bosszus@t-online.hu" } ],
        "complaintFeedbackType": "abuse",
        "arrivalDate": "2026-12-02T09:20:00.000Z",
        "timestamp": "2026-12-02T09:21:00.000Z",
        "feedbackId": "0100017a1b2c3d4e-complaint"
      },
      "mail": {
        "timestamp": "2026-12-02T09:15:00.000Z",
        "source": "hirlevel@varoskapu.hegyvidek.hu",
        "messageId": "0100017a1b2c3d4e-bbbb",
        "destination": ["bosszus@t-online.hu"]
      }
    }"#;

    fn in_sns_envelope(message: &str) -> String {
        serde_json::json!({
            "Type": "Notification",
            "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            "TopicArn": "arn:aws:sns:eu-central-1:123456789012:varoskapu-ses",
            "Message": message,
            "Timestamp": "2026-12-02T09:15:03.000Z",
            "SignatureVersion": "1",
            "Signature": "EXAMPLE==",
            "SigningCertURL": "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService.pem",
            "UnsubscribeURL": "https://sns.eu-central-1.amazonaws.com/?Action=Unsubscribe"
        })
        .to_string()
    }

    #[test]
    fn a_permanent_ses_bounce_through_sns_is_hard_for_every_recipient() {
        let bounces = parse_ses_notification(&in_sns_envelope(SES_BOUNCE)).unwrap();
        assert_eq!(bounces.len(), 2);
        assert_eq!(bounces[0].recipient, "nincs.ilyen@freemail.hu");
        assert_eq!(bounces[0].kind, BounceKind::Hard);
        assert_eq!(bounces[0].status.as_deref(), Some("5.1.1"));
        assert_eq!(
            bounces[0].diagnostic.as_deref(),
            Some("smtp; 550 5.1.1 user unknown")
        );
        assert_eq!(bounces[1].recipient, "masik@citromail.hu");
        assert_eq!(bounces[1].kind, BounceKind::Hard);
        assert_eq!(bounces[1].status, None);
    }

    #[test]
    fn transient_and_undetermined_ses_bounces_are_soft() {
        for kind in ["Transient", "Undetermined"] {
            let bare = SES_BOUNCE.replace("\"Permanent\"", &format!("\"{kind}\""));
            let bounces = parse_ses_notification(&bare).unwrap();
            assert!(bounces.iter().all(|b| b.kind == BounceKind::Soft), "{kind}");
        }
    }

    #[test]
    fn an_ses_complaint_is_a_complaint_and_a_delivery_is_nothing() {
        let bounces = parse_ses_notification(&in_sns_envelope(SES_COMPLAINT)).unwrap();
        assert_eq!(
            bounces,
            vec![Bounce {
                recipient: "bosszus@t-online.hu".to_owned(),
                kind: BounceKind::Complaint,
                status: None,
                diagnostic: None,
            }]
        );
        let delivery = r#"{"notificationType":"Delivery","mail":{"destination":["a@b.hu"]},
            "delivery":{"recipients":["a@b.hu"],"smtpResponse":"250 ok"}}"#;
        assert_eq!(parse_ses_notification(delivery).unwrap(), Vec::new());
    }

    #[test]
    fn anything_but_an_ses_notification_is_refused() {
        for bad in [
            "",
            "not json",
            "[]",
            "{}",
            r#"{"Type":"Notification","Message":"not json"}"#,
            r#"{"notificationType":"Bounce"}"#,
            r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent"}}"#,
            r#"{"notificationType":"Complaint"}"#,
        ] {
            assert!(
                matches!(parse_ses_notification(bad), Err(DsnError::NotSes(_))),
                "{bad:?}"
            );
        }
        let confirmation =
            r#"{"Type":"SubscriptionConfirmation","Message":"You have chosen to subscribe"}"#;
        assert!(matches!(
            parse_ses_notification(confirmation),
            Err(DsnError::UnknownSesType(t)) if t == "SubscriptionConfirmation"
        ));
        assert!(matches!(
            parse_ses_notification(r#"{"notificationType":"Open"}"#),
            Err(DsnError::UnknownSesType(_))
        ));
    }
}
