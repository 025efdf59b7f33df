//! `--fix` and `--diff`: apply rule fixes to files.
//!
//! Edits of one file are applied together, in order; an edit overlapping an
//! earlier one is deferred (the next run applies it). A file is rewritten
//! atomically (temporary file in the same directory, permissions copied,
//! rename) and only if it still holds exactly the text that was linted.

use crate::diagnostic::Fix;
use crate::run::{FileReport, Report};
use crate::source::text_from_bytes;
use std::io::Write;
use std::path::Path;

/// Which fixes to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixOptions {
    /// Also apply fixes marked unsafe.
    pub unsafe_fixes: bool,
}

/// What happened to one file.
#[derive(Debug, PartialEq, Eq)]
pub enum FileFix {
    /// Rewritten with `applied` edits; `deferred` overlapped and wait.
    Fixed {
        path: String,
        applied: usize,
        deferred: usize,
    },
    /// The file changed on disk since it was linted: left untouched.
    Changed { path: String },
    /// Reading or writing failed: left untouched.
    Failed { path: String, error: String },
}

/// Applies `fixes` to `original` in order of position; a fix overlapping
/// an earlier one is deferred, one that changes nothing is skipped.
/// Returns the new bytes and the numbers applied and deferred.
pub fn apply_fixes<'a>(
    original: &[u8],
    fixes: impl Iterator<Item = &'a Fix>,
) -> (Vec<u8>, usize, usize) {
    let mut edits: Vec<(usize, usize, &str)> = fixes
        .map(|fix| {
            (
                fix.span.start.offset,
                fix.span.end.offset,
                fix.replacement.as_str(),
            )
        })
        .collect();
    edits.sort();
    edits.dedup();
    let mut out = Vec::with_capacity(original.len());
    let mut cursor = 0;
    let (mut applied, mut deferred) = (0, 0);
    for (start, end, replacement) in edits {
        if start < cursor || end > original.len() {
            deferred += 1;
            continue;
        }
        if original.get(start..end) == Some(replacement.as_bytes()) {
            continue;
        }
        out.extend_from_slice(&original[cursor..start]);
        out.extend_from_slice(replacement.as_bytes());
        cursor = end;
        applied += 1;
    }
    out.extend_from_slice(&original[cursor.min(original.len())..]);
    (out, applied, deferred)
}

/// The new text of `file` with its applicable fixes, the number applied
/// and deferred, or `None` when nothing applies.
pub fn fixed_text(
    file: &FileReport,
    options: FixOptions,
    original: &[u8],
) -> Option<(Vec<u8>, usize, usize)> {
    let fixes = file
        .findings
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .filter(|fix| fix.safe || options.unsafe_fixes);
    let (text, applied, deferred) = apply_fixes(original, fixes);
    (applied > 0).then_some((text, applied, deferred))
}

/// Reads the file again; `Err` when it is no longer the linted text.
fn current_bytes(file: &FileReport) -> Result<Vec<u8>, FileFix> {
    let bytes = std::fs::read(&file.path).map_err(|e| FileFix::Failed {
        path: file.path.clone(),
        error: e.to_string(),
    })?;
    match text_from_bytes(bytes.clone()) {
        Some(text) if text == file.source => Ok(bytes),
        _ => Err(FileFix::Changed {
            path: file.path.clone(),
        }),
    }
}

/// Applies fixes to every file of the report.
pub fn apply(report: &Report, options: FixOptions) -> Vec<FileFix> {
    let mut results = Vec::new();
    for file in &report.files {
        let original = match current_bytes(file) {
            Ok(bytes) => bytes,
            Err(outcome) => {
                results.push(outcome);
                continue;
            }
        };
        let Some((text, applied, deferred)) = fixed_text(file, options, &original) else {
            continue;
        };
        let outcome = match write_atomically(Path::new(&file.path), &text, &original) {
            Ok(true) => FileFix::Fixed {
                path: file.path.clone(),
                applied,
                deferred,
            },
            Ok(false) => FileFix::Changed {
                path: file.path.clone(),
            },
            Err(e) => FileFix::Failed {
                path: file.path.clone(),
                error: e.to_string(),
            },
        };
        results.push(outcome);
    }
    results
}

/// Writes `text` next to `path` and renames it over `path`, keeping the
/// permissions; returns `Ok(false)` without writing when the file no longer
/// holds `expected` right before the rename.
pub fn write_atomically(path: &Path, text: &[u8], expected: &[u8]) -> std::io::Result<bool> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(path)?.permissions();
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(text)?;
    temp.as_file().sync_all()?;
    std::fs::set_permissions(temp.path(), permissions)?;
    if std::fs::read(path)? != expected {
        return Ok(false);
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(true)
}

/// Unified diff of what `--fix` would change, per file.
pub fn diff(report: &Report, options: FixOptions) -> String {
    let mut out = String::new();
    for file in &report.files {
        let Ok(original) = current_bytes(file) else {
            continue;
        };
        let Some((text, _, _)) = fixed_text(file, options, &original) else {
            continue;
        };
        let old = String::from_utf8_lossy(&original);
        let new = String::from_utf8_lossy(&text);
        let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(2)
                .header(
                    &format!("a/{}", file.path.trim_start_matches('/')),
                    &format!("b/{}", file.path.trim_start_matches('/')),
                )
                .to_string(),
        );
    }
    out
}
