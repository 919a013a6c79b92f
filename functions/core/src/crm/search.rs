//! The `PersonIndex` port: the search index over person records, a read model derived
//! from the table (rebuilt from it at any time, never the record of truth).
//!
//! The crm use cases turn each record, with a summary of the person's activity, into a
//! [`PersonDoc`] and hand it to the index on every write; quick search takes the one box of
//! the office's search page, advanced search a tree of [`Criteria`].

use super::person::{Gender, PersonId, PersonRecord};
use async_trait::async_trait;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// What the index holds of one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonDoc {
    pub id: PersonId,
    pub family_name: String,
    pub given_name: String,
    /// Also found by quick search.
    pub birth_name: Option<String>,
    pub birth_date: Option<Date>,
    pub gender: Option<Gender>,
    /// As recorded; matched whole and case-insensitively.
    pub emails: Vec<String>,
    /// E.164.
    pub phones: Vec<String>,
    pub card_number: Option<String>,
    pub addresses: Vec<DocAddress>,
    pub tags: Vec<String>,
    pub groups: Vec<String>,
    pub newsletter: bool,
    pub sms: bool,
    pub activity: Vec<Activity>,
    /// Merged records are kept out of results.
    pub merged: bool,
}

impl PersonDoc {
    /// The document of a record, with what the person did.
    pub fn from_record(record: &PersonRecord, activity: Vec<Activity>) -> Self {
        Self {
            id: record.id,
            family_name: record.identity.family_name.clone(),
            given_name: record.identity.given_name.clone(),
            birth_name: record.identity.birth_name.clone(),
            birth_date: record.identity.birth_date,
            gender: record.gender.map(|g| g.value),
            emails: record.emails.iter().map(|e| e.address.clone()).collect(),
            phones: record.phones.iter().map(|p| p.number.clone()).collect(),
            card_number: record.card_number.clone(),
            addresses: record
                .addresses
                .iter()
                .map(|a| DocAddress {
                    postcode: a.postcode.clone(),
                    city: a.city.clone(),
                    street: a.street.clone(),
                    number: a.number.clone(),
                    district: a.district.clone(),
                })
                .collect(),
            tags: record.tags.clone(),
            groups: record.groups.clone(),
            newsletter: record.consent.newsletter,
            sms: record.consent.sms,
            activity,
            merged: record.merged_into.is_some(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocAddress {
    pub postcode: String,
    pub city: String,
    pub street: String,
    pub number: String,
    pub district: Option<String>,
}

/// One thing the person did, as advanced search asks about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Activity {
    /// Submitted a case of `case_type` on `on`.
    Case { case_type: String, on: Date },
    /// Paid a fee by `method` (`card`, `transfer`, `cash`, `terminal`).
    Payment { method: String, on: Date },
    /// Booked an appointment at `office`.
    Booking { office: String, on: Date },
}

impl Activity {
    pub fn on(&self) -> Date {
        match self {
            Activity::Case { on, .. }
            | Activity::Payment { on, .. }
            | Activity::Booking { on, .. } => *on,
        }
    }
}

/// One condition of an advanced search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum Criterion {
    /// Age in whole years on the day of the search, both ends included.
    Age {
        min: Option<u32>,
        max: Option<u32>,
    },
    Gender {
        value: Gender,
    },
    /// Any of the person's addresses has this postcode.
    Postcode {
        value: String,
    },
    District {
        value: String,
    },
    /// Street name, accent- and case-insensitive, whole words.
    Street {
        value: String,
    },
    Tag {
        value: String,
    },
    Group {
        value: String,
    },
    /// Agreed to `newsletter` or `sms`.
    Consent {
        value: ConsentKind,
    },
    /// Submitted a case of the type in the period (either end open).
    HadCase {
        case_type: String,
        #[schema(value_type = Option<String>, format = Date)]
        from: Option<Date>,
        #[schema(value_type = Option<String>, format = Date)]
        to: Option<Date>,
    },
    PaidBy {
        method: String,
    },
    BookedAt {
        office: String,
    },
    /// No activity at all on or after the day.
    NoActivitySince {
        #[schema(value_type = String, format = Date)]
        since: Date,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    Newsletter,
    Sms,
}

/// Conditions combined with and, or and not, nested as deep as needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(no_recursion)]
pub enum Criteria {
    All(Vec<Criteria>),
    Any(Vec<Criteria>),
    Not(Box<Criteria>),
    Is(Criterion),
}

impl Criteria {
    /// How many single conditions the tree holds.
    pub fn conditions(&self) -> usize {
        match self {
            Criteria::All(parts) | Criteria::Any(parts) => parts.iter().map(Self::conditions).sum(),
            Criteria::Not(inner) => inner.conditions(),
            Criteria::Is(_) => 1,
        }
    }
}

/// Which page of results: `after` is the cursor the previous page returned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<String>,
}

/// One page of matching persons, best match first for quick search and by name for
/// advanced search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchPage {
    pub ids: Vec<PersonId>,
    /// How many match in all.
    pub total: usize,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// A cursor this index did not hand out (or from before a rebuild).
    #[error("the page cursor is not valid")]
    BadCursor,
    #[error("the search index is unavailable: {0}")]
    Unavailable(String),
}

/// The search index. Writes are visible to the next query of the same process; an index
/// shared between processes (the S3-stored one) is as fresh as its last refresh.
#[async_trait]
// `len` answers through the index engine and can fail; an `is_empty` would only repeat it.
#[allow(clippy::len_without_is_empty)]
pub trait PersonIndex: Send + Sync + 'static {
    /// Adds or replaces the documents (by id).
    async fn put(&self, docs: Vec<PersonDoc>) -> Result<(), SearchError>;
    /// Removes the persons (ids not present are ignored).
    async fn remove(&self, ids: &[PersonId]) -> Result<(), SearchError>;
    /// Replaces the whole index with `docs`.
    async fn rebuild(&self, docs: Vec<PersonDoc>) -> Result<(), SearchError>;
    /// The one-box search: names (accent- and case-insensitive, by prefix, one typo
    /// forgiven in longer words), an exact e-mail, a phone in any Hungarian notation, a
    /// card number, or an address (street and number, postcode).
    async fn quick(&self, text: &str, page: PageRequest) -> Result<SearchPage, SearchError>;
    /// Persons meeting `criteria`, ages counted on `today`.
    async fn advanced(
        &self,
        criteria: &Criteria,
        today: Date,
        page: PageRequest,
    ) -> Result<SearchPage, SearchError>;
    /// How many persons the index holds.
    async fn len(&self) -> Result<usize, SearchError>;
}
