//! The served key set: public caching with an entity tag, and a rotation published at once.

use crate::support::*;
use serde_json::Value;

async fn get_jwks(app: &App, if_none_match: Option<&str>) -> (u16, Option<String>, Value) {
    let mut request = reqwest::Client::new().get(format!("{}/oauth2/jwks", app.issuer));
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    let response = request.send().await.expect("jwks");
    let status = response.status().as_u16();
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=300",
        "caches may keep the set"
    );
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().expect("ascii").to_owned());
    let body = response.text().await.expect("body");
    (
        status,
        etag,
        serde_json::from_str(&body).unwrap_or(Value::Null),
    )
}

fn kids(set: &Value) -> Vec<String> {
    set["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["kid"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_rotated_key_set_is_served_at_once_under_a_new_entity_tag() {
    let app = spawn_app().await;
    let (status, etag, before) = get_jwks(&app, None).await;
    assert_eq!(status, 200);
    let etag = etag.expect("an entity tag");
    let (status, again, body) = get_jwks(&app, Some(&etag)).await;
    assert_eq!((status, body), (304, Value::Null), "unchanged: no body");
    assert_eq!(again.as_deref(), Some(etag.as_str()));

    app.provider.keys.rotate(600).await.expect("rotates");
    let (status, rotated_tag, after) = get_jwks(&app, Some(&etag)).await;
    assert_eq!(status, 200, "the old tag no longer matches");
    let rotated_tag = rotated_tag.expect("an entity tag");
    assert_ne!(rotated_tag, etag);
    let (before, after) = (kids(&before), kids(&after));
    let new: Vec<&String> = after.iter().filter(|k| !before.contains(k)).collect();
    assert_eq!(new.len(), 2, "a new next key per algorithm: {after:?}");
    assert!(
        before.iter().all(|k| after.contains(k)),
        "the retired keys stay published"
    );
    let signing = app.provider.keys.signing_key().await.expect("key").kid;
    assert!(after.contains(&signing));
    let (status, _, _) = get_jwks(&app, Some(&rotated_tag)).await;
    assert_eq!(status, 304);
}
