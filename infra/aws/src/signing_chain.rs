//! Where a stack keeps the document-signing certificate chain: one SSM Parameter Store
//! parameter per stack, written by the operators' CLI once the municipality's CA has
//! certified the KMS key, read once per execution environment by the functions that sign.
//!
//! The chain is not in the environment: a qualified chain easily passes Lambda's 4 KB
//! limit on a function's environment, and it can only exist after the key does, so a
//! first deploy has no chain yet (the functions then start with signing off).

/// Environment variable naming the chain's parameter (the template sets it to
/// [`signing_chain_parameter`] of its own stack name).
pub const SIGNING_CHAIN_PARAMETER_VAR: &str = "VAROSKAPU_SIGNING_CHAIN_PARAMETER";

/// The SSM parameter holding the PEM chain of the document-signing certificate of the
/// stack `stack` (signing certificate first); the template grants `ssm:GetParameter` on
/// exactly this name.
pub fn signing_chain_parameter(stack: &str) -> String {
    format!("/varoskapu/{stack}/document-signing-chain")
}

/// Why the chain could not be had (its absence is no error: signing is then off).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningChainError {
    #[error("the signing chain parameter {parameter} cannot be read: {reason}")]
    Unavailable { parameter: String, reason: String },
    #[error("the signing chain parameter {parameter} holds no usable PEM chain: {reason}")]
    Invalid { parameter: String, reason: String },
}

/// The chain's parameter of one stack, read through SSM.
#[cfg(feature = "ssm")]
#[derive(Debug, Clone)]
pub struct SigningChainParameter {
    client: aws_sdk_ssm::Client,
    name: String,
}

#[cfg(feature = "ssm")]
impl SigningChainParameter {
    /// The parameter `name` (see [`signing_chain_parameter`]) on a shared SDK configuration.
    pub fn new(sdk: &aws_config::SdkConfig, name: impl Into<String>) -> Self {
        Self {
            client: aws_sdk_ssm::Client::new(sdk),
            name: name.into(),
        }
    }

    /// The parameter's name, for logs.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The chain as DER certificates, `None` while none is installed.
    pub async fn read(&self) -> Result<Option<Vec<Vec<u8>>>, SigningChainError> {
        read_signing_chain(&self.client, &self.name).await
    }
}

/// The chain in `parameter` as DER certificates (signing certificate first), or `None`
/// when the parameter does not exist yet (no chain installed: signing is off).
#[cfg(feature = "ssm")]
pub async fn read_signing_chain(
    client: &aws_sdk_ssm::Client,
    parameter: &str,
) -> Result<Option<Vec<Vec<u8>>>, SigningChainError> {
    let answer = client
        .get_parameter()
        .name(parameter)
        // The chain is public material, kept as a String parameter: nothing to decrypt,
        // so no kms:Decrypt either.
        .with_decryption(false)
        .send()
        .await;
    let output = match answer {
        Ok(output) => output,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_parameter_not_found()) =>
        {
            return Ok(None);
        }
        Err(e) => {
            return Err(SigningChainError::Unavailable {
                parameter: parameter.to_owned(),
                reason: aws_sdk_ssm::error::DisplayErrorContext(e).to_string(),
            });
        }
    };
    let pem = output.parameter.and_then(|p| p.value).unwrap_or_default();
    crate::kms_signer::pem_certificates(&pem)
        .map(Some)
        .map_err(|e| SigningChainError::Invalid {
            parameter: parameter.to_owned(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameter_is_named_after_the_stack_as_the_template_names_it() {
        assert_eq!(
            signing_chain_parameter("varoskapu-prod"),
            "/varoskapu/varoskapu-prod/document-signing-chain"
        );
        // The template passes the same name to the functions and grants reading exactly
        // that parameter; neither may drift from the name the operators' CLI writes.
        let template = include_str!("../../../template.yaml");
        let name = signing_chain_parameter("${AWS::StackName}");
        assert!(template.contains(&format!("{SIGNING_CHAIN_PARAMETER_VAR}: !Sub \"{name}\"")));
        assert!(template.contains(&format!("parameter{name}\"")));
    }
}
