//! The contract of the `PersonIndex` port (the CRM's search index), run on every engine:
//! the tantivy index in memory and in a folder, and the snapshot index on the folder blob
//! store and on S3.
//!
//! Each check starts from a rebuild with a handful of Hungarian persons, so the checks do
//! not depend on one another; `today` is fixed, so ages do not drift.

use jiff::civil::{Date, date};
use varoskapu_core::crm::person::{Gender, PersonId};
use varoskapu_core::crm::search::{
    Activity, ConsentKind, Criteria, Criterion, DocAddress, PageRequest, PersonDoc, PersonIndex,
    SearchError, SearchPage,
};

/// The day ages are counted on.
pub const TODAY: Date = date(2026, 6, 15);

/// A person id from a readable number (ids are UUIDs).
pub fn pid(n: u32) -> PersonId {
    serde_json::from_value(serde_json::json!(format!(
        "01900000-0000-7000-8000-{n:012}"
    )))
    .expect("a UUID")
}

/// A person with a name only; the fixtures fill in the rest.
pub fn person(n: u32, family: &str, given: &str) -> PersonDoc {
    PersonDoc {
        id: pid(n),
        family_name: family.into(),
        given_name: given.into(),
        birth_name: None,
        birth_date: None,
        gender: None,
        emails: vec![],
        phones: vec![],
        card_number: None,
        addresses: vec![],
        tags: vec![],
        groups: vec![],
        newsletter: false,
        sms: false,
        activity: vec![],
        merged: false,
    }
}

fn address(
    postcode: &str,
    city: &str,
    street: &str,
    number: &str,
    district: Option<&str>,
) -> DocAddress {
    DocAddress {
        postcode: postcode.into(),
        city: city.into(),
        street: street.into(),
        number: number.into(),
        district: district.map(Into::into),
    }
}

pub const JOZSEF: u32 = 1;
pub const JOZSEFNE: u32 = 2;
pub const EVA: u32 = 3;
pub const ODON: u32 = 4;
pub const GABOR: u32 = 5;
/// A duplicate of József merged into him: never in results.
pub const MERGED: u32 = 6;

/// The persons every check starts from.
pub fn persons() -> Vec<PersonDoc> {
    let mut jozsef = person(JOZSEF, "Kovács", "József");
    jozsef.birth_date = Some(date(1980, 6, 15));
    jozsef.gender = Some(Gender::Male);
    jozsef.emails = vec!["Kovacs.Jozsef@example.hu".into()];
    jozsef.phones = vec!["+36301234567".into()];
    jozsef.card_number = Some("123456AB".into());
    jozsef.addresses = vec![address(
        "1122",
        "Budapest",
        "Alkotás utca",
        "12",
        Some("XII"),
    )];
    jozsef.tags = vec!["vip".into()];
    jozsef.newsletter = true;
    jozsef.activity = vec![
        Activity::Case {
            case_type: "building_permit".into(),
            on: date(2026, 3, 10),
        },
        Activity::Payment {
            method: "card".into(),
            on: date(2026, 3, 11),
        },
    ];

    let mut jozsefne = person(JOZSEFNE, "Kovács", "Józsefné");
    jozsefne.birth_name = Some("Szőke Ünige".into());
    jozsefne.birth_date = Some(date(1982, 1, 1));
    jozsefne.gender = Some(Gender::Female);
    jozsefne.emails = vec!["unige@example.hu".into()];
    jozsefne.phones = vec!["+36705554433".into()];
    jozsefne.addresses = vec![address(
        "1122",
        "Budapest",
        "Alkotás utca",
        "120",
        Some("XII"),
    )];
    jozsefne.sms = true;
    jozsefne.activity = vec![Activity::Case {
        case_type: "parking_permit".into(),
        on: date(2025, 1, 5),
    }];

    let mut eva = person(EVA, "Nagy", "Éva");
    eva.birth_date = Some(date(2008, 6, 15));
    eva.gender = Some(Gender::Female);
    eva.addresses = vec![address("1011", "Budapest", "Fő utca", "3", Some("I"))];
    eva.groups = vec!["students".into()];

    let mut odon = person(ODON, "Nagy", "Ödön");
    odon.birth_date = Some(date(2008, 6, 16));
    odon.gender = Some(Gender::Male);
    odon.addresses = vec![address("1011", "Budapest", "Fő utca", "5", Some("I"))];
    odon.groups = vec!["students".into()];

    let mut gabor = person(GABOR, "Tóth", "Gábor");
    gabor.birth_date = Some(date(1950, 2, 1));
    gabor.gender = Some(Gender::Male);
    gabor.phones = vec!["+3612345678".into()];
    gabor.addresses = vec![address("7400", "Kaposvár", "Kossuth tér", "1", None)];
    gabor.newsletter = true;
    gabor.sms = true;
    gabor.activity = vec![Activity::Booking {
        office: "ugyfelszolgalat".into(),
        on: date(2020, 5, 1),
    }];

    let mut merged = jozsef.clone();
    merged.id = pid(MERGED);
    merged.merged = true;

    vec![jozsef, jozsefne, eva, odon, gabor, merged]
}

