//! The AWS engines' integration tests in one test binary, against moto's server on
//! loopback (skipped locally without it, a failure under `CI=true`): DynamoDB and S3, the
//! token keys on KMS (feature `token-keys`) and the SES notifier (feature `ses`).

mod kms_token_keys;
mod moto;
mod ses_notifier;
