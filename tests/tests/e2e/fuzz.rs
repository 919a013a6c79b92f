//! A bounded fuzz pass over every parser of outside input: property tests (proptest, on
//! stable Rust) throw random and structured hostile inputs (deep nesting, huge attributes
//! and numbers, truncated and mutated valid messages) at each parser and require a clean
//! answer: no panic, no exhausted stack, the documented limit's error where one applies.
//! The corpus of past crashers under `tests/fuzz/` runs first, on every run.
//!
//! Each property runs `PROPTEST_CASES` cases (proptest's default, 256, unless set), so the
//! pass takes seconds inside the ordinary test run; raise it for a longer hunt
//! (`PROPTEST_CASES=100000 cargo nextest run -p varoskapu-tests --test e2e
//! -E 'test(/^fuzz::/)'`).

use der::Decode;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::Config;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use varoskapu_case_api::forms::{JsonSchemaForms, MAX_FORM_DEPTH};
use varoskapu_core::cases::FormValidator;
use varoskapu_core::cases::media::sniff;
use varoskapu_core::payments::camt::{self, CamtError, MAX_DEPTH};
use varoskapu_core::payments::simplepay::Merchant;
use varoskapu_documents::local_tsa::LocalTsa;
use varoskapu_jose::{JwkSet, JwsAlgorithm, PrivateKey, b64url, peek_header, verify};

fn config() -> Config {
    Config {
        // Crashers are kept by hand under tests/fuzz/, named for what they are.
        failure_persistence: None,
        ..Config::default()
    }
}

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("corpus file");
            (path, bytes)
        })
        .collect()
}

/// A prefix of `text` cut at a char boundary near `at`.
fn truncated(text: &str, at: Index) -> String {
    let mut cut = at.index(text.len() + 1);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text[..cut].to_owned()
}

/// `text` with `insertions` spliced in at char boundaries.
fn mutated(text: &str, insertions: &[(Index, &str)]) -> String {
    let mut out = text.to_owned();
    for (at, piece) in insertions {
        let mut i = at.index(out.len() + 1);
        while !out.is_char_boundary(i) {
            i -= 1;
        }
        out.insert_str(i, piece);
    }
    out
}

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((".{0,8}", inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// JSON text nested `depth` levels of `[` or `{"a":`, closed or not.
fn nested_json(depth: usize, objects: bool, closed: bool) -> String {
    let (open, close) = if objects {
        ("{\"a\":", "}")
    } else {
        ("[", "]")
    };
    let mut text = open.repeat(depth);
    text.push('1');
    if closed {
        text.push_str(&close.repeat(depth));
    }
    text
}

// ---------------------------------------------------------------------------------------
// camt.053/054 bank statements

const STATEMENT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-11-24T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-1</Id><Acct><Id><IBAN>HU39117840091573565000000000</IBAN></Id></Acct>
<Ntry><Amt Ccy="HUF">12000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-24</Dt></BookgDt><AcctSvcrRef>B-1</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Minta Polgár</Nm></Dbtr></RltdPties><RmtInf><Ustrd>VK000000000197</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"#;

const XML_PIECES: &[&str] = &[
    "<",
    ">",
    "/>",
    "</",
    "<a>",
    "</a>",
    "<Ntry>",
    "</Ntry>",
    "\"",
    "'",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<?x ",
    "?>",
    "&amp;",
    "&#0;",
    "&#x10FFFF;",
    "&undefined;",
    "<!DOCTYPE d [<!ENTITY e \"x\">]>",
    "xmlns:p=\"u\"",
    "<p:a>",
    "\u{0}",
    "é",
    "\u{FEFF}",
];

/// The statement with `inner` placed inside its entry's details (five levels down).
fn inside_entry(inner: &str) -> String {
    STATEMENT.replacen("<NtryDtls>", &format!("<NtryDtls>{inner}"), 1)
}

fn nested_xml(depth: usize, tag: &str, closed: bool) -> String {
    let mut xml = format!("<{tag}>").repeat(depth);
    if closed {
        xml.push_str(&format!("</{tag}>").repeat(depth));
    }
    xml
}

fn hostile_xml() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            0usize..20_000,
            select(vec!["a", "Ntry", "TxDtls", "x:y"]),
            any::<bool>()
        )
            .prop_map(|(d, tag, closed)| inside_entry(&nested_xml(d, tag, closed))),
        (0usize..300_000, select(vec!["x", ">", "&amp;", "é"]))
            .prop_map(|(n, c)| format!("<Document a=\"{}\"/>", c.repeat(n / c.len()))),
        any::<Index>().prop_map(|at| truncated(STATEMENT, at)),
        prop::collection::vec((any::<Index>(), select(XML_PIECES.to_vec())), 1..24)
            .prop_map(|pieces| mutated(STATEMENT, &pieces)),
        ".{0,512}",
    ]
}

