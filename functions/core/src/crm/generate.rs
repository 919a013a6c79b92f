//! Realistic, reproducible Hungarian person records for benchmarks, load tests and the demo:
//! the same seed gives the same people, with a known share of planted duplicates.

use jiff::Timestamp;
use jiff::civil::Date;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use uuid::Builder;

use crate::crm::person::{
    Address, AddressKind, Consent, ContactState, EmailContact, Gender, GenderSource,
    NaturalIdentity, PersonId, PersonRecord, PhoneContact, RecordedGender,
};
use crate::crm::quality::fold::fold;
use crate::crm::quality::gender::given_names;

/// Generated records, and which pairs of them are the same person.
pub struct Generated {
    pub records: Vec<PersonRecord>,
    /// Each planted duplicate with the record it copies, the smaller id first.
    pub planted: Vec<(PersonId, PersonId)>,
}

/// Family names, the most common first (the order weighs how often each is drawn).
const FAMILY_NAMES: &[&str] = &[
    "Nagy",
    "Kovács",
    "Tóth",
    "Szabó",
    "Horváth",
    "Varga",
    "Kiss",
    "Molnár",
    "Németh",
    "Farkas",
    "Balogh",
    "Papp",
    "Takács",
    "Juhász",
    "Lakatos",
    "Mészáros",
    "Oláh",
    "Simon",
    "Rácz",
    "Fekete",
    "Szilágyi",
    "Török",
    "Fehér",
    "Balázs",
    "Gál",
    "Kis",
    "Szűcs",
    "Kocsis",
    "Orsós",
    "Pintér",
    "Fodor",
    "Szalai",
    "Sipos",
    "Magyar",
    "Lukács",
    "Gulyás",
    "Biró",
    "Király",
    "László",
    "Katona",
    "Jakab",
    "Bogdán",
    "Balog",
    "Sándor",
    "Boros",
    "Fazekas",
    "Kelemen",
    "Antal",
    "Somogyi",
    "Orosz",
    "Fülöp",
    "Veres",
    "Vincze",
    "Hegedűs",
    "Budai",
    "Deák",
    "Pap",
    "Bálint",
    "Pál",
    "Illés",
    "Vörös",
    "Szőke",
    "Fábián",
    "Vass",
    "Lengyel",
    "Bognár",
    "Bodnár",
    "Jónás",
    "Szücs",
    "Hajdu",
    "Halász",
    "Máté",
    "Székely",
    "Kozma",
    "Gáspár",
    "Pásztor",
    "Bakos",
    "Dudás",
    "Major",
    "Virág",
    "Hegyi",
    "Orbán",
    "Barta",
    "Kun",
    "Pálinkás",
    "Bíró",
    "Kozák",
    "Nemes",
    "Benkő",
    "Soós",
    "Sárközi",
    "Baranyi",
    "Tamás",
    "Vida",
    "Szekeres",
    "Lőrincz",
    "Szénási",
    "Csonka",
    "Kertész",
    "Novák",
    "Bozsó",
    "Győri",
    "Erdős",
    "Mohácsi",
    "Kardos",
    "Sebestyén",
    "Ács",
    "Bencze",
    "Pataki",
    "Csizmadia",
    "Madár",
    "Bene",
    "Szép",
    "Vadász",
    "Pék",
    "Cseh",
    "Gergely",
    "Ferenczi",
    "Borsos",
    "Kálmán",
    "Rostás",
    "Tóthné",
    "Dobos",
    "Dávid",
    "Kurucz",
    "Bárány",
    "Csordás",
    "Szántó",
    "Nyitrai",
    "Hajdú",
    "Fekete",
    "Szabados",
    "Bartha",
    "Köves",
    "Ungvári",
    "Zsigmond",
    "Végh",
    "Berki",
    "Kristóf",
    "Berényi",
    "Kósa",
    "Mátyás",
    "Domokos",
    "Pásztori",
    "Rigó",
    "Tihanyi",
    "Szakács",
    "Gyurkó",
    "Erdélyi",
    "Kecskés",
    "Bakó",
    "Zoltai",
    "Lantos",
    "Tóbiás",
    "Hegedüs",
    "Bujdosó",
    "Győrfi",
    "Csóka",
    "Dombi",
    "Kántor",
    "Mezei",
    "Ódor",
    "Rózsa",
    "Sütő",
    "Szendrei",
    "Vámos",
    "Zádori",
];