fn page(limit: usize) -> PageRequest {
    PageRequest { limit, after: None }
}

async fn quick(index: &dyn PersonIndex, text: &str) -> SearchPage {
    index.quick(text, page(50)).await.expect("quick search")
}

async fn quick_ids(index: &dyn PersonIndex, text: &str) -> Vec<PersonId> {
    quick(index, text).await.ids
}

async fn advanced_ids(index: &dyn PersonIndex, criteria: Criteria, today: Date) -> Vec<PersonId> {
    let found = index
        .advanced(&criteria, today, page(50))
        .await
        .expect("advanced search");
    assert_eq!(found.total, found.ids.len(), "{criteria:?}: total");
    found.ids
}

fn ids(numbers: &[u32]) -> Vec<PersonId> {
    numbers.iter().map(|n| pid(*n)).collect()
}

fn is(criterion: Criterion) -> Criteria {
    Criteria::Is(criterion)
}

async fn reset(index: &dyn PersonIndex) {
    index.rebuild(persons()).await.expect("rebuild");
}

/// Every check of the contract, each from a fresh rebuild.
pub async fn run(index: &dyn PersonIndex) {
    names_are_found_without_accents_by_prefix_and_with_a_typo(index).await;
    contacts_cards_and_addresses_are_found_exactly(index).await;
    advanced_search_combines_conditions(index).await;
    ages_turn_on_the_birthday(index).await;
    activity_is_found_by_kind_and_period(index).await;
    merged_records_are_never_returned(index).await;
    a_put_replaces_and_a_remove_removes(index).await;
    paging_walks_every_result_once(index).await;
    a_foreign_or_stale_cursor_is_refused(index).await;
    a_rebuild_replaces_everything(index).await;
}

pub async fn names_are_found_without_accents_by_prefix_and_with_a_typo(index: &dyn PersonIndex) {
    reset(index).await;
    let found = quick_ids(index, "kovacs jozsef").await;
    assert_eq!(
        found.first(),
        Some(&pid(JOZSEF)),
        "the exact name ranks first"
    );
    assert!(
        found.contains(&pid(JOZSEFNE)),
        "the last word is also a beginning"
    );
    assert_eq!(quick_ids(index, "KOVÁCS józsef").await[0], pid(JOZSEF));
    assert_eq!(quick_ids(index, "józsef kovács").await[0], pid(JOZSEF));
    let by_prefix = quick_ids(index, "kovac jozs").await;
    assert!(
        by_prefix.contains(&pid(JOZSEF)) && by_prefix.contains(&pid(JOZSEFNE)),
        "{by_prefix:?}"
    );
    assert_eq!(
        quick_ids(index, "kovasc jozsef").await[0],
        pid(JOZSEF),
        "typo"
    );
    assert_eq!(quick_ids(index, "nagy").await, ids(&[EVA, ODON]), "by name");
    // The birth name is searched too.
    assert_eq!(quick_ids(index, "szoke unige").await, ids(&[JOZSEFNE]));
    // Every word must match: one person's family name with another's given name is nobody.
    assert!(quick_ids(index, "toth eva").await.is_empty());
    // A short word is not guessed at: "nagi" is no typo of "nagy" (too short).
    assert!(quick_ids(index, "nagi eva").await.is_empty());
    let nobody = quick(index, "zzzzzz").await;
    assert_eq!((nobody.ids.len(), nobody.total, nobody.next), (0, 0, None));
    assert!(quick_ids(index, "   ").await.is_empty());
    assert!(quick_ids(index, "!!!").await.is_empty());
}

