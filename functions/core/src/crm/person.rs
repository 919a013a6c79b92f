//! One person record and its parts.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A person record's id (UUIDv7).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct PersonId(pub Uuid);

impl std::fmt::Display for PersonId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Natural identity data (természetes személyazonosító adatok): what Hungarian law uses to
/// tell one person from another, and what the population register is asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NaturalIdentity {
    pub family_name: String,
    pub given_name: String,
    /// Family and given names at birth, when they differ from today's.
    #[serde(default)]
    pub birth_name: Option<String>,
    #[serde(default)]
    pub birth_place: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub birth_date: Option<Date>,
    /// The mother's name at birth.
    #[serde(default)]
    pub mother_birth_name: Option<String>,
}

impl NaturalIdentity {
    /// The name in Hungarian order, family name first.
    pub fn full_name(&self) -> String {
        match (self.family_name.trim(), self.given_name.trim()) {
            ("", given) => given.to_owned(),
            (family, "") => family.to_owned(),
            (family, given) => format!("{family} {given}"),
        }
    }
}

/// Which address of a person: a person has at most one permanent and one temporary address
/// at a time (lakóhely, tartózkodási hely), and may name where post should go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AddressKind {
    Permanent,
    Temporary,
    Mailing,
}

/// A Hungarian postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Address {
    pub kind: AddressKind,
    /// Four digits.
    pub postcode: String,
    pub city: String,
    /// The street's name with its kind (`Alkotás utca`).
    pub street: String,
    /// House number and what follows it (`12/B. 3. em. 4.`).
    pub number: String,
    /// The municipality's district, as the address register names it (`XII`), once checked.
    #[serde(default)]
    pub district: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_from: Option<Date>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_until: Option<Date>,
    /// When the address register confirmed the address.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub verified_at: Option<Timestamp>,
}

impl Address {
    /// Whether the address is in force on `day`.
    pub fn valid_on(&self, day: Date) -> bool {
        self.valid_from.is_none_or(|from| from <= day)
            && self.valid_until.is_none_or(|until| day <= until)
    }

    /// The address on one line, as envelopes print it.
    pub fn one_line(&self) -> String {
        format!(
            "{} {}, {} {}",
            self.postcode, self.city, self.street, self.number
        )
    }
}

/// Whether mail or messages reach a contact.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ContactState {
    /// Given, never proven.
    #[default]
    Unverified,
    /// The person proved it (a link followed, a code typed back).
    Verified,
    /// Delivery failed for a passing reason (mailbox full); still used.
    SoftBounced,
    /// Delivery failed for good (no such mailbox): nothing is sent to it.
    HardBounced,
    /// The person reported our mail as spam: nothing is sent to it.
    Complained,
}

impl ContactState {
    /// Whether anything may still be sent to a contact in this state.
    pub fn deliverable(self) -> bool {
        !matches!(self, ContactState::HardBounced | ContactState::Complained)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EmailContact {
    /// As given, with the domain in lower case.
    pub address: String,
    #[serde(default)]
    pub state: ContactState,
    /// When the state last changed (a bounce, a verification).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub state_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PhoneContact {
    /// E.164 (`+36301234567`).
    pub number: String,
    #[serde(default)]
    pub state: ContactState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Female,
    Male,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
        }
    }
}

/// Where a recorded gender came from: an inferred one never overwrites a declared one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GenderSource {
    /// The person (or the registry) said so.
    Declared,
    /// Inferred from the given name by the bundled list of registrable names.
    Inferred,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecordedGender {
    pub value: Gender,
    pub source: GenderSource,
}

/// What the person agreed to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Consent {
    #[serde(default)]
    pub newsletter: bool,
    #[serde(default)]
    pub sms: bool,
}

/// That the record's natural identity was matched against the population register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Identification {
    #[schema(value_type = String)]
    pub at: Timestamp,
    /// Which register answered (`local`, the service's name).
    pub registry: String,
    /// The register's own key for the person, for later look-ups (never shown to citizens).
    pub registry_id: String,
    /// Where: at first sign-in, at the desk, by the periodic refresh.
    pub channel: String,
}

