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
// An answer lives for one call; boxing the match would only cost an allocation.
#[allow(clippy::large_enum_variant)]
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

/// The kinds of identity document the document register knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
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
        /// The registry id of the person the document was issued to, where the register
        /// says; a document shown at the desk must be the person's own.
        #[serde(default)]
        holder: Option<String>,
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

/// A registry in a few lines for the domain's unit tests: persons and vehicles in maps,
/// and a switch that makes it stop answering.
#[cfg(test)]
pub(crate) mod in_test {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[derive(Default)]
    pub struct TestRegistry {
        pub persons: Mutex<HashMap<String, RegisteredPerson>>,
        pub vehicles: Mutex<HashMap<String, String>>,
        pub down: AtomicBool,
    }

    impl TestRegistry {
        pub fn with(person: RegisteredPerson) -> Self {
            let registry = Self::default();
            registry.put(person);
            registry
        }

        pub fn put(&self, person: RegisteredPerson) {
            self.persons
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(person.registry_id.clone(), person);
        }

        pub fn keep(&self, plate: &str, keeper: &str) {
            self.vehicles
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(normalise_plate(plate), keeper.into());
        }

        pub fn set_down(&self, down: bool) {
            self.down.store(down, Ordering::SeqCst);
        }

        fn up(&self) -> Result<(), RegistryError> {
            if self.down.load(Ordering::SeqCst) {
                Err(RegistryError::Unavailable("switched off".into()))
            } else {
                Ok(())
            }
        }
    }

    #[async_trait]
    impl Registry for TestRegistry {
        fn name(&self) -> &str {
            "test"
        }

        async fn person(&self, identity: &NaturalIdentity) -> Result<PersonMatch, RegistryError> {
            self.up()?;
            let persons = self.persons.lock().unwrap_or_else(|e| e.into_inner());
            let found = persons.values().find(|p| {
                p.identity.family_name == identity.family_name
                    && p.identity.given_name == identity.given_name
                    && p.identity.birth_date == identity.birth_date
            });
            Ok(match found {
                None => PersonMatch::NoMatch,
                Some(p)
                    if identity.mother_birth_name.is_some()
                        && p.identity.mother_birth_name != identity.mother_birth_name =>
                {
                    PersonMatch::Differs {
                        fields: vec!["mother_birth_name".into()],
                    }
                }
                Some(p) => PersonMatch::Match { person: p.clone() },
            })
        }

        async fn person_by_id(
            &self,
            registry_id: &str,
        ) -> Result<Option<RegisteredPerson>, RegistryError> {
            self.up()?;
            let persons = self.persons.lock().unwrap_or_else(|e| e.into_inner());
            Ok(persons.get(registry_id).cloned())
        }

        async fn address(
            &self,
            _postcode: &str,
            _street: &str,
            _number: &str,
        ) -> Result<AddressCheck, RegistryError> {
            self.up()?;
            Ok(AddressCheck::Valid {
                district: "V".into(),
                city: "Budapest".into(),
            })
        }

        async fn vehicle(&self, plate: &str) -> Result<VehicleCheck, RegistryError> {
            self.up()?;
            let vehicles = self.vehicles.lock().unwrap_or_else(|e| e.into_inner());
            Ok(match vehicles.get(&normalise_plate(plate)) {
                Some(keeper) => VehicleCheck::KeptBy {
                    registry_id: keeper.clone(),
                },
                None => VehicleCheck::NotRegistered,
            })
        }

        async fn document(
            &self,
            _kind: DocumentKind,
            number: &str,
        ) -> Result<DocumentCheck, RegistryError> {
            self.up()?;
            Ok(match number {
                "123456AB" => DocumentCheck::Valid {
                    expires_on: None,
                    holder: Some("R-1".into()),
                },
                "777777AB" => DocumentCheck::Valid {
                    expires_on: None,
                    holder: Some("R-2".into()),
                },
                "666666XX" => DocumentCheck::Invalid {
                    reason: "stolen".into(),
                },
                _ => DocumentCheck::Unknown,
            })
        }
    }

    /// Kovács Anna of Budapest V. (register key `R-1`).
    pub fn anna() -> RegisteredPerson {
        RegisteredPerson {
            registry_id: "R-1".into(),
            identity: NaturalIdentity {
                family_name: "Kovács".into(),
                given_name: "Anna".into(),
                birth_name: None,
                birth_place: Some("Budapest".into()),
                birth_date: Some(jiff::civil::date(1985, 4, 12)),
                mother_birth_name: Some("Szabó Mária".into()),
            },
            permanent_address: Some(Address {
                kind: crate::crm::person::AddressKind::Permanent,
                postcode: "1051".into(),
                city: "Budapest".into(),
                street: "Október 6. utca".into(),
                number: "12.".into(),
                district: Some("V".into()),
                valid_from: None,
                valid_until: None,
                verified_at: None,
            }),
            temporary_address: None,
            card_number: Some("123456AB".into()),
            deceased_on: None,
        }
    }
}
