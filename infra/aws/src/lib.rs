//! AWS engines of the Városkapu ports: the `Table` on DynamoDB, the `BlobStore` on S3, the
//! document `Signer`, (feature `token-keys`) the `SigningKeys` of varoskapu-jose on KMS and
//! (feature `ses`) the `Notifier` on SES, (feature `secrets`) the functions' secrets from
//! Secrets Manager, configured from the environment of a Lambda
//! function. They implement ports and compose nothing: the Lambda wiring of the functions
//! lives in varoskapu-lambda.
//!
//! They are tested for real against moto's server on loopback: `tests/run` starts it and
//! exports `VAROSKAPU_TEST_AWS_ENDPOINT`; by hand, run `moto_server -H 127.0.0.1 -p 5599`
//! and `VAROSKAPU_TEST_AWS_ENDPOINT=http://127.0.0.1:5599 AWS_ACCESS_KEY_ID=test
//! AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-central-1 cargo nextest run -p varoskapu-aws
//! -p varoskapu-tests -E 'package(varoskapu-aws) | test(/^aws_contract::/)'`.

mod attribute;
mod blob;
mod config;
mod cursor;
mod expression;
pub mod kms_signer;
#[cfg(feature = "token-keys")]
pub mod kms_token_keys;
mod provision;
pub mod secrets;
#[cfg(feature = "ses")]
pub mod ses_notifier;
pub mod signing_chain;
mod table;

pub use blob::S3BlobStore;
pub use config::{
    AwsConfig, AwsEngines, ConfigError, DOCUMENTS_BUCKET_VAR, ENDPOINT_URL_VAR, REGION_VAR,
    TABLE_VAR,
};
pub use provision::{ProvisionError, create_bucket, create_table};
pub use table::DynamoTable;
