//! `crm reindex`: the search index rebuilt from the table by its one writer, the indexer
//! function. The command writes a rebuild request into the table; the change stream takes
//! it to the indexer, which rebuilds, publishes, and writes its answer into the request.

use std::io::Write;
use std::time::Duration;
use uuid::Uuid;
use varoskapu_core::crm::rebuild::{RebuildRequest, RebuildRequests, RebuildStatus};

/// How often the request is read while waiting for its answer.
const POLL: Duration = Duration::from_secs(2);

/// The operator's name as the request records it.
fn operator() -> String {
    let user = std::env::var("USER")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "an operator".into());
    format!("{user} (varoskapu-aws crm reindex)")
}

/// Makes a request (or takes the earlier `request`) and, unless `wait` is `None`, waits
/// that long for its answer.
pub async fn reindex(
    requests: &RebuildRequests,
    request: Option<Uuid>,
    wait: Option<Duration>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let id = match request {
        Some(id) => {
            requests.get(id).await?.ok_or_else(|| {
                anyhow::anyhow!("there is no rebuild request {id} (requests are kept for a month)")
            })?;
            id
        }
        None => {
            let asked = requests.ask(&operator()).await?;
            writeln!(out, "rebuild of the search index requested: {}", asked.id)?;
            asked.id
        }
    };
    let Some(wait) = wait else {
        writeln!(
            out,
            "not waiting: `varoskapu-aws crm reindex --request {id}` waits for its answer"
        )?;
        return Ok(());
    };
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let request = requests
            .get(id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the rebuild request {id} vanished"))?;
        if let Some(result) = answered(&request) {
            let records = result?;
            writeln!(
                out,
                "the search index was rebuilt from the table: {records} records"
            )?;
            return Ok(());
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            anyhow::bail!(
                "no answer to rebuild request {id} after {} s: it stays pending and is answered \
                 when the indexer function next runs (see its log group; \
                 `varoskapu-aws crm reindex --request {id}` waits again)",
                wait.as_secs()
            );
        }
        tokio::time::sleep(POLL.min(deadline - now)).await;
    }
}

/// The outcome of an answered request: its record count, or the indexer's reason.
fn answered(request: &RebuildRequest) -> Option<anyhow::Result<u64>> {
    match request.status {
        RebuildStatus::Pending => None,
        RebuildStatus::Done => Some(Ok(request.records.unwrap_or(0))),
        RebuildStatus::Failed => Some(Err(anyhow::anyhow!(
            "the indexer could not rebuild the search index: {}",
            request.reason.as_deref().unwrap_or("no reason given")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use varoskapu_core::{MemoryTable, SystemClock, UuidV7Ids};

    fn requests() -> RebuildRequests {
        let clock = Arc::new(SystemClock);
        RebuildRequests::new(
            Arc::new(MemoryTable::new(clock.clone())),
            clock,
            Arc::new(UuidV7Ids),
        )
    }

    #[tokio::test]
    async fn the_command_tells_the_indexers_answer() {
        let requests = requests();
        let mut out = Vec::new();
        reindex(&requests, None, None, &mut out).await.unwrap();
        let text = String::from_utf8(out).unwrap();
        let id: Uuid = text
            .lines()
            .next()
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|id| id.parse().ok())
            .expect("the request's id is printed");

        // Unanswered: the command gives up after its timeout and says how to wait again.
        let mut out = Vec::new();
        let error = reindex(&requests, Some(id), Some(Duration::from_secs(1)), &mut out)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains(&format!("--request {id}")),
            "{error}"
        );

        // The indexer answers while the command waits.
        let answering = requests.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            answering.answer(id, Ok(412)).await.unwrap();
        });
        let mut out = Vec::new();
        reindex(&requests, Some(id), Some(Duration::from_secs(30)), &mut out)
            .await
            .unwrap();
        assert!(String::from_utf8(out).unwrap().contains("412 records"));
    }

    #[tokio::test]
    async fn a_failed_rebuild_is_an_error_and_an_unknown_request_is_refused() {
        let requests = requests();
        let asked = requests.ask("operator").await.unwrap();
        requests
            .answer(asked.id, Err("the snapshot bucket refused".into()))
            .await
            .unwrap();
        let mut out = Vec::new();
        let error = reindex(
            &requests,
            Some(asked.id),
            Some(Duration::from_secs(5)),
            &mut out,
        )
        .await
        .unwrap_err();
        assert!(error.to_string().contains("the snapshot bucket refused"));

        let error = reindex(&requests, Some(Uuid::from_u128(7)), None, &mut out)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("no rebuild request"));
    }
}
