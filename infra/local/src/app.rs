//! Assembling and running the local server.

use crate::ports::LocalPorts;
use axum::Router;
use std::net::SocketAddr;
use std::path::PathBuf;
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

/// Every function's routes over the local ports.
pub fn build_router(ports: &LocalPorts) -> Router {
    let functions = Router::new()
        .merge(varoskapu_http::health::router(ports.table.clone()))
        .merge(ports.blob_folder.router())
        .merge(crate::docs::router());
    // The OpenID Connect provider, register and authenticate.
    let functions = match crate::identity::router(ports) {
        Ok(identity) => functions.merge(identity),
        Err(e) => {
            tracing::error!(error = %e, "the identity provider is unavailable");
            functions
        }
    };
    // Cases: the catalogue, citizens' cases, the back office and signed decisions.
    let functions = match crate::cases::router(ports) {
        Ok(cases) => functions.merge(cases),
        Err(e) => {
            tracing::error!(error = %e, "cases are unavailable");
            functions
        }
    };
    // Appointments: citizens' bookings and the back office's calendars.
    let functions = match appointments_state(ports) {
        Ok(state) => functions.merge(varoskapu_book_appointment::router(state)),
        Err(e) => {
            tracing::error!(error = %e, "appointments are unavailable");
            functions
        }
    };
    // Fee payments, with the SimplePay simulator standing in for the card provider.
    let functions = match pay_fee_state(ports) {
        Ok((state, simulator)) => functions
            .merge(varoskapu_pay_fee::router(state))
            .merge(varoskapu_pay_fee::simulator::router(simulator)),
        Err(e) => {
            tracing::error!(error = %e, "payments are unavailable");
            functions
        }
    };
    // RFC 3161 at POST /tsa, with the TSA keys under the data folder.
    let functions =
        match varoskapu_documents::local_tsa_router(&ports.data_dir, ports.clock.clone()) {
            Ok(tsa) => functions.merge(tsa),
            Err(e) => {
                tracing::error!(error = %e, "the local timestamp authority is unavailable");
                functions
            }
        };
    with_common_layers(functions)
}

/// The appointment functions over the local ports: messages go to the table's outbox and
/// access tokens are checked against the in-process provider's keys.
pub fn appointments_state(ports: &LocalPorts) -> anyhow::Result<AppointmentsState> {
    let provider = crate::identity::provider(ports)?;
    let tokens = crate::identity::token_validator(&provider, ports.clock.clone())?;
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

/// The local merchant secret shared by the pay-fee function and the simulator
/// (`VAROSKAPU_SIMPLEPAY_SECRET` overrides it).
pub const DEMO_MERCHANT_SECRET: &str = "varoskapu-local-simplepay-secret";
/// The local merchant account.
pub const DEMO_MERCHANT_ID: &str = "VAROSKAPUHUF";

/// The pay-fee state over the local ports, its card provider being the simulator.
pub fn pay_fee_state(
    ports: &LocalPorts,
) -> anyhow::Result<(
    varoskapu_pay_fee::PayFeeState,
    varoskapu_pay_fee::simulator::Simulator,
)> {
    use varoskapu_core::payments::simplepay::Merchant;
    let cases = crate::cases::state(ports)?;
    let secret = std::env::var("VAROSKAPU_SIMPLEPAY_SECRET")
        .unwrap_or_else(|_| DEMO_MERCHANT_SECRET.to_owned());
    let merchant = Merchant::new(DEMO_MERCHANT_ID, secret);
    let simulator = varoskapu_pay_fee::simulator::Simulator::new(
        merchant.clone(),
        ports.table.clone(),
        ports.clock.clone(),
        &ports.public_base_url,
    );
    let provider =
        varoskapu_pay_fee::simplepay_client::SimplePayClient::new(merchant, &simulator.api_url());
    let payments = varoskapu_core::payments::Payments::new(
        cases.cases.clone(),
        Arc::new(provider),
        Arc::new(varoskapu_core::payments::nav::RecordingInvoiceReporter {
            table: ports.table.clone(),
        }),
        varoskapu_core::payments::PaymentSettings::default(),
    );
    Ok((
        varoskapu_pay_fee::PayFeeState {
            payments,
            tokens: cases.tokens,
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
                return result.map_err(|e| std::io::Error::other(e.to_string()))?;
            }
            () = signal => {}
        }
        self.stop().await
    }
}

/// Opens the data folder, seeds it on first start, binds and serves in the background.
pub async fn serve(config: ServeConfig) -> anyhow::Result<RunningServer> {
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
    let addr = listener.local_addr()?;
    let ports = LocalPorts::open(&config.data_dir, &format!("http://{addr}"))?;
    crate::seed::seed_demo_data(&ports).await?;
    let router = build_router(&ports);
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
    let reminders = appointments_state(&ports).ok().map(|state| {
        tokio::spawn(varoskapu_book_appointment::reminders::run_periodically(
            state,
            varoskapu_book_appointment::config::DEFAULT_REMINDER_LEAD,
            Duration::from_secs(60),
        ))
    });
    tracing::info!(%addr, data_dir = %config.data_dir.display(), "Városkapu is listening");
    Ok(RunningServer {
        addr,
        ports,
        shutdown,
        task,
        purger,
        reminders,
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
