//! Access tokens signed with the local server's own provider key (in `<data>/idp/`), as its
//! provider would issue them: the test and the benchmark drive the real token validation.

use varoskapu_core::access::{Resource, Scope};
use varoskapu_jose::{AccessTokenClaims, Audience, PrivateKey, sign_es256};

/// The key the local provider signs with now.
pub async fn provider_key(data_dir: &std::path::Path) -> anyhow::Result<PrivateKey> {
    Ok(varoskapu_idp::FileKeyStore::open(&data_dir.join("idp"))?
        .signing_key()
        .await?)
}

/// An hour-long access token of the server at `issuer` for the account `sub` with `roles`:
/// the office scope for staff, the appointments scope for everyone else.
pub fn access_token(key: &PrivateKey, issuer: &str, sub: &str, roles: &[&str]) -> String {
    let now = jiff::Timestamp::now().as_second();
    let staff = roles.iter().any(|r| *r == "clerk" || *r == "admin");
    let (scope, resource) = if staff {
        (Scope::Backoffice, Resource::Backoffice)
    } else {
        (Scope::Appointments, Resource::Appointments)
    };
    sign_es256(
        key,
        "at+jwt",
        &AccessTokenClaims {
            iss: issuer.to_owned(),
            sub: sub.to_owned(),
            aud: Audience::One(resource.audience().into()),
            exp: now + 3600,
            iat: now,
            nbf: None,
            jti: format!("local-{sub}-{now}"),
            client_id: "varoskapu-tests".into(),
            scope: format!("openid {scope}"),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            case_types: Vec::new(),
            fam: Some(format!("local-grant-{sub}")),
            auth_time: Some(now),
            acr: Some(varoskapu_core::access::ACR_PASSWORD.into()),
            amr: vec!["pwd".into()],
        },
    )
}
