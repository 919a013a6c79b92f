//! `HttpRegistry`: the client of a registry service speaking the crate's JSON protocol,
//! over TLS with a client certificate, asking again (with backoff) when the service is
//! slow or failing, never when it refused the question.

use crate::wire::{AddressQuery, DocumentQuery, ErrorBody, NOT_FOUND};
use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::time::Duration;
use varoskapu_core::crm::person::NaturalIdentity;
use varoskapu_core::crm::registry::{
    AddressCheck, DocumentCheck, DocumentKind, PersonMatch, RegisteredPerson, Registry,
    RegistryError, VehicleCheck, normalise_plate,
};

/// How the client reaches the registry service, read once from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRegistrySettings {
    /// `VAROSKAPU_REGISTRY_URL`: the service's base URL (`https://szl.example.hu/v1`).
    pub url: url::Url,
    /// `VAROSKAPU_REGISTRY_TIMEOUT_MS`: how long one request may take (default 3000).
    pub timeout: Duration,
    /// `VAROSKAPU_REGISTRY_RETRIES`: how often a timed-out or failed request is asked again
    /// (default 2).
    pub retries: u32,
    /// The wait before the first retry, doubled for each further one (200 ms).
    pub backoff: Duration,
    /// `VAROSKAPU_REGISTRY_CLIENT_CERT`: the client certificate (PEM) for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// `VAROSKAPU_REGISTRY_CLIENT_KEY`: its private key (PEM).
    pub client_key: Option<PathBuf>,
    /// `VAROSKAPU_REGISTRY_CA`: a CA (PEM) trusted besides the system's roots.
    pub ca: Option<PathBuf>,
}

/// A setting that is missing or wrong, named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{name} is not set")]
    Missing { name: &'static str },
    #[error("{name} is not valid: {detail}")]
    Invalid { name: &'static str, detail: String },
}

const URL: &str = "VAROSKAPU_REGISTRY_URL";
const TIMEOUT: &str = "VAROSKAPU_REGISTRY_TIMEOUT_MS";
const RETRIES: &str = "VAROSKAPU_REGISTRY_RETRIES";
const CLIENT_CERT: &str = "VAROSKAPU_REGISTRY_CLIENT_CERT";
const CLIENT_KEY: &str = "VAROSKAPU_REGISTRY_CLIENT_KEY";
const CA: &str = "VAROSKAPU_REGISTRY_CA";

impl HttpRegistrySettings {
    /// Settings for `url` with the defaults (3 s timeout, 2 retries, no client certificate).
    pub fn new(url: url::Url) -> Self {
        Self {
            url,
            timeout: Duration::from_millis(3000),
            retries: 2,
            backoff: Duration::from_millis(200),
            client_cert: None,
            client_key: None,
            ca: None,
        }
    }

    /// The settings from the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings from any source of named values (the environment, a test's map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let raw = get(URL).ok_or(SettingsError::Missing { name: URL })?;
        let url = url::Url::parse(raw.trim()).map_err(|e| SettingsError::Invalid {
            name: URL,
            detail: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SettingsError::Invalid {
                name: URL,
                detail: "not an http(s) URL".into(),
            });
        }
        let mut settings = Self::new(url);
        if let Some(ms) = get(TIMEOUT) {
            let ms: u64 = ms.trim().parse().map_err(|_| SettingsError::Invalid {
                name: TIMEOUT,
                detail: "not a whole number of milliseconds".into(),
            })?;
            if ms == 0 {
                return Err(SettingsError::Invalid {
                    name: TIMEOUT,
                    detail: "must be above zero".into(),
                });
            }
            settings.timeout = Duration::from_millis(ms);
        }
        if let Some(retries) = get(RETRIES) {
            settings.retries = retries.trim().parse().map_err(|_| SettingsError::Invalid {
                name: RETRIES,
                detail: "not a whole number".into(),
            })?;
        }
        settings.client_cert = get(CLIENT_CERT).map(PathBuf::from);
        settings.client_key = get(CLIENT_KEY).map(PathBuf::from);
        settings.ca = get(CA).map(PathBuf::from);
        match (&settings.client_cert, &settings.client_key) {
            (Some(_), None) => Err(SettingsError::Missing { name: CLIENT_KEY }),
            (None, Some(_)) => Err(SettingsError::Missing { name: CLIENT_CERT }),
            _ => Ok(settings),
        }
    }
}

/// The client of a registry service.
pub struct HttpRegistry {
    http: reqwest::Client,
    base: url::Url,
    name: String,
    retries: u32,
    backoff: Duration,
}

fn read_pem(name: &'static str, path: &PathBuf) -> Result<Vec<u8>, SettingsError> {
    std::fs::read(path).map_err(|e| SettingsError::Invalid {
        name,
        detail: format!("{}: {e}", path.display()),
    })
}

