//! The page cursor: where the previous page ended, bound to the search it came from and to
//! the index's rebuild generation. It names the last person shown by id (never by name),
//! so no personal data travels in the URLs that carry it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use varoskapu_core::crm::search::SearchError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cursor {
    #[serde(rename = "g")]
    pub generation: u64,
    #[serde(rename = "q")]
    pub digest: String,
    #[serde(rename = "r")]
    pub rank: u32,
    pub id: uuid::Uuid,
    /// How many results the pages so far showed.
    #[serde(rename = "n")]
    pub shown: usize,
}

impl Cursor {
    pub(crate) fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// The cursor in `after`, refused unless this index handed it out for this search
    /// since its last rebuild.
    pub(crate) fn parse(
        after: Option<&str>,
        generation: u64,
        digest: &str,
    ) -> Result<Option<Cursor>, SearchError> {
        let Some(text) = after else {
            return Ok(None);
        };
        let cursor: Cursor = URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(SearchError::BadCursor)?;
        if cursor.generation != generation || cursor.digest != digest {
            return Err(SearchError::BadCursor);
        }
        Ok(Some(cursor))
    }
}
