//! The local registry: the population, address, vehicle and document registers of a demo
//! district held in memory, from bundled JSON, an operator's file, or generated for load
//! tests; tests change it to see the periodic refresh find the changes.

use async_trait::async_trait;
use jiff::civil::Date;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::RwLock;
use varoskapu_core::crm::person::{Address, AddressKind, NaturalIdentity};
use varoskapu_core::crm::quality::fold::{fold, fold_name, fold_street};
use varoskapu_core::crm::registry::{
    AddressCheck, DocumentCheck, DocumentKind, PersonMatch, RegisteredPerson, Registry,
    RegistryError, VehicleCheck, normalise_plate,
};

/// The demo district's registers, bundled with the binary.
const DEMO: &str = include_str!("../data/demo-registry.json");

/// One street of the address register with the house numbers that exist on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreetRange {
    pub postcode: String,
    /// The street's name with its kind (`Október 6. utca`).
    pub street: String,
    /// The first and last house number that exist (inclusive).
    pub first: u32,
    pub last: u32,
    /// The district as the register names it (`V`).
    pub district: String,
    pub city: String,
}

/// An identity document in the document register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredDocument {
    pub kind: DocumentKind,
    pub number: String,
    /// The holder's register key.
    pub holder: String,
    #[serde(default)]
    pub expires_on: Option<Date>,
    /// `valid`, or why it is not (`stolen`, `lost`, `withdrawn`).
    pub status: String,
}

/// A vehicle in the vehicle register and its keeper (üzembentartó).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredVehicle {
    /// As printed (`ABC-123`); looked up normalised.
    pub plate: String,
    /// The keeper's register key: a person's, or a company's (`CEG-…`).
    pub keeper: String,
}

/// A company that keeps vehicles (a leasing company, a fleet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredCompany {
    pub registry_id: String,
    pub name: String,
}

/// The file format of a local registry (`data/demo-registry.json` is one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryData {
    /// The name answers carry (`local`).
    #[serde(default = "local_name")]
    pub registry: String,
    #[serde(default)]
    pub streets: Vec<StreetRange>,
    #[serde(default)]
    pub persons: Vec<RegisteredPerson>,
    #[serde(default)]
    pub documents: Vec<RegisteredDocument>,
    #[serde(default)]
    pub vehicles: Vec<RegisteredVehicle>,
    #[serde(default)]
    pub companies: Vec<RegisteredCompany>,
}

fn local_name() -> String {
    "local".into()
}

/// Why a local registry could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the registry file {path} cannot be read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the registry file {path} is not a registry: {source}")]
    Parse {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

/// What changes of a local registry are refused for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error("no person with that register key")]
    UnknownPerson,
    #[error("a person with that register key exists already")]
    DuplicatePerson,
}

struct Registers {
    persons: Vec<RegisteredPerson>,
    by_id: HashMap<String, usize>,
    /// Folded `family|given|birth date` → the persons with it.
    by_key: HashMap<String, Vec<usize>>,
    /// `postcode|folded street` → its number ranges.
    streets: HashMap<String, Vec<StreetRange>>,
    postcodes: std::collections::HashSet<String>,
    vehicles: HashMap<String, String>,
    documents: HashMap<(DocumentKind, String), RegisteredDocument>,
}

impl Registers {
    fn build(data: RegistryData) -> Result<Self, ChangeError> {
        let mut registers = Self {
            persons: Vec::new(),
            by_id: HashMap::new(),
            by_key: HashMap::new(),
            streets: HashMap::new(),
            postcodes: Default::default(),
            vehicles: HashMap::new(),
            documents: HashMap::new(),
        };
        for street in data.streets {
            registers.postcodes.insert(street.postcode.clone());
            registers
                .streets
                .entry(street_key(&street.postcode, &street.street))
                .or_default()
                .push(street);
        }
        for person in data.persons {
            registers.insert(person)?;
        }
        for vehicle in data.vehicles {
            registers
                .vehicles
                .insert(normalise_plate(&vehicle.plate), vehicle.keeper);
        }
        for document in data.documents {
            registers
                .documents
                .insert((document.kind, document_key(&document.number)), document);
        }
        Ok(registers)
    }

    fn insert(&mut self, person: RegisteredPerson) -> Result<(), ChangeError> {
        if self.by_id.contains_key(&person.registry_id) {
            return Err(ChangeError::DuplicatePerson);
        }
        let at = self.persons.len();
        self.by_id.insert(person.registry_id.clone(), at);
        if let Some(key) = person_key(&person.identity) {
            self.by_key.entry(key).or_default().push(at);
        }
        self.persons.push(person);
        Ok(())
    }

    fn person_mut(&mut self, registry_id: &str) -> Result<&mut RegisteredPerson, ChangeError> {
        let at = *self
            .by_id
            .get(registry_id)
            .ok_or(ChangeError::UnknownPerson)?;
        Ok(&mut self.persons[at])
    }

