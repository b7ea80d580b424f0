//! Parts of a run folder passed between machines through object storage (the
//! `object_store` crate: `file://` always; `s3://`, `gs://`, `az://` with the `cloud`
//! feature), for processes that share no filesystem: each keeps its own copy of the run
//! folder and exchanges folders (a published policy, a samples partition) and single
//! files through the store.
//!
//! Object stores have no atomic folder rename, so a folder is *committed*: its files are
//! uploaded first and a `_COMMITTED` object last; readers take only committed folders,
//! and download them into a hidden folder renamed into place, so a local reader never
//! sees half of one either.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::error::{Result, StoreError};

/// The marker written after a folder's files.
const COMMITTED: &str = "_COMMITTED";

/// A place in object storage shared by the processes of a run.
pub struct Exchange {
    url: String,
    store: Arc<dyn ObjectStore>,
    root: Key,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange").field("url", &self.url).finish()
    }
}

impl Exchange {
    /// Opens the store at `url` (`file:///abs/path`, or `s3://bucket/prefix` … with the
    /// `cloud` feature; credentials from the environment, as each cloud's client reads
    /// them).
    pub fn open(url: &str) -> Result<Exchange> {
        let bad = |reason: String| StoreError::Exchange {
            path: PathBuf::from(url),
            reason,
        };
        let parsed = url::Url::parse(url).map_err(|e| bad(format!("not a URL: {e}")))?;
        if parsed.scheme() == "file" {
            // the local store needs its folder to exist
            let dir = parsed
                .to_file_path()
                .map_err(|_| bad("a file:// URL needs an absolute path".into()))?;
            std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        }
        let (store, root) = object_store::parse_url(&parsed).map_err(|e| {
            bad(format!(
                "{e} (file:// is built in; s3://, gs:// and az:// need the `cloud` feature)"
            ))
        })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| bad(format!("no async runtime: {e}")))?;
        Ok(Exchange {
            url: url.trim_end_matches('/').to_string(),
            store: Arc::from(store),
            root,
            runtime,
        })
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn key(&self, rel: &str) -> Key {
        let mut parts: Vec<String> = self.root.parts().map(|p| p.as_ref().to_string()).collect();
        parts.extend(rel.split('/').filter(|p| !p.is_empty()).map(str::to_string));
        Key::from_iter(parts)
    }

    fn err(&self, rel: &str, e: impl std::fmt::Display) -> StoreError {
        StoreError::Exchange {
            path: PathBuf::from(format!("{}/{rel}", self.url)),
            reason: e.to_string(),
        }
    }

    /// Uploads `local` as file `rel`.
    pub fn put_file(&self, local: &Path, rel: &str) -> Result<()> {
        let bytes = std::fs::read(local).map_err(|e| StoreError::io(local, e))?;
        let key = self.key(rel);
        self.runtime
            .block_on(self.store.put(&key, PutPayload::from(bytes)))
            .map_err(|e| self.err(rel, e))?;
        Ok(())
    }

    /// Downloads file `rel` to `local` (written to a temp file and renamed); false when
    /// there is none.
    pub fn get_file(&self, rel: &str, local: &Path) -> Result<bool> {
        let key = self.key(rel);
        let got = self.runtime.block_on(async {
            match self.store.get(&key).await {
                Ok(r) => r.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        });
        let Some(bytes) = got.map_err(|e| self.err(rel, e))? else {
            return Ok(false);
        };
        if let Some(parent) = local.parent() {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::io(parent, e))?;
        }
        let tmp = hidden_sibling(local);
        std::fs::write(&tmp, &bytes).map_err(|e| StoreError::io(&tmp, e))?;
        std::fs::rename(&tmp, local).map_err(|e| StoreError::io(local, e))?;
        Ok(true)
    }

    /// Uploads every file under `local` to folder `rel`, then commits it.
    pub fn put_dir(&self, local: &Path, rel: &str) -> Result<()> {
        for file in files_under(local)? {
            let inner = file
                .strip_prefix(local)
                .expect("listed under it")
                .to_string_lossy()
                .replace('\\', "/");
            self.put_file(&file, &format!("{rel}/{inner}"))?;
        }
        let key = self.key(&format!("{rel}/{COMMITTED}"));
        self.runtime
            .block_on(self.store.put(&key, PutPayload::from_static(b"")))
            .map_err(|e| self.err(rel, e))?;
        Ok(())
    }

