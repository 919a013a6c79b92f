//! A citizen's booking of a clerk's time, its states and its short code.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a booking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Booked,
    /// Moved to another time by the citizen or the office; still open.
    Rescheduled,
    Cancelled,
    CheckedIn,
    NoShow,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Booked => "booked",
            BookingStatus::Rescheduled => "rescheduled",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::CheckedIn => "checked_in",
            BookingStatus::NoShow => "no_show",
        }
    }

    /// Open bookings hold a seat and count towards the citizen's limit.
    pub fn is_open(self) -> bool {
        matches!(self, BookingStatus::Booked | BookingStatus::Rescheduled)
    }

    /// The state machine: only open bookings change, and only into these states.
    pub fn can_become(self, to: BookingStatus) -> bool {
        self.is_open()
            && matches!(
                to,
                BookingStatus::Rescheduled
                    | BookingStatus::Cancelled
                    | BookingStatus::CheckedIn
                    | BookingStatus::NoShow
            )
    }
}

impl std::fmt::Display for BookingStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who cancelled or moved a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Citizen,
    Office,
}

/// Whether the reminder of the current start time went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderState {
    Pending,
    Sent,
}

impl ReminderState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderState::Pending => "pending",
            ReminderState::Sent => "sent",
        }
    }
}

/// A booking as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub id: Uuid,
    pub code: BookingCode,
    /// The citizen's account (token subject).
    pub citizen_id: String,
    pub office_id: String,
    pub service_id: String,
    pub clerk_id: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub status: BookingStatus,
    /// One of the citizen's cases this appointment is for.
    #[serde(default)]
    pub case_id: Option<String>,
    /// iCalendar SEQUENCE: bumped whenever the time or state changes.
    pub sequence: u32,
    /// Why the office cancelled or moved it (shown to the citizen).
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub changed_by: Option<Actor>,
    pub reminder: ReminderState,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Letters of booking codes: no 0/O, 1/I/L or U, so a code read aloud at the desk is unambiguous.
const CODE_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ_";

/// Characters of a code.
pub const CODE_LEN: usize = 8;

/// A short code the citizen quotes at the desk (8 characters, about 39 bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BookingCode(String);

impl BookingCode {
    /// A code from random bits (e.g. a fresh UUID's random part).
    pub fn from_random(random: Uuid) -> Self {
        let alphabet = &CODE_ALPHABET[..30];
        let mut n = random.as_u128();
        let mut code = String::with_capacity(CODE_LEN);
        for _ in 0..CODE_LEN {
            code.push(char::from(alphabet[(n % 30) as usize]));
            n /= 30;
        }
        Self(code)
    }

    /// Parses a code as a person types or reads it out: in any case, with spaces or
    /// dashes between its letters.
    pub fn parse(text: &str) -> Option<Self> {
        let upper: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '\u{2010}'..='\u{2013}'))
            .collect::<String>()
            .to_ascii_uppercase();
        (upper.len() == CODE_LEN && upper.bytes().all(|b| CODE_ALPHABET[..30].contains(&b)))
            .then_some(Self(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BookingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_open_bookings_change_state() {
        use BookingStatus::*;
        assert!(Booked.can_become(Cancelled));
        assert!(Rescheduled.can_become(CheckedIn));
        assert!(Booked.can_become(NoShow));
        assert!(!Cancelled.can_become(Rescheduled));
        assert!(!CheckedIn.can_become(NoShow));
        assert!(!NoShow.can_become(Cancelled));
        assert!(!Booked.can_become(Booked));
    }

    #[test]
    fn codes_are_short_unambiguous_and_parse_back() {
        let code =
            BookingCode::from_random(Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0));
        assert_eq!(code.as_str().len(), CODE_LEN);
        assert!(!code.as_str().contains(['0', 'O', '1', 'I', 'L', 'U']));
        assert_eq!(
            BookingCode::parse(&code.as_str().to_lowercase()),
            Some(code.clone())
        );
        let quoted = format!(" {}-{} ", &code.as_str()[..4], &code.as_str()[4..]).to_lowercase();
        assert_eq!(BookingCode::parse(&quoted), Some(code.clone()));
        let spaced = code
            .as_str()
            .chars()
            .map(String::from)
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(BookingCode::parse(&spaced), Some(code));
        assert_eq!(BookingCode::parse("ABC"), None);
        assert_eq!(BookingCode::parse("0OOOOOOO"), None);
    }
}
