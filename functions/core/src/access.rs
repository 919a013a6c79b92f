//! What a token may do: the Városkapu APIs as resources with their scopes, the roles people
//! hold, the assurance of a sign-in, and the directory that maps a pairwise subject back to
//! the person. The provider mints by these rules and every API enforces them, so both read
//! them from here.

use crate::{Condition, ItemWrite, Key, Table, TableError};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// An API surface, named in access tokens' `aud` (RFC 9068 §3, RFC 8707 `resource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// Citizens' own cases, their documents and decisions.
    Cases,
    /// Citizens' fee payments.
    Payments,
    /// Citizens' appointment bookings.
    Appointments,
    /// The office's work: cases, payments and appointment desks.
    Backoffice,
}

impl Resource {
    pub const ALL: [Resource; 4] = [
        Resource::Cases,
        Resource::Payments,
        Resource::Appointments,
        Resource::Backoffice,
    ];

    /// The resource indicator, as `aud` carries it and as a client asks for it.
    pub fn audience(self) -> &'static str {
        match self {
            Resource::Cases => "urn:varoskapu:api:cases",
            Resource::Payments => "urn:varoskapu:api:payments",
            Resource::Appointments => "urn:varoskapu:api:appointments",
            Resource::Backoffice => "urn:varoskapu:api:backoffice",
        }
    }

    pub fn from_audience(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.audience() == text)
    }
}

/// A scope a client may be registered for and a person may grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    OpenId,
    Profile,
    Email,
    OfflineAccess,
    Cases,
    Payments,
    Appointments,
    Backoffice,
    BackofficeApprove,
    /// The municipality's records of its citizens (CRM): search, read, correct, merge.
    Crm,
    /// Exporting CRM search results (CSV): a separate grant, audited.
    CrmExport,
}

impl Scope {
    pub const ALL: [Scope; 11] = [
        Scope::OpenId,
        Scope::Profile,
        Scope::Email,
        Scope::OfflineAccess,
        Scope::Cases,
        Scope::Payments,
        Scope::Appointments,
        Scope::Backoffice,
        Scope::BackofficeApprove,
        Scope::Crm,
        Scope::CrmExport,
    ];

    /// The scopes of signing in only: tokens with nothing more are accepted by no API.
    pub const SIGN_IN: [Scope; 4] = [
        Scope::OpenId,
        Scope::Profile,
        Scope::Email,
        Scope::OfflineAccess,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OpenId => "openid",
            Scope::Profile => "profile",
            Scope::Email => "email",
            Scope::OfflineAccess => "offline_access",
            Scope::Cases => "cases",
            Scope::Payments => "payments",
            Scope::Appointments => "appointments",
            Scope::Backoffice => "backoffice",
            Scope::BackofficeApprove => "backoffice:approve",
            Scope::Crm => "crm",
            Scope::CrmExport => "crm:export",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The API the scope opens; `None` for the sign-in scopes.
    pub fn resource(self) -> Option<Resource> {
        match self {
            Scope::Cases => Some(Resource::Cases),
            Scope::Payments => Some(Resource::Payments),
            Scope::Appointments => Some(Resource::Appointments),
            Scope::Backoffice | Scope::BackofficeApprove | Scope::Crm | Scope::CrmExport => {
                Some(Resource::Backoffice)
            }
            Scope::OpenId | Scope::Profile | Scope::Email | Scope::OfflineAccess => None,
        }
    }

    /// Whether a token with this scope carries the person's roles: only office work needs
    /// them, so a partner app never learns who is a clerk.
    pub fn bears_roles(self) -> bool {
        matches!(
            self,
            Scope::Backoffice | Scope::BackofficeApprove | Scope::Crm | Scope::CrmExport
        )
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an account may do in Városkapu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Citizen,
    Clerk,
    Signatory,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Citizen, Role::Clerk, Role::Signatory, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Clerk => "clerk",
            Role::Signatory => "signatory",
            Role::Admin => "admin",
        }
    }

