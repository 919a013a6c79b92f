//! Appends a PAdES signature to a finished PDF as an incremental update: the catalog gains
//! an `/AcroForm` with one signature field, the first page gains the field's (invisible,
//! printable) widget, and a `/Sig` dictionary holds a fixed-width `/ByteRange` and a
//! zero-filled `/Contents` placeholder that the CMS signature later fills in.
//!
//! The original bytes are never touched, so the PDF/A file krilla produced stays intact
//! under the signature. Only classic cross-reference tables (what krilla writes) are read.

use jiff::Timestamp;

/// Bytes reserved for the CMS signature (hex-encoded in the file, so twice this).
pub const SIGNATURE_RESERVE: usize = 16 * 1024;

/// Why a PDF cannot be prepared for signing or a signature cannot be embedded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncrementalError {
    #[error("the PDF's structure is not understood: {0}")]
    Structure(&'static str),
    #[error("the signature ({size} bytes) does not fit the reserved {reserve} bytes")]
    SignatureTooLarge { size: usize, reserve: usize },
}

/// A PDF with a signature placeholder, ready for its byte ranges to be hashed.
#[derive(Debug, Clone)]
pub struct Prepared {
    pdf: Vec<u8>,
    /// Offset of the `<` opening the `/Contents` hex string.
    contents_start: usize,
    /// Offset just past the `>` closing it.
    contents_end: usize,
}

impl Prepared {
    /// `/ByteRange` as written in the file: everything except the `/Contents` hex string.
    pub fn byte_range(&self) -> [usize; 4] {
        [
            0,
            self.contents_start,
            self.contents_end,
            self.pdf.len() - self.contents_end,
        ]
    }

    /// The bytes the signature covers, in order.
    pub fn signed_parts(&self) -> [&[u8]; 2] {
        [
            &self.pdf[..self.contents_start],
            &self.pdf[self.contents_end..],
        ]
    }

    /// SHA-256 over the signed byte ranges.
    pub fn digest(&self) -> [u8; 32] {
        use sha2::Digest as _;
        let mut hasher = sha2::Sha256::new();
        for part in self.signed_parts() {
            hasher.update(part);
        }
        hasher.finalize().into()
    }

    /// Writes the DER CMS signature into the placeholder and returns the signed PDF.
    pub fn embed(mut self, cms: &[u8]) -> Result<Vec<u8>, IncrementalError> {
        let capacity = (self.contents_end - self.contents_start - 2) / 2;
        if cms.len() > capacity {
            return Err(IncrementalError::SignatureTooLarge {
                size: cms.len(),
                reserve: capacity,
            });
        }
        let hex = hex::encode_upper(cms);
        let start = self.contents_start + 1;
        self.pdf[start..start + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(self.pdf)
    }
}

/// The PDF date format, `D:YYYYMMDDHHmmSS+00'00'`, in UTC.
pub fn pdf_date(at: Timestamp) -> String {
    at.strftime("D:%Y%m%d%H%M%S+00'00'").to_string()
}

/// A PDF text string in UTF-16BE hex with a byte order mark (any Unicode text is safe).
pub fn text_string(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        out.push_str(&format!("{unit:04X}"));
    }
    out.push('>');
    out
}

/// What the signature dictionary says besides the signature itself.
pub struct SignatureInfo<'a> {
    pub signer_name: &'a str,
    pub signed_at: Timestamp,
    pub reason: &'a str,
}

