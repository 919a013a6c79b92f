//! The accent-free, lower-case form of names and text that search, blocking and comparison
//! use, so that `Kovács József`, `KOVACS  Jozsef` and `kovács-józsef` meet.

/// Lower case, Latin accents removed, anything but letters and digits turned into spaces,
/// whitespace collapsed: `"Kovács  József"` → `"kovacs jozsef"`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // A space is owed before the next letter or digit (never at the start or the end).
    let mut gap = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            push_folded(&mut out, c);
        } else if !is_joining_mark(c) {
            gap = true;
        }
    }
    out
}

/// [`fold`] without the titles and qualifiers Hungarian names carry (`dr.`, `ifj.`, `id.`,
/// `özv.`), so that `Dr. Kovács József` and `Kovács József` compare equal.
pub fn fold_name(text: &str) -> String {
    let folded = fold(text);
    let mut out = String::with_capacity(folded.len());
    for word in folded.split(' ').filter(|w| !NAME_QUALIFIERS.contains(w)) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// [`fold`] with the street types' usual abbreviations written out (`Nádor u.` →
/// `nador utca`, `Szent István krt.` → `szent istvan korut`), so that a street typed the
/// way letters are addressed meets the register's spelling.
pub fn fold_street(text: &str) -> String {
    let folded = fold(text);
    let mut out = String::with_capacity(folded.len() + 8);
    for word in folded.split(' ') {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(
            STREET_TYPES
                .iter()
                .find(|(short, _)| *short == word)
                .map_or(word, |(_, long)| long),
        );
    }
    out
}

/// Street types' abbreviations as the Hungarian post accepts them, folded.
const STREET_TYPES: &[(&str, &str)] = &[
    ("u", "utca"),
    ("krt", "korut"),
    ("rkp", "rakpart"),
    ("sgt", "sugarut"),
    ("ltp", "lakotelep"),
    ("stny", "setany"),
    ("pk", "park"),
];

/// Titles and qualifiers that are not part of the name, folded (`özv.` → `ozv`).
const NAME_QUALIFIERS: &[&str] = &[
    "dr", "ifj", "ifjabb", "id", "idosebb", "ozv", "ozvegy", "prof", "phd",
];

/// Combining accents (from decomposed input) vanish instead of splitting the word.
fn is_joining_mark(c: char) -> bool {
    ('\u{0300}'..='\u{036f}').contains(&c)
}

fn push_folded(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    for lower in c.to_lowercase() {
        match base_letter(lower) {
            Some(base) => out.push_str(base),
            None => out.push(lower),
        }
    }
}

/// The unaccented form of a lower-case Latin-1 or Latin Extended-A letter.
fn base_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' | 'ĸ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' | 'ŋ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ſ' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hungarian_name_has_an_accent_free_search_form() {
        assert_eq!(fold("Kovács József"), "kovacs jozsef");
        assert_eq!(fold("Szűcs Őrs Ödön"), "szucs ors odon");
        assert_eq!(fold("ÁRVÍZTŰRŐ TÜKÖRFÚRÓGÉP"), "arvizturo tukorfurogep");
    }

    #[test]
    fn a_street_typed_with_an_abbreviated_type_meets_the_registers_spelling() {
        assert_eq!(fold_street("Nádor u."), fold_street("Nádor utca"));
        assert_eq!(fold_street("Szent István krt. "), "szent istvan korut");
        assert_eq!(fold_street("Október 6. u"), "oktober 6 utca");
        assert_ne!(fold_street("Nádor tér"), fold_street("Nádor utca"));
    }

    #[test]
    fn punctuation_and_runs_of_whitespace_become_single_spaces() {
        assert_eq!(fold("  Nagy-Tóth,\tAnna   Mária. "), "nagy toth anna maria");
        assert_eq!(fold("Alkotás u. 12/B"), "alkotas u 12 b");
        assert_eq!(fold("!!!"), "");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn other_latin_letters_lose_their_accents_too() {
        assert_eq!(
            fold("Dvořák Müller Straße Łukasz Ærø"),
            "dvorak muller strasse lukasz aero"
        );
        assert_eq!(fold("Çelik Şahin Ğ"), "celik sahin g");
    }

    #[test]
    fn decomposed_accents_fold_like_composed_ones() {
        // "Józsi" typed with a combining acute accent.
        assert_eq!(fold("Jo\u{301}zsi"), "jozsi");
    }

    #[test]
    fn titles_and_qualifiers_are_not_part_of_a_name() {
        assert_eq!(fold_name("Dr. Kovács József"), "kovacs jozsef");
        assert_eq!(fold_name("ifj. Nagy Béla"), "nagy bela");
        assert_eq!(fold_name("id. Szabó Péter"), "szabo peter");
        assert_eq!(fold_name("özv. Tóthné Kiss Éva"), "tothne kiss eva");
        assert_eq!(fold_name("Kovács József dr."), "kovacs jozsef");
        // A name that merely starts like a title keeps it.
        assert_eq!(fold_name("Ida Drávai"), "ida dravai");
    }
}