/// A company or other organisation a person may represent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Company {
    pub name: String,
    /// Cégjegyzékszám (`01-09-123456`).
    #[serde(default)]
    pub registration_number: Option<String>,
    /// Adószám (`12345678-2-42`).
    #[serde(default)]
    pub tax_number: Option<String>,
    #[serde(default)]
    pub seat: Option<Address>,
}

/// One change of a record, as its history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecordChange {
    #[schema(value_type = String)]
    pub at: Timestamp,
    /// Who: an internal account id, `registry` or `system`.
    pub by: String,
    /// What (`identified`, `moved`, `name_changed`, `deceased`, `merged`, `edited`…).
    pub what: String,
    /// A short description for the office, without secrets.
    #[serde(default)]
    pub detail: Option<String>,
}

/// A clerk's note on a record (what the person said at the desk, what was agreed). Notes
/// are only ever added: a wrong one is corrected by another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PersonNote {
    #[schema(value_type = String)]
    pub at: Timestamp,
    /// The internal account id of the clerk who wrote it.
    pub by: String,
    pub text: String,
}

/// One person (or company) as the municipality knows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PersonRecord {
    pub id: PersonId,
    pub identity: NaturalIdentity,
    #[serde(default)]
    pub addresses: Vec<Address>,
    #[serde(default)]
    pub emails: Vec<EmailContact>,
    #[serde(default)]
    pub phones: Vec<PhoneContact>,
    /// Lakcímkártya number (`123456AB`).
    #[serde(default)]
    pub card_number: Option<String>,
    #[serde(default)]
    pub gender: Option<RecordedGender>,
    #[serde(default)]
    pub consent: Consent,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    /// The login account, when the person has one.
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub company: Option<Company>,
    #[serde(default)]
    pub identified: Option<Identification>,
    /// Set when this record was merged into another: it stays for its history only.
    #[serde(default)]
    pub merged_into: Option<PersonId>,
    /// Records merged into this one.
    #[serde(default)]
    pub merged_from: Vec<PersonId>,
    /// The login accounts of records merged into this one: their cases, payments and
    /// bookings are this person's too.
    #[serde(default)]
    pub merged_accounts: Vec<String>,
    /// Flags for the office: `moved`, `deceased`, `name_changed`, `not_in_register` from
    /// the registry refresh, `address_unchecked` when the address register did not answer
    /// on entry. A clerk resolves them once the record is put right.
    #[serde(default)]
    pub flags: Vec<String>,
    /// What changed in the record, oldest first (registry refreshes, merges, clerks' edits).
    #[serde(default)]
    pub history: Vec<RecordChange>,
    /// The office's notes, oldest first.
    #[serde(default)]
    pub notes: Vec<PersonNote>,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
}

impl PersonRecord {
    /// The address of `kind` in force on `day`.
    pub fn address(&self, kind: AddressKind, day: Date) -> Option<&Address> {
        self.addresses
            .iter()
            .find(|a| a.kind == kind && a.valid_on(day))
    }

    /// Every login account of the person: the linked one and those of merged records.
    pub fn accounts(&self) -> impl Iterator<Item = &str> {
        self.account
            .iter()
            .chain(self.merged_accounts.iter())
            .map(String::as_str)
    }

    /// Whether a clerk must look at the record: the registry flagged it, or mail to one of
    /// its addresses bounced or was complained about.
    pub fn needs_attention(&self) -> bool {
        self.merged_into.is_none()
            && (!self.flags.is_empty()
                || self.emails.iter().any(|e| {
                    e.state != ContactState::Unverified && e.state != ContactState::Verified
                }))
    }

    /// The e-mail addresses mail may still go to.
    pub fn deliverable_emails(&self) -> impl Iterator<Item = &EmailContact> {
        self.emails.iter().filter(|e| e.state.deliverable())
    }
}