pub async fn contacts_cards_and_addresses_are_found_exactly(index: &dyn PersonIndex) {
    reset(index).await;
    for phone in [
        "06 30 123 4567",
        "+36 30 123 4567",
        "06-30/123-4567",
        "301234567",
    ] {
        assert_eq!(quick_ids(index, phone).await, ids(&[JOZSEF]), "{phone}");
    }
    assert_eq!(quick_ids(index, "06 1 234 5678").await, ids(&[GABOR]));
    assert!(
        quick_ids(index, "06 30 123 4568").await.is_empty(),
        "one digit off"
    );
    assert!(
        quick_ids(index, "06 30 123 456").await.is_empty(),
        "a digit short"
    );
    assert_eq!(
        quick_ids(index, "kovacs.jozsef@EXAMPLE.hu").await,
        ids(&[JOZSEF])
    );
    assert!(
        quick_ids(index, "kovacs.jozsef@example").await.is_empty(),
        "whole only"
    );
    assert_eq!(quick_ids(index, "123456ab").await, ids(&[JOZSEF]));
    assert!(quick_ids(index, "123456AC").await.is_empty());
    let at_12 = quick_ids(index, "Alkotás utca 12").await;
    assert_eq!(at_12.first(), Some(&pid(JOZSEF)), "{at_12:?}");
    assert_eq!(quick_ids(index, "alkotas utca 120").await, ids(&[JOZSEFNE]));
    assert_eq!(quick_ids(index, "1011").await, ids(&[EVA, ODON]));
    assert_eq!(quick_ids(index, "Kossuth tér").await, ids(&[GABOR]));
    assert!(quick_ids(index, "9999").await.is_empty());
}

pub async fn advanced_search_combines_conditions(index: &dyn PersonIndex) {
    reset(index).await;
    // Adult women in 1122 or among the students, not VIPs: five conditions.
    let criteria = Criteria::All(vec![
        is(Criterion::Gender {
            value: Gender::Female,
        }),
        Criteria::Any(vec![
            is(Criterion::Postcode {
                value: "1122".into(),
            }),
            is(Criterion::Group {
                value: "Students".into(),
            }),
        ]),
        Criteria::Not(Box::new(is(Criterion::Tag {
            value: "vip".into(),
        }))),
        is(Criterion::Age {
            min: Some(18),
            max: None,
        }),
    ]);
    assert_eq!(criteria.conditions(), 5);
    assert_eq!(
        advanced_ids(index, criteria.clone(), TODAY).await,
        ids(&[JOZSEFNE, EVA])
    );
    let Criteria::All(mut parts) = criteria else {
        unreachable!()
    };
    parts.push(is(Criterion::Consent {
        value: ConsentKind::Sms,
    }));
    assert_eq!(
        advanced_ids(index, Criteria::All(parts), TODAY).await,
        ids(&[JOZSEFNE])
    );
    // An empty All is everyone (merged records aside), by name; an empty Any is nobody.
    assert_eq!(
        advanced_ids(index, Criteria::All(vec![]), TODAY).await,
        ids(&[JOZSEF, JOZSEFNE, EVA, ODON, GABOR])
    );
    assert!(
        advanced_ids(index, Criteria::Any(vec![]), TODAY)
            .await
            .is_empty()
    );
    let street = |value: &str| {
        is(Criterion::Street {
            value: value.into(),
        })
    };
    assert_eq!(
        advanced_ids(index, street("ALKOTAS utca"), TODAY).await,
        ids(&[JOZSEF, JOZSEFNE])
    );
    assert_eq!(
        advanced_ids(index, street("Fő"), TODAY).await,
        ids(&[EVA, ODON])
    );
    assert!(
        advanced_ids(index, street("Alkot"), TODAY).await.is_empty(),
        "whole words"
    );
    assert!(
        advanced_ids(index, street("utca Alkotás"), TODAY)
            .await
            .is_empty()
    );
    assert_eq!(
        advanced_ids(
            index,
            is(Criterion::District {
                value: "xii".into()
            }),
            TODAY
        )
        .await,
        ids(&[JOZSEF, JOZSEFNE])
    );
    assert_eq!(
        advanced_ids(
            index,
            is(Criterion::Consent {
                value: ConsentKind::Newsletter
            }),
            TODAY
        )
        .await,
        ids(&[JOZSEF, GABOR])
    );
}

