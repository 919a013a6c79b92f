//! `varoskapu-aws` against a stack on moto: the CloudFormation stack holds the table and
//! buckets (found by their logical ids, as on AWS); the KMS keys are made directly and
//! named with `--document-signing-key`/`--token-signing-key`, because moto's
//! CloudFormation ignores a key's `KeySpec` and `KeyUsage` (its keys cannot sign).
//!
//! Each test runs the commands as the binary does (`run` with parsed arguments) and checks
//! what an operator would notice.

use std::path::Path;
use std::process::Command;
use varoskapu_aws_admin::cli::Cli;

const REGION: &str = "eu-central-1";

/// A stack of this test's own on moto.
struct Deployment {
    endpoint: String,
    stack: String,
    document_key: String,
    token_key: String,
    dir: tempfile::TempDir,
}

/// The resources of the template the commands use, with the template's logical ids and
/// the table's key schema.
fn template() -> String {
    let attribute = |name: &str| serde_json::json!({"AttributeName": name, "AttributeType": "S"});
    let index = |n: u8| {
        serde_json::json!({
            "IndexName": format!("gsi{n}"),
            "KeySchema": [
                {"AttributeName": format!("gsi{n}pk"), "KeyType": "HASH"},
                {"AttributeName": format!("gsi{n}sk"), "KeyType": "RANGE"}
            ],
            "Projection": {"ProjectionType": "ALL"}
        })
    };
    let attributes: Vec<_> = [
        "pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk",
    ]
    .map(attribute)
    .to_vec();
    serde_json::json!({
        "Parameters": {
            "MunicipalityName": {"Type": "String"},
            "ActiveTokenKeyArn": {"Type": "String", "Default": ""},
            "TokenKeysPublished": {"Type": "String", "Default": ""},
            "TokenIssuerUrl": {"Type": "String", "Default": ""}
        },
        "Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": attributes,
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"}
                ],
                "GlobalSecondaryIndexes": [index(1), index(2), index(3)]
            }},
            "DocumentsBucket": {"Type": "AWS::S3::Bucket"},
            "UploadsBucket": {"Type": "AWS::S3::Bucket"}
        }
    })
    .to_string()
}

/// An SDK configuration for moto, for what the tests check behind the CLI's back.
async fn sdk(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// A KMS key that signs (ECC_NIST_P256), as the template's keys are.
async fn signing_key(kms: &aws_sdk_kms::Client) -> String {
    kms.create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::EccNistP256)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .expect("key")
        .key_metadata
        .expect("metadata")
        .arn
        .expect("arn")
}

impl Deployment {
    /// Deploys the stack on moto, or `None` when moto is not there (skipped locally).
    async fn new() -> Option<Self> {
        Self::deploy(false).await
    }

    /// Like `new`; with `next_published`, a next token key (made after the stack's) is
    /// published through `TokenKeysPublished`, as the first step of a rotation leaves it.
    async fn deploy(next_published: bool) -> Option<Self> {
        Self::deploy_with(next_published, Vec::new()).await
    }