/// Given names that many people carry, drawn more often than the rest of the lists.
const COMMON_FEMALE: &[&str] = &[
    "Mária",
    "Erzsébet",
    "Katalin",
    "Éva",
    "Ilona",
    "Anna",
    "Zsuzsanna",
    "Margit",
    "Judit",
    "Ágnes",
    "Andrea",
    "Erika",
    "Krisztina",
    "Irén",
    "Edit",
    "Eszter",
    "Gabriella",
    "Anita",
    "Mónika",
    "Zsófia",
    "Viktória",
    "Szilvia",
    "Tímea",
    "Dóra",
    "Réka",
    "Hanna",
    "Lilla",
    "Nóra",
    "Boglárka",
    "Petra",
    "Júlia",
    "Dorottya",
    "Kitti",
    "Fanni",
    "Luca",
    "Anikó",
];
const COMMON_MALE: &[&str] = &[
    "László",
    "István",
    "József",
    "János",
    "Zoltán",
    "Sándor",
    "Ferenc",
    "Gábor",
    "Attila",
    "Péter",
    "Tamás",
    "Zsolt",
    "Tibor",
    "András",
    "Csaba",
    "Imre",
    "Lajos",
    "György",
    "Balázs",
    "Róbert",
    "Mihály",
    "Dániel",
    "Ádám",
    "Bence",
    "Máté",
    "Dávid",
    "Levente",
    "Márk",
    "Gergő",
    "Bálint",
    "Krisztián",
    "Norbert",
    "Milán",
    "Dominik",
    "Áron",
    "Béla",
];

/// Streets of the demo district, Budapest XII (Hegyvidék), with their postcodes.
const XII_STREETS: &[(&str, &str)] = &[
    ("Alkotás utca", "1123"),
    ("Böszörményi út", "1126"),
    ("Krisztina körút", "1122"),
    ("Szilágyi Erzsébet fasor", "1125"),
    ("Városmajor utca", "1122"),
    ("Istenhegyi út", "1125"),
    ("Zugligeti út", "1121"),
    ("Diós árok", "1125"),
    ("Normafa út", "1121"),
    ("Csörsz utca", "1123"),
    ("Maros utca", "1122"),
    ("Csaba utca", "1122"),
    ("Ráth György utca", "1122"),
    ("Kék Golyó utca", "1123"),
    ("Márvány utca", "1126"),
    ("Tartsay Vilmos utca", "1126"),
    ("Kiss János altábornagy utca", "1126"),
    ("Királyhágó tér", "1126"),
    ("Németvölgyi út", "1124"),
    ("Apor Vilmos tér", "1124"),
    ("Jagelló út", "1124"),
    ("Hegyalja út", "1124"),
    ("Fodor utca", "1124"),
    ("Sirály utca", "1124"),
    ("Ugocsa utca", "1124"),
    ("Hollósy Simon utca", "1126"),
    ("Kútvölgyi út", "1125"),
    ("Kolozsvári Tamás utca", "1125"),
    ("Mártonhegyi út", "1121"),
    ("Eötvös út", "1121"),
    ("Konkoly-Thege Miklós út", "1121"),
    ("Költő utca", "1121"),
    ("Béla király út", "1125"),
    ("Svábhegyi út", "1125"),
    ("Tündér utca", "1121"),
    ("Karthauzi utca", "1121"),
    ("Határőr út", "1122"),
    ("Városmajor park", "1122"),
    ("Szamos utca", "1122"),
    ("Nagyenyed utca", "1123"),
    ("Győri út", "1123"),
    ("Beethoven utca", "1126"),
    ("Tamás utca", "1126"),
    ("Ördögorom út", "1124"),
    ("Meredek utca", "1124"),
    ("Lejtő út", "1124"),
    ("Hegytető utca", "1121"),
    ("Rege utca", "1121"),
    ("Gyöngyvirág út", "1121"),
    ("Virányos út", "1125"),
    ("Pethényi út", "1125"),
    ("Rácz Aladár út", "1121"),
    ("Szarvas Gábor út", "1125"),
    ("Zólyomi út", "1124"),
    ("Tállya utca", "1126"),
    ("Orbánhegyi út", "1126"),
    ("Kissvábhegyi út", "1126"),
    ("Adonisz utca", "1121"),
    ("Galgóczy utca", "1126"),
    ("Stromfeld Aurél út", "1124"),
];

