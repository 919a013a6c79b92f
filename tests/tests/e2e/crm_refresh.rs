//! The operators' side of the citizen records on a data folder: `varoskapu crm import`
//! brings in a CSV file of persons (each row checked as at the desk, the address register
//! included; refused rows named by line and field; a second run imports nothing twice) and
//! the office then finds them; `varoskapu crm refresh` and the server's background task
//! find what changed in the population register (a move, a new name) and the office's
//! search finds the record under its new data.
//!
//! The commands run in process through the same function the `varoskapu` binary calls,
//! with the server stopped, as the commands ask (the search index has one writer).

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::path::Path;
use std::time::Duration;
use varoskapu_core::audit::AuditStream;
use varoskapu_core::crm::PersonStore;
use varoskapu_core::crm::person::{Address, AddressKind, PersonRecord};
use varoskapu_core::crm::schedule::RefreshSchedule;
use varoskapu_core::crm::search::PageRequest;
use varoskapu_local::cli::CrmCommand;
use varoskapu_local::identity::{
    DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD, DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD,
};
use varoskapu_local::{LocalPorts, ServeConfig, serve};
use varoskapu_registry::{LocalRegistry, RegistryData};
use varoskapu_tests::registry_contract::DEMO_CITIZEN_REGISTRY_ID;

/// The local server (demo mode) on `dir`.
async fn serve_on(dir: tempfile::TempDir) -> World {
    let server = serve(ServeConfig {
        data_dir: dir.path().to_owned(),
        addr: "127.0.0.1:0".parse().expect("addr"),
    })
    .await
    .expect("server starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let base = server.url();
    World {
        server,
        dir,
        http,
        base,
    }
}

/// Stops the server, keeping its data folder.
async fn stop(world: World) -> tempfile::TempDir {
    let World { server, dir, .. } = world;
    server.stop().await.expect("stop");
    dir
}

/// `varoskapu crm …` on `dir`: exit status, stdout, stderr.
async fn crm_command(dir: &Path, command: CrmCommand) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = varoskapu_local::crm::run(dir, command, &mut out, &mut err)
        .await
        .expect("the command runs");
    (
        code,
        String::from_utf8(out).expect("utf-8"),
        String::from_utf8(err).expect("utf-8"),
    )
}

async fn import(dir: &Path, file: &Path) -> (i32, String, String) {
    crm_command(
        dir,
        CrmCommand::Import {
            file: file.to_owned(),
        },
    )
    .await
}

