//! The contract of the `Registry` port: what every registry (the local one, the HTTP
//! client against a service) answers about the demo district's data
//! (`infra/registry/data/demo-registry.json`). Run it against a registry seeded with
//! that data.

use jiff::civil::date;
use varoskapu_core::crm::person::NaturalIdentity;
use varoskapu_core::crm::registry::{
    AddressCheck, DocumentCheck, DocumentKind, PersonMatch, Registry, VehicleCheck,
};

/// The demo citizen as she would give her natural identity.
pub fn demo_citizen() -> NaturalIdentity {
    NaturalIdentity {
        family_name: "Kovács".into(),
        given_name: "Anna".into(),
        birth_name: None,
        birth_place: Some("Budapest".into()),
        birth_date: Some(date(1985, 4, 12)),
        mother_birth_name: Some("Szabó Mária".into()),
    }
}

/// The demo citizen's register key.
pub const DEMO_CITIZEN_REGISTRY_ID: &str = "SZL-0001";

/// Runs every check of the contract.
pub async fn run(registry: &dyn Registry) {
    assert!(!registry.name().is_empty(), "a registry names itself");
    persons(registry).await;
    addresses(registry).await;
    vehicles(registry).await;
    documents(registry).await;
}

async fn persons(registry: &dyn Registry) {
    // The whole identity: a match with what the register holds.
    let PersonMatch::Match { person } = registry.person(&demo_citizen()).await.expect("answer")
    else {
        panic!("the demo citizen matches");
    };
    assert_eq!(person.registry_id, DEMO_CITIZEN_REGISTRY_ID);
    assert_eq!(person.identity.family_name, "Kovács");
    let home = person
        .permanent_address
        .as_ref()
        .expect("a permanent address");
    assert_eq!(home.postcode, "1051");
    assert_eq!(home.district.as_deref(), Some("V"));
    assert_eq!(person.card_number.as_deref(), Some("123456AB"));
    assert_eq!(person.deceased_on, None);

    // Accents, case and spacing do not matter.
    let folded = NaturalIdentity {
        family_name: "KOVACS".into(),
        given_name: " anna ".into(),
        birth_place: Some("budapest".into()),
        mother_birth_name: Some("Szabo  Maria".into()),
        ..demo_citizen()
    };
    assert!(matches!(
        registry.person(&folded).await.expect("answer"),
        PersonMatch::Match { person } if person.registry_id == DEMO_CITIZEN_REGISTRY_ID
    ));

    // Only the name and birth date given: a match (nothing else to compare).
    let bare = NaturalIdentity {
        birth_place: None,
        mother_birth_name: None,
        ..demo_citizen()
    };
    assert!(matches!(
        registry.person(&bare).await.expect("answer"),
        PersonMatch::Match { .. }
    ));

    // Someone claiming her identity with another mother's name: the field is named.
    let impostor = NaturalIdentity {
        mother_birth_name: Some("Kiss Ilona".into()),
        ..demo_citizen()
    };
    assert_eq!(
        registry.person(&impostor).await.expect("answer"),
        PersonMatch::Differs {
            fields: vec!["mother_birth_name".into()]
        }
    );
    let two = NaturalIdentity {
        birth_place: Some("Debrecen".into()),
        mother_birth_name: Some("Kiss Ilona".into()),
        ..demo_citizen()
    };
    let PersonMatch::Differs { mut fields } = registry.person(&two).await.expect("answer") else {
        panic!("two differing fields");
    };
    fields.sort();
    assert_eq!(fields, ["birth_place", "mother_birth_name"]);

    // A birth name given that the register holds otherwise.
    let married = NaturalIdentity {
        family_name: "Szilágyi-Kovács".into(),
        given_name: "Emese".into(),
        birth_name: Some("Szilágyi Emese".into()),
        birth_place: Some("Budapest".into()),
        birth_date: Some(date(1987, 6, 16)),
        mother_birth_name: Some("Bíró Zsuzsanna".into()),
    };
    assert!(matches!(
        registry.person(&married).await.expect("answer"),
        PersonMatch::Match { .. }
    ));
    let wrong_birth_name = NaturalIdentity {
        birth_name: Some("Kovács Emese".into()),
        ..married
    };
    assert_eq!(
        registry.person(&wrong_birth_name).await.expect("answer"),
        PersonMatch::Differs {
            fields: vec!["birth_name".into()]
        }
    );

    // Her namesake born on another day is another person; an unknown day is no match.
    let namesake = NaturalIdentity {
        birth_date: Some(date(1992, 8, 30)),
        birth_place: Some("Kecskemét".into()),
        mother_birth_name: Some("Lengyel Piroska".into()),
        ..demo_citizen()
    };
    assert!(matches!(
        registry.person(&namesake).await.expect("answer"),
        PersonMatch::Match { person } if person.registry_id != DEMO_CITIZEN_REGISTRY_ID
    ));
    let unknown_day = NaturalIdentity {
        birth_date: Some(date(1985, 4, 13)),
        ..demo_citizen()
    };
    assert_eq!(
        registry.person(&unknown_day).await.expect("answer"),
        PersonMatch::NoMatch
    );
    let nobody = NaturalIdentity {
        family_name: "Senki".into(),
        given_name: "Sándor".into(),
        ..demo_citizen()
    };
    assert_eq!(
        registry.person(&nobody).await.expect("answer"),
        PersonMatch::NoMatch
    );
    let no_date = NaturalIdentity {
        birth_date: None,
        ..demo_citizen()
    };
    assert_eq!(
        registry.person(&no_date).await.expect("answer"),
        PersonMatch::NoMatch
    );

    // By register key: the same person; an unknown key is none.
    let by_id = registry
        .person_by_id(DEMO_CITIZEN_REGISTRY_ID)
        .await
        .expect("answer")
        .expect("known");
    assert_eq!(by_id, person);
    assert_eq!(
        registry.person_by_id("SZL-9999").await.expect("answer"),
        None
    );
    assert_eq!(
        registry
            .person_by_id("../persons/SZL-0001")
            .await
            .expect("answer"),
        None,
        "a key is a key, never a path"
    );
}

