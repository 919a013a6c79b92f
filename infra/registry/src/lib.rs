//! The national registries: an HTTP client of a registry service, and the local registry of the demo district.
//!
//! Both implement [`varoskapu_core::crm::registry::Registry`]:
//!
//! - [`LocalRegistry`]: the registers in memory — [`LocalRegistry::demo`] (the bundled
//!   `data/demo-registry.json`: Budapest V. kerület, about thirty persons), an operator's
//!   file ([`LocalRegistry::from_file`], same format), or [`LocalRegistry::generate`] for
//!   load tests. Tests change it (`move_person`, `rename_person`, `set_deceased`,
//!   `set_vehicle_keeper`…) to see the periodic refresh notice.
//! - [`HttpRegistry`]: the client of a registry service, configured by
//!   [`HttpRegistrySettings::from_env`] (`VAROSKAPU_REGISTRY_URL`,
//!   `VAROSKAPU_REGISTRY_TIMEOUT_MS`, `VAROSKAPU_REGISTRY_RETRIES`,
//!   `VAROSKAPU_REGISTRY_CLIENT_CERT`, `VAROSKAPU_REGISTRY_CLIENT_KEY`,
//!   `VAROSKAPU_REGISTRY_CA`).
//!
//! # Matching a person
//!
//! A natural identity matches a registered person when family name, given name (both
//! folded: accents, case and titles ignored) and birth date are equal; birth place, the
//! mother's birth name and the birth name, when asked, must then agree too, or the answer
//! is `differs` naming the fields that do not. No candidate, or no birth date: `no_match`.
//!
//! # The wire protocol
//!
//! JSON over HTTPS (mutual TLS in production), paths relative to the base URL. Answers
//! are the serde forms of the port's types, tagged by `result`:
//!
//! | request | body | answer (200) |
//! |---|---|---|
//! | `POST /persons/match` | a `NaturalIdentity` (`family_name`, `given_name`, `birth_name`, `birth_place`, `birth_date` `YYYY-MM-DD`, `mother_birth_name`) | `{"result":"match","person":{…}}`, `{"result":"no_match"}`, `{"result":"differs","fields":["birth_place"]}` |
//! | `GET /persons/{registry_id}` | | a `RegisteredPerson` (`registry_id`, `identity`, `permanent_address`, `temporary_address`, `card_number`, `deceased_on`); 404 when unknown |
//! | `POST /addresses/check` | `{"postcode","street","number"}` | `{"result":"valid","district":"V","city":"Budapest"}`, `{"result":"invalid","field":"street"}` |
//! | `GET /vehicles/{plate}` | (plate normalised: `ABC123`) | `{"result":"kept_by","registry_id":"…"}`, `{"result":"not_registered"}` |
//! | `POST /documents/check` | `{"kind":"identity_card"\|"passport"\|"driving_licence"\|"address_card","number"}` | `{"result":"valid","expires_on":…,"holder":"<registry id>"}` (the holder may be left out), `{"result":"invalid","reason":"stolen"}`, `{"result":"unknown"}` |
//!
//! Errors are `{"error": "<slug>", "detail": "…"}`: 4xx when the question is refused
//! (the client returns `RegistryError::Refused` at once), 5xx when the service cannot
//! answer (the client asks again with backoff, then returns `RegistryError::Unavailable`,
//! as for timeouts and connection errors). [`router`] serves any `Registry` over this
//! protocol. Neither side logs personal data: only the operation, attempt and status.

mod http;
mod local;
mod wire;

pub use http::{HttpRegistry, HttpRegistrySettings, SettingsError};
pub use local::{
    ChangeError, LoadError, LocalRegistry, RegisteredCompany, RegisteredDocument,
    RegisteredVehicle, RegistryData, StreetRange,
};
pub use wire::{AddressQuery, DocumentQuery, ErrorBody, router};
