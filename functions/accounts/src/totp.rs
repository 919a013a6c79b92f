//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), the
//! optional second factor, with the base32 secrets authenticator apps read.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

/// Seconds per step.
pub const STEP: i64 = 30;
const DIGITS: u32 = 6;
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A new 160-bit secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::rng().fill_bytes(&mut secret);
    secret
}

/// The code of one step (RFC 4226 dynamic truncation).
pub fn code_at(secret: &[u8], step: u64) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    binary % 10u32.pow(DIGITS)
}

/// The step a code belongs to, accepting one step of clock skew either way.
pub fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<u64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let current = u64::try_from(now / STEP).ok()?;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| code_at(secret, *step) == wanted)
}

/// RFC 4648 base32 without padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes base32 (case-insensitive, padding and spaces ignored).
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| *c != b'=' && *c != b' ') {
        let value = ALPHABET.iter().position(|a| *a == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The `otpauth://` URI an authenticator app scans.
pub fn otpauth_uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    let enc = |t: &str| -> String {
        t.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_base32}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors_truncated_to_six_digits() {
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59 / 30), 287_082);
        assert_eq!(code_at(secret, 1_111_111_109 / 30), 81_804);
        assert_eq!(code_at(secret, 2_000_000_000 / 30), 279_037);
    }

    #[test]
    fn codes_match_within_one_step_only() {
        let secret = b"12345678901234567890";
        assert_eq!(matching_step(secret, "287082", 59), Some(1));
        assert_eq!(matching_step(secret, "287082", 59 + 30), Some(1));
        assert_eq!(matching_step(secret, "287082", 59 + 90), None);
        assert_eq!(matching_step(secret, "28708", 59), None);
        assert_eq!(matching_step(secret, "abcdef", 59), None);
    }

    #[test]
    fn base32_round_trips() {
        let bytes = b"12345678901234567890";
        let text = base32_encode(bytes);
        assert_eq!(text, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            base32_decode(&text.to_lowercase()).as_deref(),
            Some(&bytes[..])
        );
        assert!(
            otpauth_uri("Városkapu", "a@b.hu", &text)
                .starts_with("otpauth://totp/V%C3%A1roskapu:a%40b.hu?secret=")
        );
    }
}
