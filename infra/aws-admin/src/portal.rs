//! The citizen portal's OIDC client, as `bootstrap` keeps it: a first-party confidential
//! client with the citizens' scopes, its callback and post-logout return on the portal's
//! URL, and its secret the value of the stack's `PortalClientSecret`, which the portal
//! function reads at start-up.
//!
//! The client is registered with the value the secret already holds (CloudFormation
//! generated it), not with a new one: execution environments that started before the
//! bootstrap already read it, and a new value would fail their sign-ins until they were
//! replaced. A new value is put only when asked (`--rotate-portal-secret`).

use aws_sdk_secretsmanager::error::DisplayErrorContext;
use std::io::Write;
use varoskapu_core::access::Scope;
use varoskapu_idp::clients::ClientError;
use varoskapu_idp::{Client, ClientRegistry, NewClient};

/// The portal's client id; the template gives the portal function the same
/// (`VAROSKAPU_PORTAL_CLIENT_ID`).
pub const PORTAL_CLIENT_ID: &str = "ugyfelkapu";

/// The name people see for the portal (the provider's pages, the apps with access).
pub const PORTAL_CLIENT_NAME: &str = "Ügyfélkapu";

/// What the portal may ask for: what `varoskapu_portal::config::SCOPES` asks.
pub const PORTAL_SCOPES: [Scope; 7] = [
    Scope::OpenId,
    Scope::Profile,
    Scope::Email,
    Scope::OfflineAccess,
    Scope::Cases,
    Scope::Payments,
    Scope::Appointments,
];

/// The callback path under the portal's URL (`varoskapu_portal::config::CALLBACK_PATH`).
const CALLBACK_PATH: &str = "/auth/callback";

/// What `bootstrap` did to the portal's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortalClient {
    /// There was none: it is registered.
    Registered,
    /// It was registered as the stack wants it, with the secret's value.
    Unchanged,
    /// Its settings or secret differed from the stack's: registered anew.
    Replaced,
    /// A new secret value is in the secret and the client is registered with it.
    Rotated,
}

/// The client the stack wants, with `secret`, for a portal at `portal_url`.
pub fn wanted(portal_url: &str, secret: String) -> anyhow::Result<NewClient> {
    let origin = portal_url.trim_end_matches('/');
    match url::Url::parse(origin) {
        Ok(url) if matches!(url.scheme(), "https" | "http") && url.host().is_some() => {}
        _ => anyhow::bail!("the portal's URL {portal_url:?} is not an absolute http(s) URL"),
    }
    Ok(NewClient {
        name: PORTAL_CLIENT_NAME.into(),
        client_id: Some(PORTAL_CLIENT_ID.into()),
        secret: Some(secret),
        redirect_uris: vec![format!("{origin}{CALLBACK_PATH}")],
        post_logout_redirect_uris: vec![format!("{origin}/")],
        first_party: true,
        scopes: PORTAL_SCOPES
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        ..NewClient::default()
    })
}

/// Whether the registered `client` is the one `wanted` describes (its secret aside).
fn settings_match(client: &Client, wanted: &NewClient) -> bool {
    client.name == wanted.name
        && client.redirect_uris == wanted.redirect_uris
        && client.post_logout_redirect_uris == wanted.post_logout_redirect_uris
        && client.first_party
        && !client.pairwise
        && client.backchannel_logout_uri.is_none()
        && client.jwks.is_none()
        && client.resource_server_audiences.is_empty()
        && client.scopes == wanted.scopes
}