    /// Rebuilds the name index after a person's name or birth date changed.
    fn reindex(&mut self) {
        self.by_key.clear();
        for (at, person) in self.persons.iter().enumerate() {
            if let Some(key) = person_key(&person.identity) {
                self.by_key.entry(key).or_default().push(at);
            }
        }
    }
}

fn person_key(identity: &NaturalIdentity) -> Option<String> {
    let date = identity.birth_date?;
    Some(format!(
        "{}|{}|{date}",
        fold_name(&identity.family_name),
        fold_name(&identity.given_name)
    ))
}

fn street_key(postcode: &str, street: &str) -> String {
    format!("{}|{}", postcode.trim(), fold_street(street))
}

fn document_key(number: &str) -> String {
    number
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// The leading house number of `12/B. 3. em. 4.` (12), if it starts with one.
fn house_number(number: &str) -> Option<u32> {
    let digits: String = number
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The fields of a registered identity that differ from what was asked (only those asked).
fn differing(asked: &NaturalIdentity, held: &NaturalIdentity) -> Vec<String> {
    let mut fields = Vec::new();
    let mut compare =
        |name: &str, asked: &Option<String>, held: &Option<String>, f: fn(&str) -> String| {
            if let Some(asked) = asked.as_deref().filter(|a| !a.trim().is_empty())
                && held.as_deref().map(f) != Some(f(asked))
            {
                fields.push(name.to_owned());
            }
        };
    compare("birth_place", &asked.birth_place, &held.birth_place, fold);
    compare(
        "mother_birth_name",
        &asked.mother_birth_name,
        &held.mother_birth_name,
        fold_name,
    );
    compare("birth_name", &asked.birth_name, &held.birth_name, fold_name);
    fields
}

/// An in-process registry over [`RegistryData`].
pub struct LocalRegistry {
    name: String,
    registers: RwLock<Registers>,
    /// "Today" for document expiry; the machine's date when not set.
    today: Option<Date>,
}

impl LocalRegistry {
    /// The registers of `data`; fails when two persons share a register key.
    pub fn new(data: RegistryData) -> Result<Self, ChangeError> {
        Ok(Self {
            name: data.registry.clone(),
            registers: RwLock::new(Registers::build(data)?),
            today: None,
        })
    }

    /// The bundled demo district (Budapest V.): about thirty persons, the district's
    /// streets, their vehicles and identity documents.
    pub fn demo() -> Self {
        Self::new(Self::demo_data()).unwrap_or_else(|e| {
            // The bundled file is part of the build; its unit test keeps it loadable.
            panic!("the bundled demo registry is broken: {e}")
        })
    }

    /// The bundled demo data, for tests that start from it and change it.
    pub fn demo_data() -> RegistryData {
        serde_json::from_str(DEMO)
            .unwrap_or_else(|e| panic!("the bundled demo registry is not valid JSON: {e}"))
    }

    /// A registry file in the format of `data/demo-registry.json` (an operator's own).
    pub fn from_file(path: &Path) -> Result<Self, LoadError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: shown.clone(),
            source,
        })?;
        let data: RegistryData =
            serde_json::from_str(&text).map_err(|source| LoadError::Parse {
                path: shown.clone(),
                source,
            })?;
        Self::new(data).map_err(|e| LoadError::Parse {
            path: shown,
            source: serde::de::Error::custom(e),
        })
    }

    /// Judges document expiry as of `today` instead of the machine's date.
    pub fn with_today(mut self, today: Date) -> Self {
        self.today = Some(today);
        self
    }

    /// A large deterministic registry for load tests: the demo district's streets and
    /// `count` generated persons (`GEN-<n>`), each with an address there, a vehicle
    /// (`GEN-<n>` keeps `G<letters>-<n>`) and an identity card; the same `seed` gives
    /// the same registry.
    pub fn generate(count: usize, seed: u64) -> Self {
        const FAMILY: &[&str] = &[
            "Nagy",
            "Kovács",
            "Tóth",
            "Szabó",
            "Horváth",
            "Varga",
            "Kiss",
            "Molnár",
            "Németh",
            "Farkas",
            "Balogh",
            "Papp",
            "Takács",
            "Juhász",
            "Lakatos",
            "Mészáros",
            "Oláh",
            "Simon",
            "Rácz",
            "Fekete",
        ];
        const GIVEN: &[&str] = &[
            "Anna", "Mária", "Katalin", "Éva", "Zsófia", "Júlia", "Réka", "Eszter", "László",
            "István", "József", "Gábor", "Péter", "Zoltán", "Bence", "Máté", "Dávid", "Ádám",
        ];
        const PLACES: &[&str] = &[
            "Budapest", "Debrecen", "Szeged", "Pécs", "Győr", "Miskolc", "Eger", "Sopron",
        ];
        let mut data = Self::demo_data();
        data.persons.clear();
        data.vehicles.clear();
        data.documents.clear();
        data.companies.clear();
        let streets: Vec<StreetRange> = data
            .streets
            .iter()
            .filter(|s| s.district == "V")
            .cloned()
            .collect();
        let mut rng = StdRng::seed_from_u64(seed);
        for n in 0..count {
            let pick =
                |rng: &mut StdRng, list: &[&str]| list[rng.random_range(0..list.len())].to_owned();
            let street = &streets[rng.random_range(0..streets.len())];
            let registry_id = format!("GEN-{n:07}");
            let birth_date = Date::new(
                rng.random_range(1935..2007),
                rng.random_range(1..=12),
                rng.random_range(1..=28),
            )
            .unwrap_or(Date::constant(1980, 1, 1));
            data.persons.push(RegisteredPerson {
                registry_id: registry_id.clone(),
                identity: NaturalIdentity {
                    family_name: pick(&mut rng, FAMILY),
                    given_name: pick(&mut rng, GIVEN),
                    birth_name: None,
                    birth_place: Some(pick(&mut rng, PLACES)),
                    birth_date: Some(birth_date),
                    mother_birth_name: Some(format!(
                        "{} {}",
                        pick(&mut rng, FAMILY),
                        pick(&mut rng, &GIVEN[..8])
                    )),
                },
                permanent_address: Some(Address {
                    kind: AddressKind::Permanent,
                    postcode: street.postcode.clone(),
                    city: street.city.clone(),
                    street: street.street.clone(),
                    number: format!("{}.", rng.random_range(street.first..=street.last)),
                    district: Some(street.district.clone()),
                    valid_from: None,
                    valid_until: None,
                    verified_at: None,
                }),
                temporary_address: None,
                card_number: Some(format!("{:06}GN", n % 1_000_000)),
                deceased_on: None,
            });
            let letters: String = (0..3)
                .map(|i| char::from(b'A' + ((n / 26usize.pow(i)) % 26) as u8))
                .collect();
            data.vehicles.push(RegisteredVehicle {
                plate: format!("G{letters}-{:03}", n % 1000),
                keeper: registry_id.clone(),
            });
            data.documents.push(RegisteredDocument {
                kind: DocumentKind::IdentityCard,
                number: format!("{n:06}GI"),
                holder: registry_id,
                expires_on: Some(Date::constant(2035, 1, 1)),
                status: "valid".into(),
            });
        }
        Self::new(data).unwrap_or_else(|e| panic!("generated register keys are unique: {e}"))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Registers> {
        self.registers.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registers> {
        self.registers.write().unwrap_or_else(|e| e.into_inner())
    }

    /// How many persons the population register holds.
    pub fn person_count(&self) -> usize {
        self.read().persons.len()
    }

    /// Adds a person to the population register.
    pub fn insert_person(&self, person: RegisteredPerson) -> Result<(), ChangeError> {
        self.write().insert(person)
    }

    /// The person moves: a new permanent address (its district as given).
    pub fn move_person(&self, registry_id: &str, address: Address) -> Result<(), ChangeError> {
        let mut registers = self.write();
        let person = registers.person_mut(registry_id)?;
        person.permanent_address = Some(Address {
            kind: AddressKind::Permanent,
            ..address
        });
        Ok(())
    }

    /// The person's name changes (marriage, a change of name).
    pub fn rename_person(
        &self,
        registry_id: &str,
        family_name: &str,
        given_name: &str,
    ) -> Result<(), ChangeError> {
        let mut registers = self.write();
        let person = registers.person_mut(registry_id)?;
        if person.identity.birth_name.is_none() {
            person.identity.birth_name = Some(person.identity.full_name());
        }
        person.identity.family_name = family_name.to_owned();
        person.identity.given_name = given_name.to_owned();
        registers.reindex();
        Ok(())
    }

    /// Records the person's death.
    pub fn set_deceased(&self, registry_id: &str, on: Date) -> Result<(), ChangeError> {
        self.write().person_mut(registry_id)?.deceased_on = Some(on);
        Ok(())
    }

    /// Removes a person from the register (an id the refresh no longer finds).
    pub fn remove_person(&self, registry_id: &str) -> Result<(), ChangeError> {
        let mut registers = self.write();
        let at = registers
            .by_id
            .remove(registry_id)
            .ok_or(ChangeError::UnknownPerson)?;
        registers.persons.remove(at);
        let ids: Vec<String> = registers
            .persons
            .iter()
            .map(|p| p.registry_id.clone())
            .collect();
        registers.by_id = ids.into_iter().enumerate().map(|(i, id)| (id, i)).collect();
        registers.reindex();
        Ok(())
    }

    /// Who keeps a vehicle from now on (`None`: the vehicle is deregistered).
    pub fn set_vehicle_keeper(&self, plate: &str, keeper: Option<&str>) {
        let mut registers = self.write();
        match keeper {
            Some(keeper) => registers
                .vehicles
                .insert(normalise_plate(plate), keeper.to_owned()),
            None => registers.vehicles.remove(&normalise_plate(plate)),
        };
    }

    fn today(&self) -> Date {
        self.today.unwrap_or_else(|| jiff::Zoned::now().date())
    }
}

#[async_trait]
impl Registry for LocalRegistry {
    fn name(&self) -> &str {
        &self.name
    }

    async fn person(&self, identity: &NaturalIdentity) -> Result<PersonMatch, RegistryError> {
        let registers = self.read();
        let Some(key) = person_key(identity) else {
            return Ok(PersonMatch::NoMatch);
        };
        let Some(candidates) = registers.by_key.get(&key) else {
            return Ok(PersonMatch::NoMatch);
        };
        // The candidate with the fewest differing fields: an exact one if any.
        let best = candidates
            .iter()
            .map(|&at| {
                let person = &registers.persons[at];
                (differing(identity, &person.identity), person)
            })
            .min_by_key(|(fields, _)| fields.len());
        Ok(match best {
            Some((fields, person)) if fields.is_empty() => PersonMatch::Match {
                person: person.clone(),
            },
            Some((fields, _)) => PersonMatch::Differs { fields },
            None => PersonMatch::NoMatch,
        })
    }

    async fn person_by_id(
        &self,
        registry_id: &str,
    ) -> Result<Option<RegisteredPerson>, RegistryError> {
        let registers = self.read();
        Ok(registers
            .by_id
            .get(registry_id)
            .map(|&at| registers.persons[at].clone()))
    }

    async fn address(
        &self,
        postcode: &str,
        street: &str,
        number: &str,
    ) -> Result<AddressCheck, RegistryError> {
        let registers = self.read();
        let invalid = |field: &str| {
            Ok(AddressCheck::Invalid {
                field: field.into(),
            })
        };
        if !registers.postcodes.contains(postcode.trim()) {
            return invalid("postcode");
        }
        let Some(ranges) = registers.streets.get(&street_key(postcode, street)) else {
            // A street of the register under another postcode is a postcode mismatch.
            let elsewhere = registers
                .streets
                .values()
                .flatten()
                .any(|s| fold_street(&s.street) == fold_street(street));
            return invalid(if elsewhere { "postcode" } else { "street" });
        };
        let Some(n) = house_number(number) else {
            return invalid("number");
        };
        match ranges.iter().find(|r| r.first <= n && n <= r.last) {
            Some(range) => Ok(AddressCheck::Valid {
                district: range.district.clone(),
                city: range.city.clone(),
            }),
            None => invalid("number"),
        }
    }

    async fn vehicle(&self, plate: &str) -> Result<VehicleCheck, RegistryError> {
        Ok(match self.read().vehicles.get(&normalise_plate(plate)) {
            Some(keeper) => VehicleCheck::KeptBy {
                registry_id: keeper.clone(),
            },
            None => VehicleCheck::NotRegistered,
        })
    }

    async fn document(
        &self,
        kind: DocumentKind,
        number: &str,
    ) -> Result<DocumentCheck, RegistryError> {
        let registers = self.read();
        let Some(document) = registers.documents.get(&(kind, document_key(number))) else {
            return Ok(DocumentCheck::Unknown);
        };
        if document.status != "valid" {
            return Ok(DocumentCheck::Invalid {
                reason: document.status.clone(),
            });
        }
        if document.expires_on.is_some_and(|on| on < self.today()) {
            return Ok(DocumentCheck::Invalid {
                reason: "expired".into(),
            });
        }
        Ok(DocumentCheck::Valid {
            expires_on: document.expires_on,
            holder: Some(document.holder.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_demo_registry_loads_with_about_thirty_persons() {
        let registry = LocalRegistry::demo();
        assert!((25..=40).contains(&registry.person_count()));
    }

    #[test]
    fn generated_registries_are_the_same_for_the_same_seed() {
        let a = LocalRegistry::generate(500, 7);
        let b = LocalRegistry::generate(500, 7);
        assert_eq!(a.person_count(), 500);
        let first = |r: &LocalRegistry| r.read().persons[123].clone();
        assert_eq!(first(&a), first(&b));
        assert_ne!(first(&a), first(&LocalRegistry::generate(500, 8)));
    }

    #[test]
    fn house_numbers_are_read_from_the_start() {
        assert_eq!(house_number("12/B. 3. em. 4."), Some(12));
        assert_eq!(house_number(" 7."), Some(7));
        assert_eq!(house_number("B/12"), None);
    }
}