impl HttpRegistry {
    /// A client over `settings`; fails when a PEM file cannot be read or parsed.
    pub fn new(settings: &HttpRegistrySettings) -> Result<Self, SettingsError> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none());
        if let (Some(cert), Some(key)) = (&settings.client_cert, &settings.client_key) {
            let mut pem = read_pem(CLIENT_CERT, cert)?;
            pem.push(b'\n');
            pem.extend(read_pem(CLIENT_KEY, key)?);
            let identity =
                reqwest::Identity::from_pem(&pem).map_err(|e| SettingsError::Invalid {
                    name: CLIENT_CERT,
                    detail: format!("not a certificate and key in PEM: {e}"),
                })?;
            builder = builder.identity(identity);
        }
        if let Some(ca) = &settings.ca {
            let pem = read_pem(CA, ca)?;
            let roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                SettingsError::Invalid {
                    name: CA,
                    detail: format!("not a PEM certificate: {e}"),
                }
            })?;
            if roots.is_empty() {
                return Err(SettingsError::Invalid {
                    name: CA,
                    detail: "no certificate in the file".into(),
                });
            }
            for root in roots {
                builder = builder.add_root_certificate(root);
            }
        }
        let http = builder.build().map_err(|e| SettingsError::Invalid {
            name: URL,
            detail: format!("the HTTP client cannot be built: {e}"),
        })?;
        let mut base = settings.url.clone();
        // `join` replaces the last segment unless the base ends with a slash.
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(Self {
            http,
            name: settings
                .url
                .host_str()
                .map(str::to_owned)
                .unwrap_or_else(|| "registry".into()),
            base,
            retries: settings.retries,
            backoff: settings.backoff,
        })
    }

    /// The client of `settings` from the environment ([`HttpRegistrySettings::from_env`]).
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::new(&HttpRegistrySettings::from_env()?)
    }

    /// Asks, again after a timeout, a connection error or a 5xx: `Ok(None)` for the
    /// service's `not_found`, the answer's JSON for a 2xx.
    async fn ask<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        // The operation, for logs (never the personal data in the path or body).
        operation: &'static str,
    ) -> Result<Option<T>, RegistryError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| RegistryError::Refused(format!("bad request path: {e}")))?;
        let mut last = String::new();
        for attempt in 0..=self.retries {
            if attempt > 0 {
                let wait = self.backoff.saturating_mul(1 << (attempt - 1).min(10));
                tokio::time::sleep(wait).await;
            }
            let mut request = self.http.request(method.clone(), url.clone());
            if let Some(body) = &body {
                request = request
                    .header("content-type", "application/json")
                    .body(body.clone());
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(e) => {
                    last = if e.is_timeout() {
                        "timed out".into()
                    } else if e.is_connect() {
                        "cannot connect".into()
                    } else {
                        "request failed".into()
                    };
                    tracing::warn!(operation, attempt, reason = %last, "registry request failed");
                    continue;
                }
            };
            let status = response.status();
            if status.is_success() {
                let bytes = match response.bytes().await {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        last = if e.is_timeout() {
                            "timed out".into()
                        } else {
                            "answer cut short".into()
                        };
                        tracing::warn!(operation, attempt, reason = %last, "registry answer lost");
                        continue;
                    }
                };
                return serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                    tracing::warn!(operation, "registry answer not understood");
                    RegistryError::Unavailable(format!("answer not understood: {e}"))
                });
            }
            let error = response.json::<ErrorBody>().await.ok();
            // Only the service's own "not found" means no such thing; a bare 404 is a
            // wrong base URL, never an answer about a person.
            if status == StatusCode::NOT_FOUND
                && error.as_ref().is_some_and(|b| b.error == NOT_FOUND)
            {
                return Ok(None);
            }
            let detail = error
                .map(|b| format!("{status} {}: {}", b.error, b.detail))
                .unwrap_or_else(|| status.to_string());
            if status.is_client_error() {
                tracing::warn!(operation, status = status.as_u16(), "registry refused");
                return Err(RegistryError::Refused(detail));
            }
            tracing::warn!(
                operation,
                attempt,
                status = status.as_u16(),
                "registry failed"
            );
            last = detail;
        }
        Err(RegistryError::Unavailable(format!(
            "{last} (after {} attempts)",
            self.retries + 1
        )))
    }

    async fn ask_found<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        operation: &'static str,
    ) -> Result<T, RegistryError> {
        self.ask(method, path, body, operation)
            .await?
            .ok_or_else(|| {
                RegistryError::Refused(format!("{operation}: the service has no such route"))
            })
    }
}

/// A request body, serialised once for every attempt.
fn body(value: &impl Serialize) -> Result<Option<Vec<u8>>, RegistryError> {
    serde_json::to_vec(value)
        .map(Some)
        .map_err(|e| RegistryError::Refused(format!("the request cannot be written: {e}")))
}

/// A path segment with everything but unreserved characters percent-encoded.
fn segment(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[async_trait]
impl Registry for HttpRegistry {
    fn name(&self) -> &str {
        &self.name
    }

    async fn person(&self, identity: &NaturalIdentity) -> Result<PersonMatch, RegistryError> {
        self.ask_found(
            Method::POST,
            "persons/match",
            body(identity)?,
            "match_person",
        )
        .await
    }

    async fn person_by_id(
        &self,
        registry_id: &str,
    ) -> Result<Option<RegisteredPerson>, RegistryError> {
        self.ask(
            Method::GET,
            &format!("persons/{}", segment(registry_id)),
            None,
            "person_by_id",
        )
        .await
    }

    async fn address(
        &self,
        postcode: &str,
        street: &str,
        number: &str,
    ) -> Result<AddressCheck, RegistryError> {
        let query = AddressQuery {
            postcode: postcode.into(),
            street: street.into(),
            number: number.into(),
        };
        self.ask_found(
            Method::POST,
            "addresses/check",
            body(&query)?,
            "check_address",
        )
        .await
    }

    async fn vehicle(&self, plate: &str) -> Result<VehicleCheck, RegistryError> {
        let plate = normalise_plate(plate);
        if plate.is_empty() || !plate.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(VehicleCheck::NotRegistered);
        }
        self.ask_found(Method::GET, &format!("vehicles/{plate}"), None, "vehicle")
            .await
    }

    async fn document(
        &self,
        kind: DocumentKind,
        number: &str,
    ) -> Result<DocumentCheck, RegistryError> {
        let query = DocumentQuery {
            kind,
            number: number.into(),
        };
        self.ask_found(
            Method::POST,
            "documents/check",
            body(&query)?,
            "check_document",
        )
        .await
    }
}
