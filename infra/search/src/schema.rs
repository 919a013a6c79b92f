//! The index's fields and how a [`PersonDoc`] becomes a tantivy document.

use jiff::civil::Date;
use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, SimpleTokenizer, TextAnalyzer};
use varoskapu_core::crm::search::{Activity, PersonDoc};

/// The analyzer of names and addresses: words, lower case, accents folded (`Kovács` →
/// `kovacs`), so the office finds a person however the name was typed.
pub(crate) const FOLDED: &str = "vk_folded";
/// Separates the parts of a composite term; stripped from the values themselves so a
/// value can never reach into its neighbour's part.
const SEP: char = '\u{0}';
/// Separates the parts of the sort key; below every printable character, so `kovacs`
/// sorts before `kovacsne`.
const SORT_SEP: char = '\u{1}';
/// `last_active` of a person with no activity at all: before any real day.
pub(crate) const NEVER_ACTIVE: i64 = 0;

/// The analyzer registered on every index under [`FOLDED`].
pub(crate) fn folded_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The words of `text` as the index holds them.
pub(crate) fn folded_words(text: &str) -> Vec<String> {
    let mut analyzer = folded_analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut words = Vec::new();
    while stream.advance() {
        words.push(stream.token().text.clone());
    }
    words
}

/// `text` folded as one string (for sorting).
fn folded_line(text: &str) -> String {
    folded_words(text).join(" ")
}

#[derive(Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    /// Family, given and birth names, folded.
    pub name: Field,
    /// Street, house number, postcode, district and city, folded.
    pub address: Field,
    /// Street names only, folded, with positions for whole-phrase matching.
    pub street: Field,
    pub email: Field,
    pub phone: Field,
    pub card: Field,
    pub postcode: Field,
    pub district: Field,
    pub tag: Field,
    pub group: Field,
    pub consent: Field,
    pub gender: Field,
    /// `yyyymmdd`.
    pub birth: Field,
    /// `case␀type␀yyyymmdd`, `paid␀method`, `booked␀office`.
    pub activity: Field,
    /// `yyyymmdd` of the latest activity, [`NEVER_ACTIVE`] without any.
    pub last_active: Field,
    pub merged: Field,
    /// `family␁given␁id`, folded: the order of advanced results.
    pub sort: Field,
}

pub(crate) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let folded = |positions: bool| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(FOLDED)
                .set_index_option(if positions {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::Basic
                }),
        )
    };
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        name: b.add_text_field("name", folded(false)),
        address: b.add_text_field("address", folded(false)),
        street: b.add_text_field("street", folded(true)),
        email: b.add_text_field("email", STRING),
        phone: b.add_text_field("phone", STRING),
        card: b.add_text_field("card", STRING),
        postcode: b.add_text_field("postcode", STRING),
        district: b.add_text_field("district", STRING),
        tag: b.add_text_field("tag", STRING),
        group: b.add_text_field("group", STRING),
        consent: b.add_text_field("consent", STRING),
        gender: b.add_text_field("gender", STRING),
        birth: b.add_i64_field("birth", INDEXED | FAST),
        activity: b.add_text_field("activity", STRING),
        last_active: b.add_i64_field("last_active", INDEXED | FAST),
        merged: b.add_text_field("merged", STRING),
        sort: b.add_text_field("sort", TextOptions::default().set_fast("raw")),
    };
    (b.build(), fields)
}

/// A day as `yyyymmdd`, so that numbers order as days do.
pub(crate) fn day_number(day: Date) -> i64 {
    i64::from(day.year().clamp(0, 9999)) * 10_000
        + i64::from(day.month()) * 100
        + i64::from(day.day())
}

fn clean(value: &str) -> String {
    value.trim().replace(SEP, "")
}

/// A tag, group, district, method or office as matched: trimmed, lower case.
pub(crate) fn keyword(value: &str) -> String {
    clean(value).to_lowercase()
}

pub(crate) fn case_term(case_type: &str, day: &str) -> String {
    format!("case{SEP}{}{SEP}{day}", keyword(case_type))
}

pub(crate) fn paid_term(method: &str) -> String {
    format!("paid{SEP}{}", keyword(method))
}

pub(crate) fn booked_term(office: &str) -> String {
    format!("booked{SEP}{}", keyword(office))
}

/// The digits of an E.164 number, without `+`.
pub(crate) fn phone_digits(e164: &str) -> String {
    e164.chars().filter(char::is_ascii_digit).collect()
}

pub(crate) const MERGED: &str = "merged";

pub(crate) fn sort_key(doc: &PersonDoc) -> String {
    format!(
        "{}{SORT_SEP}{}{SORT_SEP}{}",
        folded_line(&doc.family_name).replace(SORT_SEP, ""),
        folded_line(&doc.given_name).replace(SORT_SEP, ""),
        doc.id
    )
}

/// The person id at the end of a sort key.
pub(crate) fn id_of_sort_key(key: &str) -> Option<uuid::Uuid> {
    key.rsplit(SORT_SEP).next()?.parse().ok()
}

pub(crate) fn to_document(f: &Fields, doc: &PersonDoc) -> TantivyDocument {
    let mut d = TantivyDocument::default();
    d.add_text(f.id, doc.id.to_string());
    for name in [
        Some(&doc.family_name),
        Some(&doc.given_name),
        doc.birth_name.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        d.add_text(f.name, name);
    }
    for email in &doc.emails {
        d.add_text(f.email, email.trim().to_lowercase());
    }
    for phone in &doc.phones {
        d.add_text(f.phone, phone_digits(phone));
    }
    if let Some(card) = &doc.card_number {
        d.add_text(f.card, card.trim().to_uppercase());
    }
    for a in &doc.addresses {
        d.add_text(f.address, &a.street);
        d.add_text(f.address, &a.number);
        d.add_text(f.address, &a.postcode);
        d.add_text(f.address, &a.city);
        d.add_text(f.street, &a.street);
        d.add_text(f.postcode, a.postcode.trim());
        if let Some(district) = &a.district {
            d.add_text(f.address, district);
            d.add_text(f.district, keyword(district));
        }
    }
    for tag in &doc.tags {
        d.add_text(f.tag, keyword(tag));
    }
    for group in &doc.groups {
        d.add_text(f.group, keyword(group));
    }
    if doc.newsletter {
        d.add_text(f.consent, "newsletter");
    }
    if doc.sms {
        d.add_text(f.consent, "sms");
    }
    if let Some(gender) = doc.gender {
        d.add_text(f.gender, gender.as_str());
    }
    if let Some(birth) = doc.birth_date {
        d.add_i64(f.birth, day_number(birth));
    }
    let mut last = NEVER_ACTIVE;
    for activity in &doc.activity {
        let term = match activity {
            Activity::Case { case_type, on } => {
                case_term(case_type, &format!("{:08}", day_number(*on)))
            }
            Activity::Payment { method, .. } => paid_term(method),
            Activity::Booking { office, .. } => booked_term(office),
        };
        d.add_text(f.activity, term);
        last = last.max(day_number(activity.on()));
    }
    d.add_i64(f.last_active, last);
    if doc.merged {
        d.add_text(f.merged, MERGED);
    }
    d.add_text(f.sort, sort_key(doc));
    d
}
