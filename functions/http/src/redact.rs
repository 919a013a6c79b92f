//! What of a request may reach a log line. Query strings never do (they carry codes and
//! tokens); path segments that look like credentials (presigned upload and download
//! tokens, anything long and opaque) are replaced, so a log reader cannot replay them.

/// Longest path segment logged as it is: ids (UUIDs are 36) fit, tokens do not.
const LONGEST_PLAIN_SEGMENT: usize = 40;

/// The request path as logs may show it.
pub fn loggable_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.len() > LONGEST_PLAIN_SEGMENT {
                "[redacted]"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_tokens_in_paths_are_redacted_and_ids_kept() {
        let token = "eyJrZXkiOiJ1cGxvYWRzLzAxOTAiLCJleHAiOjE3MDB9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU";
        assert_eq!(
            loggable_path(&format!("/blobs/presigned/{token}")),
            "/blobs/presigned/[redacted]"
        );
        let case = "/cases/0190c7e0-0000-7000-8000-000000000001/receipt";
        assert_eq!(loggable_path(case), case);
        assert_eq!(loggable_path("/"), "/");
    }
}
