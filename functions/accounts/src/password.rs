//! Argon2id password hashing with OWASP's recommended parameters.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use std::sync::OnceLock;

/// Hashes and checks passwords; one instance is shared by every request.
#[derive(Clone)]
pub struct Passwords {
    argon: Argon2<'static>,
}

impl Default for Passwords {
    fn default() -> Self {
        Self::owasp()
    }
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (hashing cost must stay bounded).
pub const MAX_PASSWORD_CHARS: usize = 128;

impl Passwords {
    /// Argon2id, m = 19 MiB, t = 2, p = 1 (OWASP Password Storage Cheat Sheet).
    pub fn owasp() -> Self {
        let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
        Self {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        }
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) for a new password.
    pub fn hash(&self, password: &str) -> Result<String, argon2::password_hash::Error> {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt)?;
        Ok(self
            .argon
            .hash_password(password.as_bytes(), &salt)?
            .to_string())
    }

    /// Whether the password matches a stored PHC string.
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        PasswordHash::new(phc)
            .map(|parsed| {
                self.argon
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    }

    /// Spends the time of one verification when there is no account, so timing tells nothing.
    pub fn verify_nothing(&self, password: &str) {
        static DUMMY: OnceLock<String> = OnceLock::new();
        let dummy = DUMMY.get_or_init(|| self.hash("not a real password").unwrap_or_default());
        let _ = self.verify(password, dummy);
    }

    /// Whether a password is acceptable as a new password.
    pub fn acceptable(password: &str) -> bool {
        let chars = password.chars().count();
        (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_cost_and_verify() {
        let passwords = Passwords::owasp();
        let phc = passwords.hash("correct horse battery").expect("hashes");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(passwords.verify("correct horse battery", &phc));
        assert!(!passwords.verify("correct horse batterY", &phc));
        assert!(!passwords.verify("x", "not a phc string"));
    }

    #[test]
    fn short_and_huge_passwords_are_not_acceptable() {
        assert!(!Passwords::acceptable("short"));
        assert!(Passwords::acceptable("long enough pw"));
        assert!(!Passwords::acceptable(&"x".repeat(129)));
    }
}