    /// Like `deploy`, with these parameters' values too.
    async fn deploy_with(
        next_published: bool,
        parameters: Vec<(&'static str, String)>,
    ) -> Option<Self> {
        let endpoint = varoskapu_tests::moto::aws_endpoint()?;
        let sdk = sdk(&endpoint).await;
        let kms = aws_sdk_kms::Client::new(&sdk);
        let document_key = signing_key(&kms).await;
        let token_key = signing_key(&kms).await;
        let stack = format!("varoskapu-{}", uuid::Uuid::now_v7().simple());
        let mut values = vec![(
            "MunicipalityName",
            "Budapest Főváros V. Kerület Belváros-Lipótváros Önkormányzata".to_owned(),
        )];
        if next_published {
            values.push(("TokenKeysPublished", signing_key(&kms).await));
        }
        values.extend(parameters);
        let mut request = aws_sdk_cloudformation::Client::new(&sdk)
            .create_stack()
            .stack_name(&stack)
            .template_body(template());
        for (key, value) in values {
            request = request.parameters(
                aws_sdk_cloudformation::types::Parameter::builder()
                    .parameter_key(key)
                    .parameter_value(value)
                    .build(),
            );
        }
        request.send().await.expect("stack created");
        Some(Self {
            document_key,
            token_key,
            endpoint,
            stack,
            dir: tempfile::tempdir().expect("temp dir"),
        })
    }

    /// Runs `varoskapu-aws --stack … ARGS` with `stdin`; its output, or its error.
    async fn try_run(&self, args: &[&str], stdin: &str) -> anyhow::Result<String> {
        use clap::Parser;
        let mut all = vec![
            "varoskapu-aws",
            "--stack",
            &self.stack,
            "--region",
            REGION,
            "--endpoint-url",
            &self.endpoint,
            "--document-signing-key",
            &self.document_key,
            "--token-signing-key",
            &self.token_key,
        ];
        all.extend_from_slice(args);
        let cli = Cli::try_parse_from(all)?;
        let mut input = stdin.as_bytes();
        let mut out = Vec::new();
        varoskapu_aws_admin::run(cli, &mut input, &mut out).await?;
        Ok(String::from_utf8(out)?)
    }

    async fn run(&self, args: &[&str]) -> String {
        self.try_run(args, "")
            .await
            .unwrap_or_else(|e| panic!("{args:?} failed: {e:#}"))
    }

    /// Writes a file into the test's folder.
    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("file written");
        path.display().to_string()
    }

    /// The stack's table, as the functions use it.
    async fn table(&self) -> std::sync::Arc<dyn varoskapu_core::Table> {
        let stack =
            varoskapu_aws_admin::stack::Stack::resolve(&varoskapu_aws_admin::stack::StackArgs {
                stack: Some(self.stack.clone()),
                region: Some(REGION.into()),
                endpoint_url: Some(self.endpoint.clone()),
                ..Default::default()
            })
            .await
            .expect("stack resolved");
        std::sync::Arc::new(
            stack
                .aws_config()
                .expect("table")
                .table(&stack.sdk, std::sync::Arc::new(varoskapu_core::SystemClock)),
        )
    }

    /// The stack's accounts, as the functions use them.
    async fn accounts(&self) -> varoskapu_accounts::Accounts {
        varoskapu_accounts::Accounts::with_outbox(
            self.table().await,
            std::sync::Arc::new(varoskapu_core::SystemClock),
            "https://kapu.example.hu",
        )
    }
}

fn value_after<'a>(output: &'a str, label: &str) -> &'a str {
    output
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {label} in {output}"))
}

#[tokio::test]
async fn a_client_added_is_listed_then_gone_once_removed() {
    let Some(d) = Deployment::new().await else {
        return;
    };
    let added = d
        .run(&[
            "clients",
            "add",
            "--name",
            "Ügyfélkapu",
            "--redirect-uri",
            "https://kapu.example.hu/cb",
            "--first-party",
            "--scope",
            "openid profile cases",
        ])
        .await;
    let id = value_after(&added, "client_id:").to_owned();
    assert!(value_after(&added, "client_secret:").len() >= 40, "{added}");
    let listed = d.run(&["clients", "list"]).await;
    assert!(
        listed.contains(&id) && listed.contains("Ügyfélkapu"),
        "{listed}"
    );
    assert_eq!(
        d.run(&["clients", "remove", &id]).await.trim(),
        format!("removed {id}")
    );
    let json: serde_json::Value =
        serde_json::from_str(&d.run(&["clients", "list", "--json"]).await).expect("json");
    assert_eq!(json, serde_json::json!([]));
    let again = d
        .try_run(&["clients", "remove", &id], "")
        .await
        .unwrap_err();
    assert!(again.to_string().contains("no client"), "{again}");
}

