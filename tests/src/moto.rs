//! The guard of every test of an AWS engine: they run against moto's server on loopback,
//! which `tests/run` starts and names in `VAROSKAPU_TEST_AWS_ENDPOINT`.
//!
//! Without it a test is skipped locally, saying so on stderr; under `CI=true` its absence
//! fails the test, so a CI run never passes without having exercised the AWS engines.

/// The variable naming the moto endpoint.
pub const ENDPOINT_VAR: &str = "VAROSKAPU_TEST_AWS_ENDPOINT";

/// How to start moto, for the messages.
const HOW: &str = "start moto (`.venv/bin/python tests/moto_server.py 127.0.0.1 5599 &`) and \
                   export VAROSKAPU_TEST_AWS_ENDPOINT=http://127.0.0.1:5599 \
                   AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-central-1";

/// Whether this run is a CI run (`CI=true`, as CI services set it).
pub fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The moto endpoint, or `None` when the test is to be skipped (locally, after saying so
/// on stderr).
///
/// # Panics
///
/// Under `CI=true` when the endpoint is not set: a missing test dependency fails the run.
pub fn aws_endpoint() -> Option<String> {
    match std::env::var(ENDPOINT_VAR) {
        Ok(endpoint) if !endpoint.is_empty() => Some(endpoint),
        _ if on_ci() => panic!("{ENDPOINT_VAR} is not set under CI=true: {HOW}"),
        _ => {
            let test = std::thread::current()
                .name()
                .unwrap_or("an AWS-engine test")
                .to_owned();
            eprintln!("skipped {test}: {ENDPOINT_VAR} is not set; to run it, {HOW}");
            None
        }
    }
}
