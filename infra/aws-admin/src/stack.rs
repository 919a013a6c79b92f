//! Which AWS resources a command works on: read from the deployed stack (its resources by
//! the template's logical ids, its parameters), or named outright by options, which win.

use aws_config::meta::region::ProvideRegion;
use aws_sdk_cloudformation::error::DisplayErrorContext;
use std::collections::BTreeMap;
use varoskapu_aws::AwsConfig;

/// The template's logical ids of the resources the commands use.
pub mod logical {
    pub const TABLE: &str = "Table";
    pub const DOCUMENTS_BUCKET: &str = "DocumentsBucket";
    pub const UPLOADS_BUCKET: &str = "UploadsBucket";
    pub const DOCUMENT_SIGNING_KEY: &str = "DocumentSigningKey";
    pub const TOKEN_SIGNING_KEY: &str = "TokenSigningKey";
    pub const PORTAL_CLIENT_SECRET: &str = "PortalClientSecret";
    pub const OFFICE_CLIENT_SECRET: &str = "OfficeClientSecret";
}

/// The template's parameters the commands read.
pub mod parameter {
    pub const MUNICIPALITY_NAME: &str = "MunicipalityName";
    pub const DOMAIN_NAME: &str = "DomainName";
    pub const TIMESTAMP_AUTHORITY_URL: &str = "TimestampAuthorityUrl";
    pub const SIMPLEPAY_MERCHANT: &str = "SimplePayMerchant";
    pub const OFFICE_LINE: &str = "OfficeLine";
    pub const TOKEN_ISSUER_URL: &str = "TokenIssuerUrl";
    pub const API_DOMAIN_NAME: &str = "ApiDomainName";
    pub const API_CERTIFICATE_ARN: &str = "ApiCertificateArn";
}

/// Where the commands find the stack, and what may be named instead of read from it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StackArgs {
    /// The CloudFormation stack `sam deploy` created (its resources and parameters are read).
    #[arg(long, env = "VAROSKAPU_STACK", global = true)]
    pub stack: Option<String>,
    /// The stack's region (default: AWS_REGION, then the profile's).
    #[arg(long, env = "AWS_REGION", global = true)]
    pub region: Option<String>,
    /// Another endpoint for every AWS service (an emulator such as moto).
    #[arg(long, env = "AWS_ENDPOINT_URL", global = true)]
    pub endpoint_url: Option<String>,
    /// The DynamoDB table, instead of the stack's `Table`.
    #[arg(long, global = true)]
    pub table: Option<String>,
    /// The documents bucket, instead of the stack's `DocumentsBucket`.
    #[arg(long, global = true)]
    pub documents_bucket: Option<String>,
    /// The uploads bucket, instead of the stack's `UploadsBucket`.
    #[arg(long, global = true)]
    pub uploads_bucket: Option<String>,
    /// The document-signing KMS key, instead of the stack's `DocumentSigningKey`.
    #[arg(long, global = true)]
    pub document_signing_key: Option<String>,
    /// The token-signing KMS key, instead of the stack's `TokenSigningKey`.
    #[arg(long, global = true)]
    pub token_signing_key: Option<String>,
    /// The SSM parameter of the signing chain (default: the stack's, by its name).
    #[arg(long, global = true)]
    pub signing_chain_parameter: Option<String>,
    /// The secret of the portal's OIDC client, instead of the stack's `PortalClientSecret`.
    #[arg(long, global = true)]
    pub portal_client_secret: Option<String>,
    /// The secret of the office screens' OIDC client, instead of the stack's
    /// `OfficeClientSecret`.
    #[arg(long, global = true)]
    pub office_client_secret: Option<String>,
    /// Where browsers reach the portal, instead of the stack's issuer (`TokenIssuerUrl`, or
    /// `https://<ApiDomainName>`): the portal is served at `/` of the stack's HTTP API.
    #[arg(long, global = true)]
    pub portal_url: Option<String>,
}

/// The resources of one deployment, resolved once per command.
#[derive(Debug, Clone)]
pub struct Stack {
    pub name: Option<String>,
    pub region: String,
    pub endpoint_url: Option<String>,
    /// Physical ids by logical id (overrides included).
    resources: BTreeMap<String, String>,
    /// The stack's parameter values (empty without `--stack`).
    pub parameters: BTreeMap<String, String>,
    signing_chain_parameter: Option<String>,
    portal_url: Option<String>,
    pub sdk: aws_config::SdkConfig,
}

impl Stack {
    /// Resolves the options: reads the stack when one is named, then applies overrides.
    pub async fn resolve(args: &StackArgs) -> anyhow::Result<Self> {
        let region = match args.region.clone().filter(|r| !r.is_empty()) {
            Some(region) => region,
            None => aws_config::default_provider::region::default_provider()
                .region()
                .await
                .map(|r| r.as_ref().to_owned())
                .ok_or_else(|| anyhow::anyhow!("no region: give --region or set AWS_REGION"))?,
        };
        let endpoint_url = args
            .endpoint_url
            .clone()
            .or_else(|| std::env::var(varoskapu_aws::ENDPOINT_URL_VAR).ok())
            .filter(|u| !u.is_empty());
        let aws = AwsConfig {
            table: String::new(),
            documents_bucket: String::new(),
            region: region.clone(),
            endpoint_url: endpoint_url.clone(),
        };
        let sdk = aws.sdk_config().await;
        let mut resources = BTreeMap::new();
        let mut parameters = BTreeMap::new();
        if let Some(name) = &args.stack {
            let cloudformation = aws_sdk_cloudformation::Client::new(&sdk);
            resources = stack_resources(&cloudformation, name).await?;
            parameters = stack_parameters(&cloudformation, name).await?;
        }
        let overrides = [
            (logical::TABLE, &args.table),
            (logical::DOCUMENTS_BUCKET, &args.documents_bucket),
            (logical::UPLOADS_BUCKET, &args.uploads_bucket),
            (logical::DOCUMENT_SIGNING_KEY, &args.document_signing_key),
            (logical::TOKEN_SIGNING_KEY, &args.token_signing_key),
            (logical::PORTAL_CLIENT_SECRET, &args.portal_client_secret),
            (logical::OFFICE_CLIENT_SECRET, &args.office_client_secret),
        ];
        for (id, value) in overrides {
            if let Some(value) = value {
                resources.insert(id.to_owned(), value.clone());
            }
        }
        Ok(Self {
            name: args.stack.clone(),
            region,
            endpoint_url,
            resources,
            parameters,
            signing_chain_parameter: args.signing_chain_parameter.clone(),
            portal_url: args.portal_url.clone(),
            sdk,
        })
    }

