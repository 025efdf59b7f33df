//! File discovery: which files a run lints.
//!
//! Directories are walked with the `ignore` crate (gitignore, `.ignore`,
//! hidden files skipped, symlinks not followed so loops cannot happen).
//! Files named explicitly are always linted when their language is known,
//! even if ignored: pre-commit passes file lists. Unknown kinds are skipped
//! quietly.

use crate::diagnostic::{Notice, NoticeKind};
use crate::lang::Lang;
use crate::secrets::{config_kind, is_secret_dotfile, ConfigKind};
use std::path::{Path, PathBuf};

/// What a file is, which decides how it is linted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// Source code: parsed with tree-sitter, matched against rules.
    Code(Lang),
    /// A configuration file: scanned for secrets.
    Config(ConfigKind),
}

impl FileKind {
    /// The kind of `path`, if backlint lints such files.
    pub fn of(path: &Path) -> Option<FileKind> {
        Lang::from_path(path)
            .map(FileKind::Code)
            .or_else(|| config_kind(path).map(FileKind::Config))
    }

    /// Name for output (`python`, `yaml`, …).
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Code(lang) => lang.name(),
            FileKind::Config(kind) => kind.name(),
        }
    }

    /// Line-comment token used by suppressions and fixture annotations.
    pub fn line_comment(self) -> &'static str {
        match self {
            FileKind::Code(lang) => lang.info().line_comment,
            FileKind::Config(kind) => kind.line_comment(),
        }
    }
}

/// A file to lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: PathBuf,
    pub kind: FileKind,
}

impl SourceFile {
    /// The language of a source-code file.
    pub fn lang(&self) -> Option<Lang> {
        match self.kind {
            FileKind::Code(lang) => Some(lang),
            FileKind::Config(_) => None,
        }
    }
}

/// Directories whose config files are third-party: not scanned for secrets.
const VENDORED: &[&str] = &[
    "node_modules",
    "vendor",
    "site-packages",
    ".venv",
    "venv",
    "bower_components",
];

/// Hidden directories entered anyway because they hold credentials.
const SECRET_DIRS: &[&str] = &[".aws", ".docker"];

/// Files under `roots`, sorted by path, plus notices for walk errors.
pub fn discover(roots: &[PathBuf]) -> (Vec<SourceFile>, Vec<Notice>) {
    let mut files = Vec::new();
    let mut notices = Vec::new();
    for root in roots {
        if root.is_file() || (root.exists() && !root.is_dir()) {
            if let Some(kind) = FileKind::of(root) {
                files.push(SourceFile {
                    path: clean(root),
                    kind,
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
        // Hidden entries are filtered here rather than by the walker, so
        // `.env` files and `.aws/credentials` are still read; `.git` never is.
        let walker = ignore::WalkBuilder::new(root)
            .require_git(false)
            .follow_links(false)
            .hidden(false)
            .filter_entry(|entry| {
                let name = entry.file_name().to_string_lossy();
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                entry.depth() == 0
                    || !name.starts_with('.')
                    || (is_dir && SECRET_DIRS.contains(&name.as_ref()))
                    || (!is_dir && is_secret_dotfile(entry.path()))
            })
            .build();
        for entry in walker {
            match entry {
                Ok(entry) => {
                    let is_file = entry.file_type().is_some_and(|t| t.is_file());
                    let Some(kind) = FileKind::of(entry.path()).filter(|_| is_file) else {
                        continue;
                    };
                    if matches!(kind, FileKind::Config(_)) && is_vendored(entry.path()) {
                        continue;
                    }
                    files.push(SourceFile {
                        path: clean(entry.path()),
                        kind,
                    });
                }
                Err(err) => notices.push(Notice {
                    path: root.display().to_string(),
                    kind: NoticeKind::Walk,
                    message: err.to_string(),
                }),
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    (files, notices)
}

fn is_vendored(path: &Path) -> bool {
    path.components()
        .any(|c| VENDORED.iter().any(|v| c.as_os_str() == *v))
}

/// `./a/b.py` → `a/b.py`, so output paths look the same however the
/// directory was named.
fn clean(path: &Path) -> PathBuf {
    path.strip_prefix(".")
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}
