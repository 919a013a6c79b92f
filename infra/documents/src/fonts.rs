//! The fonts shipped with the crate (DejaVu Sans, see `fonts/LICENSE`) and their metrics,
//! so that documents cover Hungarian and render the same on every machine.

use std::sync::LazyLock;

use krilla::text::{Font, GlyphId, KrillaGlyph};
use rustybuzz::{Direction, UnicodeBuffer};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

/// DejaVu Sans, regular weight.
pub static REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans, bold weight.
pub static BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// The faces a document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FontFace {
    Regular,
    Bold,
}

/// A face parsed once per process for each of its uses: measuring (skrifa), shaping
/// (rustybuzz; krilla's `draw_text` would parse the whole face again for every line) and
/// embedding (krilla).
struct Parsed {
    metrics: FontRef<'static>,
    shaper: rustybuzz::Face<'static>,
    embedded: Font,
}

impl Parsed {
    fn new(ttf: &'static [u8]) -> Option<Self> {
        Some(Self {
            metrics: FontRef::new(ttf).ok()?,
            shaper: rustybuzz::Face::from_slice(ttf, 0)?,
            embedded: Font::new(ttf.into(), 0)?,
        })
    }
}

static REGULAR: LazyLock<Option<Parsed>> = LazyLock::new(|| Parsed::new(REGULAR_TTF));
static BOLD: LazyLock<Option<Parsed>> = LazyLock::new(|| Parsed::new(BOLD_TTF));

fn parsed(face: FontFace) -> Option<&'static Parsed> {
    match face {
        FontFace::Regular => REGULAR.as_ref(),
        FontFace::Bold => BOLD.as_ref(),
    }
}

/// The face as krilla embeds it.
pub fn embedded(face: FontFace) -> Option<Font> {
    parsed(face).map(|p| p.embedded.clone())
}

/// `text` shaped in `face`: its glyphs, advances in em and the text each one stands for,
/// as krilla's `draw_text` would make them.
pub fn shape(face: FontFace, text: &str) -> Option<Vec<KrillaGlyph>> {
    let shaper = &parsed(face)?.shaper;
    let units_per_em = shaper.units_per_em() as f32;
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    let forward = matches!(
        buffer.direction(),
        Direction::LeftToRight | Direction::TopToBottom
    );
    let output = rustybuzz::shape(shaper, &[], buffer);
    let infos = output.glyph_infos();
    let positions = output.glyph_positions();
    let glyphs = infos
        .iter()
        .zip(positions)
        .enumerate()
        .map(|(i, (info, position))| {
            let start = info.cluster as usize;
            // A cluster runs to where the next cluster in text order starts.
            let next = if forward {
                infos[i..]
                    .iter()
                    .find(|other| other.cluster != info.cluster)
            } else {
                infos[..i]
                    .iter()
                    .rev()
                    .find(|other| other.cluster != info.cluster)
            };
            let end = next.map_or(text.len(), |other| other.cluster as usize);
            KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                position.x_advance as f32 / units_per_em,
                position.x_offset as f32 / units_per_em,
                position.y_offset as f32 / units_per_em,
                position.y_advance as f32 / units_per_em,
                start..end,
                None,
            )
        })
        .collect();
    Some(glyphs)
}

/// The width of `text` set in `face` at `size` points (kerning ignored: a safe upper bound).
pub fn width(face: FontFace, size: f32, text: &str) -> f32 {
    let Some(font) = parsed(face).map(|p| &p.metrics) else {
        return text.chars().count() as f32 * size * 0.6;
    };
    let charmap = font.charmap();
    let glyphs = font.glyph_metrics(Size::new(size), LocationRef::default());
    text.chars()
        .map(|c| {
            charmap
                .map(c)
                .and_then(|g| glyphs.advance_width(g))
                .unwrap_or(size * 0.6)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fonts_cover_hungarian() {
        for ttf in [REGULAR_TTF, BOLD_TTF] {
            let font = FontRef::new(ttf).ok();
            let charmap = font.as_ref().map(|f| f.charmap());
            for c in "áéíóöőúüűÁÉÍÓÖŐÚÜŰ".chars() {
                assert!(
                    charmap.as_ref().and_then(|m| m.map(c)).is_some(),
                    "{c} missing"
                );
            }
        }
    }

    #[test]
    fn every_glyph_stands_for_its_own_letters() {
        let text = "Ügyszám: 2026/000123 – Őrült űrhajó";
        let glyphs = shape(FontFace::Regular, text).unwrap_or_default();
        assert_eq!(glyphs.len(), text.chars().count());
        let covered: String = glyphs.iter().map(|g| &text[g.text_range.clone()]).collect();
        assert_eq!(covered, text);
        assert!(
            glyphs.iter().all(|g| g.glyph_id.to_u32() != 0),
            "no glyph is missing"
        );
        let advance: f32 = glyphs.iter().map(|g| g.x_advance * 10.0).sum();
        let width = width(FontFace::Regular, 10.0, text);
        assert!(
            advance <= width + 0.01 && advance > width * 0.95,
            "{advance} vs {width}"
        );
    }

    #[test]
    fn bold_text_is_wider() {
        assert!(
            width(FontFace::Bold, 10.0, "Határozat") > width(FontFace::Regular, 10.0, "Határozat")
        );
    }
}