/// Towns elsewhere in Hungary, with a postcode each.
const TOWNS: &[(&str, &str)] = &[
    ("Debrecen", "4024"),
    ("Szeged", "6720"),
    ("Pécs", "7621"),
    ("Győr", "9021"),
    ("Miskolc", "3525"),
    ("Budaörs", "2040"),
    ("Érd", "2030"),
    ("Székesfehérvár", "8000"),
    ("Kecskemét", "6000"),
    ("Nyíregyháza", "4400"),
    ("Eger", "3300"),
    ("Sopron", "9400"),
    ("Veszprém", "8200"),
    ("Szentendre", "2000"),
    ("Budakeszi", "2092"),
];
const TOWN_STREETS: &[&str] = &[
    "Fő utca",
    "Petőfi Sándor utca",
    "Kossuth Lajos utca",
    "Rákóczi út",
    "Dózsa György út",
    "Arany János utca",
    "Széchenyi tér",
    "Ady Endre utca",
    "Bajcsy-Zsilinszky utca",
    "Jókai Mór utca",
];
const BIRTH_PLACES: &[&str] = &[
    "Debrecen",
    "Szeged",
    "Pécs",
    "Győr",
    "Miskolc",
    "Kecskemét",
    "Nyíregyháza",
    "Eger",
    "Sopron",
    "Veszprém",
    "Szombathely",
    "Zalaegerszeg",
    "Kaposvár",
    "Szolnok",
    "Tatabánya",
    "Békéscsaba",
    "Salgótarján",
    "Szekszárd",
    "Vác",
    "Kolozsvár",
    "Marosvásárhely",
    "Szabadka",
];
const PROVIDERS: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "freemail.hu",
    "freemail.hu",
    "citromail.hu",
    "t-online.hu",
    "outlook.hu",
    "hotmail.com",
    "yahoo.com",
    "vipmail.hu",
    "icloud.com",
];
const TAGS: &[&str] = &[
    "nyugdíjas",
    "önkéntes",
    "civil szervezet",
    "sportoló",
    "szülő",
];
const GROUPS: &[&str] = &[
    "Hegyvidéki Szenior Klub",
    "Lakossági fórum",
    "Kerületi hírlevél",
    "Parkolási engedélyesek",
];

/// `count` person records, `duplicate_share` of them planted duplicates of the others, all
/// following from `seed`; birth dates 1930–2008, records created in the years before `today`.
pub fn generate(count: usize, seed: u64, duplicate_share: f64, today: Date) -> Generated {
    let mut rng = StdRng::seed_from_u64(seed);
    let family_weights = cumulative(FAMILY_NAMES.len());
    let duplicates = ((count as f64) * duplicate_share.clamp(0.0, 0.5)).round() as usize;
    let originals = count - duplicates;
    let now = today
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let mut records: Vec<PersonRecord> = (0..originals)
        .map(|_| person(&mut rng, &family_weights, now))
        .collect();
    let mut sources: Vec<usize> = (0..originals).collect();
    sources.shuffle(&mut rng);
    let mut planted = Vec::with_capacity(duplicates);
    for &source in sources.iter().take(duplicates) {
        let copy = duplicate(&mut rng, &records[source], now);
        let (a, b) = (records[source].id, copy.id);
        planted.push((a.min(b), a.max(b)));
        records.push(copy);
    }
    records.shuffle(&mut rng);
    planted.sort();
    Generated { records, planted }
}

