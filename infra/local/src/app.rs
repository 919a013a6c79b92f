//! Assembling and running the local server.

use crate::ports::LocalPorts;
use axum::Router;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use varoskapu_book_appointment::AppointmentsState;
use varoskapu_core::notify::OutboxNotifier;
use varoskapu_http::with_common_layers;

/// How the local server is started.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free one.
    pub addr: SocketAddr,
}

/// How card payments are made on this server.
#[derive(Debug, Clone)]
pub enum CardPayments {
    /// Demo mode: the SimplePay simulator, mounted at `/simplepay-sim`, with a merchant
    /// secret of this data folder.
    Simulator,
    /// SimplePay itself (`VAROSKAPU_SIMPLEPAY_*`); no simulator is mounted.
    SimplePay(varoskapu_pay_fee::config::SimplePaySettings),
}

/// What the local server is, decided once at start-up.
#[derive(Debug, Clone)]
pub struct Mode {
    /// Seeded demo data (published passwords), the local mailbox and the card simulator.
    pub demo: bool,
    pub card: CardPayments,
    /// `VAROSKAPU_PAYMENT_RETURN_ORIGINS`, by default the public base URL's origin.
    pub return_origins: varoskapu_core::payments::ReturnOrigins,
}

impl Mode {
    /// Demo mode over `ports`: the card simulator, return origins from the environment.
    pub fn demo(ports: &LocalPorts) -> anyhow::Result<Self> {
        Ok(Self {
            demo: true,
            card: CardPayments::Simulator,
            return_origins: varoskapu_pay_fee::config::return_origins(&ports.public_base_url)?,
        })
    }

    /// Not a demo: SimplePay's settings are required, nothing is seeded.
    pub fn live(ports: &LocalPorts) -> anyhow::Result<Self> {
        let settings = varoskapu_pay_fee::config::SimplePaySettings::from_env().map_err(|e| {
            anyhow::anyhow!("{e} (or start with --demo to try the system on demo data)")
        })?;
        Ok(Self {
            demo: false,
            card: CardPayments::SimplePay(settings),
            return_origins: varoskapu_pay_fee::config::return_origins(&ports.public_base_url)?,
        })
    }
}

/// Every service of the local server, each built once per start.
///
/// Like zero2prod's `Application::build`, this is the one composition root of the local
/// server: a part that cannot be built stops start-up with a message naming it, so the
/// server never serves with routes missing.
#[derive(Clone)]
pub struct Services {
    pub provider: varoskapu_idp::Provider,
    pub tokens: Arc<varoskapu_http::auth::TokenValidator>,
    pub cases: varoskapu_case_api::CasesState,
    pub appointments: AppointmentsState,
    pub pay_fee: varoskapu_pay_fee::PayFeeState,
    /// The card simulator, in demo mode.
    pub simulator: Option<varoskapu_pay_fee::simulator::Simulator>,
    /// The citizen portal's pages.
    pub portal: varoskapu_portal::PortalState,
    /// The office's pages (Ügyintézőkapu) under `/office`.
    pub office: varoskapu_office_web::OfficeState,
    /// The citizen records (one search index writer per process).
    pub crm: varoskapu_crm::CrmState,
    /// The mailbox pages, in demo mode.
    pub mailbox: Option<crate::mailbox::MailboxState>,
    tsa: Arc<varoskapu_documents::local_tsa::LocalTsa>,
}

