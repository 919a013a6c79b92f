//! The OIDC clients of the municipality's own page sites, as `bootstrap` keeps them: the
//! citizen portal (at `/` of the stack's API) and the office screens (at `/office`), each
//! a first-party confidential client with its own scopes, its callback and post-logout
//! return under the site's URL, and its secret the value of the stack's secret
//! (`SiteClientSecret`, `OfficeClientSecret`), which the site's function reads at
//! start-up.
//!
//! A client is registered with the value its secret already holds (CloudFormation
//! generated it), not with a new one: execution environments that started before the
//! bootstrap already read it, and a new value would fail their sign-ins until they were
//! replaced. A new value is put only when asked (`--rotate-portal-secret`,
//! `--rotate-office-secret`).

use aws_sdk_secretsmanager::error::DisplayErrorContext;
use std::io::Write;
use varoskapu_core::access::Scope;
use varoskapu_idp::clients::ClientError;
use varoskapu_idp::{Client, ClientRegistry, NewClient};

/// One page site's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// How the reports name it.
    pub label: &'static str,
    /// The client id; the template gives the site's function the same.
    pub client_id: &'static str,
    /// The name people see (the provider's pages, the apps with access).
    pub name: &'static str,
    /// What the site may ask for: what its sign-in asks.
    pub scopes: &'static [Scope],
    /// Where the site is mounted under its URL (`""` or `/office`).
    pub base_path: &'static str,
}

/// The citizen portal: what `varoskapu_portal::config::SCOPES` asks.
pub const PORTAL: Site = Site {
    label: "portal",
    client_id: "ugyfelkapu",
    name: "Ügyfélkapu",
    scopes: &[
        Scope::OpenId,
        Scope::Profile,
        Scope::Email,
        Scope::OfflineAccess,
        Scope::Cases,
        Scope::Payments,
        Scope::Appointments,
    ],
    base_path: "",
};

/// The office screens: what `varoskapu_office_web::config::SCOPES` asks.
pub const OFFICE: Site = Site {
    label: "office",
    client_id: "ugyintezokapu",
    name: "Ügyintézőkapu",
    scopes: &[
        Scope::OpenId,
        Scope::Profile,
        Scope::Email,
        Scope::OfflineAccess,
        Scope::Backoffice,
        Scope::BackofficeApprove,
        Scope::Crm,
        Scope::CrmExport,
    ],
    base_path: "/office",
};

/// The callback path under a site's URL (`varoskapu_web::signin::CALLBACK_PATH`).
const CALLBACK_PATH: &str = "/auth/callback";

/// What `bootstrap` did to a site's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteClient {
    /// There was none: it is registered.
    Registered,
    /// It was registered as the stack wants it, with the secret's value.
    Unchanged,
    /// Its settings or secret differed from the stack's: registered anew.
    Replaced,
    /// A new secret value is in the secret and the client is registered with it.
    Rotated,
}