/// Cumulative Zipf-like weights (1/√rank), for drawing the common names more often.
fn cumulative(len: usize) -> Vec<f64> {
    let mut total = 0.0;
    (0..len)
        .map(|rank| {
            total += 1.0 / ((rank + 1) as f64).sqrt();
            total
        })
        .collect()
}

fn weighted<'a>(rng: &mut StdRng, items: &[&'a str], weights: &[f64]) -> &'a str {
    let x = rng.random::<f64>() * weights.last().copied().unwrap_or(1.0);
    let at = weights.partition_point(|&w| w < x).min(items.len() - 1);
    items[at]
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or("")
}

fn given_name(rng: &mut StdRng, gender: Gender) -> String {
    let (common, all) = match gender {
        Gender::Female => (COMMON_FEMALE, given_names(Gender::Female)),
        Gender::Male => (COMMON_MALE, given_names(Gender::Male)),
    };
    let first = if rng.random_bool(0.6) {
        pick(rng, common)
    } else {
        pick(rng, all)
    };
    if rng.random_bool(0.3) {
        let second = pick(rng, common);
        if second != first {
            return format!("{first} {second}");
        }
    }
    first.to_owned()
}

fn new_id(rng: &mut StdRng) -> PersonId {
    PersonId(Builder::from_random_bytes(rng.random()).into_uuid())
}

fn birth_date(rng: &mut StdRng) -> Date {
    let year = rng.random_range(1930..=2008);
    let month = rng.random_range(1..=12);
    let first = jiff::civil::date(year, month, 1);
    let day = rng.random_range(1..=first.days_in_month());
    jiff::civil::date(year, month, day)
}

fn address(rng: &mut StdRng) -> Address {
    let number = format!("{}.", rng.random_range(1..=120));
    let (postcode, city, street, district) = if rng.random_bool(0.85) {
        let (street, postcode) = XII_STREETS.choose(rng).copied().unwrap_or(XII_STREETS[0]);
        (postcode, "Budapest", street, Some("XII".to_owned()))
    } else {
        let (city, postcode) = TOWNS.choose(rng).copied().unwrap_or(TOWNS[0]);
        (postcode, city, pick(rng, TOWN_STREETS), None)
    };
    Address {
        kind: AddressKind::Permanent,
        postcode: postcode.to_owned(),
        city: city.to_owned(),
        street: street.to_owned(),
        number,
        district,
        valid_from: None,
        valid_until: None,
        verified_at: None,
    }
}

fn email(rng: &mut StdRng, family: &str, given: &str, birth: Date) -> String {
    let family = fold(family).replace(' ', "");
    let given = fold(given.split(' ').next().unwrap_or(given));
    let provider = pick(rng, PROVIDERS);
    let number = rng.random_range(1..=999);
    match rng.random_range(0..4) {
        0 => format!("{given}.{family}{number}@{provider}"),
        1 => format!("{family}.{given}{}@{provider}", birth.year() % 100),
        2 => format!(
            "{family}{}{number}@{provider}",
            given.chars().next().unwrap_or('x')
        ),
        _ => format!("{given}{family}{}@{provider}", birth.year()),
    }
}

/// Digits of a Hungarian number after `+36`: a mobile (20/30/70) or a Budapest landline.
fn phone_digits(rng: &mut StdRng) -> String {
    if rng.random_bool(0.8) {
        let prefix = pick(rng, &["20", "30", "70"]);
        format!("{prefix}{}", rng.random_range(1_000_000..=9_999_999))
    } else {
        format!("1{}", rng.random_range(2_000_000..=4_999_999))
    }
}

