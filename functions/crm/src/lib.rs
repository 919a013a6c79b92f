//! The CRM's routes: person records, search, saved searches, duplicates and data quality.
