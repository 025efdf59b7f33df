//! File discovery: which files a run lints.
//!
//! Directories are walked with the `ignore` crate (gitignore, `.ignore`,
//! hidden files skipped, symlinks not followed so loops cannot happen).
//! Files named explicitly are always linted when their language is known,
//! even if ignored: pre-commit passes file lists. Unknown kinds are skipped
//! quietly.

use crate::diagnostic::{Notice, NoticeKind};
use crate::lang::Lang;
use std::path::{Path, PathBuf};

/// A file to lint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceFile {
    pub path: PathBuf,
    pub lang: Lang,
}

/// Files under `roots`, sorted by path, plus notices for walk errors.
pub fn discover(roots: &[PathBuf]) -> (Vec<SourceFile>, Vec<Notice>) {
    let mut files = Vec::new();
    let mut notices = Vec::new();
    for root in roots {
        if root.is_file() || (root.exists() && !root.is_dir()) {
            if let Some(lang) = Lang::from_path(root) {
                files.push(SourceFile {
                    path: clean(root),
                    lang,
                });
            }
            continue;
        }
        if !root.exists() {
            notices.push(Notice {
                path: root.display().to_string(),
                kind: NoticeKind::Unreadable,
                message: "no such file or directory".into(),
            });
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .require_git(false)
            .follow_links(false)
            .build();
        for entry in walker {
            match entry {
                Ok(entry) => {
                    let is_file = entry.file_type().is_some_and(|t| t.is_file());
                    if let (true, Some(lang)) = (is_file, Lang::from_path(entry.path())) {
                        files.push(SourceFile {
                            path: clean(entry.path()),
                            lang,
                        });
                    }
                }
                Err(err) => notices.push(Notice {
                    path: root.display().to_string(),
                    kind: NoticeKind::Walk,
                    message: err.to_string(),
                }),
            }
        }
    }
    files.sort();
    files.dedup();
    (files, notices)
}

/// `./a/b.py` → `a/b.py`, so output paths look the same however the
/// directory was named.
fn clean(path: &Path) -> PathBuf {
    path.strip_prefix(".")
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}
