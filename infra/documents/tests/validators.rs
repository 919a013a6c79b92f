//! Documents the system issues, checked by validators nobody here wrote: pyHanko,
//! poppler's pdfsig/pdffonts/pdftotext/pdfinfo, and `openssl ts -verify`.
//!
//! The tools are found on PATH (tests/run installs them: tests/requirements.txt and
//! tests/apt-packages.txt). A missing tool fails the test with its name: CI installs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use varoskapu_core::{Clock, SystemClock};
use varoskapu_documents::render::Municipality;
use varoskapu_documents::sample::sample_request;
use varoskapu_documents::tsa_client::HttpTsa;
use varoskapu_documents::verify::timestamp_token;
use varoskapu_documents::{
    LocalKeys, Verdict, issue_sample, render_and_sign, tsa_router, verify_pdf,
};

/// Where a tool lives on PATH; fails the test naming the tool and what provides it.
fn tool(name: &str, provided_by: &str) -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!("`{name}` is not on PATH: install {provided_by} (tests/run does)")
        })
}

fn run(name: &str, provided_by: &str, args: &[&str]) -> (Output, String) {
    let output = Command::new(tool(name, provided_by))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

/// A signed sample decision in a fresh data folder.
struct Fixture {
    dir: tempfile::TempDir,
    pdf: Vec<u8>,
}

impl Fixture {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("sample.pdf");
        issue_sample(dir.path(), &out).await.expect("sample issued");
        let pdf = std::fs::read(&out).expect("sample written");
        Self { dir, pdf }
    }

    fn root(&self) -> PathBuf {
        LocalKeys::root_pem_path(self.dir.path())
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    }

    /// One hex digit of the document information dictionary changed: still a readable
    /// PDF, but not the signed one.
    fn tampered_content(&self) -> Vec<u8> {
        let at = find(&self.pdf, b"/Producer<FEFF").expect("producer entry") + 16;
        flip_hex(&self.pdf, at)
    }

    /// One hex digit of the signature value (inside `/Contents`) changed.
    fn tampered_signature(&self) -> Vec<u8> {
        let (_, signature) = timestamp_token(&self.pdf).expect("timestamp token");
        let at = find(&self.pdf, hex::encode_upper(&signature).as_bytes()).expect("signature") + 20;
        flip_hex(&self.pdf, at)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn flip_hex(pdf: &[u8], at: usize) -> Vec<u8> {
    let mut out = pdf.to_vec();
    out[at] = if out[at] == b'A' { b'B' } else { b'A' };
    out
}

fn pyhanko(fixture: &Fixture, pdf: &Path) -> (Output, String) {
    let root = fixture.root();
    run(
        "pyhanko",
        "pyhanko and pyhanko-cli (PyPI)",
        &[
            "sign",
            "validate",
            "--trust",
            root.to_str().expect("utf-8 path"),
            "--trust-replace",
            "--pretty-print",
            pdf.to_str().expect("utf-8 path"),
        ],
    )
}

#[tokio::test]
async fn pyhanko_judges_the_signature_valid_and_timestamped_and_a_changed_byte_invalid() {
    let fixture = Fixture::new().await;
    let pdf = fixture.write("signed.pdf", &fixture.pdf);
    let (output, text) = pyhanko(&fixture, &pdf);
    assert!(output.status.success(), "{text}");
    for expected in [
        "The signer's certificate is trusted.",
        "The signature is cryptographically sound.",
        "This timestamp is backed by a time stamping authority.",
        "The timestamp token is cryptographically sound.",
        "The TSA certificate is trusted.",
        "The signature covers the entire file.",
        "The signature is judged VALID.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    for (name, bytes) in [
        ("content.pdf", fixture.tampered_content()),
        ("signature.pdf", fixture.tampered_signature()),
    ] {
        let tampered = fixture.write(name, &bytes);
        let (output, text) = pyhanko(&fixture, &tampered);
        assert!(!output.status.success(), "{name} accepted:\n{text}");
        assert!(!text.contains("judged VALID"), "{name}:\n{text}");
    }
}

#[tokio::test]
async fn pdfsig_reports_a_valid_trusted_signature_and_a_changed_byte_invalid() {
    let fixture = Fixture::new().await;
    let nss = fixture.dir.path().join("nss");
    std::fs::create_dir_all(&nss).expect("nss dir");
    let db = format!("sql:{}", nss.display());
    let certutil = "certutil (Debian libnss3-tools)";
    let (output, text) = run("certutil", certutil, &["-N", "-d", &db, "--empty-password"]);
    assert!(output.status.success(), "{text}");
    let root = fixture.root();
    let (output, text) = run(
        "certutil",
        certutil,
        &[
            "-A",
            "-d",
            &db,
            "-n",
            "varoskapu-root",
            "-t",
            "CT,C,C",
            "-i",
            root.to_str().expect("path"),
        ],
    );
    assert!(output.status.success(), "{text}");

    let pdfsig = |path: &Path| {
        run(
            "pdfsig",
            "poppler-utils (Debian)",
            &["-nssdir", &db, path.to_str().expect("path")],
        )
        .1
    };
    let text = pdfsig(&fixture.write("signed.pdf", &fixture.pdf));
    for expected in [
        "Signature Type: ETSI.CAdES.detached",
        "Total document signed",
        "Signature Validation: Signature is Valid.",
        "Certificate Validation: Certificate is Trusted.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // pdfsig exits 0 whatever it finds: its report is what counts.
    for (name, bytes) in [
        ("content.pdf", fixture.tampered_content()),
        ("signature.pdf", fixture.tampered_signature()),
    ] {
        let text = pdfsig(&fixture.write(name, &bytes));
        assert!(
            !text.contains("Signature is Valid."),
            "{name} accepted:\n{text}"
        );
        assert!(
            text.contains("Digest Mismatch") || text.contains("Signature is Invalid"),
            "{name}:\n{text}"
        );
    }
}

fn openssl_ts_verify(fixture: &Fixture, pdf: &[u8], tag: &str) -> (Output, String) {
    let (token, signature) = timestamp_token(pdf).expect("timestamp token");
    let token = fixture.write(&format!("{tag}.tst"), &token);
    let data = fixture.write(&format!("{tag}.sig"), &signature);
    let root = fixture.root();
    run(
        "openssl",
        "openssl (Debian)",
        &[
            "ts",
            "-verify",
            "-in",
            token.to_str().expect("path"),
            "-token_in",
            "-data",
            data.to_str().expect("path"),
            "-CAfile",
            root.to_str().expect("path"),
        ],
    )
}

#[tokio::test]
async fn openssl_verifies_the_timestamp_token_over_the_signature_value() {
    let fixture = Fixture::new().await;
    let (output, text) = openssl_ts_verify(&fixture, &fixture.pdf, "intact");
    assert!(
        output.status.success() && text.contains("Verification: OK"),
        "{text}"
    );
    let (output, text) = openssl_ts_verify(&fixture, &fixture.tampered_signature(), "tampered");
    assert!(
        !output.status.success(),
        "tampered signature accepted:\n{text}"
    );
    assert!(!text.contains("Verification: OK"), "{text}");
}

#[tokio::test]
async fn our_verifier_agrees_with_the_validators_on_both_changes() {
    let fixture = Fixture::new().await;
    let roots = varoskapu_documents::verify::load_roots(&fixture.root()).expect("roots");
    assert!(verify_pdf(&fixture.pdf, &roots).is_valid());
    for bytes in [fixture.tampered_content(), fixture.tampered_signature()] {
        let verdict = verify_pdf(&bytes, &roots);
        assert!(matches!(verdict, Verdict::Tampered(_)), "{verdict}");
        assert!(verdict.to_string().starts_with("TAMPERED"));
    }
}

#[tokio::test]
async fn every_font_is_embedded_and_hungarian_text_extracts_intact() {
    let fixture = Fixture::new().await;
    let pdf = fixture.write("signed.pdf", &fixture.pdf);
    let path = pdf.to_str().expect("path");
    let (output, text) = run("pdffonts", "poppler-utils (Debian)", &[path]);
    assert!(output.status.success(), "{text}");
    let fonts: Vec<&str> = text
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(!fonts.is_empty(), "no fonts listed:\n{text}");
    for font in &fonts {
        // Columns: name type encoding emb sub uni object-id gen.
        let columns: Vec<&str> = font.split_whitespace().collect();
        let emb = columns.len().checked_sub(5).map(|i| columns[i]);
        assert_eq!(emb, Some("yes"), "font not embedded: {font}");
    }
    let (output, text) = run("pdftotext", "poppler-utils (Debian)", &[path, "-"]);
    assert!(output.status.success(), "{text}");
    for expected in [
        "HATÁROZAT",
        "Kovács Őrs Ügyfél",
        "Árvíztűrő tükörfúrógép",
        "ÁRVÍZTŰRŐ TÜKÖRFÚRÓGÉP",
        "Közterület-használati engedély",
        "Aláíró: Városkapu Önkormányzat Polgármesteri Hivatala",
        "1 / 1. oldal",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[tokio::test]
async fn metadata_identifies_pdfa_2b_with_title_and_author() {
    let fixture = Fixture::new().await;
    let pdf = fixture.write("signed.pdf", &fixture.pdf);
    let (output, text) = run(
        "pdfinfo",
        "poppler-utils (Debian)",
        &["-meta", pdf.to_str().expect("path")],
    );
    assert!(output.status.success(), "{text}");
    for expected in [
        "<pdfaid:part>2</pdfaid:part>",
        "<pdfaid:conformance>B</pdfaid:conformance>",
        "HATÁROZAT – Közterület-használati engedély ügyében",
        "<rdf:li>Városkapu Önkormányzat Polgármesteri Hivatala</rdf:li>",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let (_, info) = run(
        "pdfinfo",
        "poppler-utils (Debian)",
        &[pdf.to_str().expect("path")],
    );
    assert!(
        info.contains("Title:") && info.contains("HATÁROZAT"),
        "{info}"
    );
}

#[tokio::test]
async fn the_tsa_endpoint_answers_openssl_and_our_client() {
    let fixture = Fixture::new().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let keys = LocalKeys::load_or_create(fixture.dir.path(), clock.as_ref()).expect("keys");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/tsa", listener.local_addr().expect("addr"));
    let app = tsa_router(Arc::new(keys.tsa(clock.clone())));
    tokio::spawn(async move { axum::serve(listener, app).await });

    // openssl writes the query and checks the reply against the query and the root.
    let data = fixture.write("data.txt", "Időbélyeg kérése".as_bytes());
    let query = fixture.dir.path().join("req.tsq");
    let (output, text) = run(
        "openssl",
        "openssl (Debian)",
        &[
            "ts",
            "-query",
            "-data",
            data.to_str().expect("path"),
            "-sha256",
            "-cert",
            "-out",
            query.to_str().expect("path"),
        ],
    );
    assert!(output.status.success(), "{text}");
    let reply = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/timestamp-query")
        .body(std::fs::read(&query).expect("query"))
        .send()
        .await
        .expect("TSA reachable");
    assert_eq!(
        reply
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/timestamp-reply")
    );
    let reply = fixture.write("resp.tsr", &reply.bytes().await.expect("reply"));
    let root = fixture.root();
    let (output, text) = run(
        "openssl",
        "openssl (Debian)",
        &[
            "ts",
            "-verify",
            "-queryfile",
            query.to_str().expect("path"),
            "-in",
            reply.to_str().expect("path"),
            "-CAfile",
            root.to_str().expect("path"),
        ],
    );
    assert!(
        output.status.success() && text.contains("Verification: OK"),
        "{text}"
    );

    // A document timestamped over HTTP verifies like one timestamped in process.
    let signer = keys.signer().expect("signer");
    let document = render_and_sign(
        &Municipality::demo(),
        &sample_request(),
        &signer,
        &HttpTsa::new(url),
        clock.now(),
    )
    .await
    .expect("issued over HTTP TSA");
    let roots = varoskapu_documents::verify::load_roots(&root).expect("roots");
    let verdict = verify_pdf(&document.pdf, &roots);
    assert!(verdict.is_valid(), "{verdict}");
}
