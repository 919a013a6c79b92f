//! Data quality of person records: the folded form names are compared in, e-mail and phone
//! checks with field errors in Hungarian, the gender a given name implies, and the bounce
//! reports that change a contact's delivery state.

pub mod dsn;
pub mod email;
pub mod fold;
pub mod gender;
pub mod phone;

pub use dsn::{Bounce, BounceKind, DsnError, parse_dsn, parse_ses_notification};
pub use email::{EmailProblem, check_email};
pub use fold::{fold, fold_name, fold_street};
pub use gender::{fill_inferred_gender, given_names, infer_gender};
pub use phone::{PhoneProblem, normalise_phone};
