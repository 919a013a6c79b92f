//! The national registries end to end on the running local server (over the demo
//! district's local registry): citizens identify themselves against the population
//! register, and the resident parking permit is granted automatically only when the
//! registry confirms the applicant's residence in the district and that she keeps the
//! vehicle; otherwise the case goes to a clerk with the reason in the note the office
//! sees — never on the form's own claims.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use varoskapu_core::crm::store::PersonStore;
use varoskapu_local::identity::*;

/// The demo citizen's natural identity as the population register holds it.
pub fn demo_citizen_identity() -> Value {
    json!({
        "family_name": "Kovács",
        "given_name": "Anna",
        "birth_place": "Budapest",
        "birth_date": "1985-04-12",
        "mother_birth_name": "Szabó Mária"
    })
}

/// Török Levente of Hold utca, whose car (`LZG-204`) a leasing company keeps.
fn leasing_driver_identity() -> Value {
    json!({
        "family_name": "Török",
        "given_name": "Levente",
        "birth_place": "Budapest",
        "birth_date": "1982-02-02",
        "mother_birth_name": "Pintér Ágota"
    })
}

/// Identifies the signed-in citizen against the server's registry as she would from the
/// portal (`POST /me/identification`); the answer.
pub async fn identify(world: &World, who: &Person, identity: Value) -> (StatusCode, Value) {
    world
        .call(who, Method::POST, "/me/identification", Some(identity))
        .await
}

/// Identifies the demo citizen Kovács Anna, as the tests of automatic decisions need.
pub async fn identify_demo_citizen(world: &World, who: &Person) {
    let (status, answer) = identify(world, who, demo_citizen_identity()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["result"], "identified", "{answer}");
}

/// The account id behind an e-mail address.
async fn account_of(world: &World, email: &str) -> String {
    varoskapu_local::identity::accounts(&world.server.ports)
        .find_by_email(email)
        .await
        .expect("lookup")
        .expect("account")
        .id
        .to_string()
}

/// Drafts, documents and submits a parking permit; the case's id and the submission's
/// answer.
async fn apply_for_parking(world: &World, who: &Person, form: Value) -> (String, Value) {
    let case = world.draft(who, "resident-parking-permit", form).await;
    let (status, document) = world
        .attach(who, &case, "vehicle_registration", PDF, "application/pdf")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{document}");
    let (status, submitted) = world.submit(who, &case, None).await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    (case, submitted)
}

fn form(postcode: &str, street: &str, plate: &str) -> Value {
    json!({
        "address": {"postcode": postcode, "city": "Budapest", "street": street},
        "vehicle": {"plate": plate, "keeper": "applicant"}
    })
}

