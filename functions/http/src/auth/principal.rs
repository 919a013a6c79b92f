//! The person (or service) a valid access token speaks for.

use varoskapu_core::access::Role;
use varoskapu_jose::AccessTokenClaims;

/// Who is calling, as the APIs decide on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The person's internal account id, whichever client the token came from (a pairwise
    /// client's `sub` is mapped back); for a service (`client_credentials`), its client id.
    /// Ownership, four eyes, audit and notices are decided on this.
    pub account: String,
    /// Whether the token was issued for a person's sign-in rather than to a service.
    pub is_person: bool,
    pub client_id: String,
    /// The person's roles, counted only when the token carries a role-bearing scope.
    pub roles: Vec<Role>,
    pub claims: AccessTokenClaims,
}

impl Principal {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.claims.has_scope(scope)
    }
}
