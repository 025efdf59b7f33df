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
    discover_with(roots, 0)
}

/// [`discover`] with `threads` walking directories (0: one per core, as
/// `ignore` counts them). Reading directories is most of a fully cached
/// run, so it is shared out as the linting is.
pub fn discover_with(roots: &[PathBuf], threads: usize) -> (Vec<SourceFile>, Vec<Notice>) {
    let found = std::sync::Mutex::new((Vec::new(), Vec::new()));
    let keep = |file: Option<SourceFile>, notice: Option<Notice>| {
        if file.is_none() && notice.is_none() {
            return;
        }
        let mut found = found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        found.0.extend(file);
        found.1.extend(notice);
    };
    for root in roots {
        if root.is_file() || (root.exists() && !root.is_dir()) {
            let kind = FileKind::of(root);
            keep(
                kind.map(|kind| SourceFile {
                    path: clean(root),
                    kind,
                }),
                None,
            );
            continue;
        }
        if !root.exists() {
            let notice = Notice {
                path: root.display().to_string(),
                kind: NoticeKind::Unreadable,
                message: "no such file or directory".into(),
            };
            keep(None, Some(notice));
            continue;
        }
        // Hidden entries are filtered here rather than by the walker, so
        // `.env` files and `.aws/credentials` are still read; `.git` never is.
        let walker = ignore::WalkBuilder::new(root)
            .require_git(false)
            .follow_links(false)
            .hidden(false)
            .threads(threads)
            .filter_entry(|entry| {
                let name = entry.file_name().to_string_lossy();
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                entry.depth() == 0
                    || !name.starts_with('.')
                    || (is_dir && SECRET_DIRS.contains(&name.as_ref()))
                    || (!is_dir && is_secret_dotfile(entry.path()))
            })
            .build_parallel();
        walker.run(|| {
            Box::new(|entry| {
                match entry {
                    Ok(entry) => keep(source_file(&entry), None),
                    Err(err) => keep(
                        None,
                        Some(Notice {
                            path: root.display().to_string(),
                            kind: NoticeKind::Walk,
                            message: err.to_string(),
                        }),
                    ),
                }
                ignore::WalkState::Continue
            })
        });
    }
    let (mut files, mut notices) = found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // The walkers' threads find files in any order; the report's is the
    // paths'.
    files.sort_by(|a: &SourceFile, b: &SourceFile| a.path.cmp(&b.path));
    notices.sort();
    files.dedup_by(|a, b| a.path == b.path);
    (files, notices)
}

/// The file a walked entry is, if backlint lints it.
fn source_file(entry: &ignore::DirEntry) -> Option<SourceFile> {
    let is_file = entry.file_type().is_some_and(|t| t.is_file());
    let kind = FileKind::of(entry.path()).filter(|_| is_file)?;
    if matches!(kind, FileKind::Config(_)) && is_vendored(entry.path()) {
        return None;
    }
    Some(SourceFile {
        path: clean(entry.path()),
        kind,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_number_of_walkers_finds_the_same_files_in_path_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        for n in 0..40 {
            write(&format!("pkg{}/mod{n}/a.py", n % 7), "x = 1\n");
            write(&format!("pkg{}/mod{n}/b-c.ts", n % 5), "let x = 1;\n");
        }
        write("pkg1/z.rs", "fn main() {}\n");
        write("pkg1.py", "x = 1\n");
        write("pkg1-a/y.py", "x = 1\n");
        write(".env", "TOKEN=abc\n");
        write(".hidden/skip.py", "x = 1\n");
        write("ignored/skip.py", "x = 1\n");
        write("notes.txt", "not code\n");
        write(".gitignore", "ignored/\n");
        let roots = [
            root.to_path_buf(),
            root.join("pkg1.py"),
            root.join("missing"),
        ];
        let (one, one_notices) = discover_with(&roots, 1);
        let shown = |files: &[SourceFile]| {
            files
                .iter()
                .map(|f| f.path.strip_prefix(root).unwrap_or(&f.path).to_path_buf())
                .collect::<Vec<_>>()
        };
        let paths = shown(&one);
        assert_eq!(paths.len(), 40 * 2 + 4, "{paths:?}");
        assert!(paths.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
        assert!(paths.contains(&PathBuf::from(".env")));
        assert!(!paths.iter().any(|p| p.ends_with("skip.py")));
        assert_eq!(one_notices.len(), 1);
        for threads in [2, 4] {
            let (many, notices) = discover_with(&roots, threads);
            assert_eq!(shown(&many), paths, "{threads} threads");
            assert_eq!(notices, one_notices);
        }
    }
}