/// The ids the office's quick search finds for `q`.
async fn found(world: &World, clerk: &Person, q: &str) -> Vec<String> {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let page = world
        .ok(
            clerk,
            Method::GET,
            &format!("/crm/persons?q={q}&limit=50"),
            None,
        )
        .await;
    page["persons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_str().map(str::to_owned))
        .collect()
}

const PERSONS: &str = "\
family_name,given_name,birth_date,mother_birth_name,email,phone,postcode,city,street,number,tags
Lakatos,Bence,1990-05-17,Fekete Irén,lakatos.bence.teszt@citromail.hu,06 30 555 1234,1051,Budapest,Nádor utca,7,importált; idős
Hamis,Címzett,1971-01-01,,hamis.cimzett@citromail.hu,,1051,Budapest,Kitalált utca,3,
Elgépelt,Erzsébet,1980-02-02,,elgepelt@gmial.com,,,,,,
";

#[tokio::test]
async fn an_import_refuses_rows_by_line_and_field_imports_nothing_twice_and_the_office_finds_the_rest()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("lakosok.csv");
    std::fs::write(&file, PERSONS).expect("csv");

    let (code, out, err) = import(dir.path(), &file).await;
    assert_eq!(code, 1, "a refused row fails the command: {out} {err}");
    assert_eq!(
        out.trim(),
        "imported 1, already there 0, refused 2",
        "{err}"
    );
    let refusals: Vec<&str> = err.lines().collect();
    assert_eq!(refusals.len(), 2, "{err}");
    assert_eq!(
        refusals[0],
        "line 3: /addresses/0/street: is not in the address register"
    );
    assert!(refusals[1].starts_with("line 4: /emails/0: "), "{err}");

    // The same file again: nothing twice; the refused rows are refused again.
    let (code, out, _) = import(dir.path(), &file).await;
    assert_eq!(code, 1);
    assert_eq!(out.trim(), "imported 0, already there 1, refused 2");
    // Only the good row, its columns in another order and padded: already there, and a
    // clean run exits 0.
    let good = dir.path().join("egy.csv");
    std::fs::write(
        &good,
        "given_name , family_name,street,number,postcode,city,birth_date,mother_birth_name,email,phone,tags\n\
         Bence,Lakatos, Nádor utca ,7,1051,Budapest,1990-05-17,Fekete Irén,lakatos.bence.teszt@citromail.hu,06 30 555 1234,importált; idős\n",
    )
    .expect("csv");
    let (code, out, err) = import(dir.path(), &good).await;
    assert_eq!(
        (code, out.trim(), err.as_str()),
        (0, "imported 0, already there 1, refused 0", "")
    );

    // A column the import does not know stops it before any row, naming the column.
    let odd = dir.path().join("furcsa.csv");
    std::fs::write(&odd, "family_name,given_name,shoe_size\nKiss,Pál,44\n").expect("csv");
    let refused = varoskapu_local::crm::import(dir.path(), &odd)
        .await
        .expect_err("an unknown column");
    assert!(refused.to_string().contains("\"shoe_size\""), "{refused}");
    let nameless = dir.path().join("nevtelen.csv");
    std::fs::write(&nameless, "given_name,email\nPál,kiss.pal@citromail.hu\n").expect("csv");
    let refused = varoskapu_local::crm::import(dir.path(), &nameless)
        .await
        .expect_err("no family_name");
    assert!(refused.to_string().contains("family_name"), "{refused}");

    // The record is there once, checked against the address register, and the audit log
    // names the import as its maker.
    let world = serve_on(dir).await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let ids = found(&world, &clerk, "Lakatos Bence").await;
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(found(&world, &clerk, "06 30 555 1234").await, ids);
    assert!(found(&world, &clerk, "Hamis Címzett").await.is_empty());
    let store = PersonStore::new(world.server.ports.table.clone());
    let all = store.all().await.expect("records");
    let record = all
        .iter()
        .map(|s| &s.record)
        .find(|r| r.id.to_string() == ids[0])
        .expect("the record");
    assert_eq!(record.addresses[0].district.as_deref(), Some("V"));
    assert!(record.addresses[0].verified_at.is_some());
    assert_eq!(record.tags, ["importált", "idős"]);
    let audit = varoskapu_local::cases::audit_log(&world.server.ports).expect("audit");
    let trail = audit
        .trail(&AuditStream::person(record.id))
        .await
        .expect("trail");
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert_eq!(trail[0].action, "create");
    assert_eq!(trail[0].actor, varoskapu_core::cases::Actor::System);
    assert_eq!(trail[0].origin.as_deref(), Some("crm import lakosok.csv"));
    stop(world).await;
}

/// Writes the demo registry, changed by `change`, as the data folder's `registry.json`.
fn write_registry(dir: &Path, change: impl FnOnce(&mut RegistryData)) {
    let mut data = LocalRegistry::demo_data();
    change(&mut data);
    std::fs::write(
        dir.join(varoskapu_local::ports::REGISTRY_FILE),
        serde_json::to_vec_pretty(&data).expect("json"),
    )
    .expect("registry file");
}

fn moved(data: &mut RegistryData) {
    let anna = data
        .persons
        .iter_mut()
        .find(|p| p.registry_id == DEMO_CITIZEN_REGISTRY_ID)
        .expect("the demo citizen");
    anna.permanent_address = Some(Address {
        kind: AddressKind::Permanent,
        postcode: "1111".into(),
        city: "Budapest".into(),
        street: "Bartók Béla út".into(),
        number: "45.".into(),
        district: Some("XI".into()),
        valid_from: Some(jiff::civil::date(2026, 2, 1)),
        valid_until: None,
        verified_at: None,
    });
}

async fn demo_citizen_record(dir: &Path) -> PersonRecord {
    let ports = LocalPorts::open(dir, "http://127.0.0.1:8080").expect("folder");
    let account = varoskapu_local::identity::accounts(&ports)
        .find_by_email(DEMO_CITIZEN_EMAIL)
        .await
        .expect("lookup")
        .expect("account")
        .id
        .to_string();
    PersonStore::new(ports.table.clone())
        .by_account(&account)
        .await
        .expect("read")
        .expect("record")
        .record
}