/// Appends the signature field, widget and placeholder to `pdf` as an incremental update.
pub fn prepare(pdf: &[u8], info: &SignatureInfo<'_>) -> Result<Prepared, IncrementalError> {
    let structure = read_structure(pdf)?;
    let catalog = object_dict(pdf, &structure, structure.root)?;
    let pages = find_ref(catalog, b"/Pages").ok_or(IncrementalError::Structure("no /Pages"))?;
    let pages_dict = object_dict(pdf, &structure, pages)?;
    let page = first_kid(pages_dict).ok_or(IncrementalError::Structure("no first page"))?;
    let page_dict = object_dict(pdf, &structure, page)?;
    if contains_key(catalog, b"/AcroForm") || contains_key(page_dict, b"/Annots") {
        return Err(IncrementalError::Structure(
            "documents with forms or annotations are not signed here",
        ));
    }

    let sig = structure.size;
    let widget = structure.size + 1;
    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut offsets: Vec<(u32, usize)> = Vec::new();

    offsets.push((structure.root, out.len()));
    out.extend_from_slice(format!("{} 0 obj\n", structure.root).as_bytes());
    out.extend_from_slice(without_close(catalog)?);
    out.extend_from_slice(
        format!("/AcroForm<</Fields[{widget} 0 R]/SigFlags 3>>>>\nendobj\n").as_bytes(),
    );

    offsets.push((page, out.len()));
    out.extend_from_slice(format!("{page} 0 obj\n").as_bytes());
    out.extend_from_slice(without_close(page_dict)?);
    out.extend_from_slice(format!("/Annots[{widget} 0 R]>>\nendobj\n").as_bytes());

    offsets.push((sig, out.len()));
    out.extend_from_slice(
        format!(
            "{sig} 0 obj\n<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/ByteRange"
        )
        .as_bytes(),
    );
    let byte_range_at = out.len();
    out.extend_from_slice(format!("[0 {0:10} {0:10} {0:10}]/Contents", 0).as_bytes());
    let contents_start = out.len();
    out.push(b'<');
    out.resize(out.len() + 2 * SIGNATURE_RESERVE, b'0');
    out.push(b'>');
    let contents_end = out.len();
    out.extend_from_slice(
        format!(
            "/M({})/Name{}/Reason{}>>\nendobj\n",
            pdf_date(info.signed_at),
            text_string(info.signer_name),
            text_string(info.reason)
        )
        .as_bytes(),
    );

    offsets.push((widget, out.len()));
    out.extend_from_slice(
        format!(
            "{widget} 0 obj\n<</Type/Annot/Subtype/Widget/FT/Sig/T(Signature1)/V {sig} 0 R/Rect[0 0 0 0]/F 132/P {page} 0 R>>\nendobj\n"
        )
        .as_bytes(),
    );

    let xref_at = out.len();
    offsets.sort_unstable();
    out.extend_from_slice(b"xref\n");
    for (number, offset) in &offsets {
        out.extend_from_slice(format!("{number} 1\n{offset:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<</Size {}/Root {} 0 R",
            widget + 1,
            structure.root
        )
        .as_bytes(),
    );
    if let Some(info_ref) = structure.info {
        out.extend_from_slice(format!("/Info {info_ref} 0 R").as_bytes());
    }
    if let Some(id) = &structure.id {
        out.extend_from_slice(b"/ID");
        out.extend_from_slice(id);
    }
    out.extend_from_slice(
        format!("/Prev {}>>\nstartxref\n{xref_at}\n%%EOF\n", structure.xref).as_bytes(),
    );

    let range = format!(
        "[0 {:<10} {:<10} {:<10}]",
        contents_start,
        contents_end,
        out.len() - contents_end
    );
    out[byte_range_at..byte_range_at + range.len()].copy_from_slice(range.as_bytes());
    Ok(Prepared {
        pdf: out,
        contents_start,
        contents_end,
    })
}

/// The parts of the last cross-reference section that an update needs.
struct Structure {
    xref: usize,
    size: u32,
    root: u32,
    info: Option<u32>,
    /// The trailer's `/ID` array, verbatim.
    id: Option<Vec<u8>>,
    offsets: Vec<(u32, usize)>,
}

fn read_structure(pdf: &[u8]) -> Result<Structure, IncrementalError> {
    let tail_start = pdf.len().saturating_sub(1024);
    let tail = &pdf[tail_start..];
    let at = rfind(tail, b"startxref").ok_or(IncrementalError::Structure("no startxref"))?;
    let xref = leading_number(&tail[at + 9..])
        .ok_or(IncrementalError::Structure("bad startxref"))? as usize;
    let section = pdf
        .get(xref..)
        .filter(|s| s.starts_with(b"xref"))
        .ok_or(IncrementalError::Structure("not a classic xref table"))?;
    let trailer_at = find(section, b"trailer").ok_or(IncrementalError::Structure("no trailer"))?;
    let mut tokens = section[4..trailer_at]
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty());
    let mut offsets = Vec::new();
    while let Some(start) = tokens.next() {
        let start = parse_u64(start).ok_or(IncrementalError::Structure("bad xref"))?;
        let count = tokens
            .next()
            .and_then(parse_u64)
            .ok_or(IncrementalError::Structure("bad xref"))?;
        for i in 0..count {
            let (Some(offset), Some(_gen), Some(kind)) =
                (tokens.next(), tokens.next(), tokens.next())
            else {
                return Err(IncrementalError::Structure("short xref"));
            };
            if kind == b"n" {
                let offset = parse_u64(offset).ok_or(IncrementalError::Structure("bad xref"))?;
                offsets.push(((start + i) as u32, offset as usize));
            }
        }
    }
    let trailer =
        dict_at(&section[trailer_at + 7..]).ok_or(IncrementalError::Structure("bad trailer"))?;
    let size = find_number(trailer, b"/Size").ok_or(IncrementalError::Structure("no /Size"))?;
    let root = find_ref(trailer, b"/Root").ok_or(IncrementalError::Structure("no /Root"))?;
    let id = key_position(trailer, b"/ID").and_then(|at| {
        let rest = &trailer[at..];
        let open = rest.iter().position(|b| *b == b'[')?;
        let close = rest.iter().position(|b| *b == b']')?;
        (open < close).then(|| rest[open..=close].to_vec())
    });
    Ok(Structure {
        xref,
        size: size as u32,
        root,
        info: find_ref(trailer, b"/Info"),
        id,
        offsets,
    })
}

