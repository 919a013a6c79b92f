//! The identity provider's integration tests in one test binary: its router over HTTP, with
//! real relying parties, federation, second factors and every refusal. Each file is a
//! module; `support` builds the provider on a fresh data folder.

mod access_tokens;
mod backchannel;
mod federation;
mod jwks;
mod oidc_flows;
mod pairwise;
mod private_key_jwt;
mod refusals;
mod rs256;
mod second_factor;
mod support;