async fn addresses(registry: &dyn Registry) {
    for (postcode, street, number) in [
        ("1051", "Október 6. utca", "12."),
        ("1052", "Váci utca", "18. 2. em. 5."),
        ("1054", "Hold utca", "7/B"),
        ("1055", "Falk Miksa utca", "32"),
        ("1053", "kálvin tér", "1"),
    ] {
        assert_eq!(
            registry
                .address(postcode, street, number)
                .await
                .expect("answer"),
            AddressCheck::Valid {
                district: "V".into(),
                city: "Budapest".into()
            },
            "{postcode} {street} {number}"
        );
    }
    assert!(matches!(
        registry.address("1111", "Bartók Béla út", "45.").await.expect("answer"),
        AddressCheck::Valid { district, .. } if district == "XI"
    ));
    for (postcode, street, number, field) in [
        ("1051", "Nincs ilyen utca", "1", "street"),
        ("1051", "Október 6. utca", "99", "number"),
        ("1051", "Október 6. utca", "", "number"),
        ("1052", "Falk Miksa utca", "5", "postcode"),
        ("9999", "Váci utca", "1", "postcode"),
    ] {
        assert_eq!(
            registry
                .address(postcode, street, number)
                .await
                .expect("answer"),
            AddressCheck::Invalid {
                field: field.into()
            },
            "{postcode} {street} {number}"
        );
    }
}

async fn vehicles(registry: &dyn Registry) {
    let kept = VehicleCheck::KeptBy {
        registry_id: DEMO_CITIZEN_REGISTRY_ID.into(),
    };
    for plate in ["ABC-123", "abc 123", "ABC123", " abc-123 "] {
        assert_eq!(
            registry.vehicle(plate).await.expect("answer"),
            kept,
            "{plate}"
        );
    }
    // A leased car: kept by the leasing company, not by the person who drives it.
    let VehicleCheck::KeptBy { registry_id } = registry.vehicle("LZG-204").await.expect("answer")
    else {
        panic!("the leased car is registered");
    };
    assert!(registry_id.starts_with("CEG-"), "{registry_id}");
    assert_eq!(
        registry.vehicle("AAAA-123").await.expect("answer"),
        VehicleCheck::KeptBy {
            registry_id: "SZL-0004".into()
        }
    );
    for plate in ["XYZ-999", "", "ABC/123", "../persons/SZL-0001"] {
        assert_eq!(
            registry.vehicle(plate).await.expect("answer"),
            VehicleCheck::NotRegistered,
            "{plate}"
        );
    }
}

async fn documents(registry: &dyn Registry) {
    assert!(matches!(
        registry
            .document(DocumentKind::IdentityCard, "123456AA")
            .await
            .expect("answer"),
        DocumentCheck::Valid {
            expires_on: Some(_),
            holder: Some(h),
        } if h == DEMO_CITIZEN_REGISTRY_ID
    ));
    assert!(matches!(
        registry
            .document(DocumentKind::AddressCard, "123456ab")
            .await
            .expect("answer"),
        DocumentCheck::Valid { .. }
    ));
    for (kind, number, reason) in [
        (DocumentKind::IdentityCard, "234567AA", "expired"),
        (DocumentKind::IdentityCard, "345678AA", "stolen"),
        (DocumentKind::Passport, "BE7654321", "lost"),
    ] {
        assert_eq!(
            registry.document(kind, number).await.expect("answer"),
            DocumentCheck::Invalid {
                reason: reason.into()
            },
            "{number}"
        );
    }
    // A number of one kind is not valid as another kind.
    assert_eq!(
        registry
            .document(DocumentKind::Passport, "123456AA")
            .await
            .expect("answer"),
        DocumentCheck::Unknown
    );
    assert_eq!(
        registry
            .document(DocumentKind::IdentityCard, "000000XX")
            .await
            .expect("answer"),
        DocumentCheck::Unknown
    );
}
