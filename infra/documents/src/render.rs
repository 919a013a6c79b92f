//! Renders a document request as a PDF/A-2b file with krilla: the municipality's header, a
//! title, a table of key facts, the body, a visible signature block and page numbers.
//!
//! krilla refuses to finish a document that breaks PDF/A-2b (missing dates, unembedded
//! fonts…), so every rendered file has passed its conformance checks.

use jiff::Timestamp;
use krilla::Document;
use krilla::SerializeSettings;
use krilla::color::rgb;
use krilla::configure::{Archival, Configuration, ConfigurationBuilder, PdfVersion, Validator};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use varoskapu_core::documents::{DocumentRequest, KeyFact};

use crate::fonts::{self, FontFace};

/// Who issues the documents, as printed in every header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Municipality {
    pub name: String,
    /// The office line under the name (address, contact).
    pub office: String,
}

impl Municipality {
    /// The demo municipality used by the local setup and the sample command.
    pub fn demo() -> Self {
        Self {
            name: "Városkapu Önkormányzat Polgármesteri Hivatala".into(),
            office: "1011 Budapest, Fő utca 1. · ugyfelszolgalat@varoskapu.hu".into(),
        }
    }
}

/// The signature block's contents, fixed before the document is rendered and signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureBlock {
    /// The signer's name as it appears in the signing certificate.
    pub signer: String,
    pub signed_at: Timestamp,
}

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the bundled font cannot be loaded")]
    Font,
    #[error("the page layout is invalid: {0}")]
    Layout(&'static str),
    #[error("krilla refused the document: {0}")]
    Krilla(String),
}

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const BODY_SIZE: f32 = 10.5;
const BODY_LEADING: f32 = 15.0;
const FOOTER_TOP: f32 = PAGE_HEIGHT - 40.0;
/// Where body content ends, above the footer.
const BODY_BOTTOM: f32 = FOOTER_TOP - 16.0;
/// Space between a frame and the text inside it.
const CELL_PADDING: f32 = 6.0;

/// The page (A4, in points) and the rectangle all text stays in: the side margins, from
/// the top margin to the page number under the footer rule.
pub const PAGE_SIZE: (f32, f32) = (PAGE_WIDTH, PAGE_HEIGHT);
pub const TEXT_AREA: Frame = Frame {
    x: MARGIN,
    y: MARGIN,
    width: CONTENT_WIDTH,
    height: PAGE_HEIGHT - 20.0 - MARGIN,
};

/// A drawn frame (a fact's cell, the signature block), from the page's top left corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl Frame {
    /// Whether a box (`x0, y0, x1, y1`, y downwards) lies inside, with `slack` points.
    pub fn contains(&self, (x0, y0, x1, y1): (f32, f32, f32, f32), slack: f32) -> bool {
        x0 >= self.x - slack
            && y0 >= self.y - slack
            && x1 <= self.x + self.width + slack
            && y1 <= self.y + self.height + slack
    }
}

/// One thing to draw, positioned on a page (y grows downwards, at the text baseline).
#[derive(Debug, Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        face: FontFace,
        size: f32,
        text: String,
    },
    Rule {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
    },
    Box {
        rect: (f32, f32, f32, f32),
    },
}