#[tokio::test]
async fn users_added_sign_in_with_their_password_and_bad_input_is_refused() {
    let Some(d) = Deployment::new().await else {
        return;
    };
    let clerk = d
        .try_run(
            &[
                "users",
                "add",
                "--email",
                "ugyintezo@kapu.example.hu",
                "--name",
                "Nagy Éva",
                "--role",
                "clerk",
                "--password-stdin",
            ],
            "Hosszu-jelszo-2026\n",
        )
        .await
        .expect("clerk created");
    assert!(
        clerk.starts_with("sub: ") && !clerk.contains("Hosszu"),
        "{clerk}"
    );
    let signatory = d
        .run(&[
            "users",
            "add",
            "--email",
            "jegyzo@kapu.example.hu",
            "--name",
            "Szabó Péter",
            "--role",
            "signatory",
            "--role",
            "clerk",
        ])
        .await;
    let initial = value_after(&signatory, "initial password (shown only now):").to_owned();
    let accounts = d.accounts().await;
    let signed_in = accounts
        .authenticate(
            "ugyintezo@kapu.example.hu",
            "Hosszu-jelszo-2026",
            Some("192.0.2.1"),
        )
        .await
        .expect("the clerk signs in");
    assert_eq!(signed_in.role_names(), ["clerk"]);
    let signed_in = accounts
        .authenticate("jegyzo@kapu.example.hu", &initial, Some("192.0.2.1"))
        .await
        .expect("the signatory signs in with the generated password");
    assert_eq!(signed_in.role_names(), ["signatory", "clerk"]);

    let unknown = d
        .try_run(
            &[
                "users",
                "add",
                "--email",
                "x@kapu.example.hu",
                "--name",
                "X Y",
                "--role",
                "mayor",
            ],
            "",
        )
        .await
        .unwrap_err();
    assert!(
        unknown.to_string().contains("unknown role \"mayor\""),
        "{unknown}"
    );
    let weak = d
        .try_run(
            &[
                "users",
                "add",
                "--email",
                "x@kapu.example.hu",
                "--name",
                "X Y",
                "--role",
                "clerk",
                "--password-stdin",
            ],
            "short\n",
        )
        .await
        .unwrap_err();
    assert!(
        weak.to_string().to_lowercase().contains("password"),
        "{weak}"
    );
    let taken = d
        .try_run(
            &[
                "users",
                "add",
                "--email",
                "UGYINTEZO@kapu.example.hu",
                "--name",
                "Más Valaki",
                "--role",
                "clerk",
            ],
            "",
        )
        .await
        .unwrap_err();
    assert!(!taken.to_string().is_empty());
}

fn catalogue() -> String {
    serde_json::json!([{
        "id": "official-certificate",
        "name": {"hu": "Hatósági bizonyítvány kérése", "en": "Official certificate request"},
        "description": {"hu": "Hatósági bizonyítvány", "en": "An official certificate"},
        "form_schema": {"type": "object", "required": ["purpose"],
                        "properties": {"purpose": {"type": "string", "minLength": 3}}},
        "documents": [],
        "fee": {"amount": 3000, "currency": "HUF"},
        "deadline_working_days": 8,
        "signatory_approval": true,
        "auto_decision": null,
        "appeal_window_days": 15
    }])
    .to_string()
}

#[tokio::test]
async fn bootstrap_twice_creates_one_administrator_and_the_catalogue_once() {
    let Some(d) = Deployment::new().await else {
        return;
    };
    let file = d.file("case-types.json", &catalogue());
    let args = [
        "bootstrap",
        "--admin-email",
        "admin@kapu.example.hu",
        "--case-types",
        &file,
    ];
    let first = d.run(&args).await;
    let password = value_after(&first, "initial password (shown only now):").to_owned();
    assert!(first.contains("added     official-certificate"), "{first}");
    let second = d.run(&args).await;
    assert!(
        second.contains("administrator admin@kapu.example.hu exists already"),
        "{second}"
    );
    assert!(
        !second.contains("password"),
        "a second run shows no password: {second}"
    );
    assert!(
        second.contains("unchanged official-certificate"),
        "{second}"
    );
    let admin = d
        .accounts()
        .await
        .authenticate("admin@kapu.example.hu", &password, None)
        .await
        .expect("the administrator signs in");
    assert_eq!(admin.role_names(), ["admin"]);
    let listed = d.run(&["case-types", "list"]).await;
    assert_eq!(listed.lines().count(), 2, "one header, one type: {listed}");
    assert!(listed.contains("3000 HUF"), "{listed}");
}

