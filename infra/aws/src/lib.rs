//! AWS engines of the Városkapu ports: the `Table` on DynamoDB and the `BlobStore` on S3,
//! configured from the environment of a Lambda function.

mod attribute;
mod blob;
mod config;
mod cursor;
mod expression;
mod provision;
mod table;

pub use blob::S3BlobStore;
pub use config::{
    AwsConfig, AwsEngines, ConfigError, DOCUMENTS_BUCKET_VAR, ENDPOINT_URL_VAR, REGION_VAR,
    TABLE_VAR,
};
pub use provision::{ProvisionError, create_bucket, create_table};
pub use table::DynamoTable;
