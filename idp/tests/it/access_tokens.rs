//! Access tokens as the APIs read them (RFC 9068): an audience per API opened by the granted
//! scopes, RFC 8707 resources that narrow it, roles only with a role-bearing scope, the
//! sign-in's assurance, and refresh tokens only for offline access.

use crate::support::*;
use serde_json::{Value, json};
use varoskapu_core::access::{ACR_PASSWORD, Resource};

const CASES: &str = "urn:varoskapu:api:cases";
const PAYMENTS: &str = "urn:varoskapu:api:payments";
const BACKOFFICE: &str = "urn:varoskapu:api:backoffice";

async fn access_claims(app: &App, tokens: &Value) -> Value {
    let (header, claims) = verified(app, field(tokens, "access_token")).await;
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, "ES256");
    claims
}

async fn id_claims(app: &App, tokens: &Value) -> Value {
    let (header, claims) = verified(app, field(tokens, "id_token")).await;
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    claims
}

#[tokio::test]
async fn a_sign_in_only_token_names_no_api_audience() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let tokens = tokens_for(&app, &mut browser, "openid profile email").await;
    let at = access_claims(&app, &tokens).await;
    assert_eq!(at["aud"], app.issuer.as_str(), "one audience, as a string");
    for resource in Resource::ALL {
        assert!(!at["aud"].to_string().contains(resource.audience()));
    }
    assert_eq!(at["iss"], app.issuer.as_str());
    assert_eq!(at["sub"], citizen_id(&app).await.to_string());
    assert_eq!(at["client_id"], CLIENT_ID);
    assert_eq!(at["scope"], "openid profile email");
    assert_eq!(at["acr"], ACR_PASSWORD);
    assert_eq!(at["amr"], json!(["pwd"]));
    for claim in ["jti", "iat", "exp", "nbf", "auth_time", "fam"] {
        assert!(at.get(claim).is_some(), "{claim} missing from {at}");
    }
    assert!(
        at.get("roles").is_none(),
        "no roles without a role-bearing scope"
    );
    assert_eq!(tokens["scope"], "openid profile email");

    // It still serves UserInfo, which the issuer is the audience for.
    let (status, _, info) = userinfo_with(&app, Some(field(&tokens, "access_token"))).await;
    assert_eq!(status, 200);
    assert_eq!(info["email"], EMAIL);
}

#[tokio::test]
async fn api_scopes_name_their_apis_beside_the_issuer() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let tokens = tokens_for(&app, &mut browser, "openid cases payments").await;
    let at = access_claims(&app, &tokens).await;
    assert_eq!(at["aud"], json!([app.issuer, CASES, PAYMENTS]));
    assert_eq!(at["scope"], "openid cases payments");
}

#[tokio::test]
async fn roles_travel_only_with_a_role_bearing_scope() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let citizen = tokens_for(&app, &mut browser, "openid profile cases").await;
    let at = access_claims(&app, &citizen).await;
    assert!(at.get("roles").is_none(), "{at}");
    assert!(id_claims(&app, &citizen).await.get("roles").is_none());
    let (_, _, info) = userinfo_with(&app, Some(field(&citizen, "access_token"))).await;
    assert!(info.get("roles").is_none(), "{info}");

    let office = tokens_for(&app, &mut browser, "openid profile backoffice").await;
    let at = access_claims(&app, &office).await;
    assert_eq!(at["roles"], json!(["citizen"]));
    assert_eq!(at["aud"], json!([app.issuer, BACKOFFICE]));
    let id = id_claims(&app, &office).await;
    assert_eq!(id["roles"], json!(["citizen"]));
    assert_eq!(id["acr"], ACR_PASSWORD);
    assert_eq!(id["amr"], json!(["pwd"]));
    let (_, _, info) = userinfo_with(&app, Some(field(&office, "access_token"))).await;
    assert_eq!(info["roles"], json!(["citizen"]));
}

