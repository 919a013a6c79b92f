//! `keys rotate`: token-signing keys live in KMS and rotate by deployment, through the
//! template's `TokenKeysPublished` (what validators trust) and `ActiveTokenKeyArn` (what
//! the provider signs with; empty is the stack's `TokenSigningKey`). Each run looks at
//! where the stack is in a rotation and says the next deployment; a new key is made only
//! when no rotation is under way.

use crate::stack::{Stack, logical};
use aws_sdk_kms::types::{KeySpec, KeyUsageType, Tag};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::io::Write;

/// The stack parameter naming the key that signs now.
pub const ACTIVE_PARAMETER: &str = "ActiveTokenKeyArn";
/// The stack parameter listing the keys published besides it.
pub const PUBLISHED_PARAMETER: &str = "TokenKeysPublished";

/// The key id validators see for a KMS key: derived from its public key, as the provider
/// derives it, so that no account or key ARN is published.
pub fn kid(public_key_der: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&Sha256::digest(public_key_der)[..12])
}

/// Where a stack is in a rotation, after `rotate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// A next key was made: publish it.
    Started { next: String },
    /// The next key is published: make it sign.
    SwitchPending { next: String },
    /// The previous key is still published: unpublish it once its tokens expired.
    RetirePending { retired: Vec<String> },
}

/// A key's ARN, creation time and `kid`.
struct KeyInfo {
    arn: String,
    created: Option<aws_sdk_kms::primitives::DateTime>,
    kid: String,
}

async fn key_info(kms: &aws_sdk_kms::Client, key: &str) -> anyhow::Result<KeyInfo> {
    let described = kms.describe_key().key_id(key).send().await.map_err(|e| {
        anyhow::anyhow!(
            "cannot read the KMS key {key}: {}",
            aws_sdk_kms::error::DisplayErrorContext(e)
        )
    })?;
    let metadata = described
        .key_metadata
        .ok_or_else(|| anyhow::anyhow!("KMS returned no metadata for {key}"))?;
    let arn = metadata.arn.unwrap_or(metadata.key_id);
    Ok(KeyInfo {
        kid: kid(&crate::documents::public_key(kms, &arn).await?),
        created: metadata.creation_date,
        arn,
    })
}

/// Minutes to wait between the deployments: tokens live 5 minutes (access and ID
/// tokens); 5 more cover clock skew and cached key sets.
fn wait_minutes() -> i64 {
    let defaults = varoskapu_idp::IdpConfig::new("https://issuer.invalid");
    (defaults.access_token_seconds.max(defaults.id_token_seconds) + 300) / 60
}

/// Takes the stack one step further in a rotation and reports what to deploy next.
pub async fn rotate(
    kms: &aws_sdk_kms::Client,
    stack: &Stack,
    out: &mut dyn Write,
) -> anyhow::Result<Rotation> {
    let active_ref = match stack.parameter(ACTIVE_PARAMETER) {
        Some(arn) => arn.to_owned(),
        None => stack.resource(logical::TOKEN_SIGNING_KEY)?.to_owned(),
    };
    let active = key_info(kms, &active_ref).await?;
    let mut next = Vec::new();
    let mut retired = Vec::new();
    for key in stack
        .parameter(PUBLISHED_PARAMETER)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        let info = key_info(kms, key).await?;
        if info.arn == active.arn {
            continue;
        }
        // A key made after the signing one is the next; one made before, the previous.
        if info.created >= active.created {
            next.push(info);
        } else {
            retired.push(info);
        }
    }
    let wait = wait_minutes();
    writeln!(out, "signing now: kid {} ({})", active.kid, active.arn)?;
    if let Some(next) = next.first() {
        writeln!(
            out,
            "next key:    kid {} ({}) is published",
            next.kid, next.arn
        )?;
        writeln!(
            out,
            "next: at least {wait} minutes after it was published, deploy with \
             {ACTIVE_PARAMETER}={} {PUBLISHED_PARAMETER}={}",
            next.arn, active.arn
        )?;
        return Ok(Rotation::SwitchPending {
            next: next.arn.clone(),
        });
    }
    if !retired.is_empty() {
        let arns: Vec<String> = retired.iter().map(|k| k.arn.clone()).collect();
        for key in &retired {
            writeln!(
                out,
                "previous:    kid {} ({}) is still published",
                key.kid, key.arn
            )?;
        }
        writeln!(
            out,
            "next: at least {wait} minutes after the switch (its tokens expired), deploy \
             with {PUBLISHED_PARAMETER}= (empty); then a new rotation can start"
        )?;
        return Ok(Rotation::RetirePending { retired: arns });
    }
    let mut request = kms
        .create_key()
        .key_spec(KeySpec::EccNistP256)
        .key_usage(KeyUsageType::SignVerify)
        .description("Városkapu token signing key (ES256 access, ID and logout tokens)");
    if let Some(name) = &stack.name {
        request = request.tags(
            Tag::builder()
                .tag_key("varoskapu:stack")
                .tag_value(name)
                .build()?,
        );
    }
    let created = request.send().await.map_err(|e| {
        anyhow::anyhow!(
            "cannot create the next token key: {}",
            aws_sdk_kms::error::DisplayErrorContext(e)
        )
    })?;
    let made = created
        .key_metadata
        .ok_or_else(|| anyhow::anyhow!("KMS returned no key metadata"))?;
    let next = key_info(kms, made.arn.as_deref().unwrap_or(&made.key_id)).await?;
    writeln!(out, "next key:    kid {} ({}) made", next.kid, next.arn)?;
    writeln!(
        out,
        "1. deploy with {PUBLISHED_PARAMETER}={} (validators start trusting it)",
        next.arn
    )?;
    writeln!(
        out,
        "2. at least {wait} minutes later, deploy with {ACTIVE_PARAMETER}={} \
         {PUBLISHED_PARAMETER}={} (it signs; the old key stays published)",
        next.arn, active.arn
    )?;
    writeln!(
        out,
        "3. at least {wait} minutes after that, deploy with {PUBLISHED_PARAMETER}= (empty)"
    )?;
    writeln!(
        out,
        "(set them in samconfig.toml's parameter_overrides; run `keys rotate` again for \
         where the stack is)"
    )?;
    Ok(Rotation::Started { next: next.arn })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_kid_is_twelve_bytes_of_the_public_keys_digest() {
        assert_eq!(super::kid(b"key").len(), 16);
    }
}
