//! The operators' identity commands: `clients add|list|remove`, `users add`, `keys rotate`.
//! They work on the same `--data-dir` as a running server (SQLite and the key file are
//! shared safely), so clients can be managed without a restart.

use crate::ports::LocalPorts;
use clap::Subcommand;
use serde_json::json;
use std::path::Path;
use varoskapu_accounts::{NewAccount, Role};
use varoskapu_idp::NewClient;

/// `varoskapu clients …`
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
        jwks_file: Option<std::path::PathBuf>,
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
    /// Remove a client.
    Remove { client_id: String },
}

/// `varoskapu users …`
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account whose e-mail address counts as verified.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        name: String,
        /// citizen, clerk, signatory or admin; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Turn on the authenticator-app second factor; prints the otpauth URI to scan.
    Totp {
        #[arg(long)]
        email: String,
    },
}

/// `varoskapu keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Promote the pre-published key to signing, publish a new next key, and keep the old
    /// one published until its tokens have expired.
    Rotate,
}

fn open(data_dir: &Path) -> anyhow::Result<LocalPorts> {
    // The public URL matters only for e-mailed links, which these commands never send.
    LocalPorts::open(data_dir, "http://127.0.0.1:8080")
}

/// The scopes of repeated `--scope` flags, each of which may also list several with spaces.
fn scope_names(flags: &[String]) -> Vec<String> {
    flags
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(str::to_owned)
        .collect()
}

/// Runs a `clients` command.
pub async fn clients(data_dir: &Path, command: ClientsCommand) -> anyhow::Result<()> {
    let provider = crate::identity::provider(&open(data_dir)?)?;
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
                        let text = std::fs::read_to_string(&path)
                            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                        Some(serde_json::from_str(&text).map_err(|e| {
                            anyhow::anyhow!("{} is not a JWK set: {e}", path.display())
                        })?)
                    }
                    None => None,
                };
            let (client, secret) = provider
                .clients
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
                println!(
                    "{}",
                    json!({
                        "client_id": client.client_id,
                        "client_secret": secret,
                        "kind": client.kind(),
                        "scopes": client.scopes,
                        "resource_server_audiences": client.resource_server_audiences,
                    })
                );
            } else {
                println!("client_id:     {}", client.client_id);
                match secret {
                    Some(secret) => println!("client_secret: {secret}"),
                    None if client.jwks.is_some() => {
                        println!("client_secret: (none: authenticates with private_key_jwt)")
                    }
                    None => println!("client_secret: (none: public client, PKCE required)"),
                }
                println!("kind:          {}", client.kind());
                if client.is_resource_server() {
                    println!(
                        "audiences:     {}",
                        client.resource_server_audiences.join(" ")
                    );
                } else {
                    println!("scopes:        {}", client.scopes.join(" "));
                }
            }
        }
        ClientsCommand::List { json } => {
            let clients = provider.clients.list().await?;
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
                println!("{}", serde_json::Value::Array(list));
            } else {
                println!("CLIENT_ID\tNAME\tKIND\tSCOPES\tREDIRECT_URIS / AUDIENCES");
                for c in clients {
                    let targets = if c.is_resource_server() {
                        &c.resource_server_audiences
                    } else {
                        &c.redirect_uris
                    };
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        c.client_id,
                        c.name,
                        c.kind(),
                        c.scopes.join(" "),
                        targets.join(" ")
                    );
                }
            }
        }
        ClientsCommand::Remove { client_id } => {
            if !provider.clients.remove(&client_id).await? {
                anyhow::bail!("no client {client_id}");
            }
            println!("removed {client_id}");
        }
    }
    Ok(())
}

/// Runs a `users` command.
pub async fn users(data_dir: &Path, command: UsersCommand) -> anyhow::Result<()> {
    let accounts = crate::identity::accounts(&open(data_dir)?);
    match command {
        UsersCommand::Add {
            email,
            password,
            name,
            roles,
            json,
        } => {
            let roles = roles
                .iter()
                .map(|r| Role::parse(r).ok_or_else(|| anyhow::anyhow!("unknown role {r:?}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let account = accounts
                .create(NewAccount {
                    email,
                    password,
                    name,
                    roles,
                })
                .await?;
            if json {
                println!(
                    "{}",
                    json!({"sub": account.id, "email": account.email, "roles": account.role_names()})
                );
            } else {
                println!("sub: {}", account.id);
            }
        }
        UsersCommand::Totp { email } => {
            let account = accounts
                .find_by_email(&email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no account {email}"))?;
            let secret = accounts.enable_totp(account.id).await?;
            println!(
                "{}",
                varoskapu_accounts::totp::otpauth_uri("Városkapu", &account.email, &secret)
            );
        }
    }
    Ok(())
}

/// Runs a `keys` command.
pub async fn keys(data_dir: &Path, command: KeysCommand) -> anyhow::Result<()> {
    let provider = crate::identity::provider(&open(data_dir)?)?;
    match command {
        KeysCommand::Rotate => {
            let keep = provider
                .config
                .access_token_seconds
                .max(provider.config.id_token_seconds)
                + 300;
            provider.keys.rotate(keep).await?;
            let kid = provider.keys.signing_key().await?.kid;
            println!("signing with {kid}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_may_be_repeated_or_space_separated() {
        let flags = ["openid cases".to_owned(), " payments ".to_owned()];
        assert_eq!(scope_names(&flags), ["openid", "cases", "payments"]);
        assert!(scope_names(&[]).is_empty());
    }
}