#[tokio::test]
async fn a_resource_narrows_the_audience_and_the_scopes() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let scope = "openid offline_access cases backoffice";

    // At the authorization request: the grant itself is narrowed.
    let url = authorize_url(
        &app,
        CLIENT_ID,
        REDIRECT_URI,
        scope,
        &format!("&resource={}", enc(CASES)),
    );
    let code = code_from(&app, &mut browser, &url).await;
    let (_, narrowed) = redeem(&app, &code, &[]).await;
    let at = access_claims(&app, &narrowed).await;
    assert_eq!(at["aud"], json!([app.issuer, CASES]));
    assert_eq!(at["scope"], "openid offline_access cases");
    assert!(at.get("roles").is_none());

    // At the token request: this token only; the grant keeps both APIs.
    let url = authorize_url(&app, CLIENT_ID, REDIRECT_URI, scope, "");
    let code = code_from(&app, &mut browser, &url).await;
    let (status, tokens) = redeem(&app, &code, &[("resource", BACKOFFICE)]).await;
    assert_eq!(status, 200, "{tokens}");
    let at = access_claims(&app, &tokens).await;
    assert_eq!(at["aud"], json!([app.issuer, BACKOFFICE]));
    assert_eq!(at["scope"], "openid offline_access backoffice");
    assert_eq!(tokens["scope"], "openid offline_access backoffice");

    // On refresh, one resource, then two, then none (the whole grant).
    let mut refresh = field(&tokens, "refresh_token").to_owned();
    for (resources, aud) in [
        (vec![CASES], json!([app.issuer, CASES])),
        (
            vec![CASES, BACKOFFICE],
            json!([app.issuer, CASES, BACKOFFICE]),
        ),
        (vec![], json!([app.issuer, CASES, BACKOFFICE])),
    ] {
        let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", &refresh)];
        form.extend(resources.iter().map(|r| ("resource", *r)));
        let (status, next) = client_post(&app, "/oauth2/token", MEALS, &form).await;
        assert_eq!(status, 200, "{next}");
        assert_eq!(access_claims(&app, &next).await["aud"], aud);
        refresh = field(&next, "refresh_token").to_owned();
    }
}

#[tokio::test]
async fn an_unknown_or_ungranted_resource_is_invalid_target() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let tokens = tokens_for(&app, &mut browser, "openid cases").await;
    assert!(tokens.get("refresh_token").is_none());

    for target in ["https://evil.example/api", PAYMENTS] {
        let hop = browser
            .get(&authorize_url(
                &app,
                CLIENT_ID,
                REDIRECT_URI,
                "openid cases",
                &format!("&resource={}", enc(target)),
            ))
            .await;
        assert_eq!(hop.status, 303, "{target}");
        let location = hop.location.expect("location");
        assert_eq!(
            query_param(&location, "error").as_deref(),
            Some("invalid_target"),
            "{target}"
        );
        assert!(query_param(&location, "code").is_none());

        let url = authorize_url(&app, CLIENT_ID, REDIRECT_URI, "openid cases", "");
        let code = code_from(&app, &mut browser, &url).await;
        let (status, body) = redeem(&app, &code, &[("resource", target)]).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_target"))
        );
    }

    // A refused refresh does not rotate the token away from its client.
    let url = authorize_url(
        &app,
        CLIENT_ID,
        REDIRECT_URI,
        "openid offline_access cases",
        "",
    );
    let code = code_from(&app, &mut browser, &url).await;
    let (_, tokens) = redeem(&app, &code, &[]).await;
    let refresh = field(&tokens, "refresh_token");
    let refused = [
        ("resource", PAYMENTS, "invalid_target"),
        ("resource", "urn:nope", "invalid_target"),
        ("scope", "openid payments", "invalid_scope"),
    ];
    for (name, value, error) in refused {
        let (status, body) = client_post(
            &app,
            "/oauth2/token",
            MEALS,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                (name, value),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(error)),
            "{value}"
        );
    }
    let (status, body) = client_post(
        &app,
        "/oauth2/token",
        MEALS,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(status, 200, "the refresh token still works: {body}");
}

#[tokio::test]
async fn no_refresh_token_without_offline_access() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let tokens = tokens_for(&app, &mut browser, "openid profile cases").await;
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    assert!(tokens.get("id_token").is_some());
    // The grant still exists: its access tokens name it and die with it.
    let at = access_claims(&app, &tokens).await;
    let family = at["fam"].as_str().expect("fam");
    assert!(app.provider.refresh.is_active(family).await.expect("reads"));

    let offline = tokens_for(&app, &mut browser, "openid offline_access").await;
    assert!(offline["refresh_token"].is_string());
}

#[tokio::test]
async fn an_id_token_is_refused_as_a_bearer_token() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let tokens = tokens_for(&app, &mut browser, "openid profile cases").await;
    let id_token = field(&tokens, "id_token");
    let (status, challenge, _) = userinfo_with(&app, Some(id_token)).await;
    assert_eq!(status, 401);
    assert!(
        challenge
            .expect("challenge")
            .contains(r#"error="invalid_token""#)
    );
    assert!(app.provider.validate_access_token(id_token).await.is_err());

    // The provider's own key signing an access token's claims under another type (a logout
    // token, an ID token) does not make it an access token.
    let at = access_claims(&app, &tokens).await;
    let key = app.provider.keys.signing_key().await.expect("key");
    for typ in ["logout+jwt", "JWT", "jwt"] {
        let relabelled = key.sign(typ, &at).await.expect("signs");
        assert!(
            app.provider
                .validate_access_token(&relabelled)
                .await
                .is_err(),
            "{typ}"
        );
        assert_eq!(userinfo_with(&app, Some(&relabelled)).await.0, 401, "{typ}");
    }
    let genuine = key.sign("at+jwt", &at).await.expect("signs");
    assert!(app.provider.validate_access_token(&genuine).await.is_ok());
}

