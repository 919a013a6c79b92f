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

/// An NSS database trusting the fixture's root, as pdfsig reads trust anchors.
fn nss_db(fixture: &Fixture) -> String {
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
    db
}

#[tokio::test]
async fn pdfsig_reports_a_valid_trusted_signature_and_a_changed_byte_invalid() {
    let fixture = Fixture::new().await;
    let db = nss_db(&fixture);
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

/// One request per document kind, shaped like the real ones, with long Hungarian names and
/// values: a company applicant, long addresses and reasons, full digests.
fn long_requests() -> Vec<varoskapu_core::documents::DocumentRequest> {
    use varoskapu_core::documents::{DocumentKind, DocumentRequest, KeyFact, grouped_hex};
    let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let company = "Árvíztűrő Tükörfúrógépgyártó és Közterület-fenntartó Korlátolt Felelősségű \
                   Társaság Budapest-Belvárosi Fióktelepe";
    let person = "Szentgyörgyvölgyi-Kovácsházy Őrs Ödön Ünige Zsófia Boglárka";
    let address = "1051 Budapest, Október hatodika utca 12–14. II. emelet 3/a (a Szent István \
                   téri bejárattól balra)";
    let applicant = vec![
        KeyFact::new("Kérelmező", company),
        KeyFact::new("Eljáró személy", person),
    ];
    let common = |label: &str| {
        let mut facts = vec![
            KeyFact::new("Iktatószám", "IK-000123/2026"),
            KeyFact::new("Érkeztetési szám", "2026/000123"),
            KeyFact::new(
                label,
                "Közterület-használati engedély (vendéglátó terasz, állványzat és rendezvény)",
            ),
        ];
        facts.extend(applicant.clone());
        facts
    };
    let body = format!(
        "A hatóság a(z) {company} kérelmére, {person} eljárásával indult eljárásban a(z) {address} \
         előtti járdaszakasz használatát engedélyezi. Árvíztűrő tükörfúrógép: ÁRVÍZTŰRŐ TÜKÖRFÚRÓGÉP."
    );
    let mut decision = common("Ügytípus");
    decision.extend([
        KeyFact::new("Kérelem beérkezése", "2026.01.12. 10:11:12"),
        KeyFact::new("Ügyintéző", "Hegedűs-Szalontai Gyöngyvér Erzsébet Mária"),
        KeyFact::new("Kiadmányozó", "Dr. Szabó-Weöres Péter Pál György jegyző"),
        KeyFact::new("A döntés kelte", "2026. 01. 20."),
    ]);
    let mut receipt = common("Ügytípus");
    receipt.push(KeyFact::new(
        "Ügyintézési határidő",
        "21 munkanap (2026-02-10)",
    ));
    let mut payment = vec![
        KeyFact::new("Számlaszám", "VK-2026-000042"),
        KeyFact::new("Ügyszám", "2026/000123"),
        KeyFact::new("Fizetési azonosító", "VK12 3456 7890 1234 5678 9012 34"),
        KeyFact::new("Összeg", "12000 HUF"),
    ];
    payment.extend(applicant.clone());
    let mut certificate = common("Ügytípus");
    certificate.extend([
        KeyFact::new("Kézbesítés ideje", "2026.01.21. 08:09:10"),
        KeyFact::new("Határozat SHA-256", grouped_hex(digest)),
        KeyFact::new("Határozat mérete", "123456 bájt"),
    ]);
    let request = |kind, facts, paragraphs| DocumentRequest {
        kind,
        owner: "citizen".into(),
        case_id: Some("0190c5a3-7b1e-7f00-8000-000000000001".into()),
        title: format!("Közterület-használati engedély ügyében – {company}"),
        facts,
        paragraphs,
    };
    vec![
        request(
            DocumentKind::Decision,
            decision,
            vec![
                "A hatóság a kérelemnek helyt ad.".into(),
                format!("Indoklás: {}", body.repeat(3)),
                "Jogorvoslat: a döntés ellen a közléstől számított 15 napon belül \
                 fellebbezésnek van helye."
                    .into(),
            ],
        ),
        request(
            DocumentKind::SubmissionReceipt,
            receipt,
            vec![
                body.clone(),
                format!(
                    "Csatolt dokumentum: Helyszínrajz (application/pdf, 1048576 bájt, SHA-256: {})",
                    grouped_hex(digest)
                ),
                format!("Csatolt dokumentum: {digest}{digest}"),
            ],
        ),
        request(
            DocumentKind::PaymentReceipt,
            payment.clone(),
            vec![body.clone()],
        ),
        request(DocumentKind::Invoice, payment, vec![body.clone()]),
        request(
            DocumentKind::DownloadCertificate,
            certificate,
            vec![format!(
                "A hatóság igazolja, hogy {company} a(z) 2026/000123 ügyében hozott határozatot letöltötte."
            )],
        ),
    ]
}

/// A word and its box (`xMin, yMin, xMax, yMax`, points from the top left).
type Word = (String, (f32, f32, f32, f32));

/// Every word's box on each page, as `pdftotext -bbox-layout` reports it.
fn word_boxes(pdf: &Path) -> Vec<Vec<Word>> {
    let (output, text) = run(
        "pdftotext",
        "poppler-utils (Debian)",
        &["-bbox-layout", pdf.to_str().expect("path"), "-"],
    );
    assert!(output.status.success(), "{text}");
    let attr = |tag: &str, name: &str| -> f32 {
        let start = tag.find(&format!("{name}=\"")).expect("attribute") + name.len() + 2;
        tag[start..][..tag[start..].find('"').expect("quote")]
            .parse()
            .expect("number")
    };
    text.split("<page ")
        .skip(1)
        .map(|page| {
            page.split("<word ")
                .skip(1)
                .map(|word| {
                    let (tag, rest) = word.split_once('>').expect("tag");
                    let text = rest.split('<').next().unwrap_or_default().to_owned();
                    let bbox = (
                        attr(tag, "xMin"),
                        attr(tag, "yMin"),
                        attr(tag, "xMax"),
                        attr(tag, "yMax"),
                    );
                    (text, bbox)
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn every_document_kind_with_long_names_keeps_all_text_inside_the_page_and_its_frames() {
    use varoskapu_documents::render::{self, SignatureBlock, TEXT_AREA};
    let fixture = Fixture::new().await;
    let db = nss_db(&fixture);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let keys = LocalKeys::load_or_create(fixture.dir.path(), clock.as_ref()).expect("keys");
    let signer = keys.signer().expect("signer");
    let tsa = keys.tsa(clock.clone());
    let municipality = Municipality {
        name: "Budapest Főváros V. kerület Belváros-Lipótváros Önkormányzatának \
               Polgármesteri Hivatala Hatósági és Ügyfélszolgálati Főosztály"
            .into(),
        office: "1051 Budapest, Erzsébet tér 12–14. földszint 3. · ugyfelszolgalat@belvaros-lipotvaros.budapest.hu · +36 1 999 9999"
            .into(),
    };
    for request in long_requests() {
        let kind = request.kind.as_str();
        let document = render_and_sign(&municipality, &request, &signer, &tsa, clock.now())
            .await
            .expect("issued");
        let path = fixture.write(&format!("long-{kind}.pdf"), &document.pdf);
        let block = SignatureBlock {
            signer: document.signer.clone(),
            signed_at: document.signed_at,
        };
        let frames = render::frames(&municipality, &request, &block);
        let pages = word_boxes(&path);
        assert_eq!(pages.len(), frames.len(), "{kind}: pages");
        let mut extracted = String::new();
        for (page, words) in pages.iter().enumerate() {
            assert!(!words.is_empty(), "{kind}: page {page} is empty");
            for (word, bbox) in words {
                extracted.push_str(word);
                extracted.push(' ');
                assert!(
                    TEXT_AREA.contains(*bbox, 0.5),
                    "{kind}: {word:?} at {bbox:?} is outside the page's text area"
                );
                let centre = ((bbox.0 + bbox.2) / 2.0, (bbox.1 + bbox.3) / 2.0);
                for frame in &frames[page] {
                    let inside_centre =
                        frame.contains((centre.0, centre.1, centre.0, centre.1), 0.0);
                    assert!(
                        !inside_centre || frame.contains(*bbox, 0.5),
                        "{kind}: {word:?} at {bbox:?} overflows its frame {frame:?}"
                    );
                }
            }
        }
        for expected in [
            "Szentgyörgyvölgyi-Kovácsházy",
            "Tükörfúrógépgyártó",
            "Aláíró:",
        ] {
            assert!(extracted.contains(expected), "{kind}: {expected:?} missing");
        }
        if request.kind == varoskapu_core::documents::DocumentKind::DownloadCertificate {
            // The full digest, in its eight groups of eight.
            for group in varoskapu_core::documents::grouped_hex(
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            )
            .split(' ')
            {
                assert!(
                    extracted.contains(group),
                    "{kind}: digest group {group} missing"
                );
            }
        }
        let (output, text) = pyhanko(&fixture, &path);
        assert!(
            output.status.success() && text.contains("The signature is judged VALID."),
            "{kind}: {text}"
        );
        let (_, text) = run(
            "pdfsig",
            "poppler-utils (Debian)",
            &["-nssdir", &db, path.to_str().expect("path")],
        );
        for expected in [
            "Signature Validation: Signature is Valid.",
            "Certificate Validation: Certificate is Trusted.",
        ] {
            assert!(
                text.contains(expected),
                "{kind}: missing {expected:?} in:\n{text}"
            );
        }
    }
}
