//! Documents that must be trusted: PDF/A rendering, PAdES signatures, RFC 3161 timestamps.

pub mod cms_sign;
pub mod cms_verify;
pub mod fonts;
pub mod incremental;
pub mod issuer;
pub mod keys;
pub mod local_signer;
pub mod local_tsa;
pub mod notary;
pub mod pades;
pub mod pki;
pub mod render;
pub mod sample;
pub mod tsa_client;
pub mod tsa_http;
pub mod verify;

pub use issuer::{PadesIssuer, SignedDocument, render_and_sign};
pub use keys::{LocalKeys, ROOT_CA_FILE};
pub use notary::{CmsNotary, CmsSealCheck};
pub use sample::issue_sample;
pub use tsa_http::{local_tsa_router, tsa_router};
pub use verify::{Verdict, verify_pdf};
