//! The `PersonDirectory` port: how the case use cases name the people behind account ids
//! (the applicant on every document and in the office's view, the clerk who drafted and the
//! signatory who approved a decision) without depending on where accounts are kept.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A person as documents and the office name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Person {
    /// The internal account id.
    pub account: String,
    /// The full name as recorded.
    pub name: String,
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    pub email: Option<String>,
    /// The company or other organisation the person acts for, if they act for one.
    pub organisation: Option<String>,
}

impl Person {
    /// The name in Hungarian order (family name first), as recorded.
    pub fn formal_name(&self) -> String {
        match (&self.family_name, &self.given_name) {
            (Some(family), Some(given)) if !family.is_empty() && !given.is_empty() => {
                format!("{family} {given}")
            }
            _ => self.name.clone(),
        }
    }

    /// How a document names the applicant: the person, or the organisation and the person
    /// acting for it.
    pub fn applicant_line(&self) -> String {
        match &self.organisation {
            Some(org) => format!("{org} (eljáró személy: {})", self.formal_name()),
            None => self.formal_name(),
        }
    }
}

/// Why the directory could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the directory of people is unavailable: {0}")]
pub struct PeopleError(pub String);

/// Finds a person by internal account id.
#[async_trait]
pub trait PersonDirectory: Send + Sync + 'static {
    /// The person, or `None` when no account has that id (it MUST NOT fail for that);
    /// a storage failure returns `PeopleError`.
    async fn person(&self, account: &str) -> Result<Option<Person>, PeopleError>;
}

/// A directory that knows nobody: documents then name people by account id.
pub struct NoDirectory;

#[async_trait]
impl PersonDirectory for NoDirectory {
    async fn person(&self, _account: &str) -> Result<Option<Person>, PeopleError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(org: Option<&str>) -> Person {
        Person {
            account: "a".into(),
            name: "Kovács Őrs".into(),
            family_name: Some("Kovács".into()),
            given_name: Some("Őrs Ödön".into()),
            email: None,
            organisation: org.map(str::to_owned),
        }
    }

    #[test]
    fn names_are_family_name_first_and_companies_name_the_acting_person() {
        assert_eq!(person(None).applicant_line(), "Kovács Őrs Ödön");
        assert_eq!(
            person(Some("Példa Kft.")).applicant_line(),
            "Példa Kft. (eljáró személy: Kovács Őrs Ödön)"
        );
        let mut bare = person(None);
        bare.given_name = None;
        assert_eq!(bare.formal_name(), "Kovács Őrs");
    }
}
