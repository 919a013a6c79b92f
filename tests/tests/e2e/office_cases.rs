//! The office screens (office_cases), as a browser meets them.
