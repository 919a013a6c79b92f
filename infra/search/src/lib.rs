//! The CRM's search index on tantivy: in a folder, in memory, or as a snapshot in object storage.