pub async fn ages_turn_on_the_birthday(index: &dyn PersonIndex) {
    reset(index).await;
    let age = |min: Option<u32>, max: Option<u32>| is(Criterion::Age { min, max });
    // Éva is 18 today; Ödön turns 18 tomorrow; József is 46 today.
    assert_eq!(
        advanced_ids(index, age(Some(18), Some(18)), TODAY).await,
        ids(&[EVA])
    );
    assert_eq!(
        advanced_ids(index, age(None, Some(17)), TODAY).await,
        ids(&[ODON])
    );
    let tomorrow = TODAY.tomorrow().expect("a day");
    assert_eq!(
        advanced_ids(index, age(Some(18), Some(18)), tomorrow).await,
        ids(&[EVA, ODON])
    );
    let yesterday = TODAY.yesterday().expect("a day");
    assert!(
        advanced_ids(index, age(Some(18), Some(18)), yesterday)
            .await
            .is_empty()
    );
    assert_eq!(
        advanced_ids(index, age(Some(46), Some(46)), TODAY).await,
        ids(&[JOZSEF])
    );
    assert_eq!(
        advanced_ids(index, age(Some(45), Some(45)), yesterday).await,
        ids(&[JOZSEF])
    );
    assert_eq!(
        advanced_ids(index, age(Some(47), None), TODAY).await,
        ids(&[GABOR])
    );
    assert!(
        advanced_ids(index, age(Some(30), Some(20)), TODAY)
            .await
            .is_empty()
    );
}

pub async fn activity_is_found_by_kind_and_period(index: &dyn PersonIndex) {
    reset(index).await;
    let had = |case_type: &str, from: Option<Date>, to: Option<Date>| {
        is(Criterion::HadCase {
            case_type: case_type.into(),
            from,
            to,
        })
    };
    // József's building permit was submitted on 2026-03-10.
    let march = had(
        "building_permit",
        Some(date(2026, 3, 1)),
        Some(date(2026, 3, 31)),
    );
    assert_eq!(advanced_ids(index, march, TODAY).await, ids(&[JOZSEF]));
    let on_the_day = had(
        "building_permit",
        Some(date(2026, 3, 10)),
        Some(date(2026, 3, 10)),
    );
    assert_eq!(advanced_ids(index, on_the_day, TODAY).await, ids(&[JOZSEF]));
    let after = had("building_permit", Some(date(2026, 3, 11)), None);
    assert!(advanced_ids(index, after, TODAY).await.is_empty());
    let before = had("building_permit", None, Some(date(2026, 3, 9)));
    assert!(advanced_ids(index, before, TODAY).await.is_empty());
    let other_type = had(
        "parking_permit",
        Some(date(2026, 3, 1)),
        Some(date(2026, 3, 31)),
    );
    assert!(advanced_ids(index, other_type, TODAY).await.is_empty());
    assert_eq!(
        advanced_ids(index, had("parking_permit", None, None), TODAY).await,
        ids(&[JOZSEFNE])
    );
    assert!(
        advanced_ids(index, had("building", None, None), TODAY)
            .await
            .is_empty()
    );
    assert_eq!(
        advanced_ids(
            index,
            is(Criterion::PaidBy {
                method: "card".into()
            }),
            TODAY
        )
        .await,
        ids(&[JOZSEF])
    );
    assert_eq!(
        advanced_ids(
            index,
            is(Criterion::BookedAt {
                office: "ugyfelszolgalat".into()
            }),
            TODAY
        )
        .await,
        ids(&[GABOR])
    );
    // Nothing since 2025-06-01: Józsefné (last in January 2025), the Nagys (never), Gábor
    // (2020); not József (March 2026).
    let quiet = is(Criterion::NoActivitySince {
        since: date(2025, 6, 1),
    });
    assert_eq!(
        advanced_ids(index, quiet, TODAY).await,
        ids(&[JOZSEFNE, EVA, ODON, GABOR])
    );
    // "Since" includes the day itself.
    let since_the_payment = is(Criterion::NoActivitySince {
        since: date(2026, 3, 11),
    });
    assert!(
        !advanced_ids(index, since_the_payment, TODAY)
            .await
            .contains(&pid(JOZSEF))
    );
    let after_the_payment = is(Criterion::NoActivitySince {
        since: date(2026, 3, 12),
    });
    assert!(
        advanced_ids(index, after_the_payment, TODAY)
            .await
            .contains(&pid(JOZSEF))
    );
}