impl Services {
    /// Builds every service over `ports` in `mode`; the error names the part that failed.
    pub fn build(ports: &LocalPorts, mode: &Mode) -> anyhow::Result<Self> {
        let provider = crate::identity::provider(ports)
            .map_err(|e| anyhow::anyhow!("the identity provider cannot start: {e}"))?;
        let tokens = crate::identity::token_validator(&provider, ports.clock.clone())
            .map_err(|e| anyhow::anyhow!("the access-token validator cannot start: {e}"))?;
        let keys = crate::cases::document_keys(ports)
            .map_err(|e| anyhow::anyhow!("cases cannot start: {e}"))?;
        let cases = crate::cases::state_with(ports, &keys, tokens.clone())
            .map_err(|e| anyhow::anyhow!("cases cannot start: {e}"))?;
        let appointments = appointments_with(ports, tokens.clone())
            .map_err(|e| anyhow::anyhow!("appointments cannot start: {e}"))?;
        let (pay_fee, simulator) = pay_fee_with(ports, mode, &cases)
            .map_err(|e| anyhow::anyhow!("payments cannot start: {e}"))?;
        let crm = crate::crm::crm_with(ports, cases.cases.audit.clone())
            .map_err(|e| anyhow::anyhow!("the citizen records cannot start: {e}"))?;
        let portal = portal_with(ports, tokens.clone(), &cases, &pay_fee, &appointments, &crm);
        let office = office_with(ports, tokens.clone(), &cases, &pay_fee, &appointments, &crm);
        let crm = varoskapu_crm::CrmState::new(
            crm.clone(),
            Some(crate::crm::identification(ports, &crm)),
            tokens.clone(),
        );
        Ok(Self {
            provider,
            tokens,
            cases,
            appointments,
            pay_fee,
            simulator,
            portal,
            office,
            crm,
            mailbox: mode
                .demo
                .then(|| crate::mailbox::state(ports))
                .transpose()?,
            tsa: Arc::new(keys.tsa(ports.clock.clone())),
        })
    }

    /// Every function's routes over these services.
    pub fn router(&self, ports: &LocalPorts) -> Router {
        let functions = Router::new()
            .merge(varoskapu_http::health::router(ports.table.clone()))
            .merge(ports.blob_folder.router())
            .merge(crate::docs::router())
            // The OpenID Connect provider, register and authenticate.
            .merge(crate::identity::router(&self.provider))
            // Cases: the catalogue, citizens' cases, the back office and signed decisions.
            .merge(crate::cases::router(&self.cases))
            // Appointments: citizens' bookings and the back office's calendars.
            .merge(varoskapu_book_appointment::router(
                self.appointments.clone(),
            ))
            // Fee payments.
            .merge(varoskapu_pay_fee::router(self.pay_fee.clone()))
            // RFC 3161 at POST /tsa, with the TSA keys under the data folder.
            .merge(varoskapu_documents::tsa_router(self.tsa.clone()))
            // The citizen records, and each citizen's copy of hers.
            .merge(varoskapu_crm::router(self.crm.clone()))
            // The citizen portal at `/`, and the one stylesheet of every page.
            .merge(varoskapu_portal::router(self.portal.clone()))
            // The office screens at `/office`.
            .merge(varoskapu_office_web::router(self.office.clone()))
            .merge(varoskapu_web::assets::router());
        // In demo mode the SimplePay simulator stands in for the card provider.
        let functions = match &self.simulator {
            Some(simulator) => {
                functions.merge(varoskapu_pay_fee::simulator::router(simulator.clone()))
            }
            None => functions,
        };
        // In demo mode the mailbox shows what the system sent.
        let functions = match &self.mailbox {
            Some(mailbox) => functions.merge(crate::mailbox::router(mailbox.clone())),
            None => functions,
        };
        with_common_layers(functions)
    }
}

/// Every function's routes over the local ports, in demo mode (the simulator mounted).
pub fn build_router(ports: &LocalPorts) -> anyhow::Result<Router> {
    build_router_in(ports, &Mode::demo(ports)?)
}

/// Every function's routes over the local ports in `mode`.
pub fn build_router_in(ports: &LocalPorts, mode: &Mode) -> anyhow::Result<Router> {
    Ok(Services::build(ports, mode)?.router(ports))
}

/// The appointment functions over the local ports: messages go to the table's outbox and
/// access tokens are checked against the in-process provider's keys.
pub fn appointments_state(ports: &LocalPorts) -> anyhow::Result<AppointmentsState> {
    let provider = crate::identity::provider(ports)?;
    let tokens = crate::identity::token_validator(&provider, ports.clock.clone())?;
    appointments_with(ports, tokens)
}

