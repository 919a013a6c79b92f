//! The `varoskapu` binary's operator commands, run as the binary on a data folder, in one
//! test binary.

mod identity_cli;
mod payments_cli;