pub async fn merged_records_are_never_returned(index: &dyn PersonIndex) {
    reset(index).await;
    // The merged duplicate shares József's name, e-mail, phone and card.
    for text in [
        "kovacs jozsef",
        "+36301234567",
        "kovacs.jozsef@example.hu",
        "123456AB",
        "1122",
    ] {
        let found = quick(index, text).await;
        assert!(!found.ids.contains(&pid(MERGED)), "{text}");
        assert_eq!(
            found.total,
            found.ids.len(),
            "{text}: total counts no merged record"
        );
    }
    let not_vip = Criteria::Not(Box::new(is(Criterion::Tag {
        value: "vip".into(),
    })));
    assert!(
        !advanced_ids(index, not_vip, TODAY)
            .await
            .contains(&pid(MERGED))
    );
    // The index holds it (it is replaced like any other), it is just never shown.
    assert_eq!(index.len().await.expect("len"), 6);
}

pub async fn a_put_replaces_and_a_remove_removes(index: &dyn PersonIndex) {
    reset(index).await;
    let mut eva = persons().remove(2);
    eva.family_name = "Szabó".into();
    eva.emails = vec!["eva@example.hu".into()];
    index.put(vec![eva]).await.expect("put");
    assert_eq!(
        quick_ids(index, "nagy").await,
        ids(&[ODON]),
        "the old name is gone"
    );
    assert_eq!(quick_ids(index, "szabo eva").await, ids(&[EVA]));
    assert_eq!(quick_ids(index, "eva@example.hu").await, ids(&[EVA]));
    assert_eq!(index.len().await.expect("len"), 6, "replaced, not added");
    // A merge arriving as a put hides the record at once.
    let mut jozsef = persons().remove(0);
    jozsef.merged = true;
    index.put(vec![jozsef]).await.expect("put");
    assert!(quick_ids(index, "123456AB").await.is_empty());

    index.remove(&[pid(ODON), pid(999)]).await.expect("remove");
    assert!(quick_ids(index, "nagy odon").await.is_empty());
    assert_eq!(quick_ids(index, "1011").await, ids(&[EVA]));
    assert_eq!(index.len().await.expect("len"), 5);
    index.remove(&[]).await.expect("an empty remove");
}

/// `n` persons of one family, for paging.
pub fn family(n: u32) -> Vec<PersonDoc> {
    (0..n)
        .map(|i| {
            let mut p = person(100 + i, "Teszt", &format!("Elek{:03}", (i * 37) % n));
            p.addresses = vec![address(
                "4025",
                "Debrecen",
                "Piac utca",
                &i.to_string(),
                None,
            )];
            p
        })
        .collect()
}

async fn walk(
    next_page: impl AsyncFn(PageRequest) -> SearchPage,
    limit: usize,
) -> (Vec<PersonId>, usize) {
    let mut seen = Vec::new();
    let mut request = page(limit);
    let mut pages = 0;
    let total = loop {
        let found = next_page(request.clone()).await;
        assert!(found.ids.len() <= limit);
        seen.extend(found.ids);
        pages += 1;
        assert!(pages < 1000, "paging does not end");
        match found.next {
            Some(cursor) => request.after = Some(cursor),
            None => break found.total,
        }
    };
    (seen, total)
}

