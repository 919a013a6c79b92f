//! The office screens (office_payments), as a browser meets them.
