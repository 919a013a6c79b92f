//! The scheduled reminder Lambda: each EventBridge invocation sends the due reminders once.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use varoskapu_book_appointment::reminders::run_once;
use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init(LogFormat::detect());
    // The job validates no tokens; the validator only completes the shared state.
    let (state, config) = varoskapu_lambda::appointments::state_from_env().await?;
    let lead = config.reminder_lead;
    lambda_runtime::run(service_fn(|_: LambdaEvent<serde_json::Value>| {
        let state = state.clone();
        async move {
            let run = run_once(&state, lead).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({ "sent": run.sent, "skipped": run.skipped, "failed": run.failed }))
        }
    }))
    .await
}
