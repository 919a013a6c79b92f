//! Argon2id password hashing with OWASP's recommended parameters.

use argon2::password_hash::{self, Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use std::sync::OnceLock;

/// Hashes and checks passwords; one instance is shared by every request.
#[derive(Clone)]
pub struct Passwords {
    params: Params,
}

const ALGORITHM: Algorithm = Algorithm::Argon2id;
const VERSION: Version = Version::V0x13;

/// Argon2's working memory (19 MiB at OWASP's cost), allocated with room to spare beyond
/// glibc's largest mmap threshold (32 MiB), so that glibc maps it afresh and unmaps it when
/// it is freed. At its own size, the first free raises the threshold, every later hash's
/// memory comes from an arena, and the arena keeps it: a server held 19 MiB for each thread
/// that ever hashed a password. Only the blocks used are ever touched.
fn working_memory(blocks: usize) -> Vec<Block> {
    const RESERVED_BYTES: usize = 33 * 1024 * 1024;
    let mut memory = Vec::with_capacity(blocks.max(RESERVED_BYTES / size_of::<Block>()));
    memory.resize(blocks, Block::default());
    memory
}

/// The hash of `password` with `salt` under `argon`'s parameters, `len` bytes long.
fn compute(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: Salt<'_>,
    len: usize,
) -> password_hash::Result<Output> {
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes)?;
    let memory = working_memory(argon.params().block_count());
    Output::init_with(len, |out| {
        Ok(argon.hash_password_into_with_memory(password, salt, out, memory)?)
    })
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
        Self { params }
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) for a new password.
    pub fn hash(&self, password: &str) -> Result<String, argon2::password_hash::Error> {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt)?;
        let argon = Argon2::new(ALGORITHM, VERSION, self.params.clone());
        let len = self
            .params
            .output_len()
            .unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let hash = compute(&argon, password.as_bytes(), salt.as_salt(), len)?;
        Ok(PasswordHash {
            algorithm: ALGORITHM.ident(),
            version: Some(VERSION.into()),
            params: ParamsString::try_from(&self.params)?,
            salt: Some(salt.as_salt()),
            hash: Some(hash),
        }
        .to_string())
    }

    /// Whether the password matches a stored PHC string (hashed under whatever Argon2
    /// parameters it names).
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return false;
        };
        let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
            return false;
        };
        let Ok(version) = parsed.version.map(Version::try_from).transpose() else {
            return false;
        };
        // The parameters carry the stored hash's length.
        let Ok(params) = Params::try_from(&parsed) else {
            return false;
        };
        let argon = Argon2::new(algorithm, version.unwrap_or_default(), params);
        // `Output` compares in constant time.
        compute(&argon, password.as_bytes(), salt, expected.len())
            .is_ok_and(|computed| computed == expected)
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
    fn hashes_stored_by_the_argon2_crate_verify_and_ours_verify_there() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let passwords = Passwords::owasp();
        // Hashed under other parameters than ours, as an older stored hash may be.
        let params = Params::new(8 * 1024, 3, 1, Some(24)).unwrap_or_default();
        let crate_argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::encode_b64(b"sixteen byte slt").expect("salt");
        let stored = crate_argon
            .hash_password(b"correct horse battery", &salt)
            .expect("hashes")
            .to_string();
        assert!(passwords.verify("correct horse battery", &stored));
        assert!(!passwords.verify("correct horse batterY", &stored));
        let tampered = stored.replace("t=3", "t=2");
        assert!(!passwords.verify("correct horse battery", &tampered));

        let ours = passwords.hash("correct horse battery").expect("hashes");
        let parsed = PasswordHash::new(&ours).expect("a PHC string");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong horse battery", &parsed)
                .is_err()
        );
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
