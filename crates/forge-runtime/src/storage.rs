//! Where a tool's results go: the run's default key-value store and dataset on the platform,
//! or Apify's local storage layout (`storage/key_value_stores/<store>/<KEY>.json`,
//! `storage/datasets/<name>/000000001.json`) in the CLI flow. Local writes go to a temporary
//! name first and are renamed into place, so a crash never leaves a half-written record.

use crate::client::{map_error, ops, ApiClient};
use crate::error::RuntimeError;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Apify rejects request bodies over 9,437,184 bytes; stay clearly below.
pub const MAX_BATCH_BYTES: usize = 9_000_000;

#[derive(Debug, Clone)]
pub enum Storage {
    Local {
        root: PathBuf,
    },
    Platform {
        client: ApiClient,
        key_value_store_id: String,
        dataset_id: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RuntimeError + '_ {
    move |source| RuntimeError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RuntimeError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

fn extension_of(content_type: &str) -> &'static str {
    match content_type.split(';').next().unwrap_or("").trim() {
        "application/json" => "json",
        "text/html" => "html",
        "text/plain" => "txt",
        _ => "bin",
    }
}

/// Splits rows into batches whose JSON array stays under `max_bytes`.
pub fn batches(rows: &[Value], max_bytes: usize) -> Vec<&[Value]> {
    let mut out = Vec::new();
    let (mut start, mut size) = (0, 2);
    for (i, row) in rows.iter().enumerate() {
        let len = serde_json::to_vec(row).map(|v| v.len()).unwrap_or(0) + 1;
        if i > start && size + len > max_bytes {
            out.push(&rows[start..i]);
            start = i;
            size = 2;
        }
        size += len;
    }
    if start < rows.len() {
        out.push(&rows[start..]);
    }
    out
}

impl Storage {
    /// A record of the default key-value store (the run's INPUT, typically).
    pub async fn read_default_record(&self, key: &str) -> Result<Option<Value>, RuntimeError> {
        checked_key(key)?;
        match self {
            Storage::Local { root } => read_local_json(
                &root
                    .join("key_value_stores")
                    .join("default")
                    .join(format!("{key}.json")),
            ),
            Storage::Platform {
                client,
                key_value_store_id,
                ..
            } => {
                let rec = client
                    .api()
                    .key_value_store(key_value_store_id)
                    .get_record(key)
                    .await
                    .map_err(|e| map_error(ops::READ_RECORD, e))?;
                match rec {
                    None => Ok(None),
                    Some(r) => serde_json::from_slice(&r.value).map(Some).map_err(|e| {
                        RuntimeError::Other(format!("record {key} is not valid JSON: {e}"))
                    }),
                }
            }
        }
    }

    /// Writes a record to the default key-value store.
    pub async fn put_record(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), RuntimeError> {
        checked_key(key)?;
        match self {
            Storage::Local { root } => write_local_record(
                &root.join("key_value_stores").join("default"),
                key,
                &bytes,
                content_type,
            ),
            Storage::Platform {
                client,
                key_value_store_id,
                ..
            } => client
                .api()
                .key_value_store(key_value_store_id)
                .set_record_raw(key, bytes, content_type)
                .await
                .map_err(|e| map_error(ops::WRITE_RECORD, e)),
        }
    }

    pub async fn put_json(&self, key: &str, value: &Value) -> Result<(), RuntimeError> {
        let bytes =
            serde_json::to_vec_pretty(value).map_err(|e| RuntimeError::Other(e.to_string()))?;
        self.put_record(key, bytes, "application/json; charset=utf-8")
            .await
    }

    /// An HTML page (`REPORT`): `<KEY>.html` locally, `text/html` on the platform, so the
    /// Console and the record's URL show it as a page.
    pub async fn put_html(&self, key: &str, html: String) -> Result<(), RuntimeError> {
        self.put_record(key, html.into_bytes(), "text/html; charset=utf-8")
            .await
    }