/// The appointment functions over the local ports, checking access tokens with `tokens`.
pub fn appointments_with(
    ports: &LocalPorts,
    tokens: Arc<varoskapu_http::auth::TokenValidator>,
) -> anyhow::Result<AppointmentsState> {
    let notifier = Arc::new(OutboxNotifier::new(
        ports.table.clone(),
        ports.clock.clone(),
        ports.ids.clone(),
    ));
    Ok(AppointmentsState::new(
        ports.table.clone(),
        ports.clock.clone(),
        ports.ids.clone(),
        notifier,
        tokens,
    )?)
}

/// The simulator's merchant account (demo mode).
pub const DEMO_MERCHANT_ID: &str = "VAROSKAPUHUF";

/// Where a data folder keeps the simulator's merchant secret.
pub fn demo_merchant_secret_path(data_dir: &Path) -> PathBuf {
    data_dir.join("keys").join("simplepay-simulator.secret")
}

/// The simulator's merchant account of a data folder: its secret is 32 random bytes (hex)
/// made on first use and readable by the folder's owner only, so no two demo servers
/// share one and nobody can sign notifications from a published constant.
pub fn demo_merchant(
    data_dir: &Path,
) -> anyhow::Result<varoskapu_core::payments::simplepay::Merchant> {
    let path = demo_merchant_secret_path(data_dir);
    let secret = match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() == 64 => text.trim().to_owned(),
        Ok(_) => anyhow::bail!("{} is not a 64-digit hex secret", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_secret(&path)?,
        Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
    };
    Ok(varoskapu_core::payments::simplepay::Merchant::new(
        DEMO_MERCHANT_ID,
        secret,
    ))
}

/// Writes a fresh secret with mode 0600 (created so, never widened), or reads the one a
/// concurrent start wrote first.
fn create_secret(path: &Path) -> anyhow::Result<String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", tmp.display()))?;
    file.write_all(secret.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", tmp.display()))?;
    // A hard link never replaces an existing file: the first start's secret wins.
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(secret),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(path)?.trim().to_owned())
        }
        Err(e) => anyhow::bail!("cannot create {}: {e}", path.display()),
    }
}

/// The pay-fee state over the local ports in demo mode, its card provider being the
/// simulator (with the data folder's merchant secret).
pub fn pay_fee_state(
    ports: &LocalPorts,
) -> anyhow::Result<(
    varoskapu_pay_fee::PayFeeState,
    varoskapu_pay_fee::simulator::Simulator,
)> {
    let (state, simulator) = pay_fee_in(ports, &Mode::demo(ports)?)?;
    let simulator = simulator.ok_or_else(|| anyhow::anyhow!("demo mode has a simulator"))?;
    Ok((state, simulator))
}

/// The pay-fee state in `mode`, with the simulator to mount in demo mode.
pub fn pay_fee_in(
    ports: &LocalPorts,
    mode: &Mode,
) -> anyhow::Result<(
    varoskapu_pay_fee::PayFeeState,
    Option<varoskapu_pay_fee::simulator::Simulator>,
)> {
    pay_fee_with(ports, mode, &crate::cases::state(ports)?)
}

/// The pay-fee state in `mode` over the case use cases of `cases`.
fn pay_fee_with(
    ports: &LocalPorts,
    mode: &Mode,
    cases: &varoskapu_case_api::CasesState,
) -> anyhow::Result<(
    varoskapu_pay_fee::PayFeeState,
    Option<varoskapu_pay_fee::simulator::Simulator>,
)> {
    use varoskapu_pay_fee::simplepay_client::SimplePayClient;
    let (provider, simulator) = match &mode.card {
        CardPayments::Simulator => {
            let simulator = varoskapu_pay_fee::simulator::Simulator::new(
                demo_merchant(&ports.data_dir)?,
                ports.table.clone(),
                ports.clock.clone(),
                &ports.public_base_url,
            );
            let client = SimplePayClient::new(simulator.merchant.clone(), &simulator.api_url());
            (client, Some(simulator))
        }
        CardPayments::SimplePay(settings) => (
            SimplePayClient::new(settings.merchant.clone(), &settings.api_url),
            None,
        ),
    };
    let payments = varoskapu_core::payments::Payments::new(
        cases.cases.clone(),
        Arc::new(provider),
        Arc::new(varoskapu_core::payments::nav::RecordingInvoiceReporter {
            table: ports.table.clone(),
        }),
        varoskapu_core::payments::PaymentSettings {
            return_origins: Some(mode.return_origins.clone()),
            ..varoskapu_core::payments::PaymentSettings::default()
        },
    )
    // Payment notices link to the case in the portal.
    .with_public_url(&ports.public_base_url);
    Ok((
        varoskapu_pay_fee::PayFeeState {
            payments,
            tokens: cases.tokens.clone(),
            public_base_url: ports.public_base_url.clone(),
        },
        simulator,
    ))
}

