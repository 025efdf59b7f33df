//! The content cache: what linting a file produced, keyed by everything
//! that decides it — backlint's version, the rule set, the file's path and
//! its exact text. An unchanged re-run reads and hashes files but parses
//! none. Entries are written to a temporary file and renamed, so concurrent
//! runs never see half an entry; a cache that cannot be written is simply
//! not used.
//!
//! Large runs also keep a [`FileIndex`]: the stamp of each file and its
//! key, which spares an unchanged file its read and hash.

pub mod index;

pub use index::{FileIndex, Stamp};

use crate::diagnostic::{Finding, Notice, NoticeKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Default cache directory, relative to the working directory.
pub const DEFAULT_DIR: &str = ".backlint_cache";

/// Layout version of the entries; bump on any format change.
const LAYOUT: &str = "v1";

/// A cache directory and the salt (version + rule set) of this run.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    salt: String,
    /// The run start the file index sees, pinned by a test: ahead, so
    /// that files just written count as settled, or just after writing
    /// them, so that they do not.
    #[cfg(test)]
    index_started: Option<std::time::SystemTime>,
}

/// What is stored per file.
#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    pub findings: Vec<Finding>,
    pub notices: Vec<Notice>,
}

impl Entry {
    /// Whether the file gave nothing to report: such an entry can be
    /// replayed without reading it back.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.notices.is_empty()
    }

    /// Whether the entry may be stored: a timeout may not recur.
    pub fn is_cacheable(&self) -> bool {
        !self.notices.iter().any(|n| n.kind == NoticeKind::Timeout)
    }
}

impl Cache {
    /// Opens (creating) the cache under `dir`; `None` when it cannot be
    /// written, in which case the run goes on uncached.
    pub fn open(dir: &Path, rules_digest: &str) -> Option<Cache> {
        let root = prepare(dir, &dir.join(LAYOUT))?;
        let salt = format!("{}\0{}", env!("CARGO_PKG_VERSION"), rules_digest);
        Some(Cache {
            dir: root,
            salt,
            #[cfg(test)]
            index_started: None,
        })
    }

    /// This cache with its file index's runs starting at `started`.
    #[cfg(test)]
    pub(crate) fn with_index_started(self, started: std::time::SystemTime) -> Cache {
        Cache {
            index_started: Some(started),
            ..self
        }
    }

    /// The key of a file's text under its displayed path.
    pub fn key(&self, path: &str, text: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.salt.as_bytes());
        hasher.update([0]);
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hex::encode(hasher.finalize())
    }

    /// The file index of this rule set, for a run started at `started`.
    pub fn file_index(&self, started: std::time::SystemTime) -> FileIndex {
        #[cfg(test)]
        let started = self.index_started.unwrap_or(started);
        let name = format!("{}.json", digest_of([self.salt.as_str()]));
        FileIndex::load(self.dir.join("index").join(name), started)
    }

    fn entry_path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(&key[2..])
    }

    /// The stored entry, if any (a corrupt entry counts as missing). A
    /// key that is not one of [`Cache::key`]'s (the file index is read
    /// from disk) names no entry.
    pub fn get(&self, key: &str) -> Option<Entry> {
        if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let bytes = crate::source::read_small(&self.entry_path(key)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Stores an entry, unless it holds a timeout (which may not recur).
    /// Failures are ignored: the cache is an optimisation.
    pub fn put(&self, key: &str, entry: &Entry) {
        if !entry.is_cacheable() {
            return;
        }
        write_json(&self.entry_path(key), entry);
    }
}

/// Writes `value` as JSON to `path` through a temporary file and a rename,
/// so a concurrent run sees the old file or the new one, never half of
/// one. Failures are ignored: everything in the cache is an optimisation.
fn write_json(path: &Path, value: &impl Serialize) {
    let Some(parent) = path.parent() else { return };
    if std::fs::create_dir_all(parent).is_err() {
        return;
    }
    let Ok(bytes) = serde_json::to_vec(value) else {
        return;
    };
    let Ok(mut temp) = tempfile::NamedTempFile::new_in(parent) else {
        return;
    };
    if temp.write_all(&bytes).is_ok() {
        let _ = temp.persist(path);
    }
}

/// Creates `root` inside the cache directory `dir` (with the directory's
/// `.gitignore`) and checks that files can be written there.
fn prepare(dir: &Path, root: &Path) -> Option<PathBuf> {
    std::fs::create_dir_all(root).ok()?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# Created by backlint: the cache is not for version control.\n*\n",
        )
        .ok()?;
    }
    let probe = tempfile::NamedTempFile::new_in(root).ok()?;
    drop(probe);
    Some(root.to_path_buf())
}

/// tree-sitter's acceptance of the query texts of rule files it has not
/// vetted (`--rules`, `rules-dirs`), remembered between runs. Checking a
/// query runs tree-sitter's pattern analysis, tens of milliseconds per
/// query for the larger grammars: about 90 % of a one-file run with a
/// rule directory. Only acceptance is kept, as an empty marker file per
/// (backlint version, grammar, query text): a rejected query is checked
/// again, so its error is reported on every run.
#[derive(Debug, Clone)]
pub struct QueryChecks {
    dir: PathBuf,
}

impl QueryChecks {
    /// Opens (creating) the store under the cache directory `dir`; `None`
    /// when it cannot be written, in which case every query is checked.
    pub fn open(dir: &Path) -> Option<QueryChecks> {
        let root = prepare(dir, &dir.join(LAYOUT).join("queries"))?;
        Some(QueryChecks { dir: root })
    }

    /// `grammar` names the grammar and its version; `text` is the query.
    fn marker(&self, grammar: &str, text: &str) -> PathBuf {
        let digest = digest_of([env!("CARGO_PKG_VERSION"), grammar, text]);
        self.dir.join(digest)
    }

    /// Whether tree-sitter accepted `text` for `grammar` in an earlier run.
    pub fn accepted(&self, grammar: &str, text: &str) -> bool {
        self.marker(grammar, text).is_file()
    }

    /// Remembers that tree-sitter accepted `text` for `grammar`. Failures
    /// are ignored: the check is simply made again next time.
    pub fn record_accepted(&self, grammar: &str, text: &str) {
        let _ = std::fs::write(self.marker(grammar, text), b"");
    }
}

/// Digest of the rule sources and selection, part of every key.
pub fn digest_of<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accepted_query_is_remembered_for_its_grammar_and_text_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let checks = QueryChecks::open(&dir.path().join("cache")).expect("store");
        assert!(!checks.accepted("python/15", "(call) @c"));
        checks.record_accepted("python/15", "(call) @c");
        assert!(checks.accepted("python/15", "(call) @c"));
        // Another process sees it through the directory.
        let again = QueryChecks::open(&dir.path().join("cache")).expect("store");
        assert!(again.accepted("python/15", "(call) @c"));
        assert!(!again.accepted("python/16", "(call) @c"));
        assert!(!again.accepted("python/15", "(call) @d"));
        assert!(dir.path().join("cache/.gitignore").is_file());
    }

    #[test]
    fn an_unwritable_store_is_not_opened() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, "").expect("write");
        assert!(QueryChecks::open(&file).is_none());
    }
}
