//! The `crm-refresh` Lambda: each EventBridge invocation (nightly) refreshes every
//! identified person record from the population register: moves, changes of name and
//! deaths are written into the records with their history and flagged for the office. The
//! changed records reach the search index through the table's change stream; records the
//! register did not answer for are counted and asked about again on the next run.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use varoskapu_core::crm::schedule::REFRESH_BATCH;
use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init(LogFormat::detect());
    let crm = varoskapu_lambda::crm::refresher_from_env().await?;
    lambda_runtime::run(service_fn(|_: LambdaEvent<serde_json::Value>| {
        let crm = crm.clone();
        async move {
            let report = crm.refresh_from_registry(REFRESH_BATCH).await?;
            tracing::info!(
                checked = report.checked,
                changed = report.changed,
                failed = report.failed,
                "registry refresh done"
            );
            Ok::<_, lambda_runtime::Error>(serde_json::json!({
                "checked": report.checked,
                "changed": report.changed,
                "failed": report.failed,
            }))
        }
    }))
    .await
}
