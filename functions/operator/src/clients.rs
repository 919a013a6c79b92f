//! `clients add|list|rotate-secret|remove`: the OpenID Connect clients (partner apps, services, APIs).

use clap::Subcommand;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use varoskapu_idp::{ClientRegistry, NewClient};

/// `… clients …`
#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Register a partner app, a service or an API; prints its id and secret (the only time
    /// it is shown).
    Add {
        #[arg(long)]
        name: String,
        /// Where the app receives its codes; every client but a resource server needs one.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// A public client has no secret and must use PKCE.
        #[arg(long)]
        public: bool,
        /// A first-party client skips the consent page.
        #[arg(long)]
        first_party: bool,
        /// Give this client its own pairwise `sub` for each person.
        #[arg(long)]
        pairwise: bool,
        /// A JWK set (JSON) of ES256 public keys: the client authenticates with
        /// `private_key_jwt` and gets no secret.
        #[arg(long)]
        jwks_file: Option<PathBuf>,
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        #[arg(long)]
        backchannel_logout_uri: Option<String>,
        /// A scope the client may ask for (openid profile email offline_access cases payments
        /// appointments backoffice backoffice:approve); repeat it or separate with spaces.
        /// Without any: openid profile email.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Make the client a resource server (a Városkapu API) for this audience, e.g.
        /// urn:varoskapu:api:cases; repeat for several. It needs no redirect URI and may only
        /// introspect tokens meant for it.
        #[arg(long = "resource-server")]
        resource_server_audiences: Vec<String>,
        /// Sign this client's ID and logout tokens with RS256 instead of ES256, for partners
        /// whose libraries need it (access tokens stay ES256).
        #[arg(long = "id-token-alg", default_value = "ES256")]
        id_token_alg: varoskapu_idp::JwsAlgorithm,
        #[arg(long)]
        json: bool,
    },
    /// List the registered clients.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Give a client a new secret; prints it (the only time it is shown), and the old one
    /// stops working at once.
    RotateSecret {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove a client.
    Remove { client_id: String },
}

/// The scopes of repeated `--scope` flags (or ticked boxes), each of which may also list
/// several with spaces.
pub fn scope_names(flags: &[String]) -> Vec<String> {
    flags
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(str::to_owned)
        .collect()
}