/// The client the stack wants for `site`, with `secret`, served at the origin `url`.
pub fn wanted(site: &Site, url: &str, secret: String) -> anyhow::Result<NewClient> {
    let origin = url.trim_end_matches('/');
    match url::Url::parse(origin) {
        Ok(parsed) if matches!(parsed.scheme(), "https" | "http") && parsed.host().is_some() => {}
        _ => anyhow::bail!(
            "the {}'s URL {url:?} is not an absolute http(s) URL",
            site.label
        ),
    }
    let base = format!("{origin}{}", site.base_path);
    Ok(NewClient {
        name: site.name.into(),
        client_id: Some(site.client_id.into()),
        secret: Some(secret),
        redirect_uris: vec![format!("{base}{CALLBACK_PATH}")],
        post_logout_redirect_uris: vec![format!("{base}/")],
        first_party: true,
        scopes: site.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
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

/// Registers `site`'s client if it is absent (or differs from the stack's), its secret
/// being the value of the secret `secret_arn`; with `rotate`, a new value is put into that
/// secret first. Reports what it did on `out`, never the secret.
pub async fn ensure_client(
    registry: &ClientRegistry,
    secrets: &aws_sdk_secretsmanager::Client,
    site: &Site,
    secret_arn: &str,
    url: &str,
    rotate: bool,
    out: &mut dyn Write,
) -> anyhow::Result<SiteClient> {
    let label = site.label;
    let id = site.client_id;
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
                    "cannot put the {label}'s new client secret into {secret_arn}: {}",
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
                    "cannot read the {label}'s client secret {secret_arn}: {}",
                    DisplayErrorContext(e)
                )
            })?
            .secret_string
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| anyhow::anyhow!("the {label}'s client secret {secret_arn} is empty"))?
    };
    let wanted = wanted(site, url, secret.clone())?;
    let outcome = match registry.get(id).await? {
        None => SiteClient::Registered,
        Some(client) => {
            let same_secret = registry.authenticate(id, Some(&secret)).await.is_ok();
            if same_secret && settings_match(&client, &wanted) {
                SiteClient::Unchanged
            } else {
                // The registry has no update: the client is registered anew (grants and
                // consents are the person's and the client id's, and survive it).
                registry.remove(id).await?;
                if rotate {
                    SiteClient::Rotated
                } else {
                    SiteClient::Replaced
                }
            }
        }
    };
    let redirect = wanted.redirect_uris.join(" ");
    if outcome != SiteClient::Unchanged {
        match registry.register(wanted).await {
            Ok(_) => {}
            Err(ClientError::AlreadyExists) => anyhow::bail!(
                "the {label}'s client {id} was registered meanwhile by someone else; run \
                 bootstrap again"
            ),
            Err(e) => return Err(e.into()),
        }
    }
    match outcome {
        SiteClient::Registered => writeln!(
            out,
            "{label} client {id} registered (redirect {redirect}); its secret is the one in \
             {secret_arn}, which the {label}'s function reads"
        )?,
        SiteClient::Unchanged => writeln!(out, "{label} client {id} is registered already")?,
        SiteClient::Replaced => writeln!(
            out,
            "{label} client {id} registered anew (redirect {redirect}) with the secret in \
             {secret_arn}"
        )?,
        SiteClient::Rotated => writeln!(
            out,
            "{label} client {id}: a new secret is in {secret_arn} and registered; deploy again \
             so that the {label}'s execution environments read it (until then their sign-ins \
             fail)"
        )?,
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_wanted_returns_to_the_portal_and_asks_the_citizens_scopes() {
        let client = wanted(&PORTAL, "https://kapu.example.hu/", "s".into()).expect("client");
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
        assert!(wanted(&PORTAL, "kapu.example.hu", "s".into()).is_err());
    }

    #[test]
    fn the_office_client_returns_under_office_and_asks_the_office_scopes() {
        let client = wanted(&OFFICE, "https://kapu.example.hu", "s".into()).expect("client");
        assert_eq!(
            client.redirect_uris,
            ["https://kapu.example.hu/office/auth/callback"]
        );
        assert_eq!(
            client.post_logout_redirect_uris,
            ["https://kapu.example.hu/office/"]
        );
        assert!(client.first_party && !client.public);
        assert_eq!(
            client.scopes.join(" "),
            "openid profile email offline_access backoffice backoffice:approve crm crm:export"
        );
    }

    #[test]
    fn the_template_gives_each_site_its_client_id_and_the_secret_by_arn() {
        let template = include_str!("../../../template.yaml");
        let sites = [
            (
                PORTAL,
                "PORTAL",
                crate::stack::logical::PORTAL_CLIENT_SECRET,
            ),
            (
                OFFICE,
                "OFFICE",
                crate::stack::logical::OFFICE_CLIENT_SECRET,
            ),
        ];
        for (site, var, secret) in sites {
            let id = site.client_id;
            assert!(
                template.contains(&format!("VAROSKAPU_{var}_CLIENT_ID: {id}\n")),
                "the template's VAROSKAPU_{var}_CLIENT_ID is not {id}"
            );
            assert!(
                template.contains(&format!(
                    "VAROSKAPU_{var}_CLIENT_SECRET_ARN: !Ref {secret}\n"
                )),
                "the {} is not told of the stack's {secret}",
                site.label
            );
        }
    }
}
