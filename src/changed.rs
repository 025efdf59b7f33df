//! `--changed-since REF`: the files git says differ from REF, plus
//! untracked files, as absolute paths.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ChangedError {
    #[error("cannot run git: {0}")]
    Spawn(std::io::Error),
    #[error("git {args} failed: {stderr}")]
    Git { args: String, stderr: String },
}

fn git(dir: &Path, args: &[&str]) -> Result<String, ChangedError> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(ChangedError::Spawn)?;
    if !out.status.success() {
        return Err(ChangedError::Git {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Files changed against `reference` (committed, staged or not) and
/// untracked files, for the repository containing `dir`.
pub fn changed_files(dir: &Path, reference: &str) -> Result<HashSet<PathBuf>, ChangedError> {
    let root = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?.trim());
    let mut files = HashSet::new();
    let diff = git(
        &root,
        &["diff", "--name-only", "--no-renames", "-z", reference, "--"],
    )?;
    let untracked = git(&root, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    for name in diff
        .split('\0')
        .chain(untracked.split('\0'))
        .filter(|n| !n.is_empty())
    {
        let path = root.join(name);
        files.insert(std::fs::canonicalize(&path).unwrap_or(path));
    }
    Ok(files)
}

/// Whether `path` is in `changed` (compared as absolute, canonical paths).
pub fn is_changed(changed: &HashSet<PathBuf>, path: &Path) -> bool {
    std::fs::canonicalize(path).is_ok_and(|p| changed.contains(&p))
}