#[test]
fn the_statement_corpus_is_refused_or_read_cleanly() {
    for (path, bytes) in corpus("camt") {
        let text = String::from_utf8_lossy(&bytes);
        let result = camt::parse(&text);
        if path.ends_with("nested-5000-deep.xml") || path.ends_with("unclosed-5000-deep.xml") {
            assert_eq!(
                result,
                Err(CamtError::TooDeep {
                    max_depth: MAX_DEPTH
                }),
                "{}",
                path.display()
            );
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn statements_never_crash_the_parser(xml in hostile_xml()) {
        let _ = camt::parse(&xml);
    }

    #[test]
    fn statements_nested_past_the_limit_are_refused_as_too_deep(
        depth in 0usize..10_000,
        tag in select(vec!["a", "Ntry", "RltdPties"]),
    ) {
        let result = camt::parse(&inside_entry(&nested_xml(depth, tag, true)));
        // The entry's details sit five elements down.
        let too_deep = matches!(result, Err(CamtError::TooDeep { .. }));
        prop_assert_eq!(too_deep, 5 + depth > MAX_DEPTH, "{:?}", result);
    }
}

// ---------------------------------------------------------------------------------------
// SimplePay notifications (IPN) and back-redirects

fn merchant() -> Merchant {
    Merchant::new("VAROSKAPUHUF", "a fuzzing secret")
}

const IPN: &str = r#"{"salt":"c1ca1d0e9fc2323b3dda7cf145e36f5e","orderRef":"0190b7e2-5f5d-7a3e-9f00-000000000001","method":"CARD","merchant":"VAROSKAPUHUF","finishDate":"2026-11-24T10:00:00+00:00","paymentDate":"2026-11-24T09:59:00+00:00","transactionId":99325165,"status":"FINISHED"}"#;

const JSON_PIECES: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    "1e999",
    "-0",
    "null",
    "\"total\":",
    "\"currency\":",
    "\"merchant\":",
    "99999999999999999999999999",
];

fn hostile_ipn() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0usize..10_000, any::<bool>(), any::<bool>())
            .prop_map(|(d, objects, closed)| nested_json(d, objects, closed).into_bytes()),
        (
            json_value(),
            json_value(),
            json_value(),
            json_value(),
            json_value()
        )
            .prop_map(|(order, tx, merchant, status, total)| {
                json!({"orderRef": order, "transactionId": tx, "merchant": merchant,
                       "status": status, "total": total, "currency": "HUF"})
                .to_string()
                .into_bytes()
            }),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        any::<Index>().prop_map(|at| truncated(IPN, at).into_bytes()),
        prop::collection::vec((any::<Index>(), select(JSON_PIECES.to_vec())), 1..16)
            .prop_map(|pieces| mutated(IPN, &pieces).into_bytes()),
        (0usize..40_000)
            .prop_map(|n| format!("{{\"orderRef\":\"{}\"}}", "x".repeat(n)).into_bytes()),
        prop::collection::vec(any::<u8>(), 0..1024),
    ]
}

#[test]
fn the_notification_corpus_is_refused_cleanly() {
    let m = merchant();
    for (path, body) in corpus("ipn") {
        let read = m.read_notification(&body, Some(&m.sign(&body)));
        assert!(read.is_err(), "{} was accepted", path.display());
    }
}

proptest! {
    #![proptest_config(config())]

    /// Correctly signed, so the parser behind the signature check is what is fuzzed.
    #[test]
    fn notifications_never_crash_the_reader(body in hostile_ipn()) {
        let m = merchant();
        if let Ok(n) = m.read_notification(&body, Some(&m.sign(&body))) {
            // Whatever was read is acknowledged in the provider's format.
            let ack = m.acknowledge(&n, jiff::Timestamp::UNIX_EPOCH);
            prop_assert!(m.verify(&ack.body, Some(&ack.signature)).is_ok());
        }
    }

    #[test]
    fn back_redirects_never_crash_the_reader(r in ".{0,256}", s in ".{0,128}", json in json_value()) {
        let m = merchant();
        let _ = m.read_back_redirect(&r, &s);
        let text = json.to_string();
        let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &text);
        let _ = m.read_back_redirect(&encoded, &m.sign(text.as_bytes()));
    }
}

// ---------------------------------------------------------------------------------------
// JWS (access tokens, ID token hints, client assertions) and JWK sets