    /// Replaces the default dataset's rows (local) or appends them in batches (platform,
    /// where the run's default dataset starts empty).
    pub async fn push_rows(&self, rows: &[Value]) -> Result<(), RuntimeError> {
        match self {
            Storage::Local { root } => {
                write_local_dataset(&root.join("datasets").join("default"), rows)
            }
            Storage::Platform {
                client, dataset_id, ..
            } => {
                for batch in batches(rows, MAX_BATCH_BYTES) {
                    client
                        .api()
                        .dataset(dataset_id)
                        .push_items(&batch.to_vec())
                        .await
                        .map_err(|e| map_error(ops::PUSH_ITEMS, e))?;
                }
                Ok(())
            }
        }
    }
}

impl Storage {
    /// How many rows the default dataset holds (a resumed run's check of what it pushed
    /// before the restart). Read as the run itself, from its own dataset: one item is asked
    /// for, the pagination total answers.
    pub async fn dataset_item_count(&self) -> Result<u64, RuntimeError> {
        match self {
            Storage::Local { root } => Ok(std::fs::read_dir(root.join("datasets").join("default"))
                .map(|d| {
                    d.flatten()
                        .filter(|e| e.file_name() != "__metadata__.json")
                        .count() as u64
                })
                .unwrap_or(0)),
            Storage::Platform {
                client, dataset_id, ..
            } => {
                let page = client
                    .api()
                    .dataset(dataset_id)
                    .list_items::<Value>(apify_client::DatasetListItemsOptions {
                        limit: Some(1),
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| map_error(ops::READ_ITEMS, e))?;
                Ok(page.total.max(page.count).max(0) as u64)
            }
        }
    }
}

pub fn read_local_json(path: &Path) -> Result<Option<Value>, RuntimeError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| RuntimeError::Other(format!("{} is not valid JSON: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path)(e)),
    }
}

/// A record key about to become a URL path or a file name: refused when it breaks Apify's key
/// rule or is a directory step (see [`forge_core::ids::check_record_key`]).
fn checked_key(key: &str) -> Result<(), RuntimeError> {
    forge_core::ids::check_record_key(key)
        .map_err(|e| RuntimeError::Other(format!("refusing the record key: it {e}")))
}

/// `<KEY>.<ext>` plus a `<KEY>.__metadata__.json` sidecar, readable by both SDK generations.
pub fn write_local_record(
    store: &Path,
    key: &str,
    bytes: &[u8],
    content_type: &str,
) -> Result<(), RuntimeError> {
    checked_key(key)?;
    let file = store.join(format!("{key}.{}", extension_of(content_type)));
    write_atomic(&file, bytes)?;
    let meta = serde_json::json!({"key": key, "contentType": content_type, "size": bytes.len()});
    write_atomic(
        &store.join(format!("{key}.__metadata__.json")),
        meta.to_string().as_bytes(),
    )
}

fn write_local_dataset(dir: &Path, rows: &[Value]) -> Result<(), RuntimeError> {
    // Build the new dataset beside the old one, then swap: readers never see a mix.
    let tmp = dir.with_extension(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    for (i, row) in rows.iter().enumerate() {
        let path = tmp.join(format!("{:09}.json", i + 1));
        let bytes =
            serde_json::to_vec_pretty(row).map_err(|e| RuntimeError::Other(e.to_string()))?;
        std::fs::write(&path, bytes).map_err(io(&path))?;
    }
    let meta = serde_json::json!({"id": "default", "name": "default", "itemCount": rows.len()});
    std::fs::write(tmp.join("__metadata__.json"), meta.to_string()).map_err(io(&tmp))?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io(dir))?;
    }
    std::fs::rename(&tmp, dir).map_err(io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn batches_stay_under_the_limit_and_keep_every_row() {
        let rows: Vec<Value> = (0..100)
            .map(|i| json!({"i": i, "pad": "x".repeat(100)}))
            .collect();
        let b = batches(&rows, 1_000);
        assert_eq!(b.iter().map(|x| x.len()).sum::<usize>(), 100);
        for batch in &b {
            assert!(serde_json::to_vec(&batch.to_vec()).unwrap().len() <= 1_000);
        }
        assert!(batches(&[], 1_000).is_empty());
    }

    #[tokio::test]
    async fn local_storage_uses_apify_layout() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::Local {
            root: dir.path().to_path_buf(),
        };
        s.put_json("OUTPUT", &json!({"a": 1})).await.unwrap();
        s.push_rows(&[json!({"r": 1}), json!({"r": 2})])
            .await
            .unwrap();
        s.push_rows(&[json!({"r": 3})]).await.unwrap();
        let kvs = dir.path().join("key_value_stores/default");
        assert_eq!(
            read_local_json(&kvs.join("OUTPUT.json")).unwrap(),
            Some(json!({"a": 1}))
        );
        let meta = read_local_json(&kvs.join("OUTPUT.__metadata__.json"))
            .unwrap()
            .unwrap();
        assert_eq!(meta["contentType"], "application/json; charset=utf-8");
        let ds = dir.path().join("datasets/default");
        assert_eq!(
            read_local_json(&ds.join("000000001.json")).unwrap(),
            Some(json!({"r": 3}))
        );
        assert!(
            !ds.join("000000002.json").exists(),
            "a new run replaces the old rows"
        );
        assert_eq!(
            s.read_default_record("OUTPUT").await.unwrap(),
            Some(json!({"a": 1}))
        );
    }

    #[tokio::test]
    async fn an_html_record_is_stored_as_html_with_its_content_type() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::Local {
            root: dir.path().to_path_buf(),
        };
        let page = "<!DOCTYPE html><p>ü</p>".to_string();
        s.put_html("REPORT", page.clone()).await.unwrap();
        let kvs = dir.path().join("key_value_stores/default");
        assert_eq!(
            std::fs::read_to_string(kvs.join("REPORT.html")).unwrap(),
            page
        );
        let meta = read_local_json(&kvs.join("REPORT.__metadata__.json"))
            .unwrap()
            .unwrap();
        assert_eq!(meta["contentType"], "text/html; charset=utf-8");
        assert_eq!(meta["size"], page.len());
        assert!(!kvs.join("REPORT.json").exists());
    }
}
