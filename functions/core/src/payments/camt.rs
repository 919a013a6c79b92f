//! ISO 20022 bank-to-customer statements (camt.053) and debit/credit notifications
//! (camt.054), read namespace-agnostically so that every schema version banks send
//! (001.02 to 001.08 and later) parses the same way. Only what matching needs is kept.

use crate::cases::Money;
use serde::{Deserialize, Serialize};

/// Which message a file was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatementKind {
    /// camt.053: the day's statement.
    Camt053,
    /// camt.054: an intraday notification.
    Camt054,
}

/// One statement or notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub kind: StatementKind,
    /// The bank's id of the statement (`Stmt/Id`, `Ntfctn/Id`), with the message id.
    pub id: String,
    /// The account's IBAN (or other id).
    pub account: String,
    pub entries: Vec<StatementEntry>,
}

/// One booked entry of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatementEntry {
    /// Stable across the camt.054 notification and the camt.053 statement that both
    /// carry the same booking: the account and the bank's own reference.
    pub entry_id: String,
    pub amount: Money,
    /// Money in (`CRDT`) rather than out.
    pub credit: bool,
    /// Booked (`BOOK`) rather than pending or informational.
    pub booked: bool,
    /// `YYYY-MM-DD`.
    pub booking_date: Option<String>,
    /// Unstructured and structured remittance information, joined.
    pub remittance: String,
    pub payer_name: Option<String>,
    pub payer_account: Option<String>,
}

/// Largest statement file read: a day of a busy collection account (some thousand
/// entries of about 1.5 KB each) fits many times over.
pub const MAX_STATEMENT_BYTES: usize = 16 * 1024 * 1024;

/// Deepest element nesting read. camt.053/054 documents nest about a dozen levels (the
/// deepest ISO 20022 paths, in `NtryDtls/TxDtls/RltdPties`, stay under 20); anything far
/// deeper is refused before a parser or a walk over the tree recurses into it.
pub const MAX_DEPTH: usize = 64;

/// Most XML nodes (elements, attributes' owners, text) one file may have.
pub const MAX_NODES: u32 = 2_000_000;

/// Why a file is not a statement this system reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CamtError {
    #[error("the statement is larger than {max_bytes} bytes")]
    TooLarge { max_bytes: usize },
    #[error("the statement nests elements deeper than {max_depth} levels")]
    TooDeep { max_depth: usize },
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("not a camt.053 or camt.054 document")]
    NotCamt,
    #[error("entry {index}: {reason}")]
    BadEntry { index: usize, reason: String },
}

/// Digits after the decimal point of the currency's smallest unit in use (HUF: none).
pub fn minor_unit_exponent(currency: &str) -> u32 {
    match currency {
        "HUF" | "JPY" | "KRW" | "ISK" => 0,
        _ => 2,
    }
}

/// A decimal amount as minor units, refusing digits the currency does not use.
pub fn parse_amount(text: &str, currency: &str) -> Option<i64> {
    let exponent = minor_unit_exponent(currency) as usize;
    let text = text.trim();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if fraction.len() > exponent && fraction[exponent..].bytes().any(|b| b != b'0') {
        return None;
    }
    let mut kept: String = fraction.chars().take(exponent).collect();
    while kept.len() < exponent {
        kept.push('0');
    }
    let value: i64 = format!("{whole}{kept}").parse().ok()?;
    Some(if negative { -value } else { value })
}

type Node<'a, 'i> = roxmltree::Node<'a, 'i>;

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn path<'a, 'i>(node: Node<'a, 'i>, names: &[&str]) -> Option<Node<'a, 'i>> {
    names.iter().try_fold(node, |n, name| child(n, name))
}