    /// The physical id of a resource, or a message naming the option to give instead.
    pub fn resource(&self, logical_id: &str) -> anyhow::Result<&str> {
        let option = match logical_id {
            logical::TABLE => "--table",
            logical::DOCUMENTS_BUCKET => "--documents-bucket",
            logical::UPLOADS_BUCKET => "--uploads-bucket",
            logical::DOCUMENT_SIGNING_KEY => "--document-signing-key",
            logical::TOKEN_SIGNING_KEY => "--token-signing-key",
            logical::PORTAL_CLIENT_SECRET => "--portal-client-secret",
            logical::OFFICE_CLIENT_SECRET => "--office-client-secret",
            _ => "its option",
        };
        self.resources
            .get(logical_id)
            .map(String::as_str)
            .ok_or_else(|| match &self.name {
                Some(stack) => {
                    anyhow::anyhow!("stack {stack} has no resource {logical_id}; give {option}")
                }
                None => anyhow::anyhow!(
                    "no stack given: name it with --stack, or the {logical_id} with {option}"
                ),
            })
    }

    /// A stack parameter's value, if set and not empty.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// The SSM parameter holding the signing chain: the stack's, or the one named.
    pub fn signing_chain_parameter(&self) -> anyhow::Result<String> {
        match (&self.signing_chain_parameter, &self.name) {
            (Some(name), _) => Ok(name.clone()),
            (None, Some(stack)) => Ok(varoskapu_aws::signing_chain::signing_chain_parameter(stack)),
            (None, None) => anyhow::bail!("give --stack or --signing-chain-parameter"),
        }
    }

    /// Where browsers reach the portal: the one named, or the stack's issuer (the portal is
    /// served at `/` of the HTTP API, whose URL the issuer is), as the template gives the
    /// portal function its `VAROSKAPU_PORTAL_URL`.
    pub fn portal_url(&self) -> anyhow::Result<String> {
        if let Some(url) = self.portal_url.as_deref().filter(|u| !u.trim().is_empty()) {
            return Ok(url.trim_end_matches('/').to_owned());
        }
        if let Some(issuer) = self.parameter(parameter::TOKEN_ISSUER_URL) {
            return Ok(issuer.trim_end_matches('/').to_owned());
        }
        if let (Some(domain), Some(_)) = (
            self.parameter(parameter::API_DOMAIN_NAME),
            self.parameter(parameter::API_CERTIFICATE_ARN),
        ) {
            return Ok(format!("https://{domain}"));
        }
        anyhow::bail!(
            "the stack has no issuer yet, so the portal's URL is unknown: deploy with \
             TokenIssuerUrl (README, Deploy to AWS, step 1) or give --portal-url"
        )
    }

    /// The AWS engines' configuration: the table and documents bucket of this stack.
    pub fn aws_config(&self) -> anyhow::Result<AwsConfig> {
        Ok(AwsConfig {
            table: self.resource(logical::TABLE)?.to_owned(),
            documents_bucket: self
                .resource(logical::DOCUMENTS_BUCKET)
                .unwrap_or_default()
                .to_owned(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
        })
    }

    /// Where the deployment's people are sent by e-mailed links (the web front end).
    pub fn public_url(&self) -> String {
        match self.parameter(parameter::DOMAIN_NAME) {
            Some(domain) => format!("https://{domain}"),
            None => "https://localhost".into(),
        }
    }
}

/// Every resource of the stack (paged: a SAM stack has well over the 100 that
/// `DescribeStackResources` answers at most).
async fn stack_resources(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut resources = BTreeMap::new();
    let mut pages = client
        .list_stack_resources()
        .stack_name(stack)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            anyhow::anyhow!(
                "cannot read stack {stack}'s resources: {}",
                DisplayErrorContext(e)
            )
        })?;
        for summary in page.stack_resource_summaries() {
            if let (Some(logical), Some(physical)) = (
                summary.logical_resource_id(),
                summary.physical_resource_id(),
            ) {
                resources.insert(logical.to_owned(), physical.to_owned());
            }
        }
    }
    Ok(resources)
}

/// The parameter values the stack was deployed with.
async fn stack_parameters(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
) -> anyhow::Result<BTreeMap<String, String>> {
    let out = client
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("cannot read stack {stack}: {}", DisplayErrorContext(e)))?;
    let stack = out
        .stacks()
        .first()
        .ok_or_else(|| anyhow::anyhow!("no stack {stack}"))?;
    Ok(stack
        .parameters()
        .iter()
        .filter_map(|p| {
            Some((
                p.parameter_key()?.to_owned(),
                p.parameter_value()?.to_owned(),
            ))
        })
        .collect())
}
