//! Who may call a route, decided in one place: every protected route declares a
//! [`Requirement`] (scope, roles, second factor) in its function's [`Routes`] table; a route
//! layer validates the access token against it before the handler runs, and the same
//! declaration becomes the operation's security requirement in `/openapi.json`. Handlers
//! take the resulting [`Principal`] through [`Authenticated`] and never check access
//! themselves.

mod error;
mod guard;
mod principal;
mod requirement;
mod validator;

pub use error::AuthError;
pub use guard::{Authenticated, Routes};
pub use principal::Principal;
pub use requirement::{
    CRM, CRM_EXPORT, OFFICE, OFFICE_ADMIN, OFFICE_APPROVAL, OFFICE_DESKS, OWN_APPOINTMENTS,
    OWN_CASES, OWN_PAYMENTS, Requirement,
};
pub use validator::{JwksFetch, TokenValidator, second_factor_scopes_from_env};
