//! Deciding which pending payment a bank credit pays: by the payment reference found in
//! the remittance text first, then by amount and the payer's name, with a confidence
//! score. Only clear matches settle on their own; the rest wait for a clerk.

use super::camt::StatementEntry;
use super::payment::Payment;
use super::reference::PaymentReference;
use super::status::{PaymentMethod, PaymentStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Confidence (percent) from which a match settles without a clerk.
pub const AUTO_SETTLE_CONFIDENCE: u8 = 90;

/// Confidence of the runner-up above which even a high score is not clear.
const AMBIGUOUS_RUNNER_UP: u8 = 70;

/// What a match rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchBasis {
    Reference,
    AmountAndName,
    /// A clerk linked it by hand.
    Clerk,
}

/// A proposed payment for an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub payment_id: Uuid,
    /// 0–100.
    pub confidence: u8,
    pub basis: MatchBasis,
}

/// What to do with an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchDecision {
    /// Clear: settle this payment.
    Settle(Suggestion),
    /// Unclear: a clerk decides, maybe with a suggestion.
    Queue {
        suggestion: Option<Suggestion>,
        reason: String,
    },
    /// Not money for a fee (a debit, a pending booking).
    Skip(String),
}

/// Decides for one entry. `referenced` is the payment whose reference the remittance
/// text carries, if any; `open` are the open bank-transfer payments.
pub fn decide(
    entry: &StatementEntry,
    referenced: Option<&Payment>,
    open: &[Payment],
) -> MatchDecision {
    if !entry.credit {
        return MatchDecision::Skip("a debit".into());
    }
    if !entry.booked {
        return MatchDecision::Skip("not booked yet".into());
    }
    if let Some(payment) = referenced {
        let suggestion = |confidence| Suggestion {
            payment_id: payment.id,
            confidence,
            basis: MatchBasis::Reference,
        };
        if payment.amount != entry.amount {
            return MatchDecision::Queue {
                suggestion: Some(suggestion(60)),
                reason: format!(
                    "the reference matches but the amount is {} {} instead of {} {}",
                    entry.amount.amount,
                    entry.amount.currency,
                    payment.amount.amount,
                    payment.amount.currency
                ),
            };
        }
        return match payment.status {
            // A settled payment paid again becomes an overpayment when settled.
            PaymentStatus::Initiated | PaymentStatus::Pending | PaymentStatus::Succeeded => {
                MatchDecision::Settle(suggestion(100))
            }
            other => MatchDecision::Queue {
                suggestion: Some(suggestion(50)),
                reason: format!("the referenced payment is {other}"),
            },
        };
    }
    let mut scored: Vec<Suggestion> = open
        .iter()
        .filter(|p| p.method == PaymentMethod::BankTransfer && p.status.is_open())
        .filter(|p| p.amount == entry.amount)
        .map(|p| {
            let similarity = match (&entry.payer_name, &p.payer_name) {
                (Some(a), Some(b)) => name_similarity(a, b),
                _ => 0,
            };
            Suggestion {
                payment_id: p.id,
                // The amount alone is weak evidence; the name carries the rest.
                confidence: 40 + (u16::from(similarity) * 60 / 100) as u8,
                basis: MatchBasis::AmountAndName,
            }
        })
        .collect();
    scored.sort_by_key(|s| std::cmp::Reverse(s.confidence));
    match scored.as_slice() {
        [] => MatchDecision::Queue {
            suggestion: None,
            reason: "no reference and no open payment of this amount".into(),
        },
        [best, rest @ ..] => {
            let runner_up = rest.first().map_or(0, |s| s.confidence);
            if best.confidence >= AUTO_SETTLE_CONFIDENCE && runner_up < AMBIGUOUS_RUNNER_UP {
                MatchDecision::Settle(*best)
            } else {
                MatchDecision::Queue {
                    suggestion: Some(*best),
                    reason: if rest.is_empty() {
                        "no reference; the payer's name does not clearly match".into()
                    } else {
                        format!(
                            "no reference; {} open payments of this amount",
                            scored.len()
                        )
                    },
                }
            }
        }
    }
}

/// The reference in an entry's remittance text, if any.
pub fn reference_of(entry: &StatementEntry) -> Option<PaymentReference> {
    PaymentReference::find_in(&entry.remittance)
}

fn fold(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'ő' | 'õ' => 'o',
        'ú' | 'ù' | 'û' | 'ü' | 'ű' => 'u',
        other => other,
    }
}

