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
        weakness(password).is_none()
    }
}

/// Why a new password is refused, so that the page can say what to do instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    TooShort,
    TooLong,
    /// On the bundled list of passwords that breaches show again and again.
    Common,
    /// One character repeated, or a run such as `abcdefghij` or `9876543210`.
    Pattern,
}

/// The bundled list of common passwords (compiled in: no network at sign-up).
const COMMON: &str = include_str!("common-passwords.txt");

fn is_common(password: &str) -> bool {
    let wanted = password.to_lowercase();
    COMMON
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .any(|line| line.to_lowercase() == wanted)
}

/// One character over and over, or each character one more (or one less) than the last.
fn is_pattern(password: &str) -> bool {
    let chars: Vec<u32> = password.chars().map(u32::from).collect();
    let same = chars.windows(2).all(|w| w[0] == w[1]);
    let up = chars.windows(2).all(|w| w[1] == w[0].wrapping_add(1));
    let down = chars.windows(2).all(|w| w[0] == w[1].wrapping_add(1));
    same || up || down
}

/// What is wrong with a new password, if anything: length first, then the common list.
pub fn weakness(password: &str) -> Option<Weakness> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Some(Weakness::TooShort)
    } else if chars > MAX_PASSWORD_CHARS {
        Some(Weakness::TooLong)
    } else if is_common(password) {
        Some(Weakness::Common)
    } else if is_pattern(password) {
        Some(Weakness::Pattern)
    } else {
        None
    }
}

/// How strong an acceptable password looks, shown as guidance beside the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// Acceptable, but short or of one kind of character: a longer passphrase is better.
    Fair,
    Good,
    Strong,
}

/// A rough strength of an acceptable password: its length and the kinds of characters in it.
pub fn strength(password: &str) -> Strength {
    let chars = password.chars().count();
    let kinds = [
        password.chars().any(char::is_lowercase),
        password.chars().any(char::is_uppercase),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ]
    .into_iter()
    .filter(|k| *k)
    .count();
    match (chars, kinds) {
        (16.., _) | (12.., 3..) => Strength::Strong,
        (12.., _) | (_, 3..) => Strength::Good,
        _ => Strength::Fair,
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

    #[test]
    fn common_and_patterned_passwords_are_refused_with_the_reason() {
        assert_eq!(weakness("Password123"), Some(Weakness::Common));
        assert_eq!(weakness("jelszo1234"), Some(Weakness::Common));
        assert_eq!(weakness("aaaaaaaaaaaa"), Some(Weakness::Pattern));
        assert_eq!(weakness("abcdefghijkl"), Some(Weakness::Pattern));
        assert_eq!(weakness("short"), Some(Weakness::TooShort));
        assert_eq!(weakness("Demo-polgar-2026"), None);
        assert_eq!(weakness("a long password"), None);
    }

    #[test]
    fn longer_and_more_varied_passwords_look_stronger() {
        assert_eq!(strength("abcdefghik"), Strength::Fair);
        assert_eq!(strength("lovasbolt kert"), Strength::Good);
        assert_eq!(strength("Lovas-bolt-2026"), Strength::Strong);
        assert_eq!(strength("egy hosszu jelmondat"), Strength::Strong);
    }
}
