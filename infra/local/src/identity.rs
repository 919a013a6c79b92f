//! The identity functions on the local ports: the OpenID Connect provider (signing keys in
//! `<data-dir>/idp/`), register and authenticate, with their demo data.

use crate::ports::LocalPorts;
use axum::Router;
use std::sync::Arc;
use varoskapu_accounts::{AccountError, Accounts, NewAccount, Role};
use varoskapu_core::access::Scope;
use varoskapu_http::auth::{JwksFetch, TokenValidator};
use varoskapu_idp::clients::ClientError;
use varoskapu_idp::federation::UpstreamConfig;
use varoskapu_idp::{FileKeyStore, IdpConfig, NewClient, Provider, SigningKeys};

/// The demo partner app (school meals): a confidential third-party client that only signs
/// people in (with their name and e-mail address, once they consent).
pub const DEMO_PARTNER_ID: &str = "demo-iskolai-etkezes";
/// Its secret; a demo value, printed in the README.
pub const DEMO_PARTNER_SECRET: &str = "demo-partner-secret-change-me-0123456789abcdef";
pub const DEMO_PARTNER_REDIRECT: &str = "http://127.0.0.1:8081/callback";
/// The second demo partner app (parking permits): a public third-party client (PKCE) that
/// only signs people in.
pub const DEMO_PARKING_ID: &str = "demo-parkolas";
pub const DEMO_PARKING_REDIRECT: &str = "http://127.0.0.1:8082/callback";
/// The municipality's own citizen portal (Ügyfélkapu): a first-party confidential client
/// with the citizens' scopes. Its pages are served at `/` of the server, with the callback
/// [`PORTAL_CALLBACK_PATH`]; this redirect is kept for apps that test the client apart.
pub const DEMO_PORTAL_ID: &str = "demo-ugyfelkapu";
/// Its secret; a demo value, printed in the README.
pub const DEMO_PORTAL_SECRET: &str = "demo-portal-secret-change-me-0123456789abcdef";
pub const DEMO_PORTAL_REDIRECT: &str = "http://127.0.0.1:8083/callback";
/// The portal's callback under the server's public base URL.
pub const PORTAL_CALLBACK_PATH: &str = "/auth/callback";
/// The municipality's own office screens (Ügyintézőkapu): a first-party confidential client
/// with the office scopes. Its pages are served at `/office` of the server, with the
/// callback [`OFFICE_CALLBACK_PATH`]; this redirect is kept for apps that test the client
/// apart.
pub const DEMO_OFFICE_ID: &str = "demo-ugyintezokapu";
/// Its secret; a demo value, printed in the README.
pub const DEMO_OFFICE_SECRET: &str = "demo-office-secret-change-me-0123456789abcdef";
pub const DEMO_OFFICE_REDIRECT: &str = "http://127.0.0.1:8084/callback";
/// The office screens' callback under the server's public base URL.
pub const OFFICE_CALLBACK_PATH: &str = "/office/auth/callback";

/// What each demo client may ask for.
pub const PARTNER_SCOPES: [Scope; 3] = [Scope::OpenId, Scope::Profile, Scope::Email];
pub const PORTAL_SCOPES: [Scope; 7] = [
    Scope::OpenId,
    Scope::Profile,
    Scope::Email,
    Scope::OfflineAccess,
    Scope::Cases,
    Scope::Payments,
    Scope::Appointments,
];
pub const OFFICE_SCOPES: [Scope; 8] = [
    Scope::OpenId,
    Scope::Profile,
    Scope::Email,
    Scope::OfflineAccess,
    Scope::Backoffice,
    Scope::BackofficeApprove,
    Scope::Crm,
    Scope::CrmExport,
];

fn names(scopes: &[Scope]) -> Vec<String> {
    scopes.iter().map(|s| s.as_str().to_owned()).collect()
}

pub const DEMO_CITIZEN_EMAIL: &str = "polgar@demo.varoskapu.hu";
pub const DEMO_CITIZEN_PASSWORD: &str = "Demo-polgar-2026";
pub const DEMO_CLERK_EMAIL: &str = "ugyintezo@demo.varoskapu.hu";
pub const DEMO_CLERK_PASSWORD: &str = "Demo-ugyintezo-2026";
/// The demo office administrator: manages case types, desks and partner apps.
pub const DEMO_ADMIN_EMAIL: &str = "rendszergazda@demo.varoskapu.hu";
pub const DEMO_ADMIN_PASSWORD: &str = "Demo-rendszergazda-2026";

/// The account use cases over the local table, with the outbox as notifier.
pub fn accounts(ports: &LocalPorts) -> Accounts {
    Accounts::with_outbox(
        ports.table.clone(),
        ports.clock.clone(),
        &ports.public_base_url,
    )
}

/// The provider over the local ports; the issuer is the server's own URL.
pub fn provider(ports: &LocalPorts) -> anyhow::Result<Provider> {
    let dir = ports.data_dir.join("idp");
    let keys = FileKeyStore::open(&dir)
        .map_err(|e| anyhow::anyhow!("the provider's signing keys: {e}"))?;
    let mut config =
        IdpConfig::new(ports.public_base_url.clone()).with_pairwise_salt(pairwise_salt(&dir)?);
    if let Some(upstream) = UpstreamConfig::from_env().map_err(anyhow::Error::msg)? {
        config = config.with_upstream(upstream);
    }
    Ok(Provider::new(
        ports.table.clone(),
        ports.clock.clone(),
        Arc::new(keys),
        accounts(ports),
        config,
    ))
}

