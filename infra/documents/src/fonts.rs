//! The fonts shipped with the crate (DejaVu Sans, see `fonts/LICENSE`) and their metrics,
//! so that documents cover Hungarian and render the same on every machine.

use std::sync::LazyLock;

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

static REGULAR: LazyLock<Option<FontRef<'static>>> =
    LazyLock::new(|| FontRef::new(REGULAR_TTF).ok());
static BOLD: LazyLock<Option<FontRef<'static>>> = LazyLock::new(|| FontRef::new(BOLD_TTF).ok());

/// The width of `text` set in `face` at `size` points (kerning ignored: a safe upper bound).
pub fn width(face: FontFace, size: f32, text: &str) -> f32 {
    let font = match face {
        FontFace::Regular => &*REGULAR,
        FontFace::Bold => &*BOLD,
    };
    let Some(font) = font else {
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
    fn bold_text_is_wider() {
        assert!(
            width(FontFace::Bold, 10.0, "Határozat") > width(FontFace::Regular, 10.0, "Határozat")
        );
    }
}
