//! Creates the storage the engines expect, for tests against a DynamoDB/S3-compatible
//! server and for operators setting up an environment without the SAM template.

use crate::expression::attr;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use std::time::Duration;
use varoskapu_core::IndexName;

/// Why storage could not be provisioned.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("could not create table {table}: {reason}")]
    Table { table: String, reason: String },
    #[error("could not create bucket {bucket}: {reason}")]
    Bucket { bucket: String, reason: String },
}

/// Creates the single table (pk/sk, gsi1..gsi3 projecting all attributes, on-demand
/// capacity) and turns on TTL on `ttl`, waiting until the table is active.
pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<(), ProvisionError> {
    let fail = |reason: String| ProvisionError::Table {
        table: name.to_owned(),
        reason,
    };
    let key = |attribute: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(attribute)
            .key_type(key_type)
            .build()
            .map_err(|e| fail(e.to_string()))
    };
    let string_attribute = |attribute: &str| {
        AttributeDefinition::builder()
            .attribute_name(attribute)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| fail(e.to_string()))
    };
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(attr::PK, KeyType::Hash)?)
        .key_schema(key(attr::SK, KeyType::Range)?)
        .attribute_definitions(string_attribute(attr::PK)?)
        .attribute_definitions(string_attribute(attr::SK)?);
    for index in IndexName::ALL {
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(index.name())
            .key_schema(key(index.pk_attribute(), KeyType::Hash)?)
            .key_schema(key(index.sk_attribute(), KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(|e| fail(e.to_string()))?;
        request = request
            .global_secondary_indexes(gsi)
            .attribute_definitions(string_attribute(index.pk_attribute())?)
            .attribute_definitions(string_attribute(index.sk_attribute())?);
    }
    request
        .send()
        .await
        .map_err(|e| fail(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()))?;
    client
        .wait_until_table_exists()
        .table_name(name)
        .wait(Duration::from_secs(120))
        .await
        .map_err(|e| fail(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()))?;
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name(attr::TTL)
        .enabled(true)
        .build()
        .map_err(|e| fail(e.to_string()))?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|e| fail(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()))?;
    Ok(())
}

/// Creates a bucket in the client's region, with Object Lock enabled when asked
/// (which also turns on versioning, as the documents bucket of the template has).
pub async fn create_bucket(
    client: &aws_sdk_s3::Client,
    name: &str,
    object_lock: bool,
) -> Result<(), ProvisionError> {
    let fail = |reason: String| ProvisionError::Bucket {
        bucket: name.to_owned(),
        reason,
    };
    let mut request = client
        .create_bucket()
        .bucket(name)
        .object_lock_enabled_for_bucket(object_lock);
    // us-east-1 is the one region that refuses an explicit location constraint.
    if let Some(region) = client.config().region().map(|r| r.as_ref().to_owned())
        && region != "us-east-1"
    {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build(),
        );
    }
    request
        .send()
        .await
        .map_err(|e| fail(aws_sdk_s3::error::DisplayErrorContext(e).to_string()))?;
    Ok(())
}