fn text_at(node: Node, names: &[&str]) -> Option<String> {
    path(node, names)
        .and_then(|n| n.text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// All descendants with a local name, in document order.
fn descendants<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.descendants()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// Refuses a file over [`MAX_STATEMENT_BYTES`] or nesting deeper than [`MAX_DEPTH`], by
/// one pass over the bytes without recursion or allocation, before any parser sees it.
///
/// The count follows XML's lexical rules (comments, CDATA, processing instructions and
/// declarations open no element; `>` may appear in a quoted attribute value), so it never
/// counts a well-formed document shallower than it is; a malformed one is refused by the
/// parser afterwards.
pub fn check_shape(xml: &str) -> Result<(), CamtError> {
    if xml.len() > MAX_STATEMENT_BYTES {
        return Err(CamtError::TooLarge {
            max_bytes: MAX_STATEMENT_BYTES,
        });
    }
    let bytes = xml.as_bytes();
    let skip_past = |from: usize, end: &[u8]| -> usize {
        bytes[from..]
            .windows(end.len())
            .position(|w| w == end)
            .map_or(bytes.len(), |at| from + at + end.len())
    };
    let mut depth = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &bytes[i..];
        if rest.starts_with(b"<!--") {
            i = skip_past(i + 4, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_past(i + 9, b"]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_past(i + 2, b"?>");
        } else if rest.starts_with(b"<!") {
            i = skip_past(i + 2, b">");
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            i = skip_past(i + 2, b">");
        } else {
            // A start tag: find its end outside quoted attribute values.
            let mut j = i + 1;
            let mut quote = None;
            while j < bytes.len() {
                match (quote, bytes[j]) {
                    (None, b'"' | b'\'') => quote = Some(bytes[j]),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                j += 1;
            }
            let self_closing = j > i + 1 && j < bytes.len() && bytes[j - 1] == b'/';
            if !self_closing {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(CamtError::TooDeep {
                        max_depth: MAX_DEPTH,
                    });
                }
            }
            i = j + 1;
        }
    }
    Ok(())
}

/// Parses a camt.053 or camt.054 file, refusing one too large or too deep first.
pub fn parse(xml: &str) -> Result<Vec<Statement>, CamtError> {
    check_shape(xml)?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
    };
    let doc = roxmltree::Document::parse_with_options(xml, options)
        .map_err(|e| CamtError::Xml(e.to_string()))?;
    let root = doc.root_element();
    let (message, kind, item) = if let Some(m) = child(root, "BkToCstmrStmt") {
        (m, StatementKind::Camt053, "Stmt")
    } else if let Some(m) = child(root, "BkToCstmrDbtCdtNtfctn") {
        (m, StatementKind::Camt054, "Ntfctn")
    } else {
        return Err(CamtError::NotCamt);
    };
    let message_id = text_at(message, &["GrpHdr", "MsgId"]).unwrap_or_default();
    let mut statements = Vec::new();
    for node in children(message, item) {
        let own_id = text_at(node, &["Id"]).ok_or(CamtError::NotCamt)?;
        let account = text_at(node, &["Acct", "Id", "IBAN"])
            .or_else(|| text_at(node, &["Acct", "Id", "Othr", "Id"]))
            .unwrap_or_default()
            .replace(' ', "");
        let mut entries = Vec::new();
        for (index, entry) in children(node, "Ntry").enumerate() {
            entries.push(parse_entry(entry, index, &account, &message_id, &own_id)?);
        }
        statements.push(Statement {
            kind,
            id: format!("{message_id}/{own_id}"),
            account,
            entries,
        });
    }
    if statements.is_empty() {
        return Err(CamtError::NotCamt);
    }
    Ok(statements)
}

fn parse_entry(
    entry: Node,
    index: usize,
    account: &str,
    message_id: &str,
    statement_id: &str,
) -> Result<StatementEntry, CamtError> {
    let bad = |reason: &str| CamtError::BadEntry {
        index,
        reason: reason.to_owned(),
    };
    let amount_node = child(entry, "Amt").ok_or_else(|| bad("no amount"))?;
    let currency = amount_node
        .attribute("Ccy")
        .ok_or_else(|| bad("no currency"))?
        .to_owned();
    let amount = amount_node
        .text()
        .and_then(|t| parse_amount(t, &currency))
        .ok_or_else(|| bad("amount is not a decimal in the currency's unit"))?;
    let credit = match text_at(entry, &["CdtDbtInd"]).as_deref() {
        Some("CRDT") => true,
        Some("DBIT") => false,
        _ => return Err(bad("CdtDbtInd must be CRDT or DBIT")),
    };
    // 001.02: <Sts>BOOK</Sts>; 001.08 and later: <Sts><Cd>BOOK</Cd></Sts>.
    let status = text_at(entry, &["Sts", "Cd"]).or_else(|| text_at(entry, &["Sts"]));
    let booked = status.as_deref().is_none_or(|s| s == "BOOK");
    let booking_date = text_at(entry, &["BookgDt", "Dt"])
        .or_else(|| text_at(entry, &["BookgDt", "DtTm"]).map(|t| t.chars().take(10).collect()));
    let bank_ref = text_at(entry, &["AcctSvcrRef"])
        .or_else(|| {
            descendants(entry, "AcctSvcrRef").find_map(|n| {
                n.text()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
            })
        })
        .or_else(|| text_at(entry, &["NtryRef"]));
    let entry_id = match bank_ref {
        Some(r) => format!("{account}/{r}"),
        // Without a bank reference the entry is only unique within its statement.
        None => format!("{account}/{message_id}/{statement_id}/{index}"),
    };
    let mut remittance: Vec<String> = descendants(entry, "Ustrd")
        .filter_map(|n| n.text().map(|t| t.trim().to_owned()))
        .filter(|t| !t.is_empty())
        .collect();
    remittance.extend(descendants(entry, "CdtrRefInf").filter_map(|n| text_at(n, &["Ref"])));
    let payer = descendants(entry, "RltdPties")
        .find_map(|p| text_at(p, &["Dbtr", "Nm"]).or_else(|| text_at(p, &["Dbtr", "Pty", "Nm"])));
    let payer_account = descendants(entry, "RltdPties").find_map(|p| {
        text_at(p, &["DbtrAcct", "Id", "IBAN"])
            .or_else(|| text_at(p, &["DbtrAcct", "Id", "Othr", "Id"]))
    });
    Ok(StatementEntry {
        entry_id,
        amount: Money { amount, currency },
        credit,
        booked,
        booking_date,
        remittance: remittance.join(" "),
        payer_name: payer,
        payer_account,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_become_minor_units_of_their_currency() {
        assert_eq!(parse_amount("12000.00", "HUF"), Some(12_000));
        assert_eq!(parse_amount("12000", "HUF"), Some(12_000));
        assert_eq!(parse_amount("12000.50", "HUF"), None);
        assert_eq!(parse_amount("12.5", "EUR"), Some(1250));
        assert_eq!(parse_amount("1,5", "EUR"), None);
        assert_eq!(parse_amount("", "EUR"), None);
    }

    const V8: &str = r#"<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>N-1</MsgId><CreDtTm>2026-11-24T10:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>NT-77</Id><Acct><Id><IBAN>HU39 1178 4009 1573 5650 0000 0000</IBAN></Id></Acct>
<Ntry><Amt Ccy="HUF">3000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><DtTm>2026-11-24T09:58:00+01:00</DtTm></BookgDt><AcctSvcrRef>B-991</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>Nagy Éva</Nm></Pty></Dbtr></RltdPties>
<RmtInf><Strd><CdtrRefInf><Ref>VK000000000197</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"#;

    #[test]
    fn newer_schema_versions_read_the_same() {
        let statements = parse(V8).expect("parses");
        assert_eq!(statements[0].kind, StatementKind::Camt054);
        let entry = &statements[0].entries[0];
        assert_eq!(entry.entry_id, "HU39117840091573565000000000/B-991");
        assert_eq!(entry.payer_name.as_deref(), Some("Nagy Éva"));
        assert_eq!(entry.remittance, "VK000000000197");
        assert_eq!(entry.booking_date.as_deref(), Some("2026-11-24"));
        assert!(entry.credit && entry.booked);
    }

    fn nested(depth: usize) -> String {
        format!(
            r#"<Document><BkToCstmrStmt><Stmt><Id>S</Id>{}{}</Stmt></BkToCstmrStmt></Document>"#,
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        )
    }

    #[test]
    fn a_statement_nested_thousands_deep_is_refused_before_parsing() {
        assert_eq!(
            parse(&nested(5_000)),
            Err(CamtError::TooDeep {
                max_depth: MAX_DEPTH
            })
        );
        assert_eq!(
            parse(&nested(1_000_000)),
            Err(CamtError::TooDeep {
                max_depth: MAX_DEPTH
            })
        );
        // Within the limit it is read (and refused for what it is, not for its shape).
        assert!(!matches!(
            parse(&nested(MAX_DEPTH - 4)),
            Err(CamtError::TooDeep { .. })
        ));
    }

    #[test]
    fn the_depth_count_is_not_fooled_by_comments_cdata_or_quoted_brackets() {
        let tricks = format!(
            r#"<Document><!-- </a></a></a> --><![CDATA[</a></a>]]><?pi </a> ?><x y="/>"/>{}</Document>"#,
            "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1)
        );
        assert!(matches!(
            check_shape(&tricks),
            Err(CamtError::TooDeep { .. })
        ));
        assert!(check_shape(V8).is_ok());
        assert!(check_shape(r#"<a><b x=">"/><c/></a>"#).is_ok());
    }

    #[test]
    fn a_statement_over_the_size_limit_is_refused() {
        let big = format!("<Document>{}</Document>", " ".repeat(MAX_STATEMENT_BYTES));
        assert_eq!(
            parse(&big),
            Err(CamtError::TooLarge {
                max_bytes: MAX_STATEMENT_BYTES
            })
        );
    }

    #[test]
    fn other_documents_are_refused() {
        assert!(matches!(parse("<Document/>"), Err(CamtError::NotCamt)));
        assert!(matches!(parse("<Document"), Err(CamtError::Xml(_))));
    }
}