fn card_number(rng: &mut StdRng) -> String {
    let letters: String = (0..2)
        .map(|_| char::from(b'A' + rng.random_range(0..26u8)))
        .collect();
    format!("{:06}{letters}", rng.random_range(0..1_000_000))
}

fn created_at(rng: &mut StdRng, now: Timestamp) -> Timestamp {
    let back = rng.random_range(0..6 * 365 * 86_400_i64);
    Timestamp::from_second(now.as_second() - back).unwrap_or(now)
}

fn person(rng: &mut StdRng, family_weights: &[f64], now: Timestamp) -> PersonRecord {
    let gender = if rng.random_bool(0.52) {
        Gender::Female
    } else {
        Gender::Male
    };
    let mut family_name = weighted(rng, FAMILY_NAMES, family_weights).to_owned();
    let given_name = given_name(rng, gender);
    let birth = birth_date(rng);
    // Married women often carry their husband's name; the name at birth is kept beside.
    let birth_name = if gender == Gender::Female && birth.year() < 1995 && rng.random_bool(0.4) {
        let born = std::mem::replace(
            &mut family_name,
            weighted(rng, FAMILY_NAMES, family_weights).to_owned(),
        );
        Some(format!("{born} {given_name}"))
    } else {
        None
    };
    let mother = format!(
        "{} {}",
        weighted(rng, FAMILY_NAMES, family_weights),
        given_name_first(rng, Gender::Female)
    );
    let emails = if rng.random_bool(0.75) {
        vec![EmailContact {
            address: email(rng, &family_name, &given_name, birth),
            state: ContactState::Unverified,
            state_at: None,
        }]
    } else {
        Vec::new()
    };
    let phones = if rng.random_bool(0.7) {
        vec![PhoneContact {
            number: format!("+36{}", phone_digits(rng)),
            state: ContactState::Unverified,
        }]
    } else {
        Vec::new()
    };
    let created = created_at(rng, now);
    let tags = TAGS
        .iter()
        .filter(|_| rng.random_bool(0.08))
        .map(|t| (*t).to_owned())
        .collect();
    let groups = GROUPS
        .iter()
        .filter(|_| rng.random_bool(0.05))
        .map(|g| (*g).to_owned())
        .collect();
    let mut record = blank();
    record.id = new_id(rng);
    record.identity = NaturalIdentity {
        family_name,
        given_name,
        birth_name,
        birth_place: Some(if rng.random_bool(0.45) {
            "Budapest".to_owned()
        } else {
            pick(rng, BIRTH_PLACES).to_owned()
        }),
        birth_date: Some(birth),
        mother_birth_name: rng.random_bool(0.8).then_some(mother),
    };
    record.addresses = vec![address(rng)];
    record.emails = emails;
    record.phones = phones;
    record.card_number = rng.random_bool(0.6).then(|| card_number(rng));
    record.gender = rng.random_bool(0.4).then_some(RecordedGender {
        value: gender,
        source: GenderSource::Declared,
    });
    record.consent = Consent {
        newsletter: rng.random_bool(0.35),
        sms: rng.random_bool(0.2),
    };
    record.tags = tags;
    record.groups = groups;
    record.account = rng
        .random_bool(0.3)
        .then(|| format!("acc-{:016x}", rng.random::<u64>()));
    record.created_at = created;
    record.updated_at = created;
    record
}

/// A record with every optional part empty, as the record's own defaults make it (so that
/// parts added to the record later start empty here too).
fn blank() -> PersonRecord {
    static BLANK: std::sync::LazyLock<PersonRecord> = std::sync::LazyLock::new(|| {
        serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::nil(),
            "identity": { "family_name": "", "given_name": "" },
            "created_at": Timestamp::UNIX_EPOCH,
            "updated_at": Timestamp::UNIX_EPOCH,
        }))
        .expect("a person record needs only its id, identity and times")
    });
    BLANK.clone()
}