    /// Parses a role name as given on the command line or in a token.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `acr` of a sign-in with a password.
pub const ACR_PASSWORD: &str = "urn:varoskapu:acr:password";
/// `acr` of a sign-in with a password and a second factor (authenticator code, passkey).
pub const ACR_MFA: &str = "urn:varoskapu:acr:mfa";
/// `acr` of a sign-in through the upstream eID provider that named no level of its own.
pub const ACR_FEDERATED: &str = "urn:varoskapu:acr:federated";

/// `amr` values (RFC 8176) that prove a second factor.
pub const AMR_SECOND_FACTORS: [&str; 3] = ["otp", "hwk", "mfa"];

/// The `amr` (RFC 8176) of a sign-in at an `acr`.
pub fn amr_for(acr: Option<&str>) -> Vec<String> {
    let methods: &[&str] = match acr {
        Some(ACR_MFA) => &["pwd", "otp", "mfa"],
        Some(ACR_PASSWORD) => &["pwd"],
        Some(_) => &["fed"],
        None => &[],
    };
    methods.iter().map(|m| (*m).to_owned()).collect()
}

/// Whether a sign-in described by `acr`/`amr` used a second factor.
pub fn proves_second_factor(acr: Option<&str>, amr: &[String]) -> bool {
    acr == Some(ACR_MFA) || amr.iter().any(|m| AMR_SECOND_FACTORS.contains(&m.as_str()))
}

/// Maps the subjects pairwise clients see back to the person: the provider records each one
/// it hands out, and the APIs look up the tokens' `sub` here. A pairwise subject is an
/// unguessable hash, so the record reveals nothing to whoever cannot already read the table.
#[derive(Clone)]
pub struct PairwiseSubjects {
    table: std::sync::Arc<dyn Table>,
}

#[derive(Serialize, Deserialize)]
struct SubjectRecord {
    account_id: Uuid,
}

impl PairwiseSubjects {
    pub fn new(table: std::sync::Arc<dyn Table>) -> Self {
        Self { table }
    }

    fn key(subject: &str) -> Key {
        Key::new(format!("SUBJECT#{subject}"), "SUBJECT")
    }

    /// Records that `subject` stands for `account` (idempotent: a subject never changes
    /// owner, so an existing record is left as it is).
    pub async fn remember(&self, subject: &str, account: Uuid) -> Result<(), TableError> {
        let item = ItemWrite::from_serde(
            Self::key(subject),
            &SubjectRecord {
                account_id: account,
            },
        )?;
        match self.table.put(item, Condition::NotExists).await {
            Err(e) if e.is_condition_failure() => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// The person behind a pairwise subject, if the provider ever issued it.
    pub async fn resolve(&self, subject: &str) -> Result<Option<Uuid>, TableError> {
        match self.table.get(&Self::key(subject)).await? {
            Some(item) => Ok(Some(item.parse::<SubjectRecord>()?.account_id)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_and_role_round_trips_by_name() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        for resource in Resource::ALL {
            assert_eq!(Resource::from_audience(resource.audience()), Some(resource));
        }
        assert_eq!(Scope::parse("roles"), None);
    }

    #[test]
    fn sign_in_scopes_open_no_api_and_only_office_scopes_bear_roles() {
        assert!(Scope::SIGN_IN.iter().all(|s| s.resource().is_none()));
        let bearing: Vec<Scope> = Scope::ALL.into_iter().filter(|s| s.bears_roles()).collect();
        assert_eq!(
            bearing,
            [
                Scope::Backoffice,
                Scope::BackofficeApprove,
                Scope::Crm,
                Scope::CrmExport
            ]
        );
    }

    #[test]
    fn only_a_second_factor_counts_as_one() {
        assert!(!proves_second_factor(
            Some(ACR_PASSWORD),
            &amr_for(Some(ACR_PASSWORD))
        ));
        assert!(proves_second_factor(Some(ACR_MFA), &amr_for(Some(ACR_MFA))));
        assert!(!proves_second_factor(
            Some(ACR_FEDERATED),
            &amr_for(Some(ACR_FEDERATED))
        ));
        assert!(proves_second_factor(None, &["hwk".to_owned()]));
    }
}