    /// Whether folder `rel` is committed.
    pub fn committed(&self, rel: &str) -> Result<bool> {
        let key = self.key(&format!("{rel}/{COMMITTED}"));
        match self.runtime.block_on(self.store.head(&key)) {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.err(rel, e)),
        }
    }

    /// Downloads committed folder `rel` into `local` (through a hidden folder renamed into
    /// place; an existing `local` is left as it is). False when `rel` is not committed.
    pub fn get_dir(&self, rel: &str, local: &Path) -> Result<bool> {
        if local.is_dir() {
            return Ok(true);
        }
        if !self.committed(rel)? {
            return Ok(false);
        }
        let prefix = self.key(rel);
        let listed: Vec<object_store::ObjectMeta> = self
            .runtime
            .block_on(self.store.list(Some(&prefix)).try_collect())
            .map_err(|e| self.err(rel, e))?;
        let tmp = hidden_sibling(local);
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
        }
        std::fs::create_dir_all(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
        let skip = prefix.parts().count();
        for meta in listed {
            let inner: Vec<String> = meta
                .location
                .parts()
                .skip(skip)
                .map(|p| p.as_ref().to_string())
                .collect();
            if inner == [COMMITTED] {
                continue;
            }
            let target = inner.iter().fold(tmp.clone(), |p, part| p.join(part));
            let rel_file = format!("{rel}/{}", inner.join("/"));
            if !self.get_file(&rel_file, &target)? {
                return Err(self.err(&rel_file, "listed but gone"));
            }
        }
        std::fs::rename(&tmp, local).map_err(|e| StoreError::io(local, e))?;
        Ok(true)
    }

    /// The names of the folders directly under `rel` that hold objects (a local store
    /// keeps emptied folders; they are not listed).
    pub fn list_dirs(&self, rel: &str) -> Result<Vec<String>> {
        let prefix = self.key(rel);
        let listed: Vec<object_store::ObjectMeta> = self
            .runtime
            .block_on(self.store.list(Some(&prefix)).try_collect())
            .map_err(|e| self.err(rel, e))?;
        let skip = prefix.parts().count();
        let mut names: Vec<String> = listed
            .iter()
            .filter(|m| m.location.parts().count() > skip + 1)
            .filter_map(|m| m.location.parts().nth(skip).map(|p| p.as_ref().to_string()))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Deletes folder `rel` (its marker first, so nobody takes it while it goes).
    pub fn delete_dir(&self, rel: &str) -> Result<()> {
        let prefix = self.key(rel);
        let marker = self.key(&format!("{rel}/{COMMITTED}"));
        self.runtime
            .block_on(async {
                match self.store.delete(&marker).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
                let listed: Vec<object_store::ObjectMeta> =
                    self.store.list(Some(&prefix)).try_collect().await?;
                for meta in listed {
                    match self.store.delete(&meta.location).await {
                        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            })
            .map_err(|e| self.err(rel, e))
    }
}

/// `dir/.name.part`: where a download is put together before it is renamed into place.
fn hidden_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.part"))
}

/// Every file under `dir`, sorted.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| StoreError::io(&d, e))? {
            let path = entry.map_err(|e| StoreError::io(&d, e))?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_taken_only_once_committed_and_arrive_whole() {
        let root = std::env::temp_dir().join(format!("meowlab-exchange-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let url = format!("file://{}", root.join("store").display());
        let ex = Exchange::open(&url).unwrap();
        let src = root.join("src/policy/v1");
        std::fs::create_dir_all(src.join("discard")).unwrap();
        std::fs::write(src.join("discard/model.safetensors"), b"weights").unwrap();
        std::fs::write(src.join("card.json"), b"{}").unwrap();
        let dst = root.join("dst/policy/v1");
        assert!(!ex.committed("run/policy/v1").unwrap());
        assert!(!ex.get_dir("run/policy/v1", &dst).unwrap());
        // uploaded files without the marker are not taken
        ex.put_file(&src.join("card.json"), "run/policy/v1/card.json")
            .unwrap();
        assert!(!ex.get_dir("run/policy/v1", &dst).unwrap() && !dst.exists());
        ex.put_dir(&src, "run/policy/v1").unwrap();
        assert!(ex.get_dir("run/policy/v1", &dst).unwrap());
        assert_eq!(
            std::fs::read(dst.join("discard/model.safetensors")).unwrap(),
            b"weights"
        );
        assert_eq!(std::fs::read(dst.join("card.json")).unwrap(), b"{}");
        assert!(
            !dst.join(COMMITTED).exists(),
            "the marker stays in the store"
        );
        // single files
        assert!(!ex
            .get_file("run/pipeline.json", &root.join("dst/pipeline.json"))
            .unwrap());
        ex.put_file(&src.join("card.json"), "run/pipeline.json")
            .unwrap();
        assert!(ex
            .get_file("run/pipeline.json", &root.join("dst/pipeline.json"))
            .unwrap());
        assert_eq!(ex.list_dirs("run/policy").unwrap(), ["v1"]);
        ex.delete_dir("run/policy/v1").unwrap();
        assert!(ex.list_dirs("run/policy").unwrap().is_empty());
        assert!(!ex.committed("run/policy/v1").unwrap());
        assert!(matches!(
            Exchange::open("nope://x"),
            Err(StoreError::Exchange { .. })
        ));
        let e = Exchange::open("relative/path").unwrap_err().to_string();
        assert!(e.contains("not a URL"), "{e}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