/// A server started by [`serve`].
pub struct RunningServer {
    pub addr: SocketAddr,
    pub ports: LocalPorts,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    purger: JoinHandle<()>,
    reminders: Option<JoinHandle<()>>,
    /// The registry refresh, unless `VAROSKAPU_REGISTRY_REFRESH=off`.
    refresh: Option<JoinHandle<()>>,
    relay: Option<crate::relay::RelayHandle>,
}

impl RunningServer {
    /// The base URL clients use.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests, lets in-flight ones finish, and waits.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(());
        self.purger.abort();
        if let Some(reminders) = &self.reminders {
            reminders.abort();
        }
        if let Some(refresh) = self.refresh {
            refresh.abort();
            // Awaited, so that its hold on the search index is gone when this returns.
            let _ = refresh.await;
        }
        if let Some(relay) = self.relay {
            relay.stop().await;
        }
        self.task
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?
    }

    /// Serves until `signal` completes, then shuts down gracefully.
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) -> std::io::Result<()> {
        tokio::select! {
            result = &mut self.task => {
                self.purger.abort();
                if let Some(reminders) = &self.reminders {
                    reminders.abort();
                }
                if let Some(refresh) = &self.refresh {
                    refresh.abort();
                }
                return result.map_err(|e| std::io::Error::other(e.to_string()))?;
            }
            () = signal => {}
        }
        self.stop().await
    }
}

/// Serves the demo: opens the data folder, seeds the demo data on first start, mounts the
/// card simulator, binds and serves in the background.
pub async fn serve(config: ServeConfig) -> anyhow::Result<RunningServer> {
    serve_with(config, true).await
}

/// Opens the data folder, binds and serves in the background. Demo mode when `demo` is
/// asked for (`--demo`) or the folder holds the seeded demo data: the demo data is seeded
/// (idempotently) and the card simulator mounted. Otherwise nothing is seeded, no
/// simulator is mounted and card payments need SimplePay's settings.
pub async fn serve_with(config: ServeConfig, demo: bool) -> anyhow::Result<RunningServer> {
    serve_relaying(config, demo, crate::relay::RelayConfig::from_env()?).await
}

/// [`serve_with`], relaying the outbox to the SMTP server of `relay` (`VAROSKAPU_SMTP_URL`).
pub async fn serve_relaying(
    config: ServeConfig,
    demo: bool,
    relay: Option<crate::relay::RelayConfig>,
) -> anyhow::Result<RunningServer> {
    // Read before anything starts: a bad value stops start-up, naming the setting.
    let refresh_schedule = crate::registry_refresh::schedule_from_env()?;
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
    let addr = listener.local_addr()?;
    // A newcomer's first start (a new data folder, no card provider configured) is a demo,
    // so that `cargo run --release` shows the whole system at once.
    let first_start = !config.data_dir.join("varoskapu.db").exists();
    let ports = LocalPorts::open(&config.data_dir, &format!("http://{addr}"))?;
    let unconfigured = std::env::var_os("VAROSKAPU_SIMPLEPAY_MERCHANT").is_none();
    let demo =
        demo || (first_start && unconfigured) || crate::seed::holds_demo_data(&ports).await?;
    let mode = if demo {
        Mode::demo(&ports)?
    } else {
        Mode::live(&ports)?
    };
    let services = Services::build(&ports, &mode)?;
    if demo {
        crate::seed::seed_demo_data_with(&ports, &services.provider).await?;
        crate::crm::seed_demo(&services.crm.crm).await?;
    }
    let router = services.router(&ports);
    let (shutdown, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        // The peer address feeds per-address throttling of failed sign-ins.
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = shutdown_rx.await;
        })
        .await
    });
    let purger = tokio::spawn(purge_expired_periodically(ports.clone()));
    // The local stand-in for the EventBridge schedule of appointment reminders.
    let reminders = Some(tokio::spawn(
        varoskapu_book_appointment::reminders::run_periodically(
            services.appointments.clone(),
            varoskapu_book_appointment::config::DEFAULT_REMINDER_LEAD,
            Duration::from_secs(60),
        ),
    ));
    // The local stand-in for the EventBridge schedule of the registry refresh.
    let refresh = crate::registry_refresh::spawn(
        services.crm.crm.clone(),
        ports.clock.clone(),
        refresh_schedule,
    );
    let relay = relay.map(|relay| crate::relay::spawn_local(&ports, relay));
    tracing::info!(%addr, data_dir = %config.data_dir.display(), "Városkapu is listening");
    Ok(RunningServer {
        addr,
        ports,
        shutdown,
        task,
        purger,
        reminders,
        refresh,
        relay,
    })
}

