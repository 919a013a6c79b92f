//! The functions' secrets on moto's Secrets Manager: a secret is read by the ARN its
//! setting names, and a missing setting or secret stops start-up with the setting's name
//! (never the value). Skipped, with a line saying so, when `VAROSKAPU_TEST_AWS_ENDPOINT`
//! is not set (a failure under `CI=true`).
#![cfg(feature = "secrets")]

use varoskapu_aws::AwsConfig;
use varoskapu_aws::secrets::{SecretError, SecretsManager, secret_arn};

const SETTING: &str = "VAROSKAPU_PAIRWISE_SALT_SECRET_ARN";

async fn sdk() -> Option<aws_config::SdkConfig> {
    let endpoint = varoskapu_tests::moto::aws_endpoint()?;
    let config = AwsConfig::from_lookup(|name| match name {
        "VAROSKAPU_TABLE" => Some("unused".into()),
        "VAROSKAPU_DOCUMENTS_BUCKET" => Some("unused".into()),
        "AWS_REGION" => Some("eu-central-1".into()),
        "VAROSKAPU_AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        _ => None,
    })
    .expect("config");
    Some(config.sdk_config().await)
}

async fn create_secret(sdk: &aws_config::SdkConfig, value: &str) -> String {
    aws_sdk_secretsmanager::Client::new(sdk)
        .create_secret()
        .name(format!("salt-{}", uuid::Uuid::now_v7().simple()))
        .secret_string(value)
        .send()
        .await
        .expect("create secret")
        .arn
        .expect("arn")
}

#[tokio::test]
async fn a_secret_is_read_by_the_arn_its_setting_names() {
    let Some(sdk) = sdk().await else { return };
    let arn = create_secret(&sdk, "pairwise-salt-value").await;
    let named = secret_arn(|name| (name == SETTING).then(|| arn.clone()), SETTING).expect("arn");
    let value = SecretsManager::new(&sdk)
        .read(SETTING, &named)
        .await
        .expect("read");
    assert_eq!(value, "pairwise-salt-value");
}

#[tokio::test]
async fn a_secret_that_does_not_exist_stops_start_up_naming_the_setting() {
    let Some(sdk) = sdk().await else { return };
    let arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:never-made-AbCdEf";
    let error = SecretsManager::new(&sdk)
        .read(SETTING, arn)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SecretError::Unreadable { setting, .. } if *setting == SETTING),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(SETTING) && message.contains(arn),
        "{message}"
    );
}

#[tokio::test]
async fn an_unreadable_secret_never_shows_its_value() {
    let Some(sdk) = sdk().await else { return };
    let arn = create_secret(&sdk, "do-not-print-me").await;
    aws_sdk_secretsmanager::Client::new(&sdk)
        .delete_secret()
        .secret_id(&arn)
        .force_delete_without_recovery(true)
        .send()
        .await
        .expect("delete");
    let error = SecretsManager::new(&sdk)
        .read(SETTING, &arn)
        .await
        .unwrap_err();
    assert!(!format!("{error} {error:?}").contains("do-not-print-me"));
    assert!(error.to_string().contains(SETTING));
}
