//! The `Registry` port: the national registries (the population register, the address
//! register, the vehicle register, the identity document register, run by KEKKH/IdomSoft
//! as SZL) behind one trait, as the records and automatic decisions ask them.
//!
//! Every answer names the registry that gave it; "no answer" is an error, never a "no":
//! a decision that needs the registry and does not get it goes to a clerk.

use super::person::{Address, NaturalIdentity};
use async_trait::async_trait;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The population register's answer about a natural identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum PersonMatch {
    /// One person with exactly this identity; what the register holds of them.
    Match {
        person: RegisteredPerson,
    },
    NoMatch,
    /// One person matches the name and birth date but the named fields differ
    /// (`birth_place`, `mother_birth_name`…).
    Differs {
        fields: Vec<String>,
    },
}

/// What the population register holds of a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredPerson {
    /// The register's own key for the person (never shown to citizens).
    pub registry_id: String,
    pub identity: NaturalIdentity,
    /// Lakóhely.
    pub permanent_address: Option<Address>,
    /// Tartózkodási hely.
    pub temporary_address: Option<Address>,
    pub card_number: Option<String>,
    /// Set when the person has died.
    pub deceased_on: Option<Date>,
}

/// The address register's answer about an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum AddressCheck {
    /// The address exists; the district it belongs to, as the register spells it.
    Valid { district: String, city: String },
    /// No such address; what is wrong (`postcode`, `street`, `number`).
    Invalid { field: String },
}

/// The vehicle register's answer about a plate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum VehicleCheck {
    /// The vehicle's keeper (üzembentartó) is the person with this register key.
    KeptBy {
        registry_id: String,
    },
    NotRegistered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    IdentityCard,
    Passport,
    DrivingLicence,
    AddressCard,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum DocumentCheck {
    Valid {
        expires_on: Option<Date>,
    },
    /// Expired, withdrawn, reported lost or stolen.
    Invalid {
        reason: String,
    },
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The registry did not answer in time, or answered with an error: ask again later.
    #[error("the registry did not answer: {0}")]
    Unavailable(String),
    /// The registry refused the question (bad credentials, a malformed request).
    #[error("the registry refused the request: {0}")]
    Refused(String),
}

/// The registries, asked one question at a time.
#[async_trait]
pub trait Registry: Send + Sync + 'static {
    /// Which registry answers (`local`, the service's host), recorded on identifications.
    fn name(&self) -> &str;
    /// Matches a natural identity against the population register.
    async fn person(&self, identity: &NaturalIdentity) -> Result<PersonMatch, RegistryError>;
    /// The register's current data of a person found before (the periodic refresh).
    async fn person_by_id(
        &self,
        registry_id: &str,
    ) -> Result<Option<RegisteredPerson>, RegistryError>;
    /// Checks an address against the address register.
    async fn address(
        &self,
        postcode: &str,
        street: &str,
        number: &str,
    ) -> Result<AddressCheck, RegistryError>;
    /// Who keeps the vehicle with this plate (normalised: upper case, no spaces or dashes).
    async fn vehicle(&self, plate: &str) -> Result<VehicleCheck, RegistryError>;
    /// Whether an identity document is valid.
    async fn document(
        &self,
        kind: DocumentKind,
        number: &str,
    ) -> Result<DocumentCheck, RegistryError>;
}

/// Normalises a Hungarian number plate: upper case, without spaces and dashes (`abc-123` →
/// `ABC123`, `AA AA-123` → `AAAA123`).
pub fn normalise_plate(plate: &str) -> String {
    plate
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}