/// Lays content out top to bottom and breaks pages when the cursor reaches the footer.
struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Self {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Makes room for `height` points, starting a new page if it does not fit.
    fn reserve(&mut self, height: f32) {
        if self.y + height > BODY_BOTTOM {
            self.new_page();
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    fn text(&mut self, x: f32, face: FontFace, size: f32, text: &str) {
        let y = self.y + size;
        self.ops().push(Op::Text {
            x,
            y,
            face,
            size,
            text: text.to_owned(),
        });
    }

    fn line(&mut self, face: FontFace, size: f32, leading: f32, text: &str) {
        self.reserve(leading);
        self.text(MARGIN, face, size, text);
        self.y += leading;
    }

    fn paragraph(&mut self, face: FontFace, size: f32, leading: f32, text: &str) {
        for line in wrap(face, size, CONTENT_WIDTH, text) {
            self.line(face, size, leading, &line);
        }
    }

    fn centred(&mut self, face: FontFace, size: f32, leading: f32, text: &str) {
        self.reserve(leading);
        let x = MARGIN + (CONTENT_WIDTH - fonts::width(face, size, text)).max(0.0) / 2.0;
        self.text(x, face, size, text);
        self.y += leading;
    }

    fn rule(&mut self) {
        let y = self.y;
        self.ops().push(Op::Rule {
            x1: MARGIN,
            y1: y,
            x2: PAGE_WIDTH - MARGIN,
            y2: y,
        });
    }

    /// The key facts as a two-column table; a fact too long for the rest of the page
    /// moves to the next, and one too long for any page continues there in a new frame.
    fn facts(&mut self, facts: &[KeyFact]) {
        let label_width = CONTENT_WIDTH * 0.38;
        let value_width = CONTENT_WIDTH - label_width;
        for fact in facts {
            let labels = wrap(
                FontFace::Bold,
                BODY_SIZE,
                label_width - 2.0 * CELL_PADDING,
                &fact.label,
            );
            let values = wrap(
                FontFace::Regular,
                BODY_SIZE,
                value_width - 2.0 * CELL_PADDING,
                &fact.value,
            );
            let rows = labels.len().max(values.len()).max(1);
            let height = |rows: usize| rows as f32 * BODY_LEADING + 8.0;
            let page_rows = ((BODY_BOTTOM - MARGIN - 8.0) / BODY_LEADING).floor() as usize;
            if self.y + height(rows) > BODY_BOTTOM && rows <= page_rows {
                self.new_page();
            }
            let mut start = 0;
            while start < rows {
                let room = ((BODY_BOTTOM - self.y - 8.0) / BODY_LEADING).floor();
                if room < 1.0 {
                    self.new_page();
                    continue;
                }
                let take = (room as usize).min(rows - start);
                let top = self.y;
                self.ops().push(Op::Box {
                    rect: (MARGIN, top, label_width, height(take)),
                });
                self.ops().push(Op::Box {
                    rect: (MARGIN + label_width, top, value_width, height(take)),
                });
                for row in 0..take {
                    self.y = top + 3.0 + row as f32 * BODY_LEADING;
                    if let Some(line) = labels.get(start + row) {
                        self.text(MARGIN + CELL_PADDING, FontFace::Bold, BODY_SIZE, line);
                    }
                    if let Some(line) = values.get(start + row) {
                        self.text(
                            MARGIN + label_width + CELL_PADDING,
                            FontFace::Regular,
                            BODY_SIZE,
                            line,
                        );
                    }
                }
                self.y = top + height(take);
                start += take;
            }
        }
    }

    /// The visible signature block: a frame at the right, every line wrapped inside it.
    fn signature_block(&mut self, block: &SignatureBlock) {
        const SIZE: f32 = 9.5;
        let width = CONTENT_WIDTH * 0.75;
        let inner = width - 2.0 * CELL_PADDING;
        let texts = [
            (FontFace::Bold, "Elektronikus aláírás".to_owned()),
            (FontFace::Regular, format!("Aláíró: {}", block.signer)),
            (
                FontFace::Regular,
                format!("Aláírás ideje: {}", local_time(block.signed_at)),
            ),
            (
                FontFace::Regular,
                "A dokumentum időbélyeggel ellátott elektronikus (PAdES) aláírást tartalmaz."
                    .to_owned(),
            ),
        ];
        let lines: Vec<(FontFace, String)> = texts
            .iter()
            .flat_map(|(face, text)| {
                wrap(*face, SIZE, inner, text)
                    .into_iter()
                    .map(|line| (*face, line))
            })
            .collect();
        let height = lines.len() as f32 * BODY_LEADING + 14.0;
        self.reserve(height + 20.0);
        self.y += 20.0;
        let top = self.y;
        let left = PAGE_WIDTH - MARGIN - width;
        self.ops().push(Op::Box {
            rect: (left, top, width, height),
        });
        for (i, (face, text)) in lines.iter().enumerate() {
            self.y = top + 5.0 + i as f32 * BODY_LEADING;
            self.text(left + CELL_PADDING, *face, SIZE, text);
        }
        self.y = top + height;
    }
}

/// Breaks text into lines no wider than `width`, at spaces; a word wider than a line (a
/// digest, an address, a long name) is broken between characters.
fn wrap(face: FontFace, size: f32, width: f32, text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if fonts::width(face, size, &candidate) <= width {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if fonts::width(face, size, word) <= width {
            current = word.to_owned();
            continue;
        }
        for c in word.chars() {
            let mut longer = current.clone();
            longer.push(c);
            if !current.is_empty() && fonts::width(face, size, &longer) > width {
                lines.push(std::mem::replace(&mut current, c.to_string()));
            } else {
                current = longer;
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// The time as printed in documents: Europe/Budapest, or UTC where no zone data exists.
pub fn local_time(at: Timestamp) -> String {
    match varoskapu_core::appointments::budapest() {
        Some(tz) => at
            .to_zoned(tz)
            .strftime("%Y. %m. %d. %H:%M:%S %Z")
            .to_string(),
        None => at.strftime("%Y. %m. %d. %H:%M:%S UTC").to_string(),
    }
}

fn configuration() -> Result<Configuration, RenderError> {
    ConfigurationBuilder::new()
        .with_version(PdfVersion::Pdf17)
        .set_validator(Validator::A(Archival::A2_B))
        .finish()
        .map_err(|e| RenderError::Krilla(format!("{e:?}")))
}

fn creation_date(at: Timestamp) -> DateTime {
    let utc = at.to_zoned(jiff::tz::TimeZone::UTC);
    // Field ranges are guaranteed by jiff, so the narrowing casts cannot truncate.
    DateTime::new(utc.year() as u16)
        .month(utc.month() as u8)
        .day(utc.day() as u8)
        .hour(utc.hour() as u8)
        .minute(utc.minute() as u8)
        .second(utc.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

/// Lays a document out: what goes on which page, and where.
fn lay_out(
    municipality: &Municipality,
    request: &DocumentRequest,
    block: &SignatureBlock,
) -> Layout {
    let mut layout = Layout::new();
    layout.paragraph(FontFace::Bold, 13.0, 17.0, &municipality.name);
    layout.paragraph(FontFace::Regular, 8.5, 12.0, &municipality.office);
    layout.y += 4.0;
    layout.rule();
    layout.y += 22.0;
    layout.centred(FontFace::Bold, 16.0, 22.0, request.kind.heading());
    for line in wrap(FontFace::Bold, 12.5, CONTENT_WIDTH, &request.title) {
        layout.centred(FontFace::Bold, 12.5, 18.0, &line);
    }
    layout.y += 12.0;
    if !request.facts.is_empty() {
        layout.facts(&request.facts);
        layout.y += 14.0;
    }
    for paragraph in &request.paragraphs {
        layout.paragraph(FontFace::Regular, BODY_SIZE, BODY_LEADING, paragraph);
        layout.y += 6.0;
    }
    layout.signature_block(block);
    layout
}

/// The frames of each page of the rendered document, for checking that text stays inside.
pub fn frames(
    municipality: &Municipality,
    request: &DocumentRequest,
    block: &SignatureBlock,
) -> Vec<Vec<Frame>> {
    lay_out(municipality, request, block)
        .pages
        .iter()
        .map(|ops| {
            ops.iter()
                .filter_map(|op| match op {
                    Op::Box {
                        rect: (x, y, width, height),
                    } => Some(Frame {
                        x: *x,
                        y: *y,
                        width: *width,
                        height: *height,
                    }),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

/// Renders `request` for `municipality`, with `block` as the visible signature block.
pub fn render(
    municipality: &Municipality,
    request: &DocumentRequest,
    block: &SignatureBlock,
) -> Result<Vec<u8>, RenderError> {
    let layout = lay_out(municipality, request, block);
    let settings = SerializeSettings {
        configuration: configuration()?,
        enable_tagging: false,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    document.set_metadata(
        Metadata::new()
            .title(format!("{} – {}", request.kind.heading(), request.title))
            .authors(vec![municipality.name.clone()])
            .creator("Városkapu".into())
            .producer("Városkapu (krilla)".into())
            .language("hu-HU".into())
            .creation_date(creation_date(block.signed_at)),
    );
    let total = layout.pages.len();
    let page_settings =
        PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or(RenderError::Layout("page size"))?;
    for (index, ops) in layout.pages.iter().enumerate() {
        let mut page = document.start_page_with(page_settings.clone());
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, op)?;
        }
        let footer = format!("{} / {}. oldal", index + 1, total);
        let x = PAGE_WIDTH - MARGIN - fonts::width(FontFace::Regular, 8.5, &footer);
        draw(
            &mut surface,
            &Op::Rule {
                x1: MARGIN,
                y1: FOOTER_TOP,
                x2: PAGE_WIDTH - MARGIN,
                y2: FOOTER_TOP,
            },
        )?;
        draw(
            &mut surface,
            &Op::Text {
                x,
                y: FOOTER_TOP + 14.0,
                face: FontFace::Regular,
                size: 8.5,
                text: footer,
            },
        )?;
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| RenderError::Krilla(format!("{e:?}")))
}

fn draw(surface: &mut Surface<'_>, op: &Op) -> Result<(), RenderError> {
    match op {
        Op::Text {
            x,
            y,
            face,
            size,
            text,
        } => {
            surface.set_fill(Some(Fill {
                paint: rgb::Color::new(20, 20, 20).into(),
                ..Fill::default()
            }));
            let glyphs = fonts::shape(*face, text).ok_or(RenderError::Font)?;
            surface.draw_glyphs(
                Point::from_xy(*x, *y),
                &glyphs,
                fonts::embedded(*face).ok_or(RenderError::Font)?,
                text,
                *size,
                false,
            );
        }
        Op::Rule { x1, y1, x2, y2 } => {
            let mut path = PathBuilder::new();
            path.move_to(*x1, *y1);
            path.line_to(*x2, *y2);
            stroke(surface, path)?;
        }
        Op::Box { rect: (x, y, w, h) } => {
            let mut path = PathBuilder::new();
            path.push_rect(Rect::from_xywh(*x, *y, *w, *h).ok_or(RenderError::Layout("box"))?);
            stroke(surface, path)?;
        }
    }
    Ok(())
}

fn stroke(surface: &mut Surface<'_>, path: PathBuilder) -> Result<(), RenderError> {
    let path = path.finish().ok_or(RenderError::Layout("path"))?;
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke {
        paint: rgb::Color::new(90, 90, 90).into(),
        width: 0.7,
        ..Stroke::default()
    }));
    surface.draw_path(&path);
    surface.set_stroke(None);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use varoskapu_core::documents::DocumentKind;

    #[test]
    fn long_text_wraps_within_the_column() {
        let text = "Árvíztűrő tükörfúrógép ".repeat(30);
        let lines = wrap(FontFace::Regular, BODY_SIZE, CONTENT_WIDTH, &text);
        assert!(lines.len() > 3);
        assert!(
            lines
                .iter()
                .all(|l| fonts::width(FontFace::Regular, BODY_SIZE, l) <= CONTENT_WIDTH)
        );
    }

    #[test]
    fn a_word_wider_than_the_line_is_broken_between_characters() {
        let digest = "0123456789abcdef".repeat(8);
        let width = 120.0;
        let lines = wrap(
            FontFace::Regular,
            BODY_SIZE,
            width,
            &format!("SHA-256: {digest}"),
        );
        assert!(lines.len() > 2, "{lines:?}");
        assert!(
            lines
                .iter()
                .all(|l| fonts::width(FontFace::Regular, BODY_SIZE, l) <= width)
        );
        assert_eq!(lines.concat().replace("SHA-256:", ""), digest);
    }

    #[test]
    fn a_fact_longer_than_a_page_continues_on_the_next_in_a_new_frame() {
        let request = DocumentRequest {
            kind: DocumentKind::Decision,
            owner: "citizen".into(),
            case_id: None,
            title: "Teszt".into(),
            facts: vec![KeyFact::new("Indoklás", "Őrült űrhajó ".repeat(900))],
            paragraphs: Vec::new(),
        };
        let block = SignatureBlock {
            signer: "Teszt".into(),
            signed_at: Timestamp::UNIX_EPOCH,
        };
        let pages = frames(&Municipality::demo(), &request, &block);
        assert!(pages.len() >= 2, "{} pages", pages.len());
        for page in &pages {
            for frame in page {
                assert!(
                    frame.y >= MARGIN && frame.y + frame.height <= BODY_BOTTOM,
                    "{frame:?}"
                );
            }
        }
    }

    #[test]
    fn a_long_document_gets_several_numbered_pages() {
        let request = DocumentRequest {
            kind: DocumentKind::Decision,
            owner: "citizen".into(),
            case_id: None,
            title: "Teszt".into(),
            facts: vec![KeyFact::new("Ügyszám", "1/2026")],
            paragraphs: vec!["Őrült űrhajó ".repeat(80); 12],
        };
        let block = SignatureBlock {
            signer: "Teszt".into(),
            signed_at: Timestamp::UNIX_EPOCH,
        };
        let pdf = render(&Municipality::demo(), &request, &block);
        let pdf = pdf.unwrap_or_default();
        assert!(pdf.starts_with(b"%PDF-1.7"));
        let pages = pdf.windows(11).filter(|w| w == b"/Type/Page/").count();
        assert!(pages >= 2, "{pages} pages");
    }
}
