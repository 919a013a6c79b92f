//! The `crm-indexer` Lambda: fed by the table's DynamoDB stream (person records only, by
//! the event source's filter), with a concurrency of one, the index's one writer. Each
//! batch is read back from the table, applied, and published as one snapshot; a failed
//! batch is retried by the stream, and applying it twice changes nothing.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init(LogFormat::detect());
    let crm = varoskapu_lambda::crm::writer_from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let crm = crm.clone();
        async move {
            let changed = varoskapu_lambda::crm::changed_persons(&event.payload);
            let applied = crm.apply_changes(&changed).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({ "applied": applied }))
        }
    }))
    .await
}
