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

    /// Whether cases of `case_type` belong to this staff member's post: the queue, the
    /// start page and the diary show her only those. A token without a post (no
    /// `case_types` claim) covers every type.
    pub fn post_covers(&self, case_type: &str) -> bool {
        self.claims.case_types.is_empty() || self.claims.case_types.iter().any(|t| t == case_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(case_types: &[&str]) -> Principal {
        let claims = AccessTokenClaims {
            iss: "https://id.example".into(),
            sub: "clerk".into(),
            aud: varoskapu_jose::Audience::One("urn:varoskapu:api:backoffice".into()),
            exp: 0,
            iat: 0,
            nbf: None,
            jti: "j".into(),
            client_id: "office".into(),
            scope: "backoffice".into(),
            roles: vec!["clerk".into()],
            case_types: case_types.iter().map(|t| (*t).to_owned()).collect(),
            fam: None,
            auth_time: None,
            acr: None,
            amr: Vec::new(),
        };
        Principal {
            account: "clerk".into(),
            is_person: true,
            client_id: "office".into(),
            roles: vec![Role::Clerk],
            claims,
        }
    }

    #[test]
    fn a_post_covers_its_case_types_and_no_post_covers_all() {
        let parking = principal(&["resident-parking-permit"]);
        assert!(parking.post_covers("resident-parking-permit"));
        assert!(!parking.post_covers("official-certificate"));
        assert!(principal(&[]).post_covers("official-certificate"));
    }
}