/// Runs a `clients` command on `registry`.
pub async fn run(
    registry: &ClientRegistry,
    command: ClientsCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        ClientsCommand::Add {
            name,
            redirect_uris,
            public,
            first_party,
            pairwise,
            jwks_file,
            post_logout_redirect_uris,
            backchannel_logout_uri,
            scopes,
            resource_server_audiences,
            id_token_alg,
            json,
        } => {
            let scopes = scope_names(&scopes);
            let jwks =
                match jwks_file {
                    Some(path) => {
                        let text = crate::read_file(&path)?;
                        Some(serde_json::from_str(&text).map_err(|e| {
                            anyhow::anyhow!("{} is not a JWK set: {e}", path.display())
                        })?)
                    }
                    None => None,
                };
            let (client, secret) = registry
                .register(NewClient {
                    name,
                    redirect_uris,
                    public,
                    first_party,
                    pairwise,
                    jwks,
                    post_logout_redirect_uris,
                    backchannel_logout_uri,
                    scopes,
                    resource_server_audiences,
                    id_token_signed_response_alg: id_token_alg,
                    ..NewClient::default()
                })
                .await?;
            if json {
                writeln!(
                    out,
                    "{}",
                    json!({
                        "client_id": client.client_id,
                        "client_secret": secret,
                        "kind": client.kind(),
                        "scopes": client.scopes,
                        "resource_server_audiences": client.resource_server_audiences,
                    })
                )?;
            } else {
                writeln!(out, "client_id:     {}", client.client_id)?;
                match secret {
                    Some(secret) => writeln!(out, "client_secret: {secret}")?,
                    None if client.jwks.is_some() => writeln!(
                        out,
                        "client_secret: (none: authenticates with private_key_jwt)"
                    )?,
                    None => writeln!(out, "client_secret: (none: public client, PKCE required)")?,
                }
                writeln!(out, "kind:          {}", client.kind())?;
                if client.is_resource_server() {
                    writeln!(
                        out,
                        "audiences:     {}",
                        client.resource_server_audiences.join(" ")
                    )?;
                } else {
                    writeln!(out, "scopes:        {}", client.scopes.join(" "))?;
                }
            }
        }
        ClientsCommand::List { json } => {
            let clients = registry.list().await?;
            if json {
                let list: Vec<_> = clients
                    .iter()
                    .map(|c| {
                        json!({
                            "client_id": c.client_id,
                            "name": c.name,
                            "kind": c.kind(),
                            "public": c.is_public(),
                            "first_party": c.first_party,
                            "pairwise": c.pairwise,
                            "redirect_uris": c.redirect_uris,
                            "scopes": c.scopes,
                            "resource_server_audiences": c.resource_server_audiences,
                            "id_token_signed_response_alg": c.id_token_signed_response_alg,
                        })
                    })
                    .collect();
                writeln!(out, "{}", serde_json::Value::Array(list))?;
            } else {
                writeln!(
                    out,
                    "CLIENT_ID\tNAME\tKIND\tSCOPES\tREDIRECT_URIS / AUDIENCES"
                )?;
                for c in clients {
                    let targets = if c.is_resource_server() {
                        &c.resource_server_audiences
                    } else {
                        &c.redirect_uris
                    };
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}",
                        c.client_id,
                        c.name,
                        c.kind(),
                        c.scopes.join(" "),
                        targets.join(" ")
                    )?;
                }
            }
        }
        ClientsCommand::RotateSecret { client_id, json } => {
            let Some(secret) = registry.rotate_secret(&client_id).await? else {
                anyhow::bail!("no client {client_id}");
            };
            if json {
                writeln!(
                    out,
                    "{}",
                    json!({"client_id": client_id, "client_secret": secret})
                )?;
            } else {
                writeln!(out, "client_id:     {client_id}")?;
                writeln!(out, "client_secret: {secret}")?;
            }
        }
        ClientsCommand::Remove { client_id } => {
            if !registry.remove(&client_id).await? {
                anyhow::bail!("no client {client_id}");
            }
            writeln!(out, "removed {client_id}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_rotated_secret_is_printed_once_and_an_unknown_client_is_refused() {
        let clock: std::sync::Arc<dyn varoskapu_core::Clock> =
            std::sync::Arc::new(varoskapu_core::SystemClock);
        let registry = ClientRegistry::new(
            std::sync::Arc::new(varoskapu_core::MemoryTable::new(clock.clone())),
            clock,
        );
        let (client, old) = registry
            .register(NewClient {
                name: "Iskolai étkezés".into(),
                redirect_uris: vec!["https://meals.example/cb".into()],
                ..NewClient::default()
            })
            .await
            .expect("registers");
        let mut out = Vec::new();
        let rotate = |client_id: &str| ClientsCommand::RotateSecret {
            client_id: client_id.to_owned(),
            json: true,
        };
        run(&registry, rotate(&client.client_id), &mut out)
            .await
            .expect("rotates");
        let printed: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
        let new = printed["client_secret"].as_str().expect("a secret");
        assert_ne!(Some(new), old.as_deref());
        assert!(
            registry
                .authenticate(&client.client_id, Some(new))
                .await
                .is_ok()
        );
        let refused = run(&registry, rotate("nobody"), &mut Vec::new()).await;
        assert_eq!(refused.unwrap_err().to_string(), "no client nobody");
    }

    #[test]
    fn scopes_may_be_repeated_or_space_separated() {
        let flags = ["openid cases".to_owned(), " payments ".to_owned()];
        assert_eq!(scope_names(&flags), ["openid", "cases", "payments"]);
        assert!(scope_names(&[]).is_empty());
    }
}
