//! ES256 signing and verification of an access token, as the provider signs every token
//! and every API checks one: ring (what the code uses) beside the pure-Rust p256 it
//! replaced, on the same key and claims.
//!
//! `cargo bench -p varoskapu-jose --bench jws`

use criterion::{Criterion, criterion_group, criterion_main};
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use serde_json::json;
use std::hint::black_box;
use varoskapu_jose::{JwsAlgorithm, PrivateKey, jws};

fn es256(c: &mut Criterion) {
    let key = PrivateKey::from_scalar("bench", &[7u8; 32]).expect("valid scalar");
    let jwk = key.public_jwk();
    let claims = json!({
        "iss": "https://varoskapu.example.hu", "sub": "0193b5c2-1f7e-7c4e-9a51-2d7c1c0f9a10",
        "aud": "urn:varoskapu:api:cases", "client_id": "demo-ugyfelkapu",
        "scope": "openid cases payments", "iat": 1_764_600_000, "exp": 1_764_600_600,
        "jti": "0193b5c2-1f7e-7c4e-9a51-2d7c1c0f9a11"
    });
    let token = jws::sign_es256(&key, "at+jwt", &claims);
    let input = &token[..token.rfind('.').expect("three parts")];

    c.bench_function("es256 sign (ring)", |b| {
        b.iter(|| black_box(key.sign_raw(black_box(input.as_bytes()))))
    });
    c.bench_function("es256 sign (p256, before)", |b| {
        b.iter(|| {
            let signature: p256::ecdsa::Signature = key.signing_key().sign(input.as_bytes());
            black_box(signature)
        })
    });
    c.bench_function("es256 verify a token (ring)", |b| {
        b.iter(|| {
            jws::verify_with_key::<serde_json::Value>(black_box(&token), &jwk, JwsAlgorithm::Es256)
                .expect("valid")
        })
    });
    let signature =
        p256::ecdsa::Signature::from_slice(&key.sign_raw(input.as_bytes())).expect("r||s");
    c.bench_function("es256 verify (p256, before)", |b| {
        b.iter(|| {
            let public = jwk.verifying_key().expect("EC key");
            public
                .verify(black_box(input.as_bytes()), &signature)
                .expect("valid")
        })
    });
}

criterion_group!(benches, es256);
criterion_main!(benches);