fn given_name_first(rng: &mut StdRng, gender: Gender) -> String {
    let name = given_name(rng, gender);
    name.split(' ').next().unwrap_or(&name).to_owned()
}

/// A typo people make: two letters swapped, one dropped or doubled, an accent lost.
fn typo(rng: &mut StdRng, word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() < 3 {
        return word.to_owned();
    }
    let accented: Vec<usize> = (0..chars.len()).filter(|&i| !chars[i].is_ascii()).collect();
    let at = rng.random_range(1..chars.len() - 1);
    match rng.random_range(0..4) {
        0 if !accented.is_empty() => {
            let i = accented[rng.random_range(0..accented.len())];
            let base = fold(&chars[i].to_string());
            let mut out: String = chars[..i].iter().collect();
            out.push_str(&base);
            out.extend(&chars[i + 1..]);
            return out;
        }
        0 | 1 => chars.swap(at, at + 1),
        2 => {
            chars.remove(at);
        }
        _ => chars.insert(at, chars[at]),
    }
    chars.into_iter().collect()
}

/// How the same Hungarian number is written by hand.
fn written_differently(rng: &mut StdRng, e164: &str) -> String {
    let national = e164.trim_start_matches("+36");
    let (area, rest) = if let Some(rest) = national.strip_prefix('1') {
        ("1", rest)
    } else {
        national.split_at(2.min(national.len()))
    };
    let (x, y) = rest.split_at(3.min(rest.len()));
    match rng.random_range(0..5) {
        0 => format!("06 {area} {x} {y}"),
        1 => format!("06-{area}/{x}-{y}"),
        2 => format!("+36 {area} {x} {y}"),
        3 => format!("0036{national}"),
        _ => format!("({area}) {x}-{y}"),
    }
}

