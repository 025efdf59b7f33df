//! The file index: for each file a large run linted, the file system's
//! stamp of it (size, times, inode) and the key of what linting gave.
//!
//! A warm run otherwise opens, reads and hashes every file and opens its
//! cache entry: on 10,000 files most of its time is the kernel's. With the
//! index, a file whose stamp has not changed is neither opened nor hashed,
//! and a file that gave nothing (most files) needs no entry either.
//!
//! A stamp stands for the text only when no write can have escaped it. The
//! change time (`ctime`) moves on every write, rename or `chmod`, and no
//! program can set it back, so it is part of the stamp. A time only tells
//! writes apart that are at least one tick of the file system apart, so a
//! stamp taken less than [`SETTLE`] before the run started is not
//! recorded: that file is read and hashed again next time, as Git does
//! with racily clean files.
//!
//! The index is one file per rule set, replaced by a rename, so concurrent
//! runs never see half of it; the last writer wins and the other run's
//! records are merely missing. A file's record is dropped by the
//! [`KEEP_WRITES`]th write since a run last saw it, so runs over different
//! folders do not evict each other while deleted files eventually leave.
//!
//! Two limits, as with Git's index: a file that can be `stat`ed but no
//! longer read replays its last outcome instead of being reported
//! unreadable (the stamp holds no permissions of the reader), and a
//! network file system that caches attributes for longer than the
//! settling time may show a stale stamp of a file another machine
//! changed.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::Metadata;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// How long before the run a file must have last changed for its stamp to
/// be recorded: beyond the coarsest timestamp tick in use (FAT's two
/// seconds) and small clock differences with a network file system.
pub const SETTLE: Duration = Duration::from_secs(3);

/// The write, counted from the last run that saw a file, that drops its
/// record.
const KEEP_WRITES: u64 = 8;

/// What the file system says about a regular file: it changes whenever the
/// file's text may have. Times are nanoseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    #[serde(rename = "n")]
    pub len: u64,
    #[serde(rename = "m")]
    modified: i64,
    #[serde(rename = "c")]
    changed: i64,
    #[serde(rename = "i")]
    inode: u64,
    #[serde(rename = "d")]
    device: u64,
}

impl Stamp {
    /// The stamp of a regular file; `None` elsewhere, and on platforms
    /// without a change time, where no stamp can be trusted.
    #[cfg(unix)]
    pub fn of(meta: &Metadata) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let nanos = |secs: i64, nsec: i64| secs.checked_mul(1_000_000_000)?.checked_add(nsec);
        meta.is_file().then_some(())?;
        Some(Stamp {
            len: meta.len(),
            modified: nanos(meta.mtime(), meta.mtime_nsec())?,
            changed: nanos(meta.ctime(), meta.ctime_nsec())?,
            inode: meta.ino(),
            device: meta.dev(),
        })
    }

    #[cfg(not(unix))]
    pub fn of(_meta: &Metadata) -> Option<Stamp> {
        None
    }

    /// Whether the file last changed before `cutoff` (nanoseconds).
    fn settled(&self, cutoff: i64) -> bool {
        self.modified < cutoff && self.changed < cutoff
    }
}

/// What the index holds for one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memo {
    #[serde(rename = "s")]
    pub stamp: Stamp,
    /// The cache key of the file's entry; `None` when linting the file
    /// gave no finding and no notice, which needs no entry to replay.
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The index write that last saw the file.
    #[serde(rename = "w")]
    seen: u64,
}

/// The index as stored.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    /// How many times the index was written.
    writes: u64,
    files: HashMap<String, Memo>,
}

/// The index of one run: what earlier runs recorded, and what this run
/// records as it goes.
#[derive(Debug)]
pub struct FileIndex {
    path: PathBuf,
    earlier: Stored,
    /// Stamps at or after this instant (nanoseconds) are not recorded.
    cutoff: i64,
    recorded: Mutex<Vec<(String, Stamp, Option<String>)>>,
}

impl FileIndex {
    /// Reads the index at `path` (a missing or unreadable one is empty) for
    /// a run started at `started`.
    pub fn load(path: PathBuf, started: SystemTime) -> FileIndex {
        let earlier = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        let cutoff = started
            .checked_sub(SETTLE)
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_nanos()).ok())
            .unwrap_or(i64::MIN);
        FileIndex {
            path,
            earlier,
            cutoff,
            recorded: Mutex::new(Vec::new()),
        }
    }

    /// What an earlier run recorded for the file shown as `path`, if the
    /// file still has the same stamp.
    pub fn recall(&self, path: &str, stamp: &Stamp) -> Option<&Memo> {
        self.earlier
            .files
            .get(path)
            .filter(|memo| memo.stamp == *stamp)
    }

    /// Records that the file shown as `path`, with `stamp` taken before it
    /// was read, has its entry under `key` (`None`: it gave nothing).
    /// Stamps too recent to be trusted are left out.
    pub fn record(&self, path: &str, stamp: Stamp, key: Option<String>) {
        if !stamp.settled(self.cutoff) {
            return;
        }
        let mut recorded = self
            .recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        recorded.push((path.to_string(), stamp, key));
    }

    /// Writes the index back if this run learned anything new. Failures
    /// are ignored: the index is an optimisation.
    pub fn store(self) {
        let recorded = self
            .recorded
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(stored) = merge(self.earlier, recorded) else {
            return;
        };
        super::write_json(&self.path, &stored);
    }
}

