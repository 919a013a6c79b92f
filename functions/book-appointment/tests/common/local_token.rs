//! Access tokens signed with the local server's own provider key (in `<data>/idp/`), as its
//! provider would issue them: the test and the benchmark drive the real token validation.

use varoskapu_jose::{AccessTokenClaims, Audience, PrivateKey, sign_es256};

/// The key the local provider signs with now.
pub async fn provider_key(data_dir: &std::path::Path) -> anyhow::Result<PrivateKey> {
    Ok(varoskapu_idp::FileKeyStore::open(&data_dir.join("idp"))?
        .signing_key()
        .await?)
}

/// An hour-long access token of the server at `issuer` for `sub` with `roles`.
pub fn access_token(key: &PrivateKey, issuer: &str, sub: &str, roles: &[&str]) -> String {
    let now = jiff::Timestamp::now().as_second();
    sign_es256(
        key,
        "at+jwt",
        &AccessTokenClaims {
            iss: issuer.to_owned(),
            sub: sub.to_owned(),
            aud: Audience::One("varoskapu-api".into()),
            exp: now + 3600,
            iat: now,
            nbf: None,
            jti: format!("local-{sub}-{now}"),
            client_id: "varoskapu-tests".into(),
            scope: "openid".into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            fam: None,
            auth_time: Some(now),
        },
    )
}