/// Registers the portal's client if it is absent (or differs from the stack's), its
/// secret being the value of the secret `secret_arn`; with `rotate`, a new value is put
/// into that secret first. Reports what it did on `out`, never the secret.
pub async fn ensure_client(
    registry: &ClientRegistry,
    secrets: &aws_sdk_secretsmanager::Client,
    secret_arn: &str,
    portal_url: &str,
    rotate: bool,
    out: &mut dyn Write,
) -> anyhow::Result<PortalClient> {
    let secret = if rotate {
        let fresh = varoskapu_core::secrets::random_token();
        secrets
            .put_secret_value()
            .secret_id(secret_arn)
            .secret_string(&fresh)
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot put the portal's new client secret into {secret_arn}: {}",
                    DisplayErrorContext(e)
                )
            })?;
        fresh
    } else {
        secrets
            .get_secret_value()
            .secret_id(secret_arn)
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot read the portal's client secret {secret_arn}: {}",
                    DisplayErrorContext(e)
                )
            })?
            .secret_string
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| anyhow::anyhow!("the portal's client secret {secret_arn} is empty"))?
    };
    let wanted = wanted(portal_url, secret.clone())?;
    let outcome = match registry.get(PORTAL_CLIENT_ID).await? {
        None => PortalClient::Registered,
        Some(client) => {
            let same_secret = registry
                .authenticate(PORTAL_CLIENT_ID, Some(&secret))
                .await
                .is_ok();
            if same_secret && settings_match(&client, &wanted) {
                PortalClient::Unchanged
            } else {
                // The registry has no update: the client is registered anew (grants and
                // consents are the person's and the client id's, and survive it).
                registry.remove(PORTAL_CLIENT_ID).await?;
                if rotate {
                    PortalClient::Rotated
                } else {
                    PortalClient::Replaced
                }
            }
        }
    };
    let redirect = wanted.redirect_uris.join(" ");
    if outcome != PortalClient::Unchanged {
        match registry.register(wanted).await {
            Ok(_) => {}
            Err(ClientError::AlreadyExists) => anyhow::bail!(
                "the portal's client {PORTAL_CLIENT_ID} was registered meanwhile by someone \
                 else; run bootstrap again"
            ),
            Err(e) => return Err(e.into()),
        }
    }
    match outcome {
        PortalClient::Registered => writeln!(
            out,
            "portal client {PORTAL_CLIENT_ID} registered (redirect {redirect}); its secret is \
             the one in {secret_arn}, which the portal reads"
        )?,
        PortalClient::Unchanged => writeln!(
            out,
            "portal client {PORTAL_CLIENT_ID} is registered already"
        )?,
        PortalClient::Replaced => writeln!(
            out,
            "portal client {PORTAL_CLIENT_ID} registered anew (redirect {redirect}) with the \
             secret in {secret_arn}"
        )?,
        PortalClient::Rotated => writeln!(
            out,
            "portal client {PORTAL_CLIENT_ID}: a new secret is in {secret_arn} and registered; \
             deploy again so that the portal's execution environments read it (until then \
             their sign-ins fail)"
        )?,
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_wanted_returns_to_the_portal_and_asks_the_citizens_scopes() {
        let client = wanted("https://kapu.example.hu/", "s".into()).expect("client");
        assert_eq!(
            client.redirect_uris,
            ["https://kapu.example.hu/auth/callback"]
        );
        assert_eq!(
            client.post_logout_redirect_uris,
            ["https://kapu.example.hu/"]
        );
        assert!(client.first_party && !client.public && !client.pairwise);
        assert_eq!(
            client.scopes.join(" "),
            "openid profile email offline_access cases payments appointments"
        );
        assert!(wanted("kapu.example.hu", "s".into()).is_err());
    }

    #[test]
    fn the_template_gives_the_portal_this_client_id_and_the_secret_by_arn() {
        let template = include_str!("../../../template.yaml");
        assert!(
            template.contains(&format!("VAROSKAPU_PORTAL_CLIENT_ID: {PORTAL_CLIENT_ID}\n")),
            "the template's VAROSKAPU_PORTAL_CLIENT_ID is not {PORTAL_CLIENT_ID}"
        );
        assert!(
            template.contains(&format!(
                "VAROSKAPU_PORTAL_CLIENT_SECRET_ARN: !Ref {}\n",
                crate::stack::logical::PORTAL_CLIENT_SECRET
            )),
            "the portal is not told of the stack's PortalClientSecret"
        );
    }
}
