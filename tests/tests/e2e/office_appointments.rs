//! The office screens (office_appointments), as a browser meets them.
