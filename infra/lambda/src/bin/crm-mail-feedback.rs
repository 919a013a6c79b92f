//! The `crm-mail-feedback` Lambda: SES bounce and complaint notifications, delivered by
//! SNS, mark the address on every record holding it; a hard bounce or a complaint stops
//! all mail to it (the senders ask the suppression list first).

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init(LogFormat::detect());
    let crm = varoskapu_lambda::crm::reader_from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let crm = crm.clone();
        async move {
            let found = varoskapu_lambda::crm::feedback_of(&event.payload);
            let report = crm.apply_bounces(&found).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(report)?)
        }
    }))
    .await
}