/// The system's notes of a case as a clerk reads them.
async fn notes(world: &World, case: &str) -> Vec<String> {
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let notes = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/backoffice/cases/{case}/notes"),
            None,
        )
        .await;
    notes
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n["text"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_identified_resident_who_keeps_her_car_is_granted_the_parking_permit_automatically() {
    let world = World::start().await;
    let anna = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    identify_demo_citizen(&world, &anna).await;

    // The record says she was identified against the registry, with the register's data.
    let account = account_of(&world, DEMO_CITIZEN_EMAIL).await;
    let record = PersonStore::new(world.server.ports.table.clone())
        .by_account(&account)
        .await
        .expect("read")
        .expect("a record linked to the account")
        .record;
    let identified = record.identified.as_ref().expect("identified");
    assert_eq!(identified.registry, "local");
    assert_eq!(identified.channel, "sign_in");
    assert!(
        record
            .addresses
            .iter()
            .any(|a| a.postcode == "1051" && a.district.as_deref() == Some("V")),
        "{record:?}"
    );

    // Her own car, at her registered address.
    let (_, decided) = apply_for_parking(
        &world,
        &anna,
        form("1051", "Október 6. utca 12.", "ABC-123"),
    )
    .await;
    assert_eq!(decided["status"], "decided", "{decided}");
    assert_eq!(decided["decision"]["automatic"], true);
    assert_eq!(decided["decision"]["outcome"], "approve");
    assert!(
        decided["decision"]["reasoning"]
            .as_str()
            .is_some_and(|r| r.contains("nyilvántartások szerint")),
        "{decided}"
    );
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn a_car_the_registry_shows_kept_by_a_leasing_company_goes_to_a_clerk_with_the_reason() {
    let world = World::start().await;
    let levente = world
        .new_person_named("torok.levente@example.hu", "Török Levente", "citizen")
        .await;
    let (status, answer) = identify(&world, &levente, leasing_driver_identity()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["result"], "identified", "{answer}");

    // He lives in the district and says he keeps the car: the vehicle register disagrees.
    let (case, submitted) =
        apply_for_parking(&world, &levente, form("1054", "Hold utca 21.", "LZG-204")).await;
    assert_eq!(submitted["status"], "submitted", "{submitted}");
    assert!(submitted["decision"].is_null(), "{submitted}");
    let notes = notes(&world, &case).await;
    assert!(
        notes
            .iter()
            .any(|n| n
                .contains("a nyilvántartás szerint a gépjármű üzemben tartója nem a kérelmező")),
        "{notes:?}"
    );
    assert!(
        !notes.iter().any(|n| n.contains("lakóhelye")),
        "residence was confirmed: {notes:?}"
    );

    // The office's case page shows the reason to the clerk.
    let mut office = nojs::Browser::new(&world);
    let page = office
        .sign_in(
            DEMO_CLERK_EMAIL,
            DEMO_CLERK_PASSWORD,
            &format!("/office/cases/{case}"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("a nyilvántartás szerint a gépjármű üzemben tartója nem a kérelmező"),
        "{}",
        page.body
    );
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn a_citizen_not_identified_goes_to_a_clerk_even_when_the_form_claims_everything() {
    let world = World::start().await;
    let stranger = world
        .new_person_named("uj.lako@example.hu", "Új Lakó", "citizen")
        .await;
    // The form claims an address in the district and a car kept by the applicant, and
    // even names the demo citizen's car.
    let (case, submitted) = apply_for_parking(
        &world,
        &stranger,
        form("1051", "Október 6. utca 12.", "ABC-123"),
    )
    .await;
    assert_eq!(submitted["status"], "submitted", "{submitted}");
    let notes = notes(&world, &case).await;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("a kérelmező nincs azonosítva a nyilvántartásban")),
        "{notes:?}"
    );
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn an_identity_the_register_does_not_confirm_identifies_nobody_and_grants_nothing() {
    let world = World::start().await;
    let impostor = world
        .new_person_named("kovacs.anna.masik@example.hu", "Kovács Anna", "citizen")
        .await;
    // Her name and birth date, another mother: the differing field is named.
    let mut guess = demo_citizen_identity();
    guess["mother_birth_name"] = json!("Kiss Ilona");
    let (status, answer) = identify(&world, &impostor, guess).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["result"], "differs", "{answer}");
    assert_eq!(answer["fields"], json!(["mother_birth_name"]));
    // Her whole identity, typed in by someone else: she is identified on her own account
    // already, so it cannot be borrowed for this one.
    let anna = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    identify_demo_citizen(&world, &anna).await;
    let (status, problem) = identify(&world, &impostor, demo_citizen_identity()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["type"], "urn:varoskapu:problem:crm:account-taken");
    // Nobody of that name born that day.
    let mut nobody = demo_citizen_identity();
    nobody["birth_date"] = json!("1985-04-13");
    let (_, answer) = identify(&world, &impostor, nobody).await;
    assert_eq!(answer["result"], "no_match", "{answer}");
    // A malformed identity is refused with problem+json.
    let (status, _) = identify(&world, &impostor, json!({"family_name": "Kovács"})).await;
    assert!(status.is_client_error(), "{status}");

    let account = account_of(&world, "kovacs.anna.masik@example.hu").await;
    let record = PersonStore::new(world.server.ports.table.clone())
        .by_account(&account)
        .await
        .expect("read");
    assert!(
        record.is_none_or(|r| r.record.identified.is_none()),
        "not identified"
    );
    let (case, submitted) = apply_for_parking(
        &world,
        &impostor,
        form("1051", "Október 6. utca 12.", "ABC-123"),
    )
    .await;
    assert_eq!(submitted["status"], "submitted", "{submitted}");
    assert!(
        notes(&world, &case)
            .await
            .iter()
            .any(|n| n.contains("nincs azonosítva")),
    );
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn an_identified_citizen_living_outside_the_district_goes_to_a_clerk() {
    let world = World::start().await;
    let katalin = world
        .new_person_named("toth.katalin@example.hu", "Tóth Katalin", "citizen")
        .await;
    // Tóth Katalin lives in the XI. district; her temporary address is in Hold utca (V.).
    let (_, answer) = identify(
        &world,
        &katalin,
        json!({"family_name": "Tóth", "given_name": "Katalin", "birth_date": "1990-02-27",
               "birth_place": "Szeged", "mother_birth_name": "Varga Ilona"}),
    )
    .await;
    assert_eq!(answer["result"], "identified", "{answer}");
    // Her temporary address counts as residence: her own car is granted.
    let (_, decided) =
        apply_for_parking(&world, &katalin, form("1054", "Hold utca 7.", "RTZ-789")).await;
    assert_eq!(decided["status"], "decided", "{decided}");

    // Fehér Mónika lives in the VI. district only.
    let monika = world
        .new_person_named("feher.monika@example.hu", "Fehér Mónika", "citizen")
        .await;
    let (_, answer) = identify(
        &world,
        &monika,
        json!({"family_name": "Fehér", "given_name": "Mónika", "birth_date": "1979-10-30",
               "birth_place": "Tatabánya", "mother_birth_name": "Kocsis Jolán"}),
    )
    .await;
    assert_eq!(answer["result"], "identified", "{answer}");
    // The form claims a district address; the register says otherwise.
    let (case, submitted) =
        apply_for_parking(&world, &monika, form("1052", "Váci utca 1.", "NGY-220")).await;
    assert_eq!(submitted["status"], "submitted", "{submitted}");
    let notes = notes(&world, &case).await;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("sem a kérelmező lakóhelye, sem a tartózkodási helye")),
        "{notes:?}"
    );
    world.server.stop().await.expect("stop");
}