#[tokio::test]
async fn bootstrap_registers_the_portals_client_with_its_secret_once_and_rotates_it_only_when_asked()
 {
    // The portal is served at / of the stack's API: its URL is the issuer.
    let Some(d) = Deployment::deploy_with(
        false,
        vec![("TokenIssuerUrl", "https://kapu.example.hu".to_owned())],
    )
    .await
    else {
        return;
    };
    let sdk = sdk(&d.endpoint).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    // As CloudFormation makes the template's PortalClientSecret (moto's cannot be relied on
    // to, so it is named with its option).
    let generated = "GeneratedByCloudFormation0123456789abcdefABCDEF";
    let arn = secrets
        .create_secret()
        .name(format!("portal-{}", uuid::Uuid::now_v7().simple()))
        .secret_string(generated)
        .send()
        .await
        .expect("secret")
        .arn
        .expect("arn");
    let value = || async {
        secrets
            .get_secret_value()
            .secret_id(&arn)
            .send()
            .await
            .expect("read")
            .secret_string
            .expect("text")
    };
    let file = d.file("case-types.json", &catalogue());
    let args = [
        "--portal-client-secret",
        &arn,
        "bootstrap",
        "--admin-email",
        "admin@kapu.example.hu",
        "--case-types",
        &file,
    ];
    let first = d.run(&args).await;
    assert!(
        first.contains(
            "portal client ugyfelkapu registered (redirect https://kapu.example.hu/auth/callback)"
        ),
        "{first}"
    );
    assert!(!first.contains(generated), "no secret is printed: {first}");
    let registry = varoskapu_idp::ClientRegistry::new(
        d.table().await,
        std::sync::Arc::new(varoskapu_core::SystemClock),
    );
    // The portal, which reads the secret, authenticates with it.
    let client = registry
        .authenticate("ugyfelkapu", Some(generated))
        .await
        .expect("the portal's client authenticates with the secret's value");
    assert!(client.first_party && !client.pairwise);
    assert_eq!(
        client.post_logout_redirect_uris,
        ["https://kapu.example.hu/"]
    );
    assert_eq!(
        client.scopes.join(" "),
        "openid profile email offline_access cases payments appointments"
    );

    // Again: nothing changes, the secret is not rotated.
    let second = d.run(&args).await;
    assert!(
        second.contains("portal client ugyfelkapu is registered already"),
        "{second}"
    );
    assert_eq!(value().await, generated);

    // Asked to rotate: a new value in the secret, and only it authenticates the client.
    let mut rotate = args.to_vec();
    rotate.push("--rotate-portal-secret");
    let rotated = d.run(&rotate).await;
    assert!(rotated.contains("deploy again"), "{rotated}");
    let fresh = value().await;
    assert_ne!(fresh, generated);
    assert!(!rotated.contains(&fresh), "no secret is printed: {rotated}");
    registry
        .authenticate("ugyfelkapu", Some(&fresh))
        .await
        .expect("the new secret authenticates");
    assert!(
        registry
            .authenticate("ugyfelkapu", Some(generated))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_catalogue_with_a_bad_entry_is_refused_whole() {
    let Some(d) = Deployment::new().await else {
        return;
    };
    let mut entries: serde_json::Value = serde_json::from_str(&catalogue()).expect("json");
    let mut bad = entries[0].clone();
    bad["id"] = "Rossz azonosító".into();
    bad["fee"] = serde_json::json!({"amount": 0, "currency": "HUF"});
    entries.as_array_mut().expect("list").push(bad);
    let file = d.file("bad.json", &entries.to_string());
    let error = d
        .try_run(&["case-types", "import", &file], "")
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("nothing imported") && text.contains("Rossz azonosító"),
        "{text}"
    );
    assert!(text.contains("a fee is a positive amount"), "{text}");
    let listed = d.run(&["case-types", "list", "--json"]).await;
    assert_eq!(listed.trim(), "[]");
    // Bootstrap checks the catalogue before it creates anyone.
    let refused = d
        .try_run(
            &[
                "bootstrap",
                "--admin-email",
                "admin@kapu.example.hu",
                "--case-types",
                &file,
            ],
            "",
        )
        .await;
    assert!(refused.is_err());
    let nobody = d
        .accounts()
        .await
        .find_by_email("admin@kapu.example.hu")
        .await
        .expect("read");
    assert!(nobody.is_none());
}

#[tokio::test]
async fn offices_desks_and_services_are_imported_and_dangling_ones_refused() {
    let Some(d) = Deployment::new().await else {
        return;
    };
    let mut offices = serde_json::json!({
        "offices": [{
            "id": "okmanyiroda", "name": "Okmányiroda",
            "address": {"postal_code": "1051", "city": "Budapest", "street": "Erzsébet tér 5."},
            "opening_hours": {"monday": [{"start": "08:00:00", "end": "16:00:00"}]}
        }],
        "desks": [{
            "id": "ablak-1", "office_id": "okmanyiroda", "desk": "1. ablak", "name": "Kiss Anna",
            "working_hours": {"monday": [{"start": "08:00:00", "end": "16:00:00"}]}
        }],
        "services": [{
            "id": "lakcimkartya", "office_id": "okmanyiroda", "name": "Lakcímkártya",
            "duration_minutes": 15, "clerk_ids": ["ablak-1"],
            "max_open_bookings": 2, "cut_off_minutes": 120
        }]
    });
    let file = d.file("offices.json", &offices.to_string());
    assert_eq!(
        d.run(&["offices", "import", &file]).await.trim(),
        "imported 1 offices, 1 desks, 1 services"
    );
    let listed = d.run(&["offices", "list"]).await;
    assert!(
        listed.contains("desk ablak-1") && listed.contains("service lakcimkartya"),
        "{listed}"
    );
    offices["services"][0]["clerk_ids"] = serde_json::json!(["ablak-7"]);
    let bad = d.file("bad-offices.json", &offices.to_string());
    let error = d
        .try_run(&["offices", "import", &bad], "")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no desk \"ablak-7\""), "{error}");
}

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        status.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// A test CA (root) certifies the request: the chain is the signing certificate, then the root.
fn issue_chain(dir: &Path, csr: &str) -> String {
    openssl(
        dir,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ca.key",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "ca.key",
            "-subj",
            "/CN=Teszt Gyoker CA/C=HU",
            "-days",
            "30",
            "-out",
            "ca.pem",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "7",
            "-out",
            "leaf.pem",
        ],
    );
    let leaf = std::fs::read_to_string(dir.join("leaf.pem")).expect("leaf");
    let root = std::fs::read_to_string(dir.join("ca.pem")).expect("root");
    format!("{leaf}{root}")
}

