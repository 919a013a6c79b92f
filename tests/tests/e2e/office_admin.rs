//! The office screens (office_admin), as a browser meets them.
