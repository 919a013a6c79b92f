//! The embedded ports of one data folder, created on first start.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use varoskapu_core::crm::registry::Registry;
use varoskapu_core::{BlobStore, Clock, IdGenerator, SystemClock, Table, UuidV7Ids};
use varoskapu_embedded::{FsBlobStore, SqliteTable};

/// Everything the functions need from the outside world, on the local machine.
#[derive(Clone)]
pub struct LocalPorts {
    pub data_dir: PathBuf,
    /// Where clients reach this server (the issuer of tokens, the base of e-mailed links).
    pub public_base_url: String,
    pub sqlite: SqliteTable,
    pub table: Arc<dyn Table>,
    pub blob_folder: FsBlobStore,
    pub blobs: Arc<dyn BlobStore>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    /// The national registries: the service at `VAROSKAPU_REGISTRY_URL`, else the file
    /// `<data-dir>/registry.json` when there is one, else the demo district's registry.
    pub registry: Arc<dyn Registry>,
}

/// The registry file an operator may put in the data folder (the demo registry's format).
pub const REGISTRY_FILE: &str = "registry.json";

fn registry(data_dir: &Path) -> anyhow::Result<Arc<dyn Registry>> {
    if std::env::var_os("VAROSKAPU_REGISTRY_URL").is_some() {
        let client = varoskapu_registry::HttpRegistry::from_env()
            .map_err(|e| anyhow::anyhow!("the registry service's settings: {e}"))?;
        return Ok(Arc::new(client));
    }
    let file = data_dir.join(REGISTRY_FILE);
    if file.exists() {
        let local = varoskapu_registry::LocalRegistry::from_file(&file)
            .map_err(|e| anyhow::anyhow!("the registry file {}: {e}", file.display()))?;
        return Ok(Arc::new(local));
    }
    Ok(Arc::new(varoskapu_registry::LocalRegistry::demo()))
}

impl LocalPorts {
    /// Opens (creating on first start) the table and blob folder under `data_dir`;
    /// `public_base_url` is where clients reach this server, for presigned URLs.
    pub fn open(data_dir: &Path, public_base_url: &str) -> anyhow::Result<Self> {
        Self::open_with_clock(data_dir, public_base_url, Arc::new(SystemClock))
    }

    pub fn open_with_clock(
        data_dir: &Path,
        public_base_url: &str,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            anyhow::anyhow!("cannot create data folder {}: {e}", data_dir.display())
        })?;
        let sqlite = SqliteTable::open(&data_dir.join("varoskapu.db"), clock.clone())?;
        let blob_folder =
            FsBlobStore::open(&data_dir.join("blobs"), public_base_url, clock.clone())?;
        Ok(Self {
            data_dir: data_dir.to_owned(),
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
            table: Arc::new(sqlite.clone()),
            sqlite,
            blobs: Arc::new(blob_folder.clone()),
            blob_folder,
            clock,
            ids: Arc::new(UuidV7Ids),
            registry: registry(data_dir)?,
        })
    }
}
