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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameter_is_named_after_the_stack_as_the_template_names_it() {
        // template.yaml: !Sub "/varoskapu/${AWS::StackName}/document-signing-chain"
        assert_eq!(
            signing_chain_parameter("varoskapu-prod"),
            "/varoskapu/varoskapu-prod/document-signing-chain"
        );
    }
}
