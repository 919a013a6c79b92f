//! The AWS engines' integration tests in one test binary, against moto's server on
//! loopback (skipped locally without it, a failure under `CI=true`): DynamoDB and S3, the
//! token keys on KMS (feature `token-keys`), the SES notifier (feature `ses`) and the
//! functions' secrets in Secrets Manager (feature `secrets`).

mod kms_token_keys;
mod moto;
mod secrets;
mod ses_notifier;