#[tokio::test]
async fn the_chain_of_the_stacks_key_is_installed_and_a_chain_for_another_key_refused() {
    let Some(d) = Deployment::new().await else {
        return;
    };
    let dir = d.dir.path();
    let request = dir.join("request.pem").display().to_string();
    let written = d.run(&["documents", "csr", "--out", &request]).await;
    assert!(written.contains("request.pem"), "{written}");
    // openssl checks the request's signature (made inside KMS) and reads its subject.
    let verified = Command::new("openssl")
        .current_dir(dir)
        .args([
            "req",
            "-in",
            "request.pem",
            "-verify",
            "-noout",
            "-subject",
            "-nameopt",
            "utf8",
        ])
        .output()
        .expect("openssl");
    let verified_text = String::from_utf8_lossy(&verified.stdout).to_string()
        + &String::from_utf8_lossy(&verified.stderr);
    assert!(verified.status.success(), "{verified_text}");
    assert!(
        verified_text.contains("Belváros-Lipótváros"),
        "{verified_text}"
    );

    let chain = issue_chain(dir, "request.pem");
    let file = d.file("chain.pem", &chain);
    let installed = d.run(&["documents", "install-chain", &file]).await;
    assert!(
        installed.contains("installed 2 certificates") && installed.contains("Standard"),
        "{installed}"
    );
    let ssm = ssm(&d).await;
    let parameter = format!("/varoskapu/{}/document-signing-chain", d.stack);
    let stored = ssm
        .get_parameter()
        .name(&parameter)
        .send()
        .await
        .expect("stored");
    assert_eq!(
        stored.parameter.and_then(|p| p.value).as_deref(),
        Some(chain.as_str())
    );

    // A certificate for another key, however well formed, is refused; the chain stays.
    openssl(
        dir,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "other.key",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            "other.key",
            "-subj",
            "/CN=Masik kulcs",
            "-out",
            "other.csr",
        ],
    );
    let other = issue_chain(dir, "other.csr");
    let other_file = d.file("other-chain.pem", &other);
    let refused = d
        .try_run(&["documents", "install-chain", &other_file], "")
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("certifies another key"),
        "{refused}"
    );
    // The issuer after the signing certificate must be the one that issued it.
    let leaf_only = chain
        .split_inclusive("-----END CERTIFICATE-----\n")
        .next()
        .expect("leaf");
    let swapped = d.file(
        "swapped.pem",
        &format!(
            "{leaf_only}{}",
            other
                .split_inclusive("-----END CERTIFICATE-----\n")
                .next()
                .expect("other leaf")
        ),
    );
    let out_of_order = d
        .try_run(&["documents", "install-chain", &swapped], "")
        .await
        .unwrap_err();
    assert!(
        out_of_order.to_string().contains("was not issued by"),
        "{out_of_order}"
    );
    let still = ssm
        .get_parameter()
        .name(&parameter)
        .send()
        .await
        .expect("stored");
    assert_eq!(
        still.parameter.and_then(|p| p.value).as_deref(),
        Some(chain.as_str())
    );

    // With the chain installed, statements import; one of another account is refused.
    let statement = d.file(
        "statement.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-11-24T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>ST-1</Id><ElctrncSeqNb>1</ElctrncSeqNb><Acct><Id><IBAN>HU42117730161111101800000000</IBAN></Id><Ccy>HUF</Ccy></Acct>
<Ntry><Amt Ccy="HUF">3000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-24</Dt></BookgDt><AcctSvcrRef>R-1</AcctSvcrRef></Ntry>
</Stmt></BkToCstmrStmt></Document>
"#,
    );
    let summary: serde_json::Value =
        serde_json::from_str(&d.run(&["payments", "import", &statement]).await).expect("json");
    assert_eq!(
        summary["refused"].as_array().map(Vec::len),
        Some(1),
        "{summary}"
    );
    assert_eq!(summary["settled"], 0, "{summary}");
}

