//! The `crm-indexer` Lambda: fed by the table's DynamoDB stream (person records only, by
//! the event source's filter), with a concurrency of one, the index's one writer. Each
//! batch is read back from the table, applied, and published as one snapshot; a failed
//! batch is retried by the stream, and applying it twice changes nothing. An operator's
//! rebuild request (`varoskapu-aws crm reindex`), inserted into the table, arrives the
//! same way and rebuilds the whole index from the table.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init(LogFormat::detect());
    let indexer = varoskapu_lambda::crm::indexer_from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let indexer = indexer.clone();
        async move { Ok::<_, lambda_runtime::Error>(indexer.handle(&event.payload).await?) }
    }))
    .await
}