/// The same person entered again (at the desk, by an import): names mistyped, contacts
/// missing or written differently, sometimes moved house.
fn duplicate(rng: &mut StdRng, original: &PersonRecord, now: Timestamp) -> PersonRecord {
    let mut copy = original.clone();
    copy.id = new_id(rng);
    copy.account = None;
    copy.tags.clear();
    copy.groups.clear();
    copy.created_at = created_at(rng, now);
    copy.updated_at = copy.created_at;
    let identity = &mut copy.identity;
    if rng.random_bool(0.7) {
        if rng.random_bool(0.5) {
            identity.family_name = typo(rng, &identity.family_name);
        } else {
            let mut names: Vec<String> =
                identity.given_name.split(' ').map(str::to_owned).collect();
            let i = rng.random_range(0..names.len());
            names[i] = typo(rng, &names[i]);
            identity.given_name = names.join(" ");
        }
    }
    if identity.given_name.contains(' ') && rng.random_bool(0.3) {
        // The second given name left out.
        let first = identity
            .given_name
            .split(' ')
            .next()
            .unwrap_or("")
            .to_owned();
        identity.given_name = first;
    }
    match rng.random_range(0..100) {
        0..92 => {}
        92..97 => identity.birth_date = None,
        _ => {
            identity.birth_date = identity.birth_date.and_then(|d| {
                d.checked_add(jiff::Span::new().days(rng.random_range(1..=9)))
                    .ok()
            })
        }
    }
    if rng.random_bool(0.3) {
        identity.mother_birth_name = None;
    }
    if rng.random_bool(0.3) {
        identity.birth_place = None;
    }
    let email_roll = rng.random_range(0..10);
    if email_roll < 3 {
        copy.emails.clear();
    } else if email_roll < 6 && !copy.emails.is_empty() {
        let family = copy.identity.family_name.clone();
        let given = copy.identity.given_name.clone();
        let birth = copy
            .identity
            .birth_date
            .unwrap_or(jiff::civil::date(1970, 1, 1));
        copy.emails = vec![EmailContact {
            address: email(rng, &family, &given, birth),
            state: ContactState::Unverified,
            state_at: None,
        }];
    } else {
        for e in &mut copy.emails {
            e.state = ContactState::Unverified;
        }
    }
    let phone_roll = rng.random_range(0..10);
    if phone_roll < 2 {
        copy.phones.clear();
    } else if phone_roll < 3 && !copy.phones.is_empty() {
        copy.phones = vec![PhoneContact {
            number: format!("+36{}", phone_digits(rng)),
            state: ContactState::Unverified,
        }];
    } else {
        for p in &mut copy.phones {
            // As typed into an import sheet; equal to the original once normalised.
            p.number = written_differently(rng, &p.number);
        }
    }
    if rng.random_bool(0.15) {
        copy.addresses = vec![address(rng)];
        copy.card_number = rng.random_bool(0.5).then(|| card_number(rng));
    } else if rng.random_bool(0.4) {
        copy.card_number = None;
    }
    if rng.random_bool(0.5) {
        copy.gender = None;
    }
    copy
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::quality::phone::normalise_phone;

    fn today() -> Date {
        jiff::civil::date(2026, 12, 2)
    }

    #[test]
    fn the_same_seed_gives_the_same_people() {
        let a = generate(300, 42, 0.03, today());
        let b = generate(300, 42, 0.03, today());
        assert_eq!(a.records, b.records);
        assert_eq!(a.planted, b.planted);
        let c = generate(300, 43, 0.03, today());
        assert_ne!(a.records, c.records);
    }

    #[test]
    fn the_count_and_the_share_of_duplicates_hold() {
        let generated = generate(1000, 1, 0.03, today());
        assert_eq!(generated.records.len(), 1000);
        assert_eq!(generated.planted.len(), 30);
        let ids: std::collections::HashSet<_> = generated.records.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), 1000);
        for (a, b) in &generated.planted {
            assert!(a < b && ids.contains(a) && ids.contains(b));
        }
    }

    #[test]
    fn people_look_hungarian_and_live_mostly_in_the_district() {
        let generated = generate(2000, 5, 0.0, today());
        let in_xii = generated
            .records
            .iter()
            .filter(|r| r.addresses[0].district.as_deref() == Some("XII"))
            .count();
        assert!(in_xii > 1500 && in_xii < 1950, "{in_xii}");
        for record in &generated.records {
            let born = record.identity.birth_date.unwrap();
            assert!((1930..=2008).contains(&born.year()));
            assert!(!record.identity.family_name.is_empty());
            assert!(!record.identity.given_name.is_empty());
            for phone in &record.phones {
                assert_eq!(
                    normalise_phone(&phone.number).as_deref(),
                    Ok(&*phone.number)
                );
            }
            if let Some(card) = &record.card_number {
                assert_eq!(card.len(), 8);
            }
            assert!(record.created_at <= Timestamp::now());
        }
        assert!(generated.records.iter().any(|r| {
            r.identity
                .family_name
                .contains(['á', 'é', 'ó', 'ö', 'ő', 'ü', 'ű'])
        }));
    }

    #[test]
    fn a_duplicates_phone_is_written_differently_but_is_the_same_number() {
        let generated = generate(3000, 9, 0.1, today());
        let by_id: std::collections::HashMap<_, _> =
            generated.records.iter().map(|r| (r.id, r)).collect();
        let mut rewritten = 0;
        for (a, b) in &generated.planted {
            let (a, b) = (by_id[a], by_id[b]);
            if let (Some(pa), Some(pb)) = (a.phones.first(), b.phones.first())
                && pa.number != pb.number
                && normalise_phone(&pa.number) == normalise_phone(&pb.number)
            {
                rewritten += 1;
            }
        }
        assert!(rewritten > 50, "{rewritten}");
    }
}