/// The pairwise salt of this data folder, created on first use.
fn pairwise_salt(dir: &std::path::Path) -> anyhow::Result<String> {
    let path = dir.join("pairwise-salt");
    match std::fs::read_to_string(&path) {
        Ok(salt) if !salt.trim().is_empty() => Ok(salt.trim().to_owned()),
        _ => {
            let salt = varoskapu_idp::secrets::random_token();
            std::fs::write(&path, &salt)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(salt)
        }
    }
}

/// Validates access tokens for the other functions against the provider's keys in-process,
/// mapping pairwise subjects back through the provider's records.
pub fn token_validator(
    provider: &Provider,
    clock: Arc<dyn varoskapu_core::Clock>,
) -> anyhow::Result<Arc<TokenValidator>> {
    let keys: Arc<dyn SigningKeys> = provider.keys.clone();
    let fetch: JwksFetch = Arc::new(move || {
        let keys = keys.clone();
        Box::pin(async move { keys.published().await.map_err(|e| e.to_string()) })
    });
    Ok(Arc::new(
        TokenValidator::new(&provider.config.issuer, fetch, clock)
            .for_functions(provider.table.clone())?,
    ))
}

/// The provider's, register's and authenticate's routes over `provider`.
pub fn router(provider: &Provider) -> Router {
    let accounts = provider.accounts.clone();
    varoskapu_idp::router(provider.clone())
        .merge(varoskapu_register::router(accounts.clone()))
        .merge(varoskapu_authenticate::router(accounts))
}

/// Seeds the demo partner clients, a demo citizen and a demo clerk (idempotent).
pub async fn seed(ports: &LocalPorts) -> anyhow::Result<()> {
    seed_with(&provider(ports)?).await
}

/// Seeds the demo clients and people through `provider` (idempotent).
pub async fn seed_with(provider: &Provider) -> anyhow::Result<()> {
    let clients = [
        NewClient {
            name: "Iskolai étkezés (demo)".into(),
            client_id: Some(DEMO_PARTNER_ID.into()),
            secret: Some(DEMO_PARTNER_SECRET.into()),
            redirect_uris: vec![DEMO_PARTNER_REDIRECT.into()],
            post_logout_redirect_uris: vec!["http://127.0.0.1:8081/".into()],
            scopes: names(&PARTNER_SCOPES),
            ..NewClient::default()
        },
        NewClient {
            name: "Parkolási engedély (demo)".into(),
            client_id: Some(DEMO_PARKING_ID.into()),
            redirect_uris: vec![DEMO_PARKING_REDIRECT.into()],
            post_logout_redirect_uris: vec!["http://127.0.0.1:8082/".into()],
            public: true,
            scopes: names(&PARTNER_SCOPES),
            ..NewClient::default()
        },
        NewClient {
            name: "Ügyfélkapu (demo)".into(),
            client_id: Some(DEMO_PORTAL_ID.into()),
            secret: Some(DEMO_PORTAL_SECRET.into()),
            redirect_uris: vec![
                format!("{}{PORTAL_CALLBACK_PATH}", provider.config.issuer),
                DEMO_PORTAL_REDIRECT.into(),
            ],
            post_logout_redirect_uris: vec![
                format!("{}/", provider.config.issuer),
                "http://127.0.0.1:8083/".into(),
            ],
            first_party: true,
            scopes: names(&PORTAL_SCOPES),
            ..NewClient::default()
        },
        NewClient {
            name: "Ügyintézőkapu (demo)".into(),
            client_id: Some(DEMO_OFFICE_ID.into()),
            secret: Some(DEMO_OFFICE_SECRET.into()),
            redirect_uris: vec![
                format!("{}{OFFICE_CALLBACK_PATH}", provider.config.issuer),
                DEMO_OFFICE_REDIRECT.into(),
            ],
            post_logout_redirect_uris: vec![
                format!("{}/office/", provider.config.issuer),
                "http://127.0.0.1:8084/".into(),
            ],
            first_party: true,
            scopes: names(&OFFICE_SCOPES),
            ..NewClient::default()
        },
    ];
    // Demo clients are registered anew at each start, so that a data folder from an older
    // version gets the scopes and settings this version documents.
    for client in clients {
        let id = client.client_id.clone().unwrap_or_default();
        let registered = match provider.clients.register(client.clone()).await {
            Err(ClientError::AlreadyExists) => {
                provider.clients.remove(&id).await?;
                provider.clients.register(client).await
            }
            other => other,
        };
        registered.map_err(|e| anyhow::anyhow!("seeding the demo client {id}: {e}"))?;
    }
    let people = [
        (
            DEMO_CITIZEN_EMAIL,
            DEMO_CITIZEN_PASSWORD,
            "Kovács Anna",
            Role::Citizen,
        ),
        (
            DEMO_CLERK_EMAIL,
            DEMO_CLERK_PASSWORD,
            "Nagy Éva",
            Role::Clerk,
        ),
        (
            DEMO_ADMIN_EMAIL,
            DEMO_ADMIN_PASSWORD,
            "Szabó Péter",
            Role::Admin,
        ),
    ];
    for (email, password, name, role) in people {
        let account = NewAccount {
            email: email.into(),
            password: password.into(),
            name: name.into(),
            roles: vec![role],
        };
        match provider.accounts.create(account).await {
            Ok(_) | Err(AccountError::EmailTaken) => {}
            Err(e) => return Err(anyhow::anyhow!("seeding a demo account: {e}")),
        }
    }
    Ok(())
}
