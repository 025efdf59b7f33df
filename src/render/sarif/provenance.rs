//! `versionControlProvenance`: which repository and commit a SARIF log
//! describes. Read from `git` in the directory the URIs are relative to;
//! anything that fails (no git, not a repository, no `origin` remote) just
//! leaves the block out. Remote URLs are cleaned before they are written:
//! CI systems put access tokens in them (`https://gitlab-ci-token:…@…`),
//! and a token must never reach a report.

use super::SRCROOT;
use serde_sarif::sarif;
use std::path::Path;
use std::process::{Command, Stdio};

/// The repository, commit and branch checked out at `dir`, when `dir` is
/// inside a git work tree with an `origin` remote.
pub fn detect(dir: &Path) -> Option<sarif::VersionControlDetails> {
    let remote = git(dir, &["remote", "get-url", "origin"])?;
    let repository_uri = repository_uri(&remote, dir)?;
    let revision = git(dir, &["rev-parse", "--verify", "-q", "HEAD"]);
    let branch = git(dir, &["symbolic-ref", "--short", "-q", "HEAD"]);
    let toplevel = git(dir, &["rev-parse", "--show-toplevel"]);
    let mut details = sarif::VersionControlDetails::builder()
        .repository_uri(repository_uri)
        .build();
    details.revision_id = revision;
    details.branch = branch;
    // The URIs are relative to %SRCROOT% (the working directory); say that
    // it is the repository root when it is.
    let at_root = toplevel.is_some_and(|top| same_dir(Path::new(&top), dir));
    if at_root {
        details.mapped_to = Some(
            sarif::ArtifactLocation::builder()
                .uri_base_id(SRCROOT)
                .build(),
        );
    }
    Some(details)
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Runs `git -C dir args…` without prompts; its trimmed stdout on success.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// An absolute URI for a git remote, without credentials. Handles URLs
/// (`https://…`, `ssh://…`, `file://…`), scp-like `user@host:path` and
/// local paths (relative ones against `dir`).
pub fn repository_uri(remote: &str, dir: &Path) -> Option<String> {
    let remote = remote.trim();
    if remote.is_empty() {
        return None;
    }
    if remote.contains("://") {
        let mut url = url::Url::parse(remote).ok()?;
        // Both setters only fail for URLs that cannot carry credentials.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        return Some(url.to_string());
    }
    if let Some((host, path)) = scp_like(remote) {
        let url =
            url::Url::parse(&format!("ssh://{host}/{}", path.trim_start_matches('/'))).ok()?;
        return Some(url.to_string());
    }
    let path = dir.join(remote);
    url::Url::from_file_path(&path).ok().map(|u| u.to_string())
}

/// `[user@]host:path` (git's scp-like syntax): the host and the path.
/// A colon after a slash means a local path, as git decides.
fn scp_like(remote: &str) -> Option<(&str, &str)> {
    let colon = remote.find(':')?;
    if remote[..colon].contains('/') {
        return None;
    }
    let (user_host, path) = (&remote[..colon], &remote[colon + 1..]);
    let host = user_host.rsplit('@').next().unwrap_or(user_host);
    (!host.is_empty()).then_some((host, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(remote: &str) -> Option<String> {
        repository_uri(remote, Path::new("/work/repo"))
    }

    #[test]
    fn credentials_never_reach_the_uri() {
        assert_eq!(
            uri("https://gitlab-ci-token:glpat-SECRET123@gitlab.com/group/app.git").as_deref(),
            Some("https://gitlab.com/group/app.git")
        );
        assert_eq!(
            uri("https://x-access-token:ghs_abc@github.com/o/r").as_deref(),
            Some("https://github.com/o/r")
        );
        assert_eq!(
            uri("ssh://git@github.com/o/r.git").as_deref(),
            Some("ssh://github.com/o/r.git")
        );
    }

    #[test]
    fn scp_like_and_local_remotes_become_uris() {
        assert_eq!(
            uri("git@github.com:owner/repo.git").as_deref(),
            Some("ssh://github.com/owner/repo.git")
        );
        assert_eq!(
            uri("../upstream").as_deref(),
            Some("file:///work/repo/../upstream")
        );
        assert_eq!(uri("/srv/git/app").as_deref(), Some("file:///srv/git/app"));
        assert_eq!(uri("  "), None);
    }
}