pub async fn paging_walks_every_result_once(index: &dyn PersonIndex) {
    index.rebuild(family(230)).await.expect("rebuild");
    let everyone = Criteria::All(vec![]);
    let (seen, total) = walk(
        async |request| {
            index
                .advanced(&everyone, TODAY, request)
                .await
                .expect("page")
        },
        7,
    )
    .await;
    assert_eq!(total, 230);
    assert_eq!(seen.len(), 230, "every person once");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 230, "no repeats");
    // In name order: Elek000, Elek001, …
    let in_order: Vec<PersonId> = {
        let mut all = family(230);
        all.sort_by(|a, b| a.given_name.cmp(&b.given_name));
        all.iter().map(|p| p.id).collect()
    };
    assert_eq!(seen, in_order);

    let (seen, total) = walk(
        async |request| index.quick("teszt", request).await.expect("page"),
        50,
    )
    .await;
    assert_eq!((seen.len(), total), (230, 230));

    // No page is larger than 200; a limit of 0 means the default page.
    let big = index.quick("teszt", page(10_000)).await.expect("page");
    assert_eq!((big.ids.len(), big.total), (200, 230));
    let default = index.quick("teszt", page(0)).await.expect("page");
    assert_eq!(default.ids.len(), 50);

    // A change between pages: the last person shown is removed; paging goes on after
    // where they were, repeating and skipping no one.
    let first = index
        .advanced(&everyone, TODAY, page(10))
        .await
        .expect("page");
    let last = *first.ids.last().expect("a full page");
    index.remove(&[last]).await.expect("remove");
    let rest = index
        .advanced(
            &everyone,
            TODAY,
            PageRequest {
                limit: 300,
                after: first.next.clone(),
            },
        )
        .await
        .expect("next page");
    assert_eq!(rest.ids.len(), 200);
    assert_eq!(rest.ids[0], in_order[10]);
    assert!(rest.ids.iter().all(|id| !first.ids.contains(id)));
}

pub async fn a_foreign_or_stale_cursor_is_refused(index: &dyn PersonIndex) {
    index.rebuild(family(30)).await.expect("rebuild");
    let everyone = Criteria::All(vec![]);
    let first = index
        .advanced(&everyone, TODAY, page(5))
        .await
        .expect("page");
    let cursor = first.next.clone().expect("a next page");
    let with = |after: &str| PageRequest {
        limit: 5,
        after: Some(after.to_owned()),
    };
    for forged in ["", "garbage", "eyJnIjoxfQ", "%%%%", &cursor[1..]] {
        assert_eq!(
            index.advanced(&everyone, TODAY, with(forged)).await,
            Err(SearchError::BadCursor),
            "{forged:?}"
        );
        assert_eq!(
            index.quick("teszt", with(forged)).await,
            Err(SearchError::BadCursor)
        );
    }
    // A cursor belongs to its search.
    assert_eq!(
        index.quick("teszt", with(&cursor)).await,
        Err(SearchError::BadCursor)
    );
    let other = Criteria::Any(vec![everyone.clone()]);
    assert_eq!(
        index.advanced(&other, TODAY, with(&cursor)).await,
        Err(SearchError::BadCursor)
    );
    // Still good for its own search after an ordinary write…
    index
        .put(vec![person(999, "Aaron", "Új")])
        .await
        .expect("put");
    assert!(
        index
            .advanced(&everyone, TODAY, with(&cursor))
            .await
            .is_ok()
    );
    // …but not after a rebuild.
    index.rebuild(family(30)).await.expect("rebuild");
    assert_eq!(
        index.advanced(&everyone, TODAY, with(&cursor)).await,
        Err(SearchError::BadCursor)
    );
}

pub async fn a_rebuild_replaces_everything(index: &dyn PersonIndex) {
    reset(index).await;
    let gabor = persons().remove(4);
    index.rebuild(vec![gabor]).await.expect("rebuild");
    assert_eq!(index.len().await.expect("len"), 1);
    assert!(quick_ids(index, "kovacs").await.is_empty());
    assert_eq!(quick_ids(index, "toth gabor").await, ids(&[GABOR]));
    index.rebuild(vec![]).await.expect("rebuild to nothing");
    assert_eq!(index.len().await.expect("len"), 0);
    assert!(
        advanced_ids(index, Criteria::All(vec![]), TODAY)
            .await
            .is_empty()
    );
}
