//! The operators' identity commands, run as the `varoskapu` binary on a data folder.

use serde_json::Value;
use std::process::Command;

fn varoskapu(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_varoskapu"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .expect("runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn clients_are_added_listed_and_removed_and_keys_rotate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, out) = varoskapu(
        dir.path(),
        &[
            "clients",
            "add",
            "--name",
            "Parkolás",
            "--redirect-uri",
            "https://parking.example/cb",
            "--first-party",
            "--json",
        ],
    );
    assert!(ok, "{out}");
    let added: Value = serde_json::from_str(out.trim()).expect("json");
    let id = added["client_id"].as_str().expect("id").to_owned();
    assert!(added["client_secret"].as_str().expect("secret").len() >= 43);

    let (ok, out) = varoskapu(
        dir.path(),
        &[
            "clients",
            "add",
            "--name",
            "SPA",
            "--redirect-uri",
            "https://spa.example/cb",
            "--public",
            "--json",
        ],
    );
    assert!(ok);
    assert!(serde_json::from_str::<Value>(out.trim()).expect("json")["client_secret"].is_null());

    let (ok, out) = varoskapu(
        dir.path(),
        &[
            "clients",
            "add",
            "--name",
            "Régi partner",
            "--redirect-uri",
            "https://legacy.example/cb",
            "--id-token-alg",
            "RS256",
            "--json",
        ],
    );
    assert!(ok, "{out}");
    let legacy = serde_json::from_str::<Value>(out.trim()).expect("json")["client_id"].clone();
    let (ok, _) = varoskapu(
        dir.path(),
        &[
            "clients",
            "add",
            "--name",
            "Rossz",
            "--redirect-uri",
            "https://bad.example/cb",
            "--id-token-alg",
            "HS256",
        ],
    );
    assert!(!ok, "only ES256 and RS256 are offered");

    let (_, out) = varoskapu(dir.path(), &["clients", "list", "--json"]);
    let list: Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(list.as_array().expect("array").len(), 3);
    for client in list.as_array().expect("array") {
        let expected = if client["client_id"] == legacy {
            "RS256"
        } else {
            "ES256"
        };
        assert_eq!(client["id_token_signed_response_alg"], expected, "{client}");
    }
    assert!(
        !out.contains(added["client_secret"].as_str().expect("secret")),
        "secrets are never listed"
    );

    assert!(varoskapu(dir.path(), &["clients", "remove", &id]).0);
    assert!(!varoskapu(dir.path(), &["clients", "remove", &id]).0);

    let (ok, out) = varoskapu(
        dir.path(),
        &[
            "users",
            "add",
            "--email",
            "e@example.hu",
            "--password",
            "a long password",
            "--name",
            "Tóth Éva",
            "--role",
            "clerk",
            "--role",
            "signatory",
            "--json",
        ],
    );
    assert!(ok, "{out}");
    let user: Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(user["roles"], serde_json::json!(["clerk", "signatory"]));

    let (ok, uri) = varoskapu(dir.path(), &["users", "totp", "--email", "e@example.hu"]);
    assert!(ok && uri.starts_with("otpauth://totp/"), "{uri}");

    let (ok, first) = varoskapu(dir.path(), &["keys", "rotate"]);
    assert!(ok);
    let (_, second) = varoskapu(dir.path(), &["keys", "rotate"]);
    assert_ne!(first, second);
}