#[tokio::test]
async fn the_refresh_by_hand_and_on_its_schedule_finds_the_registers_changes_and_the_office_finds_them()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    write_registry(dir.path(), |_| {});
    let world = serve_on(dir).await;
    let anna = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    crate::registry::identify_demo_citizen(&world, &anna).await;
    let dir = stop(world).await;

    // Nothing changed in the register: nothing to do.
    let (code, out, _) = crm_command(dir.path(), CrmCommand::Refresh).await;
    assert_eq!((code, out.trim()), (0, "checked 1, changed 0, failed 0"));

    // She moved to the XI. district: the refresh by hand records it, once.
    write_registry(dir.path(), moved);
    let (code, out, _) = crm_command(dir.path(), CrmCommand::Refresh).await;
    assert_eq!((code, out.trim()), (0, "checked 1, changed 1, failed 0"));
    let (_, out, _) = crm_command(dir.path(), CrmCommand::Refresh).await;
    assert_eq!(out.trim(), "checked 1, changed 0, failed 0");
    let record = demo_citizen_record(dir.path()).await;
    assert_eq!(record.flags, ["moved"]);

    // She took a new name: the background task on a short schedule finds it.
    write_registry(dir.path(), |data| {
        moved(data);
        let anna = data
            .persons
            .iter_mut()
            .find(|p| p.registry_id == DEMO_CITIZEN_REGISTRY_ID)
            .expect("the demo citizen");
        anna.identity.family_name = "Szabó-Kovács".into();
        anna.identity.birth_name = Some("Kovács Anna".into());
    });
    {
        let ports = LocalPorts::open(dir.path(), "http://127.0.0.1:8080").expect("folder");
        let crm = varoskapu_local::crm::crm(&ports).expect("crm");
        let task = varoskapu_local::registry_refresh::spawn(
            crm.clone(),
            ports.clock.clone(),
            RefreshSchedule::Every(Duration::from_secs(1)),
        )
        .expect("a schedule that is on");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        // Done when the index (which the run updates after the record) has the new name.
        let page = || PageRequest {
            limit: 10,
            after: None,
        };
        while !crm
            .index
            .quick("Szabó-Kovács", page())
            .await
            .expect("search")
            .ids
            .contains(&record.id)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the background refresh did not run"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        task.abort();
        let _ = task.await;
    }
    let record = demo_citizen_record(dir.path()).await;
    assert_eq!(record.flags, ["moved", "name_changed"]);
    assert!(
        varoskapu_local::registry_refresh::spawn(
            varoskapu_local::crm::crm(
                &LocalPorts::open(dir.path(), "http://127.0.0.1:8080").expect("folder")
            )
            .expect("crm"),
            std::sync::Arc::new(varoskapu_core::SystemClock),
            RefreshSchedule::Off,
        )
        .is_none(),
        "off starts nothing"
    );

    // The office finds her under her new name and address: the refresh re-indexed her.
    let world = serve_on(dir).await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let id = record.id.to_string();
    assert!(
        found(&world, &clerk, "Szabó-Kovács Anna")
            .await
            .contains(&id),
        "found by the new name"
    );
    assert!(
        found(&world, &clerk, "Bartók Béla út 45")
            .await
            .contains(&id),
        "found at the new address"
    );

    // The clerk has checked the move and marks it resolved; the other flag stays, and the
    // history says who resolved it. Resolving it again is refused, naming the flag.
    let read = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/crm/persons/{id}?purpose=data_quality"),
            None,
        )
        .await;
    let resolution = |version: u64| json!({"version": version, "flag": "moved"});
    let version = read["version"].as_u64().expect("version");
    let resolved = world
        .ok(
            &clerk,
            Method::POST,
            &format!("/crm/persons/{id}/flag-resolutions"),
            Some(resolution(version)),
        )
        .await;
    assert_eq!(
        resolved["person"]["flags"],
        json!(["name_changed"]),
        "{resolved}"
    );
    assert!(
        resolved["person"]["history"]
            .as_array()
            .expect("history")
            .iter()
            .any(|h| h["what"] == "flag_resolved"),
        "{resolved}"
    );
    let version = resolved["version"].as_u64().expect("version");
    let (status, problem) = world
        .call(
            &clerk,
            Method::POST,
            &format!("/crm/persons/{id}/flag-resolutions"),
            Some(resolution(version)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/flag", "{problem}");
    stop(world).await;
}
