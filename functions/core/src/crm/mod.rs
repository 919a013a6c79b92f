//! The municipality's records of the people and companies it serves (CRM): natural identity
//! as Hungarian law defines it, addresses with their validity, contacts with their delivery
//! state, consent, tags and groups; the search index over them, data quality, duplicate
//! detection, and the national registries the records are checked against.
//!
//! A person record is not an account: it may be linked to one (on registration, or by a
//! clerk) or stand alone (created at the desk or by an import).

pub mod addresses;
pub mod annotate;
pub mod duplicates;
pub mod error;
pub mod generate;
pub mod identify;
pub mod input;
pub mod person;
pub mod quality;
pub mod rebuild;
pub mod refresh;
pub mod registry;
pub mod schedule;
pub mod search;
pub mod service;
pub mod store;

pub use error::{CrmError, FieldError};
pub use input::PersonInput;
pub use person::{
    Address, AddressKind, Company, Consent, ContactState, EmailContact, Gender, GenderSource,
    Identification, NaturalIdentity, PersonId, PersonNote, PersonRecord, PhoneContact,
    RecordChange, RecordedGender,
};
pub use service::{
    BounceReport, Crm, CrmActor, CrmPorts, DuplicatePair, PairState, Purpose, SavedSearch,
    ScanReport, SubjectAccess,
};
pub use store::{PersonStore, StoredPerson};