async fn ssm(d: &Deployment) -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(&sdk(&d.endpoint).await)
}

#[tokio::test]
async fn statements_wait_for_the_signing_chain() {
    let Some(d) = Deployment::new().await else {
        return;
    };
    let file = d.file("statement.xml", "<Document/>");
    let error = d
        .try_run(&["payments", "import", &file], "")
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("install the chain first"),
        "{error}"
    );
}

#[tokio::test]
async fn rotating_makes_the_next_signing_key_and_names_the_deployments() {
    let Some(d) = Deployment::new().await else {
        return;
    };
    let out = d.run(&["keys", "rotate"]).await;
    let next = value_after(&out, "next key:");
    let arn = next
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(") made"))
        .unwrap_or_else(|| panic!("no ARN in {out}"));
    assert_ne!(arn, d.token_key);
    assert!(
        out.contains(&format!("1. deploy with TokenKeysPublished={arn}")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "ActiveTokenKeyArn={arn} TokenKeysPublished={}",
            d.token_key
        )),
        "{out}"
    );
    let described = aws_sdk_kms::Client::new(&sdk(&d.endpoint).await)
        .describe_key()
        .key_id(arn)
        .send()
        .await
        .expect("the next key exists");
    let metadata = described.key_metadata.expect("metadata");
    assert_eq!(
        metadata.key_spec,
        Some(aws_sdk_kms::types::KeySpec::EccNistP256)
    );
}

