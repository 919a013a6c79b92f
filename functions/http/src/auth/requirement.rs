//! What a route needs of the token that calls it.

use std::fmt;
use varoskapu_core::access::{Role, Scope};

/// A route's access rule: the scope the token must carry (which also fixes the audience it
/// must name), the roles of which the person must hold one, and whether a sign-in with a
/// second factor is always needed. Every rule is about a person: service tokens
/// (`client_credentials`) open no route that acts for someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    pub scope: Scope,
    /// One of these roles; empty for any person.
    pub roles: &'static [Role],
    /// A second factor whatever the configuration says.
    pub second_factor: bool,
}

impl Requirement {
    /// Any person who granted `scope`, acting on their own records.
    pub const fn person(scope: Scope) -> Self {
        Self {
            scope,
            roles: &[],
            second_factor: false,
        }
    }

    /// Office staff holding one of `roles`, with `scope` granted.
    pub const fn staff(scope: Scope, roles: &'static [Role]) -> Self {
        Self {
            scope,
            roles,
            second_factor: false,
        }
    }

    /// The same rule, with a second factor always required.
    pub const fn with_second_factor(self) -> Self {
        Self {
            second_factor: true,
            ..self
        }
    }
}

impl fmt::Display for Requirement {
    /// The rule in words, for the API reference.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Requires an access token with scope `{}`", self.scope)?;
        if !self.roles.is_empty() {
            let roles: Vec<&str> = self.roles.iter().map(|r| r.as_str()).collect();
            write!(f, ", signed in as {}", roles.join(" or "))?;
        }
        if self.second_factor {
            write!(f, ", with a second factor")?;
        }
        write!(f, ".")
    }
}

/// A citizen's own cases, documents and decisions.
pub const OWN_CASES: Requirement = Requirement::person(Scope::Cases);
/// A citizen's own fee payments.
pub const OWN_PAYMENTS: Requirement = Requirement::person(Scope::Payments);
/// A citizen's own appointment bookings.
pub const OWN_APPOINTMENTS: Requirement = Requirement::person(Scope::Appointments);
/// The office's case and payment work: clerks and signatories.
pub const OFFICE: Requirement =
    Requirement::staff(Scope::Backoffice, &[Role::Clerk, Role::Signatory]);
/// The appointment desks: clerks, and office managers for every calendar.
pub const OFFICE_DESKS: Requirement =
    Requirement::staff(Scope::Backoffice, &[Role::Clerk, Role::Admin]);
/// A signatory's approval of a decision, always with a second factor.
pub const OFFICE_APPROVAL: Requirement =
    Requirement::staff(Scope::BackofficeApprove, &[Role::Signatory]).with_second_factor();
/// The municipality's settings (case types, partner apps, offices): administrators only.
pub const OFFICE_ADMIN: Requirement = Requirement::staff(Scope::Backoffice, &[Role::Admin]);
/// The citizen records: office staff who serve citizens (every read is audited).
pub const CRM: Requirement =
    Requirement::staff(Scope::Crm, &[Role::Clerk, Role::Signatory, Role::Admin]);
/// Exporting citizen records: clerks granted `crm:export`, nobody else.
pub const CRM_EXPORT: Requirement = Requirement::staff(Scope::CrmExport, &[Role::Clerk]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_reads_as_a_sentence() {
        assert_eq!(
            OFFICE_APPROVAL.to_string(),
            "Requires an access token with scope `backoffice:approve`, signed in as signatory, with a second factor."
        );
        assert_eq!(
            OFFICE_ADMIN.to_string(),
            "Requires an access token with scope `backoffice`, signed in as admin."
        );
        assert_eq!(
            OWN_CASES.to_string(),
            "Requires an access token with scope `cases`."
        );
    }
}
