//! The AWS signer on a KMS-compatible server (moto): a document signed with a KMS key whose
//! certificate the municipal CA issued verifies like one signed with the local key.
//! Skipped, with a line saying so, when `VAROSKAPU_TEST_AWS_ENDPOINT` is not set (a
//! failure under `CI=true`).

use std::sync::Arc;

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use der::{Decode, Encode};
use jiff::{SignedDuration, Timestamp};
use p256::ecdsa::{SigningKey, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use varoskapu_aws::kms_signer::KmsSigner;
use varoskapu_core::{Clock, SystemClock};
use varoskapu_documents::pki::{self, CertIssuer, Role};
use varoskapu_documents::render::Municipality;
use varoskapu_documents::sample::sample_request;
use varoskapu_documents::{LocalKeys, render_and_sign, verify_pdf};

#[tokio::test]
async fn a_document_signed_with_a_kms_key_verifies() -> anyhow::Result<()> {
    let Some(endpoint) = varoskapu_tests::moto::aws_endpoint() else {
        return Ok(());
    };
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("eu-central-1"))
        .load()
        .await;
    let client = aws_sdk_kms::Client::new(&sdk);
    let key_id = client
        .create_key()
        .key_spec(KeySpec::EccNistP256)
        .key_usage(KeyUsageType::SignVerify)
        .description("Városkapu document signing (test)")
        .send()
        .await?
        .key_metadata
        .map(|m| m.key_id)
        .ok_or_else(|| anyhow::anyhow!("no key metadata"))?;

    // The municipal CA certifies the KMS key's public key, as an operator would.
    let now = Timestamp::now();
    let unsigned = KmsSigner::new(client.clone(), key_id.clone(), Vec::new());
    let public = VerifyingKey::from_public_key_der(&unsigned.public_key_der().await?)?;
    let root_key = SigningKey::from_bytes(&rand_bytes().into())?;
    let root_name = pki::name("CN=Teszt Gyökér-CA,O=Városkapu Önkormányzat,C=HU")?;
    let year = SignedDuration::from_hours(24 * 365);
    let root = pki::issue(
        Role::RootCa,
        &root_name,
        root_key.verifying_key(),
        None,
        Some(&root_key),
        now - year,
        now + year,
    )?;
    let root_spki = pki::spki_of(root_key.verifying_key())?;
    let leaf = pki::issue(
        Role::DocumentSigner,
        &pki::name("CN=Városkapu KMS aláíró,O=Városkapu Önkormányzat,C=HU")?,
        &public,
        Some(CertIssuer {
            name: &root_name,
            key: &root_key,
            spki: &root_spki,
        }),
        None,
        now - year,
        now + year,
    )?;
    let pem = [&leaf, &root]
        .iter()
        .map(|c| der::EncodePem::to_pem(*c, der::pem::LineEnding::LF))
        .collect::<Result<String, _>>()?;
    let signer = KmsSigner::from_pem_chain(client, key_id, &pem)?;
    assert_eq!(signer_leaf(&signer)?, leaf.to_der()?);

    // A TSA certified by the same root.
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let tsa_keys = LocalKeys::generate(now)?;
    let document = render_and_sign(
        &Municipality::demo(),
        &sample_request(),
        &signer,
        &tsa_keys.tsa(clock),
        now,
    )
    .await?;
    let verdict = verify_pdf(&document.pdf, &[root, tsa_keys.root.clone()]);
    assert!(verdict.is_valid(), "{verdict}");
    assert_eq!(document.signer, "Városkapu KMS aláíró");
    Ok(())
}

fn signer_leaf(signer: &KmsSigner) -> anyhow::Result<Vec<u8>> {
    use varoskapu_core::documents::Signer as _;
    let first = signer
        .certificate_chain()
        .first()
        .ok_or_else(|| anyhow::anyhow!("empty chain"))?;
    Ok(x509_cert::Certificate::from_der(first)?.to_der()?)
}

fn rand_bytes() -> [u8; 32] {
    rand::random()
}