fn tokens(name: &str) -> Vec<String> {
    name.to_lowercase()
        .chars()
        .map(fold)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .filter(|t| !matches!(*t, "dr" | "ifj" | "id" | "ozv" | "né" | "ne"))
        .map(str::to_owned)
        .collect()
}

/// How alike two personal names are (0–100), ignoring case, accents, order and titles;
/// an initial counts half for the name it abbreviates.
pub fn name_similarity(a: &str, b: &str) -> u8 {
    let (a, b) = (tokens(a), tokens(b));
    if a.is_empty() || b.is_empty() {
        return 0;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let mut used = vec![false; long.len()];
    let mut score = 0u32;
    for token in short {
        let exact = long
            .iter()
            .enumerate()
            .find(|(i, t)| !used[*i] && *t == token);
        if let Some((i, _)) = exact {
            used[i] = true;
            score += 2;
            continue;
        }
        let initial = long.iter().enumerate().find(|(i, t)| {
            !used[*i]
                && (token.len() == 1 && t.starts_with(token.as_str())
                    || t.len() == 1 && token.starts_with(t.as_str()))
        });
        if let Some((i, _)) = initial {
            used[i] = true;
            score += 1;
        }
    }
    (score * 100 / (2 * long.len() as u32)) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::Money;
    use jiff::Timestamp;

    fn huf(amount: i64) -> Money {
        Money {
            amount,
            currency: "HUF".into(),
        }
    }

    fn payment(n: u64, amount: i64, payer: &str) -> Payment {
        Payment {
            id: Uuid::from_u128(u128::from(n)),
            case_id: Uuid::from_u128(1000 + u128::from(n)),
            owner: "o".into(),
            method: PaymentMethod::BankTransfer,
            amount: huf(amount),
            status: PaymentStatus::Pending,
            reference: PaymentReference::from_number(n),
            payer_name: Some(payer.into()),
            provider_transaction: None,
            redirect_url: None,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
            settled_at: None,
            settled_by: None,
            invoice_number: None,
            receipt: None,
            invoice_xml_key: None,
            history: Vec::new(),
        }
    }

    fn entry(amount: i64, payer: Option<&str>, remittance: &str) -> StatementEntry {
        StatementEntry {
            entry_id: "e".into(),
            amount: huf(amount),
            credit: true,
            booked: true,
            booking_date: None,
            remittance: remittance.into(),
            payer_name: payer.map(str::to_owned),
            payer_account: None,
        }
    }

    #[test]
    fn names_compare_without_case_accents_order_or_titles() {
        assert_eq!(name_similarity("KOVACS JANOS", "Kovács János"), 100);
        assert_eq!(name_similarity("Dr. János Kovács", "KOVÁCS JÁNOS"), 100);
        assert_eq!(name_similarity("KOVACS J", "Kovács János"), 75);
        assert_eq!(name_similarity("Nagy Éva", "Kovács János"), 0);
    }

    #[test]
    fn a_reference_with_the_right_amount_settles_at_full_confidence() {
        let p = payment(7, 12_000, "Kovács János");
        let d = decide(&entry(12_000, None, "x"), Some(&p), &[]);
        assert_eq!(
            d,
            MatchDecision::Settle(Suggestion {
                payment_id: p.id,
                confidence: 100,
                basis: MatchBasis::Reference
            })
        );
        assert!(matches!(
            decide(&entry(11_000, None, "x"), Some(&p), &[]),
            MatchDecision::Queue {
                suggestion: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn amount_and_a_clear_name_settle_but_two_candidates_wait_for_a_clerk() {
        let a = payment(1, 3_000, "Kovács János");
        let b = payment(2, 3_000, "Nagy Éva");
        let c = payment(3, 3_000, "Kovács Jánosné");
        let clear = decide(
            &entry(3_000, Some("KOVACS JANOS"), ""),
            None,
            &[a.clone(), b.clone()],
        );
        assert!(
            matches!(clear, MatchDecision::Settle(s) if s.payment_id == a.id && s.confidence == 100)
        );
        let unclear = decide(&entry(3_000, Some("KOVACS J"), ""), None, &[a.clone(), c]);
        assert!(
            matches!(unclear, MatchDecision::Queue { .. }),
            "{unclear:?}"
        );
        let nameless = decide(&entry(3_000, None, "díj"), None, &[a, b]);
        assert!(
            matches!(nameless, MatchDecision::Queue { suggestion: Some(s), .. } if s.confidence == 40)
        );
        let debit = StatementEntry {
            credit: false,
            ..entry(3_000, None, "")
        };
        assert!(matches!(decide(&debit, None, &[]), MatchDecision::Skip(_)));
    }
}
