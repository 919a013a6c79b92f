//! Secrets the functions read from Secrets Manager once per execution environment: the
//! template gives a function the secret's ARN (`VAROSKAPU_*_SECRET_ARN`), never its value,
//! so that the value is not kept in the function's configuration, where anyone allowed
//! `lambda:GetFunctionConfiguration` would read it.
//!
//! A function reads each secret once, while it builds its state: a cold start pays one
//! `GetSecretValue` call per secret and warm invocations none. A new value is taken up by
//! new execution environments (the next deployment, or when Lambda recycles them).

/// Why a secret could not be had; each names the setting, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable {0} is not set (the ARN of its Secrets Manager secret)")]
    Missing(&'static str),
    #[error("{setting}: the secret {arn} cannot be read: {reason}")]
    Unreadable {
        setting: &'static str,
        arn: String,
        reason: String,
    },
    #[error("{setting}: the secret {arn} holds no text value")]
    Empty { setting: &'static str, arn: String },
}

/// The ARN a setting names, read through `lookup` (unset or blank: [`SecretError::Missing`]).
pub fn secret_arn(
    lookup: impl Fn(&str) -> Option<String>,
    setting: &'static str,
) -> Result<String, SecretError> {
    lookup(setting)
        .filter(|v| !v.trim().is_empty())
        .ok_or(SecretError::Missing(setting))
}

/// Secrets Manager on a shared SDK configuration.
#[cfg(feature = "secrets")]
#[derive(Debug, Clone)]
pub struct SecretsManager {
    client: aws_sdk_secretsmanager::Client,
}

#[cfg(feature = "secrets")]
impl SecretsManager {
    /// The client of `sdk` (its region, endpoint and credentials).
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self {
            client: aws_sdk_secretsmanager::Client::new(sdk),
        }
    }

    /// The text value of the secret `arn`, which the setting `setting` named (for the
    /// error, which never contains the value).
    pub async fn read(&self, setting: &'static str, arn: &str) -> Result<String, SecretError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(|e| SecretError::Unreadable {
                setting,
                arn: arn.to_owned(),
                reason: aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
            })?;
        output
            .secret_string
            .filter(|v| !v.is_empty())
            .ok_or_else(|| SecretError::Empty {
                setting,
                arn: arn.to_owned(),
            })
    }

    /// The secret whose ARN the environment variable `setting` holds.
    pub async fn read_setting(&self, setting: &'static str) -> Result<String, SecretError> {
        let arn = secret_arn(|name| std::env::var(name).ok(), setting)?;
        self.read(setting, &arn).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = include_str!("../../../template.yaml");

    #[test]
    fn a_missing_or_blank_arn_names_its_setting() {
        let error = secret_arn(|_| None, "VAROSKAPU_PAIRWISE_SALT_SECRET_ARN").unwrap_err();
        assert_eq!(
            error,
            SecretError::Missing("VAROSKAPU_PAIRWISE_SALT_SECRET_ARN")
        );
        assert!(
            error
                .to_string()
                .contains("VAROSKAPU_PAIRWISE_SALT_SECRET_ARN")
        );
        assert!(secret_arn(|_| Some(" ".into()), "X").is_err());
    }

    #[test]
    fn the_template_resolves_no_secret_into_a_function_configuration() {
        // A dynamic reference would store the value in plain text in the function's
        // configuration; the functions are given the ARN and read the value themselves.
        assert!(!TEMPLATE.contains("{{resolve:secretsmanager"));
        assert!(!TEMPLATE.contains("{{resolve:ssm-secure"));
    }

    #[test]
    fn every_secret_a_function_is_told_of_is_one_it_may_read() {
        // `VAROSKAPU_X_SECRET_ARN: <expr>` in a function's environment, and a statement
        // granting secretsmanager:GetSecretValue on that same expression.
        let settings: Vec<(&str, &str)> = TEMPLATE
            .lines()
            .filter_map(|line| line.trim().split_once(": "))
            .filter(|(name, _)| name.starts_with("VAROSKAPU_") && name.ends_with("_SECRET_ARN"))
            .collect();
        assert!(settings.len() >= 3, "found {settings:?}");
        let grants: Vec<&str> = TEMPLATE
            .split("Action: secretsmanager:GetSecretValue")
            .skip(1)
            .filter_map(|rest| rest.lines().nth(1))
            .collect();
        for (name, value) in settings {
            let secret = value
                .split(['[', ']', ','])
                .map(str::trim)
                .find(|part| part.starts_with("!Ref ") && !part.contains("NoValue"))
                .unwrap_or_else(|| panic!("{name} names no secret: {value}"));
            let granted = [
                format!("Resource: {secret}"),
                format!("Resource: !Split [\",\", {secret}]"),
            ];
            assert!(
                grants.iter().any(|g| granted.iter().any(|e| g.trim() == e)),
                "{name} ({secret}) is not granted secretsmanager:GetSecretValue: {grants:?}"
            );
        }
    }
}