fn keys() -> &'static JwkSet {
    static KEYS: OnceLock<JwkSet> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = PrivateKey::from_scalar("k1", &[7u8; 32]).expect("a valid P-256 scalar");
        JwkSet {
            keys: vec![key.public_jwk()],
        }
    })
}

fn b64_json(value: &Value) -> String {
    b64url(value.to_string().as_bytes())
}

fn hostile_token() -> impl Strategy<Value = String> {
    prop_oneof![
        (0usize..6_000, any::<bool>()).prop_map(|(d, objects)| {
            format!(
                "{}.{}.{}",
                b64url(nested_json(d, objects, true).as_bytes()),
                b64url(b"{}"),
                b64url(&[0u8; 64])
            )
        }),
        (
            json_value(),
            json_value(),
            prop::collection::vec(any::<u8>(), 0..600)
        )
            .prop_map(|(header, claims, signature)| {
                format!(
                    "{}.{}.{}",
                    b64_json(&header),
                    b64_json(&claims),
                    b64url(&signature)
                )
            }),
        (json_value(), prop::collection::vec(any::<u8>(), 0..80)).prop_map(|(claims, sig)| {
            let header = json!({"alg": "ES256", "kid": "k1", "typ": "at+jwt"});
            format!(
                "{}.{}.{}",
                b64_json(&header),
                b64_json(&claims),
                b64url(&sig)
            )
        }),
        (10_000usize..40_000).prop_map(|n| format!("{}.e30.AA", "a".repeat(n))),
        "[A-Za-z0-9_.=+/-]{0,300}",
        ".{0,200}",
    ]
}

#[test]
fn the_token_corpus_is_refused_cleanly() {
    for (path, bytes) in corpus("jws") {
        let text = String::from_utf8_lossy(&bytes);
        if path.extension().is_some_and(|e| e == "json") {
            if let Ok(set) = serde_json::from_str::<JwkSet>(&text) {
                for key in &set.keys {
                    let _ = (key.verifying_key(), key.rs256_verifying_key());
                }
            }
            continue;
        }
        let token = text.trim();
        assert!(
            verify::<Value>(token, keys(), JwsAlgorithm::Es256).is_err(),
            "{}",
            path.display()
        );
        let _ = peek_header(token);
    }
}

fn hostile_jwk() -> impl Strategy<Value = Value> {
    let part = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..700).prop_map(|b| json!(b64url(&b))),
        json_value(),
    ];
    prop::collection::vec(
        (
            select(vec!["EC", "RSA", "oct", "OKP", ""]),
            select(vec!["P-256", "P-384", "", "secp256k1"]),
            part.clone(),
            part.clone(),
            part.clone(),
            part,
        ),
        0..4,
    )
    .prop_map(|keys| {
        let keys: Vec<Value> = keys
            .into_iter()
            .map(|(kty, crv, x, y, n, e)| {
                json!({"kty": kty, "crv": crv, "x": x, "y": y, "n": n, "e": e, "kid": "k"})
            })
            .collect();
        json!({ "keys": keys })
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn tokens_never_crash_the_verifier(token in hostile_token()) {
        prop_assert!(verify::<Value>(&token, keys(), JwsAlgorithm::Es256).is_err());
        prop_assert!(verify::<Value>(&token, keys(), JwsAlgorithm::Rs256).is_err());
        let _ = peek_header(&token);
    }

    #[test]
    fn key_sets_never_crash_the_reader(set in hostile_jwk(), deep in 0usize..3_000) {
        if let Ok(set) = serde_json::from_value::<JwkSet>(set) {
            for key in &set.keys {
                let _ = (key.verifying_key(), key.rs256_verifying_key());
            }
        }
        let text = format!("{{\"keys\":{}}}", nested_json(deep, false, true));
        prop_assert_eq!(serde_json::from_str::<JwkSet>(&text).is_ok(), false);
    }
}

// ---------------------------------------------------------------------------------------
// RFC 3161 timestamp requests

fn tsa() -> &'static LocalTsa {
    static TSA: OnceLock<LocalTsa> = OnceLock::new();
    TSA.get_or_init(|| {
        varoskapu_documents::LocalKeys::generate(jiff::Timestamp::now())
            .expect("keys")
            .tsa(Arc::new(varoskapu_core::SystemClock))
    })
}

/// A valid request: version 1, a SHA-256 imprint, certReq.
fn timestamp_request(imprint: [u8; 32]) -> Vec<u8> {
    let mut der = hex_bytes("3039020101303130 0d060960864801650304020105000420");
    der.extend_from_slice(&imprint);
    der.extend_from_slice(&hex_bytes("0101ff"));
    der
}

