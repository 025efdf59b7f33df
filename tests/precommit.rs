//! The pre-commit integration, end to end: the real `pre-commit` tool
//! (installed from PyPI by this test into a venv under `target/`) runs
//! the hooks of `.pre-commit-hooks.yaml` in a scratch git repository, and
//! a commit with a finding is refused until the code is fixed.
//!
//! pre-commit clones hook repositories at a revision, so the hooks file is
//! committed into a scratch repository of its own and referenced by path
//! and commit. The `backlint-system` hook finds the freshly built binary on
//! PATH. If pre-commit cannot be installed the test fails: it never passes
//! without running.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// `target/` of this build (the test binary's `target/<profile>/..`).
fn target_dir() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_backlint"));
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repo().join("target"))
}

/// The venv's `bin/`, with pre-commit installed (once per test binary).
fn precommit_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let venv = target_dir().join("precommit-venv");
        let bin = venv.join("bin");
        let ready = Command::new(bin.join("pre-commit"))
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ready {
            run_ok(Command::new("python3").args(["-m", "venv"]).arg(&venv));
            run_ok(Command::new(bin.join("pip")).args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "pre-commit>=3,<5",
            ]));
        }
        bin
    })
}

/// Runs a command that must succeed; panics with its output otherwise.
fn run_ok(command: &mut Command) -> Output {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        out.status,
        stdout(&out),
        stderr(&out)
    );
    out
}