/// Expired items are already invisible; this reclaims their space, as DynamoDB's TTL does.
async fn purge_expired_periodically(ports: LocalPorts) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        match ports.sqlite.purge_expired().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(purged = n, "expired items removed"),
            Err(e) => tracing::warn!(error = %e, "purging expired items failed"),
        }
    }
}

/// Imports a bank statement file into the data folder, as the back office would.
pub async fn import_statement(
    data_dir: &std::path::Path,
    file: &std::path::Path,
) -> anyhow::Result<varoskapu_core::payments::ImportSummary> {
    let xml = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let ports = LocalPorts::open(data_dir, "http://127.0.0.1:8080")?;
    let (state, _) = pay_fee_state(&ports)?;
    Ok(state
        .payments
        .import(&xml, varoskapu_core::cases::Actor::System)
        .await?)
}

/// The office screens over the case, payment and appointment use cases, signing staff in
/// through the server's own provider as the demo office client.
fn office_with(
    ports: &LocalPorts,
    tokens: Arc<varoskapu_http::auth::TokenValidator>,
    cases: &varoskapu_case_api::CasesState,
    pay_fee: &varoskapu_pay_fee::PayFeeState,
    appointments: &AppointmentsState,
    crm: &varoskapu_core::crm::Crm,
) -> varoskapu_office_web::OfficeState {
    let config = varoskapu_office_web::config::config(
        &ports.public_base_url,
        crate::identity::DEMO_OFFICE_ID,
        crate::identity::DEMO_OFFICE_SECRET,
        &ports.public_base_url,
    );
    varoskapu_office_web::OfficeState::new(
        config,
        ports.table.clone(),
        ports.clock.clone(),
        tokens,
        cases.clone(),
        pay_fee.clone(),
        appointments.clone(),
        crm.clone(),
    )
    .with_identification(crate::crm::identification(ports, crm))
}

/// The citizen portal over the case and payment use cases, signing people in through the
/// server's own provider as the demo portal client (its callback on the public base URL).
fn portal_with(
    ports: &LocalPorts,
    tokens: Arc<varoskapu_http::auth::TokenValidator>,
    cases: &varoskapu_case_api::CasesState,
    pay_fee: &varoskapu_pay_fee::PayFeeState,
    appointments: &AppointmentsState,
    crm: &varoskapu_core::crm::Crm,
) -> varoskapu_portal::PortalState {
    let config = varoskapu_portal::config::config(
        &ports.public_base_url,
        crate::identity::DEMO_PORTAL_ID,
        crate::identity::DEMO_PORTAL_SECRET,
        &ports.public_base_url,
    );
    varoskapu_portal::PortalState::new(
        config,
        ports.table.clone(),
        ports.clock.clone(),
        tokens,
        cases.clone(),
        pay_fee.clone(),
        appointments.clone(),
        crm.clone(),
        Some(crate::crm::identification(ports, crm)),
    )
}