fn hex_bytes(text: &str) -> Vec<u8> {
    let compact: String = text.split_whitespace().collect();
    (0..compact.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&compact[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hostile_der() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (
            0usize..4_000,
            select(vec![
                vec![0x30, 0x80],
                vec![0x30, 0x82, 0xff, 0xff],
                vec![0xa0, 0x80],
                vec![0x30, 0x81, 0x7f]
            ])
        )
            .prop_map(|(d, header)| header.repeat(d)),
        (any::<[u8; 32]>(), any::<Index>()).prop_map(|(imprint, at)| {
            let der = timestamp_request(imprint);
            der[..at.index(der.len() + 1)].to_vec()
        }),
        (
            any::<[u8; 32]>(),
            prop::collection::vec((any::<Index>(), any::<u8>()), 1..8)
        )
            .prop_map(|(imprint, flips)| {
                let mut der = timestamp_request(imprint);
                for (at, byte) in flips {
                    let i = at.index(der.len());
                    der[i] = byte;
                }
                der
            }),
        prop::collection::vec(any::<u8>(), 0..4096),
    ]
}

fn assert_reply(reply: &[u8]) {
    assert!(
        x509_tsp::TimeStampResp::from_der(reply).is_ok(),
        "every request gets a well-formed TimeStampResp"
    );
}

#[test]
fn the_timestamp_request_corpus_gets_rejections() {
    for (_, request) in corpus("tsa") {
        assert_reply(&tsa().respond(&request));
    }
    // The seed itself is granted.
    assert_reply(&tsa().respond(&timestamp_request([1; 32])));
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn timestamp_requests_never_crash_the_authority(request in hostile_der()) {
        assert_reply(&tsa().respond(&request));
    }
}

// ---------------------------------------------------------------------------------------
// Upload sniffing

const MAGICS: &[&[u8]] = &[
    b"%PDF-",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"GIF89a",
    b"RIFF",
    b"\x1f\x8b",
    b"II*\0",
    b"MM\0*",
    b"<?xml",
    b"\0\0\0\x0cjP  ",
    b"ftypheic",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn uploads_never_crash_the_sniffer(
        magic in select(MAGICS.to_vec()),
        tail in prop::collection::vec(any::<u8>(), 0..8192),
        cut in any::<Index>(),
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&tail);
        let _ = sniff(&bytes);
        let _ = sniff(&bytes[..cut.index(bytes.len() + 1)]);
        let _ = sniff(&tail);
    }
}

// ---------------------------------------------------------------------------------------
// Case forms against their schema

fn recursive_schema() -> Value {
    json!({
        "type": ["object", "array", "string", "number", "boolean", "null"],
        "items": {"$ref": "#"},
        "additionalProperties": {"$ref": "#"},
        "properties": {"plate": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{3}$"}}
    })
}

#[test]
fn json_bodies_nested_past_128_levels_are_refused_by_the_parser() {
    // What the forms, notifications, tokens' parts and every `ApiJson` body rely on.
    for objects in [false, true] {
        assert!(serde_json::from_str::<Value>(&nested_json(127, objects, true)).is_ok());
        assert!(serde_json::from_str::<Value>(&nested_json(128, objects, true)).is_err());
        assert!(serde_json::from_str::<Value>(&nested_json(100_000, objects, true)).is_err());
    }
}

#[test]
fn the_form_corpus_is_refused_or_validated_cleanly() {
    for (path, bytes) in corpus("forms") {
        // Forms arrive as JSON bodies: what the body parser refuses never reaches the schema.
        if let Ok(form) = serde_json::from_slice::<Value>(&bytes) {
            let result = JsonSchemaForms.validate(&recursive_schema(), &form);
            if path.ends_with("nested-127.json") {
                assert!(result.is_err(), "{}", path.display());
            }
        }
    }
    let wide = Value::Object((0..20_000).map(|i| (format!("k{i}"), json!(i))).collect());
    assert!(
        JsonSchemaForms
            .validate(&recursive_schema(), &wide)
            .is_err()
    );
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn forms_never_crash_the_validator(
        form in json_value(),
        depth in 0usize..200,
        objects in any::<bool>(),
    ) {
        let schema = recursive_schema();
        let _ = JsonSchemaForms.validate(&schema, &form);
        if let Ok(deep) = serde_json::from_str::<Value>(&nested_json(depth, objects, true)) {
            let result = JsonSchemaForms.validate(&schema, &deep);
            prop_assert_eq!(result.is_err(), depth + 1 > MAX_FORM_DEPTH);
        }
    }
}
