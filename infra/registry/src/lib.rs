//! The national registries: an HTTP client of a registry service, and the local registry of the demo district.
