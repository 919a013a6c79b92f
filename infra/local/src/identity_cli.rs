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
    /// Register a partner app or service; prints its id and secret (the only time it is shown).
    Add {
        #[arg(long)]
        name: String,
        #[arg(long = "redirect-uri", required = true)]
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
        #[arg(long = "scope")]
        scopes: Vec<String>,
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
            id_token_alg,
            json,
        } => {
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
                    id_token_signed_response_alg: id_token_alg,
                    ..NewClient::default()
                })
                .await?;
            if json {
                println!(
                    "{}",
                    json!({"client_id": client.client_id, "client_secret": secret})
                );
            } else {
                println!("client_id:     {}", client.client_id);
                match secret {
                    Some(secret) => println!("client_secret: {secret}"),
                    None => println!("client_secret: (none: public client, PKCE required)"),
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
                            "public": c.is_public(),
                            "first_party": c.first_party,
                            "redirect_uris": c.redirect_uris,
                            "scopes": c.scopes,
                            "id_token_signed_response_alg": c.id_token_signed_response_alg,
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                for c in clients {
                    let kind = if c.is_public() {
                        "public"
                    } else {
                        "confidential"
                    };
                    println!(
                        "{}\t{}\t{kind}\t{}",
                        c.client_id,
                        c.name,
                        c.redirect_uris.join(" ")
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