#[tokio::test]
async fn a_rotation_under_way_is_continued_not_started_again() {
    let Some(d) = Deployment::deploy(true).await else {
        return;
    };
    let kms = aws_sdk_kms::Client::new(&sdk(&d.endpoint).await);
    let keys_before = keys_of_stack(&kms, &d.stack).await;
    let out = d.run(&["keys", "rotate"]).await;
    let next = value_after(&out, "next key:");
    let arn = next
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(") is published"))
        .unwrap_or_else(|| panic!("no published next key in {out}"));
    assert!(
        out.contains(&format!(
            "ActiveTokenKeyArn={arn} TokenKeysPublished={}",
            d.token_key
        )),
        "{out}"
    );
    let keys_after = keys_of_stack(&kms, &d.stack).await;
    assert_eq!(
        keys_before, keys_after,
        "no key made while a rotation is under way"
    );
}

/// The keys `keys rotate` made for `stack` (tagged with it): other tests share the moto
/// server and make keys of their own meanwhile, so counting every key would be racy.
async fn keys_of_stack(kms: &aws_sdk_kms::Client, stack: &str) -> usize {
    let mut count = 0;
    for key in kms
        .list_keys()
        .limit(1000)
        .send()
        .await
        .expect("keys")
        .keys()
    {
        let Some(id) = key.key_id() else { continue };
        let tags = kms
            .list_resource_tags()
            .key_id(id)
            .send()
            .await
            .expect("tags");
        if tags
            .tags()
            .iter()
            .any(|t| t.tag_key() == "varoskapu:stack" && t.tag_value() == stack)
        {
            count += 1;
        }
    }
    count
}

#[tokio::test]
async fn a_missing_stack_is_named() {
    let Some(endpoint) = varoskapu_tests::moto::aws_endpoint() else {
        return;
    };
    use clap::Parser;
    let cli = Cli::try_parse_from([
        "varoskapu-aws",
        "--stack",
        "no-such-stack",
        "--region",
        REGION,
        "--endpoint-url",
        &endpoint,
        "clients",
        "list",
    ])
    .expect("arguments");
    let mut out = Vec::new();
    let error = varoskapu_aws_admin::run(cli, &mut &b""[..], &mut out)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no-such-stack"), "{error}");
}

#[tokio::test]
async fn the_binary_takes_the_password_on_stdin_and_reports_a_refusal_in_one_line() {
    use std::io::Write as _;
    let Some(d) = Deployment::new().await else {
        return;
    };
    let file = d.file("case-types.json", &catalogue());
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_varoskapu-aws"))
            .args([
                "--stack",
                &d.stack,
                "--region",
                REGION,
                "--endpoint-url",
                &d.endpoint,
                "--document-signing-key",
                &d.document_key,
            ])
            .args(args)
            .env("RUST_BACKTRACE", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("varoskapu-aws starts");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("stdin written");
        child.wait_with_output().expect("varoskapu-aws ends")
    };
    let created = run(
        &[
            "bootstrap",
            "--admin-email",
            "admin@kapu.example.hu",
            "--password-stdin",
            "--case-types",
            &file,
        ],
        "Rendszergazda-jelszo-2026\n",
    );
    let stdout = String::from_utf8_lossy(&created.stdout);
    assert!(
        created.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(
        stdout.contains("administrator admin@kapu.example.hu created"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("password"),
        "a password from stdin is never printed: {stdout}"
    );
    d.accounts()
        .await
        .authenticate("admin@kapu.example.hu", "Rendszergazda-jelszo-2026", None)
        .await
        .expect("the administrator signs in with the password given");

    let refused = run(&["documents", "install-chain", &file], "");
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line, no backtrace: {stderr}"
    );
    assert!(
        stderr.starts_with("error: the file is not a PEM certificate chain"),
        "{stderr}"
    );
}