/// A sandbox: git and pre-commit see only their own config and cache,
/// and PATH starts with the built backlint and the venv.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("gitconfig"), "").expect("gitconfig");
        Sandbox { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn command(&self, program: &str, cwd: &Path) -> Command {
        let backlint_dir = Path::new(env!("CARGO_BIN_EXE_backlint"))
            .parent()
            .expect("binary dir");
        let mut path = vec![backlint_dir.to_path_buf(), precommit_bin().to_path_buf()];
        path.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let mut c = Command::new(program);
        c.current_dir(cwd)
            .env("PATH", std::env::join_paths(path).expect("PATH"))
            .env("PRE_COMMIT_HOME", self.path("cache"))
            .env("GIT_CONFIG_GLOBAL", self.path("gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        c
    }

    fn git(&self, cwd: &Path, args: &[&str]) -> Output {
        let mut c = self.command("git", cwd);
        c.args(args);
        run_ok(&mut c)
    }

    /// A git repository holding only the hooks file, committed; its HEAD.
    fn hooks_repo(&self) -> (PathBuf, String) {
        let dir = self.path("hooks");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::copy(
            repo().join(".pre-commit-hooks.yaml"),
            dir.join(".pre-commit-hooks.yaml"),
        )
        .expect("copy hooks file");
        self.git(&dir, &["init", "-q", "-b", "main"]);
        self.git(&dir, &["add", ".pre-commit-hooks.yaml"]);
        self.git(&dir, &["commit", "-q", "-m", "hooks"]);
        let head = stdout(&self.git(&dir, &["rev-parse", "HEAD"]))
            .trim()
            .to_string();
        (dir, head)
    }

    /// A project repository using `hook_id` from the hooks repository, with
    /// pre-commit installed as its git hook.
    fn project(&self, hook_id: &str) -> PathBuf {
        let (hooks, rev) = self.hooks_repo();
        let dir = self.path("project");
        std::fs::create_dir_all(&dir).expect("mkdir");
        self.git(&dir, &["init", "-q", "-b", "main"]);
        let config = format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {hook_id}\n",
            hooks.display()
        );
        std::fs::write(dir.join(".pre-commit-config.yaml"), config).expect("config");
        self.git(&dir, &["add", ".pre-commit-config.yaml"]);
        let mut install = self.command("pre-commit", &dir);
        install.arg("install");
        run_ok(&mut install);
        dir
    }

    /// Stages `files` and tries to commit; the output of `git commit`.
    fn commit(&self, project: &Path, files: &[(&str, &str)], message: &str) -> Output {
        for (name, text) in files {
            std::fs::write(project.join(name), text).expect("write");
            self.git(project, &["add", name]);
        }
        self.command("git", project)
            .args(["commit", "-q", "-m", message])
            .output()
            .expect("git commit")
    }

    fn commits(&self, project: &Path) -> usize {
        let out = self
            .command("git", project)
            .args(["rev-list", "--count", "HEAD"])
            .output()
            .expect("git rev-list");
        stdout(&out).trim().parse().unwrap_or(0)
    }
}

fn combined(out: &Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

const BAD: &str =
    "import requests\n\n\ndef fetch(url):\n    return requests.get(url, verify=False, timeout=5)\n";
const GOOD: &str =
    "import requests\n\n\ndef fetch(url):\n    return requests.get(url, timeout=5)\n";

#[test]
fn precommit_refuses_a_finding_and_accepts_the_fix() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("backlint-system");

    // Every text file is passed; backlint ignores kinds it does not lint.
    let out = sandbox.commit(
        &project,
        &[("notes.txt", "requests.get(url, verify=False)\n")],
        "notes",
    );
    let text = combined(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("backlint") && text.contains("Passed"),
        "{text}"
    );
    assert_eq!(sandbox.commits(&project), 1);

    // A finding refuses the commit, with backlint's report.
    let out = sandbox.commit(&project, &[("client.py", BAD)], "add client");
    let text = combined(&out);
    assert!(
        !out.status.success(),
        "commit with a finding passed:\n{text}"
    );
    assert!(text.contains("Failed"), "{text}");
    assert!(text.contains("tls-verification-disabled"), "{text}");
    assert!(text.contains("client.py:5:"), "{text}");
    assert!(text.contains("TLS verification is disabled here"), "{text}");
    assert_eq!(sandbox.commits(&project), 1);

    // The fix goes through.
    let out = sandbox.commit(&project, &[("client.py", GOOD)], "add client");
    let text = combined(&out);
    assert!(out.status.success(), "fixed commit refused:\n{text}");
    assert!(text.contains("Passed"), "{text}");
    assert_eq!(sandbox.commits(&project), 2);
}

/// pre-commit filters by extension, but a user's `files:`/`types:` may
/// pass anything: backlint ignores kinds it does not know, silently.
#[test]
fn unknown_file_kinds_passed_by_name_are_ignored_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("notes.txt"),
        "requests.get(u, verify=False)\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("Makefile"), "all:\n\ttrue\n").expect("write");
    let out = backlint(&["check", "--quiet", "notes.txt", "Makefile"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "");
}

/// The `language: rust` hook, built by pre-commit with `cargo install`
/// from a committed copy of this crate. Slow (a release build), so run by
/// hand: `cargo test --test precommit -- --ignored`.
#[test]
#[ignore = "builds backlint in release mode inside pre-commit (minutes)"]
fn precommit_rust_hook_builds_and_runs() {
    let sandbox = Sandbox::new();
    let crate_copy = sandbox.path("crate");
    for entry in [
        ".pre-commit-hooks.yaml",
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "README.md",
        "src",
        "rules",
        "benches",
    ] {
        let from = repo().join(entry);
        if from.is_dir() {
            copy_dir(&from, &crate_copy.join(entry));
        } else if from.exists() {
            std::fs::create_dir_all(&crate_copy).expect("mkdir");
            std::fs::copy(&from, crate_copy.join(entry)).expect("copy");
        }
    }
    sandbox.git(&crate_copy, &["init", "-q", "-b", "main"]);
    sandbox.git(&crate_copy, &["add", "."]);
    sandbox.git(&crate_copy, &["commit", "-q", "-m", "crate"]);
    let rev = stdout(&sandbox.git(&crate_copy, &["rev-parse", "HEAD"]))
        .trim()
        .to_string();
    let project = sandbox.path("project");
    std::fs::create_dir_all(&project).expect("mkdir");
    sandbox.git(&project, &["init", "-q", "-b", "main"]);
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: backlint\n",
        crate_copy.display()
    );
    std::fs::write(project.join(".pre-commit-config.yaml"), config).expect("config");
    std::fs::write(project.join("client.py"), BAD).expect("write");
    sandbox.git(&project, &["add", "."]);
    // Reuse one cargo target directory across runs of this test.
    let out = sandbox
        .command("pre-commit", &project)
        .args(["run", "--all-files"])
        .env(
            "CARGO_TARGET_DIR",
            target_dir().join("precommit-rust-target"),
        )
        .output()
        .expect("pre-commit run");
    let text = combined(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("tls-verification-disabled"), "{text}");
}
