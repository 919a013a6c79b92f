//! What the CRM routes read and answer.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use varoskapu_core::crm::search::{Criteria, SearchPage};
use varoskapu_core::crm::{AddressKind, NaturalIdentity, PersonInput, PersonRecord, Purpose};

/// One person in a list of results: enough to tell people apart, no more (opening the
/// record is the audited read).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonLine {
    pub id: Uuid,
    /// Family name first.
    pub name: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub birth_date: Option<Date>,
    /// The permanent address in force (or the first one), on one line.
    pub address: Option<String>,
    /// Identified against the population register.
    pub identified: bool,
}

impl PersonLine {
    pub fn of(record: &PersonRecord, today: Date) -> Self {
        Self {
            id: record.id.0,
            name: record.identity.full_name(),
            birth_date: record.identity.birth_date,
            address: record
                .address(AddressKind::Permanent, today)
                .or_else(|| record.addresses.first())
                .map(|a| a.one_line()),
            identified: record.identified.is_some(),
        }
    }
}

/// A page of results.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub persons: Vec<PersonLine>,
    /// How many match in all.
    pub total: usize,
    /// The cursor of the next page (`after`), when there is one.
    pub next: Option<String>,
}

impl SearchResults {
    pub fn of(records: &[PersonRecord], page: SearchPage, today: Date) -> Self {
        Self {
            persons: records.iter().map(|r| PersonLine::of(r, today)).collect(),
            total: page.total,
            next: page.next,
        }
    }
}

/// A record with the version a correction must name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub person: PersonRecord,
    pub version: u64,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuickQuery {
    /// A name (accents and case do not matter, a typo is forgiven), an e-mail address, a
    /// phone number in any common notation, a resident card number, a street and number or
    /// a postcode.
    #[param(min_length = 1, max_length = 200)]
    pub q: String,
    /// Results per page (1–200, 50 by default).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
    /// The `next` cursor of the previous page.
    #[param(max_length = 200)]
    pub after: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadQuery {
    /// Why the record is read; recorded in the audit log with the read.
    pub purpose: Purpose,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
    #[param(max_length = 200)]
    pub after: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// The version the record had when read; a stale one is refused with 409.
    pub version: u64,
    pub person: PersonInput,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    pub criteria: Criteria,
    #[schema(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
    #[schema(max_length = 200)]
    pub after: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveSearchBody {
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    pub criteria: Criteria,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportBody {
    pub criteria: Criteria,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// Which of the pair's two records survives (the other is merged into it).
    pub survivor: Uuid,
}

/// A saved search and a page of its live result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SavedSearchResults {
    pub search: varoskapu_core::crm::SavedSearch,
    pub results: SearchResults,
}

/// What matching against the population register found.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum IdentificationView {
    /// The register knows the person; her record now says so.
    Identified { person: Uuid },
    /// Nobody of this name born on this day.
    NoMatch,
    /// Somebody of this name and birth date, but these fields differ.
    Differs { fields: Vec<String> },
    /// The account is already identified as another person: the office must look at it.
    IdentifiedAsSomeoneElse,
}

/// A natural identity as the population register is asked about it: names and the birth
/// date are needed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct IdentifyBody {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub family_name: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub given_name: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub birth_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub birth_place: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub birth_date: Date,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub mother_birth_name: Option<String>,
}

impl IdentifyBody {
    /// The identity, or the fields that are too long or blank.
    pub fn identity(self) -> Result<NaturalIdentity, varoskapu_core::crm::CrmError> {
        let mut errors = Vec::new();
        for (pointer, value) in [
            ("/family_name", Some(&self.family_name)),
            ("/given_name", Some(&self.given_name)),
            ("/birth_name", self.birth_name.as_ref()),
            ("/birth_place", self.birth_place.as_ref()),
            ("/mother_birth_name", self.mother_birth_name.as_ref()),
        ] {
            if value.is_some_and(|v| v.chars().count() > 200) {
                errors.push(varoskapu_core::crm::FieldError::new(
                    pointer,
                    "is longer than 200 characters",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(varoskapu_core::crm::CrmError::Invalid(errors));
        }
        Ok(NaturalIdentity {
            family_name: self.family_name,
            given_name: self.given_name,
            birth_name: self.birth_name,
            birth_place: self.birth_place,
            birth_date: Some(self.birth_date),
            mother_birth_name: self.mother_birth_name,
        })
    }
}

/// A clerk's note on a record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    pub text: String,
}

/// A flag of the record (`moved`, `address_unchecked`…) the clerk has dealt with.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagResolutionBody {
    /// The version the record had when read; a stale one is refused with 409.
    pub version: u64,
    #[schema(min_length = 1, max_length = 100)]
    pub flag: String,
}

/// The identity document a person shows at the desk.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentShown {
    pub kind: varoskapu_core::crm::registry::DocumentKind,
    #[schema(min_length = 1, max_length = 40, pattern = "\\S")]
    pub number: String,
}

/// A desk identification: the record's natural identity is matched against the
/// population register once the document shown is confirmed valid.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeskIdentificationBody {
    pub document: DocumentShown,
}

impl IdentificationView {
    /// What an identification found, as the API answers it.
    pub fn of(outcome: &varoskapu_core::crm::identify::IdentifyOutcome) -> Self {
        use varoskapu_core::crm::identify::IdentifyOutcome;
        match outcome {
            IdentifyOutcome::Identified { record, .. } => IdentificationView::Identified {
                person: record.id.0,
            },
            IdentifyOutcome::NoMatch => IdentificationView::NoMatch,
            IdentifyOutcome::Differs { fields } => IdentificationView::Differs {
                fields: fields.clone(),
            },
            IdentifyOutcome::IdentifiedAsSomeoneElse => IdentificationView::IdentifiedAsSomeoneElse,
        }
    }
}