/// The index after a run that recorded `recorded`, or `None` when it would
/// only differ from `earlier` in which write saw what (not worth a write).
fn merge(mut earlier: Stored, recorded: Vec<(String, Stamp, Option<String>)>) -> Option<Stored> {
    let changed = recorded.iter().any(|(path, stamp, key)| {
        earlier
            .files
            .get(path)
            .is_none_or(|memo| memo.stamp != *stamp || memo.key != *key)
    });
    if !changed {
        return None;
    }
    // The counters come from disk: they saturate rather than wrap.
    let writes = earlier.writes.saturating_add(1);
    earlier
        .files
        .retain(|_, memo| memo.seen.saturating_add(KEEP_WRITES) > writes);
    for (path, stamp, key) in recorded {
        let seen = writes;
        earlier.files.insert(path, Memo { stamp, key, seen });
    }
    Some(Stored {
        writes,
        files: earlier.files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(len: u64, changed: i64) -> Stamp {
        Stamp {
            len,
            modified: changed,
            changed,
            inode: 7,
            device: 1,
        }
    }

    /// An index whose cutoff is `cutoff` nanoseconds.
    fn index_at(path: PathBuf, cutoff: i64) -> FileIndex {
        let mut index = FileIndex::load(path, SystemTime::now());
        index.cutoff = cutoff;
        index
    }

    #[test]
    fn a_recorded_stamp_is_recalled_only_while_it_holds() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("index");
        let index = index_at(path.clone(), 100);
        index.record("a.py", stamp(10, 5), None);
        index.record("b.py", stamp(20, 5), Some("k".into()));
        index.store();

        let index = index_at(path, 100);
        assert_eq!(
            index.recall("a.py", &stamp(10, 5)).map(|m| &m.key),
            Some(&None)
        );
        let b = index.recall("b.py", &stamp(20, 5));
        assert_eq!(b.and_then(|m| m.key.as_deref()), Some("k"));
        // Any change in the stamp, and any other path, misses.
        assert!(index.recall("a.py", &stamp(11, 5)).is_none());
        assert!(index.recall("a.py", &stamp(10, 6)).is_none());
        let moved = Stamp {
            inode: 8,
            ..stamp(10, 5)
        };
        assert!(index.recall("a.py", &moved).is_none());
        assert!(index.recall("./a.py", &stamp(10, 5)).is_none());
    }

    #[test]
    fn stamps_of_files_changed_near_the_run_are_not_recorded() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("index");
        let index = index_at(path.clone(), 100);
        index.record("old.py", stamp(1, 99), None);
        index.record("new.py", stamp(1, 100), None);
        let touched = Stamp {
            changed: 150,
            ..stamp(1, 50)
        };
        index.record("touched.py", touched, None);
        index.store();
        let index = index_at(path, 1000);
        assert!(index.recall("old.py", &stamp(1, 99)).is_some());
        assert!(index.recall("new.py", &stamp(1, 100)).is_none());
        assert!(index.recall("touched.py", &touched).is_none());
    }

    #[test]
    fn the_settling_time_is_counted_back_from_the_start_of_the_run() {
        let dir = tempfile::tempdir().expect("temp dir");
        let started = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let index = FileIndex::load(dir.path().join("index"), started);
        let second = 1_000_000_000;
        assert_eq!(index.cutoff, (1000 - SETTLE.as_secs() as i64) * second);
    }

    #[test]
    fn unseen_files_leave_after_some_writes_and_unchanged_runs_write_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("index");
        let index = index_at(path.clone(), 100);
        index.record("gone.py", stamp(1, 1), None);
        index.store();
        // A run that sees only what is recorded does not write.
        let index = index_at(path.clone(), 100);
        index.record("gone.py", stamp(1, 1), None);
        index.store();
        assert_eq!(index_at(path.clone(), 100).earlier.writes, 1);

        // Runs over other files keep it for KEEP_WRITES writes in all.
        for n in 0..KEEP_WRITES {
            let index = index_at(path.clone(), 100);
            let kept = index.recall("gone.py", &stamp(1, 1)).is_some();
            assert!(kept, "dropped after {} writes", n + 1);
            index.record(&format!("other{n}.py"), stamp(1, 1), None);
            index.store();
        }
        let index = index_at(path, 100);
        assert!(index.recall("gone.py", &stamp(1, 1)).is_none());
        assert!(index.recall("other7.py", &stamp(1, 1)).is_some());
    }

    #[test]
    fn a_corrupt_index_is_an_empty_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("index");
        std::fs::write(&path, b"{\"writes\": 3, \"files\": [").expect("write");
        let index = index_at(path.clone(), 100);
        assert!(index.earlier.files.is_empty());
        index.record("a.py", stamp(1, 1), None);
        index.store();
        assert!(index_at(path, 100).recall("a.py", &stamp(1, 1)).is_some());
    }

    #[cfg(unix)]
    #[test]
    fn a_rewrite_with_the_same_size_and_modification_time_changes_the_stamp() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("a.py");
        std::fs::write(&file, "x = 1\n").expect("write");
        let first = std::fs::metadata(&file).expect("stat");
        let mtime = first.modified().expect("mtime");
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&file, "x = 2\n").expect("rewrite");
        std::fs::File::options()
            .write(true)
            .open(&file)
            .and_then(|f| f.set_modified(mtime))
            .expect("set mtime");
        let second = std::fs::metadata(&file).expect("stat");
        assert_eq!(first.len(), second.len());
        assert_eq!(second.modified().ok(), Some(mtime));
        assert_ne!(Stamp::of(&first), Stamp::of(&second));
        assert!(Stamp::of(&second).is_some());
        let folder = std::fs::metadata(dir.path()).expect("stat");
        assert!(
            Stamp::of(&folder).is_none(),
            "only regular files have stamps"
        );
    }
}
