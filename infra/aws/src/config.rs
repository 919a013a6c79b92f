//! Configuration of the AWS engines, read once from the environment at start-up.

use crate::{DynamoTable, ProvisionError, S3BlobStore, create_bucket, create_table};
use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use std::sync::Arc;
use varoskapu_core::Clock;

/// Environment variable naming the DynamoDB table.
pub const TABLE_VAR: &str = "VAROSKAPU_TABLE";
/// Environment variable naming the documents bucket.
pub const DOCUMENTS_BUCKET_VAR: &str = "VAROSKAPU_DOCUMENTS_BUCKET";
/// Environment variable naming the region (Lambda sets it).
pub const REGION_VAR: &str = "AWS_REGION";
/// Environment variable pointing both clients at a compatible server (moto in tests).
pub const ENDPOINT_URL_VAR: &str = "VAROSKAPU_AWS_ENDPOINT_URL";

/// A setting that stops start-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Where the AWS engines find their table and bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsConfig {
    pub table: String,
    pub documents_bucket: String,
    pub region: String,
    /// Overrides AWS's endpoints (and turns on path-style S3 addressing).
    pub endpoint_url: Option<String>,
}

impl AwsConfig {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, so that tests need not touch the environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let setting = |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty());
        let required = |name: &'static str| setting(name).ok_or(ConfigError::Missing(name));
        let endpoint_url = setting(ENDPOINT_URL_VAR);
        if let Some(url) = &endpoint_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::Invalid {
                name: ENDPOINT_URL_VAR,
                reason: "must be an http:// or https:// URL".into(),
            });
        }
        Ok(Self {
            table: required(TABLE_VAR)?,
            documents_bucket: required(DOCUMENTS_BUCKET_VAR)?,
            region: required(REGION_VAR)?,
            endpoint_url,
        })
    }

    /// Loads the shared SDK configuration: region from here, credentials from the
    /// standard chain (the Lambda role in production).
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()));
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        // A server of another kind over https (a proxy, a test double) may present any
        // certificate the platform trusts; AWS itself and plain-http servers get the client
        // that trusts Amazon's roots only.
        let other_tls_server = self
            .endpoint_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"));
        if !other_tls_server {
            loader = loader.http_client(amazon_trust_services_client());
        }
        // Keys in the environment (always so on Lambda) are what the default chain would
        // take first anyway; naming that provider spares building the rest of the chain
        // (an STS client among it), a good part of a cold start.
        let keys_in_environment = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
            .iter()
            .all(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
        if keys_in_environment {
            loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
        }
        loader.load().await
    }

    /// A DynamoDB client for this configuration.
    pub fn dynamodb_client(&self, sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(sdk)
    }

    /// An S3 client for this configuration.
    pub fn s3_client(&self, sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(sdk)
            // Path-style addressing because a local endpoint has no per-bucket host names.
            .force_path_style(self.endpoint_url.is_some())
            // The port sends its own SHA-256 and verifies it on read; the SDK's default
            // CRC32 on top would only cost time (and some S3-compatible servers refuse it).
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// The table on an SDK configuration the caller shares with its other clients;
    /// `clock` decides item expiry.
    pub fn table(&self, sdk: &aws_config::SdkConfig, clock: Arc<dyn Clock>) -> DynamoTable {
        DynamoTable::new(self.dynamodb_client(sdk), self.table.clone(), clock)
    }

    /// The documents bucket on a shared SDK configuration.
    pub fn documents(&self, sdk: &aws_config::SdkConfig) -> S3BlobStore {
        S3BlobStore::new(self.s3_client(sdk), self.documents_bucket.clone())
    }

    /// Builds both engines on an SDK configuration of their own; `clock` decides item
    /// expiry in the table.
    pub async fn engines(&self, clock: Arc<dyn Clock>) -> AwsEngines {
        let sdk = self.sdk_config().await;
        AwsEngines {
            table: self.table(&sdk, clock),
            blobs: self.documents(&sdk),
        }
    }
}