fn object_dict<'a>(
    pdf: &'a [u8],
    structure: &Structure,
    number: u32,
) -> Result<&'a [u8], IncrementalError> {
    let offset = structure
        .offsets
        .iter()
        .rev()
        .find(|(n, _)| *n == number)
        .map(|(_, o)| *o)
        .ok_or(IncrementalError::Structure("object missing from xref"))?;
    let body = pdf
        .get(offset..)
        .ok_or(IncrementalError::Structure("object offset out of range"))?;
    let header = format!("{number} 0 obj");
    if !body.starts_with(header.as_bytes()) {
        return Err(IncrementalError::Structure(
            "xref offset does not point at object",
        ));
    }
    dict_at(&body[header.len()..]).ok_or(IncrementalError::Structure("object is not a dictionary"))
}

/// The balanced `<<…>>` dictionary at the start of `text` (after whitespace).
fn dict_at(text: &[u8]) -> Option<&[u8]> {
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &text[start..];
    if !text.starts_with(b"<<") {
        return None;
    }
    let mut depth = 0usize;
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'<' if text.get(i + 1) == Some(&b'<') => {
                depth += 1;
                i += 2;
            }
            b'>' if text.get(i + 1) == Some(&b'>') => {
                depth = depth.checked_sub(1)?;
                i += 2;
                if depth == 0 {
                    return Some(&text[..i]);
                }
            }
            b'<' => i += text[i..].iter().position(|b| *b == b'>')? + 1,
            b'(' => i = skip_literal_string(text, i)?,
            _ => i += 1,
        }
    }
    None
}

fn skip_literal_string(text: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

fn without_close(dict: &[u8]) -> Result<&[u8], IncrementalError> {
    dict.strip_suffix(b">>")
        .ok_or(IncrementalError::Structure("unterminated dictionary"))
}

/// Where the value of top-level `key` starts in a dictionary.
fn key_position(dict: &[u8], key: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = find(&dict[from..], key) {
        let end = from + at + key.len();
        let delimited = dict
            .get(end)
            .is_none_or(|b| b.is_ascii_whitespace() || b"/[<(".contains(b) || b.is_ascii_digit());
        if delimited {
            return Some(end);
        }
        from = end;
    }
    None
}

fn contains_key(dict: &[u8], key: &[u8]) -> bool {
    key_position(dict, key).is_some()
}

fn find_number(dict: &[u8], key: &[u8]) -> Option<u64> {
    leading_number(&dict[key_position(dict, key)?..])
}

/// `key N 0 R` → N.
fn find_ref(dict: &[u8], key: &[u8]) -> Option<u32> {
    let rest = &dict[key_position(dict, key)?..];
    let number = leading_number(rest)?;
    let after = rest.iter().position(|b| b.is_ascii_digit())?;
    let tail = &rest[after..];
    let tail = &tail[tail.iter().position(|b| !b.is_ascii_digit())?..];
    let tail: Vec<&[u8]> = tail
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .take(2)
        .collect();
    (tail.first() == Some(&&b"0"[..]) && tail.get(1).is_some_and(|t| t.starts_with(b"R")))
        .then_some(number as u32)
}

fn first_kid(pages: &[u8]) -> Option<u32> {
    let rest = &pages[key_position(pages, b"/Kids")?..];
    let open = rest.iter().position(|b| *b == b'[')?;
    leading_number(&rest[open + 1..]).map(|n| n as u32)
}

fn leading_number(text: &[u8]) -> Option<u64> {
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let digits: &[u8] = &text[start..];
    let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    parse_u64(&digits[..len])
}

fn parse_u64(text: &[u8]) -> Option<u64> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionaries_are_balanced_across_nesting_and_strings() {
        let text = b" <</A<</B(x>>y)>>/C<00>>>rest";
        assert_eq!(dict_at(text), Some(&text[1..25]));
    }

    #[test]
    fn references_are_found_by_whole_key() {
        let dict = b"<</PageLayout/OneColumn/Pages 12 0 R/Info 3 0 R>>";
        assert_eq!(find_ref(dict, b"/Pages"), Some(12));
        assert_eq!(find_ref(dict, b"/Info"), Some(3));
        assert_eq!(find_ref(dict, b"/Root"), None);
    }

    #[test]
    fn text_strings_survive_any_unicode() {
        assert_eq!(text_string("Ő"), "<FEFF0150>");
    }
}
