//! The provider's KMS token keys on moto: tokens signed by KMS verify against the published
//! key set, and a second published key is served beside the active one.
//! Skipped, with a line saying so, when `VAROSKAPU_TEST_AWS_ENDPOINT` is not set (a
//! failure under `CI=true`).
#![cfg(feature = "token-keys")]

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use varoskapu_aws::AwsConfig;
use varoskapu_aws::kms_token_keys::KmsTokenKeys;
use varoskapu_jose::SigningKeys;
use varoskapu_jose::{AccessTokenClaims, Audience, verify_es256};

async fn kms() -> Option<aws_sdk_kms::Client> {
    let endpoint = varoskapu_tests::moto::aws_endpoint()?;
    let config = AwsConfig::from_lookup(|name| match name {
        "VAROSKAPU_TABLE" => Some("unused".into()),
        "VAROSKAPU_DOCUMENTS_BUCKET" => Some("unused".into()),
        "AWS_REGION" => Some("eu-central-1".into()),
        "VAROSKAPU_AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        _ => None,
    })
    .expect("config");
    Some(aws_sdk_kms::Client::new(&config.sdk_config().await))
}

async fn new_key(client: &aws_sdk_kms::Client) -> String {
    client
        .create_key()
        .key_spec(KeySpec::EccNistP256)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await
        .expect("create key")
        .key_metadata
        .expect("metadata")
        .key_id
}

fn claims() -> AccessTokenClaims {
    AccessTokenClaims {
        iss: "https://kapu.example.hu".into(),
        sub: "someone".into(),
        aud: Audience::One("urn:varoskapu:api:cases".into()),
        exp: 2_000_000_000,
        iat: 1_900_000_000,
        nbf: None,
        jti: "kms-test".into(),
        client_id: "c".into(),
        scope: "openid cases".into(),
        roles: Vec::new(),
        case_types: Vec::new(),
        fam: None,
        auth_time: None,
        acr: None,
        amr: Vec::new(),
    }
}

#[tokio::test]
async fn tokens_signed_in_kms_verify_against_the_published_keys() {
    let Some(client) = kms().await else { return };
    let active = new_key(&client).await;
    let next = new_key(&client).await;
    let keys = KmsTokenKeys::new(client, active, vec![next]);
    let key = keys.signing_key().await.expect("active key");
    let token = key.sign("at+jwt", &claims()).await.expect("signed by KMS");
    let jwks = keys.published().await.expect("published");
    assert_eq!(jwks.keys.len(), 2);
    let (header, verified): (_, AccessTokenClaims) = verify_es256(&token, &jwks).expect("verifies");
    assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
    assert_eq!(verified, claims());
    // The JWKS endpoint's document is the same key set, serialised once with a stable tag.
    let document = keys.published_document().await.expect("document");
    let served: varoskapu_jose::JwkSet = serde_json::from_slice(&document.json).expect("json");
    assert_eq!(served, jwks);
    assert_eq!(
        keys.published_document().await.expect("again").etag,
        document.etag
    );
    assert!(
        keys.rotate(600).await.is_err(),
        "rotation is a deployment step"
    );
}

#[tokio::test]
async fn an_unknown_key_is_reported_not_panicked_on() {
    let Some(client) = kms().await else { return };
    let keys = KmsTokenKeys::new(client, "00000000-0000-0000-0000-000000000000", vec![]);
    assert!(keys.signing_key().await.is_err());
}

/// Where moto differs from KMS: AWS signs a `MessageType=DIGEST` message as the hash itself;
/// moto (5.x) ignores the message type and signs the SHA-256 of it, so a signature over a
/// long input (sent as its digest, as AWS documents) does not verify when made on moto.
/// The signers follow AWS (`kms_signer::kms_message`); if this fails, moto has caught up.
#[tokio::test]
async fn moto_hashes_a_digest_message_once_more() {
    use aws_sdk_kms::primitives::Blob;
    use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
    use p256::ecdsa::signature::Verifier as _;
    use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
    use p256::ecdsa::{Signature, VerifyingKey};
    use p256::pkcs8::DecodePublicKey as _;
    use sha2::{Digest as _, Sha256};
    let Some(client) = kms().await else { return };
    let key = new_key(&client).await;
    let digest = Sha256::digest(vec![b'x'; 5000]).to_vec();
    let signature = client
        .sign()
        .key_id(&key)
        .message(Blob::new(digest.clone()))
        .message_type(MessageType::Digest)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .expect("sign")
        .signature
        .expect("signature");
    let public = client
        .get_public_key()
        .key_id(&key)
        .send()
        .await
        .expect("public key")
        .public_key
        .expect("key");
    let verifying = VerifyingKey::from_public_key_der(public.as_ref()).expect("SPKI");
    let signature = Signature::from_der(signature.as_ref()).expect("DER");
    assert!(
        verifying.verify_prehash(&digest, &signature).is_err(),
        "moto now signs a DIGEST as the hash, as KMS does"
    );
    assert!(verifying.verify(&digest, &signature).is_ok());
}