#[tokio::test]
async fn userinfo_challenges_without_an_error_code_when_no_token_is_sent() {
    let app = spawn_app().await;
    let (status, challenge, _) = userinfo_with(&app, None).await;
    assert_eq!(status, 401);
    assert_eq!(challenge.as_deref(), Some(r#"Bearer realm="varoskapu""#));
    let (status, challenge, body) = userinfo_with(&app, Some("not-a-token")).await;
    assert_eq!(status, 401);
    assert!(
        challenge
            .expect("challenge")
            .contains(r#"error="invalid_token""#)
    );
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn a_client_gets_only_its_registered_scopes_first_party_or_not() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    tokens_for(&app, &mut browser, "openid").await;
    // `appointments` is not registered for the seeded first-party client; `roles` is gone.
    for scope in ["openid appointments", "openid roles", "openid admin"] {
        let hop = browser
            .get(&authorize_url(&app, CLIENT_ID, REDIRECT_URI, scope, ""))
            .await;
        assert_eq!(hop.status, 303);
        assert_eq!(
            query_param(&hop.location.expect("location"), "error").as_deref(),
            Some("invalid_scope"),
            "{scope}"
        );
    }
    // A client registered without scopes may only sign people in.
    let secret = "plain-secret-0123456789abcdefghijklmnopqrstuvwxyz";
    app.provider
        .clients
        .register(varoskapu_idp::NewClient {
            name: "Csak bejelentkezés".into(),
            client_id: Some("plain".into()),
            secret: Some(secret.into()),
            redirect_uris: vec!["http://127.0.0.1:9/plain/cb".into()],
            ..varoskapu_idp::NewClient::default()
        })
        .await
        .expect("client");
    let (status, body) = client_post(
        &app,
        "/oauth2/token",
        ("plain", Some(secret)),
        &[("grant_type", "client_credentials"), ("scope", "cases")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
}

#[tokio::test]
async fn discovery_lists_every_scope_claim_and_endpoint_auth_method() {
    let app = spawn_app().await;
    let doc: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.issuer))
        .await
        .expect("discovery")
        .json()
        .await
        .expect("json");
    assert_eq!(
        doc["scopes_supported"],
        json!([
            "openid",
            "profile",
            "email",
            "offline_access",
            "cases",
            "payments",
            "appointments",
            "backoffice",
            "backoffice:approve",
            "crm",
            "crm:export"
        ])
    );
    assert_eq!(
        doc["introspection_endpoint_auth_methods_supported"],
        json!([
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt"
        ])
    );
    assert_eq!(
        doc["revocation_endpoint_auth_methods_supported"],
        json!([
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none"
        ])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!([
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none"
        ])
    );
    let claims = doc["claims_supported"].as_array().expect("claims");
    assert!(claims.contains(&json!("amr")) && claims.contains(&json!("acr")));
}

#[tokio::test]
async fn the_consent_page_names_each_scope_in_words_a_citizen_understands() {
    let app = spawn_app().await;
    let redirect = "http://127.0.0.1:9/partner/cb";
    app.provider
        .clients
        .register(varoskapu_idp::NewClient {
            name: "Ügyintéző partner".into(),
            client_id: Some("partner".into()),
            redirect_uris: vec![redirect.into()],
            public: true,
            scopes: ["openid", "cases", "backoffice:approve"]
                .map(str::to_owned)
                .to_vec(),
            ..varoskapu_idp::NewClient::default()
        })
        .await
        .expect("third-party client");
    let mut browser = Browser::new();
    let page = browser
        .get(&authorize_url(
            &app,
            "partner",
            redirect,
            "openid cases",
            "",
        ))
        .await;
    let consent = browser
        .submit_login(&app.issuer, &page.body, EMAIL, PASSWORD)
        .await;
    assert_eq!(consent.status, 200);
    assert!(
        consent
            .body
            .contains("Ügyei megtekintése és új ügy indítása az Ön nevében"),
        "{}",
        consent.body
    );
    assert!(!consent.body.contains("jóváhagyása"), "only what is asked");
    let allow = browser
        .post_form(
            &format!("{}/oauth2/consent", app.issuer),
            &[
                ("request_id", &hidden(&consent.body, "request_id")),
                ("csrf", &hidden(&consent.body, "csrf")),
                ("decision", "allow"),
            ],
        )
        .await;
    assert_eq!(allow.status, 303);

    // Consent is kept per scope: the same scopes pass, a new one is asked for.
    let same = browser
        .get(&authorize_url(
            &app,
            "partner",
            redirect,
            "openid cases",
            "",
        ))
        .await;
    assert_eq!(same.status, 303, "remembered");
    let more = browser
        .get(&authorize_url(
            &app,
            "partner",
            redirect,
            "openid backoffice:approve",
            "&ui_locales=en",
        ))
        .await;
    assert_eq!(more.status, 200);
    assert!(
        more.body
            .contains("Approve and sign off decisions in your name"),
        "{}",
        more.body
    );
    assert!(more.body.contains("Sign you in"));
}
