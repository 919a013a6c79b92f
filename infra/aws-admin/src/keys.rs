//! `keys rotate`: token-signing keys live in KMS and rotate by deployment (validators
//! trust what the provider publishes, the provider signs with what the template names).
//! This makes the next key and says the two deployments that put it into service.

use aws_sdk_kms::types::{KeySpec, KeyUsageType, Tag};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::io::Write;
use varoskapu_aws::kms_token_keys::{PUBLISHED_KEYS_VAR, TOKEN_KEY_VAR};

/// The key id validators see for a KMS key: derived from its public key, as the provider
/// derives it, so that no account or key ARN is published.
pub fn kid(public_key_der: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&Sha256::digest(public_key_der)[..12])
}

/// Creates the next token-signing key (ECC_NIST_P256, SIGN_VERIFY) beside `current` and
/// reports its ARN, its `kid` and the deployments that put it into service.
pub async fn rotate(
    kms: &aws_sdk_kms::Client,
    stack: Option<&str>,
    current: &str,
    out: &mut dyn Write,
) -> anyhow::Result<String> {
    let current_kid = kid(&crate::documents::public_key(kms, current).await?);
    let mut request = kms
        .create_key()
        .key_spec(KeySpec::EccNistP256)
        .key_usage(KeyUsageType::SignVerify)
        .description("Városkapu token signing key (ES256 access, ID and logout tokens), next");
    if let Some(stack) = stack {
        request = request.tags(
            Tag::builder()
                .tag_key("varoskapu:stack")
                .tag_value(stack)
                .build()?,
        );
    }
    let created = request.send().await.map_err(|e| {
        anyhow::anyhow!(
            "cannot create the next token key: {}",
            aws_sdk_kms::error::DisplayErrorContext(e)
        )
    })?;
    let metadata = created
        .key_metadata
        .ok_or_else(|| anyhow::anyhow!("KMS returned no key metadata"))?;
    let arn = metadata.arn.unwrap_or(metadata.key_id);
    let next_kid = kid(&crate::documents::public_key(kms, &arn).await?);
    // Tokens live 5 minutes (access and ID tokens); a margin covers clock skew and caches.
    let defaults = varoskapu_idp::IdpConfig::new("https://issuer.invalid");
    let wait_minutes = (defaults.access_token_seconds.max(defaults.id_token_seconds) + 300) / 60;
    writeln!(out, "signing now: kid {current_kid} ({current})")?;
    writeln!(out, "next key:    kid {next_kid} ({arn})")?;
    writeln!(
        out,
        "1. deploy with the next key published ({PUBLISHED_KEYS_VAR}={arn}):"
    )?;
    writeln!(
        out,
        "   validators start trusting it; tokens are still signed by {current_kid}"
    )?;
    writeln!(
        out,
        "2. at least {wait_minutes} minutes later (JWKS caches refreshed), deploy with it \
         signing ({TOKEN_KEY_VAR}={arn}) and the old key still published ({PUBLISHED_KEYS_VAR}={current})"
    )?;
    writeln!(
        out,
        "3. {wait_minutes} minutes after that (its tokens expired), unpublish the old key and \
         schedule its deletion"
    )?;
    Ok(arn)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_kid_is_twelve_bytes_of_the_public_keys_digest() {
        assert_eq!(super::kid(b"key").len(), 16);
    }
}
