//! The JWS algorithms the provider signs with: ES256 for everything by default, RS256 for the
//! ID tokens of partners whose libraries cannot verify ES256.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The smallest RSA modulus accepted for signing or verifying RS256, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// A JWS algorithm the provider signs with; the verifier always names the one it expects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JwsAlgorithm {
    /// ECDSA on P-256 with SHA-256: the default, and the only algorithm of access tokens.
    #[default]
    #[serde(rename = "ES256")]
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, for relying parties that need it.
    #[serde(rename = "RS256")]
    Rs256,
}

impl JwsAlgorithm {
    /// Every algorithm the provider can sign with, as discovery lists them.
    pub const ALL: [JwsAlgorithm; 2] = [JwsAlgorithm::Es256, JwsAlgorithm::Rs256];

    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            JwsAlgorithm::Es256 => "ES256",
            JwsAlgorithm::Rs256 => "RS256",
        }
    }
}

impl fmt::Display for JwsAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An algorithm name the provider does not sign with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported signing algorithm {0:?} (ES256 or RS256)")]
pub struct UnsupportedAlgorithm(pub String);

impl FromStr for JwsAlgorithm {
    type Err = UnsupportedAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ES256" => Ok(JwsAlgorithm::Es256),
            "RS256" => Ok(JwsAlgorithm::Rs256),
            other => Err(UnsupportedAlgorithm(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_refused() {
        for alg in JwsAlgorithm::ALL {
            assert_eq!(alg.as_str().parse(), Ok(alg));
            let json = serde_json::to_string(&alg).expect("serializes");
            assert_eq!(json, format!("\"{alg}\""));
        }
        assert!("HS256".parse::<JwsAlgorithm>().is_err());
        assert!("none".parse::<JwsAlgorithm>().is_err());
        assert_eq!(JwsAlgorithm::default(), JwsAlgorithm::Es256);
    }
}
