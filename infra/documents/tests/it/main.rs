//! The document pipeline's integration tests in one test binary: issuing, signing and
//! timestamping in process, the KMS signer on moto, and outside validators.

mod kms;
mod pipeline;
mod validators;