/// The roots AWS's own endpoints chain to: Amazon Root CA 1 to 4 and the Starfield
/// Services G2 root that cross-signs them (as Debian's ca-certificates ships them).
const AMAZON_TRUST_SERVICES_ROOTS: &str = include_str!("amazon-trust-services.pem");

/// An HTTPS client that trusts only Amazon Trust Services for AWS's endpoints. Besides
/// trusting no more than AWS needs, it spares each cold start the platform's certificate
/// store (on Debian, 146 files read and decoded: most of a function's start-up time).
fn amazon_trust_services_client() -> SharedHttpClient {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS.as_bytes());
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a trust store of fixed certificates is a valid TLS context");
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}

impl AwsConfig {
    /// Creates the table and the documents bucket this configuration names (for tests
    /// and first-time set-up without the SAM template; the template is the production way).
    pub async fn provision(&self) -> Result<(), ProvisionError> {
        let sdk = self.sdk_config().await;
        create_table(&self.dynamodb_client(&sdk), &self.table).await?;
        create_bucket(&self.s3_client(&sdk), &self.documents_bucket, true).await
    }
}

/// The engines one Lambda function needs, built from one configuration.
#[derive(Debug, Clone)]
pub struct AwsEngines {
    pub table: DynamoTable,
    pub blobs: S3BlobStore,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn the_pinned_roots_are_the_five_amazon_trust_services_certificates() {
        use base64::Engine as _;
        let blocks: Vec<&str> = AMAZON_TRUST_SERVICES_ROOTS
            .split("-----BEGIN CERTIFICATE-----")
            .skip(1)
            .map(|b| b.split("-----END CERTIFICATE-----").next().unwrap())
            .collect();
        assert_eq!(blocks.len(), 5);
        for block in blocks {
            let text: String = block.split_whitespace().collect();
            let der = base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("base64");
            // A DER certificate is one SEQUENCE with a two-byte length.
            assert_eq!(&der[..2], &[0x30, 0x82]);
            assert_eq!(
                usize::from(der[2]) << 8 | usize::from(der[3]),
                der.len() - 4
            );
        }
        // A client on it builds its TLS configuration at once, parsing them (or panicking).
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-central-1"))
            .http_client(amazon_trust_services_client())
            .build();
        let _ = aws_sdk_dynamodb::Client::from_conf(config);
    }

    #[test]
    fn a_complete_environment_is_read() {
        let config = AwsConfig::from_lookup(lookup(&[
            (TABLE_VAR, "t"),
            (DOCUMENTS_BUCKET_VAR, "b"),
            (REGION_VAR, "eu-central-1"),
        ]))
        .unwrap();
        assert_eq!(config.table, "t");
        assert_eq!(config.endpoint_url, None);
    }

    #[test]
    fn a_missing_setting_is_named() {
        let error =
            AwsConfig::from_lookup(lookup(&[(TABLE_VAR, "t"), (REGION_VAR, "eu-central-1")]))
                .unwrap_err();
        assert_eq!(error, ConfigError::Missing(DOCUMENTS_BUCKET_VAR));
        assert!(error.to_string().contains("VAROSKAPU_DOCUMENTS_BUCKET"));
    }

    #[test]
    fn an_empty_setting_counts_as_missing() {
        let error = AwsConfig::from_lookup(lookup(&[
            (TABLE_VAR, " "),
            (DOCUMENTS_BUCKET_VAR, "b"),
            (REGION_VAR, "eu-central-1"),
        ]))
        .unwrap_err();
        assert_eq!(error, ConfigError::Missing(TABLE_VAR));
    }

    #[test]
    fn an_endpoint_must_be_a_url() {
        let error = AwsConfig::from_lookup(lookup(&[
            (TABLE_VAR, "t"),
            (DOCUMENTS_BUCKET_VAR, "b"),
            (REGION_VAR, "eu-central-1"),
            (ENDPOINT_URL_VAR, "localhost:5000"),
        ]))
        .unwrap_err();
        assert!(matches!(
            error,
            ConfigError::Invalid {
                name: ENDPOINT_URL_VAR,
                ..
            }
        ));
    }
}
