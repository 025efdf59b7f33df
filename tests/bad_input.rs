//! The bad-input suite: strange files never crash, hang or swallow the
//! results of other files. Inputs are generated here, not committed.

mod common;

use common::*;
use serde_json::Value;
use std::fs;
use std::path::Path;

/// A scratch project with the robustness rule and one good file whose
/// finding must survive whatever else is in the directory.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("tests/data/rules-robust"),
        &dir.path().join("rules"),
    );
    fs::write(dir.path().join("good.py"), "danger(1)\n").unwrap();
    dir
}

/// Runs `check --format json` with only the robustness rule.
fn check_json(dir: &Path, paths: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec![
        "check",
        "--rules",
        "rules",
        "--no-builtin",
        "--format",
        "json",
    ];
    args.extend(paths);
    let out = backlint(&args, dir);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}); stderr: {}", stderr(&out)));
    (out.status.code(), json)
}

fn findings_in(json: &Value, path: &str) -> Vec<(u64, u64)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == path)
        .map(|f| {
            (
                f["start"]["line"].as_u64().unwrap(),
                f["start"]["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn notice_kinds(json: &Value, path: &str) -> Vec<String> {
    json["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["path"] == path)
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn binary_file_is_skipped_with_a_notice() {
    let dir = project();
    fs::write(dir.path().join("blob.py"), b"danger(1)\0\x01\x02\xff").unwrap();
    let (code, json) = check_json(dir.path(), &["."]);
    assert_eq!(code, Some(1));
    assert_eq!(notice_kinds(&json, "blob.py"), ["binary"]);
    assert_eq!(findings_in(&json, "good.py"), [(1, 1)]);
}

#[test]
fn invalid_utf8_in_the_middle_of_a_flagged_line() {
    let dir = project();
    fs::write(
        dir.path().join("latin1.py"),
        b"x = 1\ns = '\xe9t\xe9'; danger(s)\n",
    )
    .unwrap();
    let (_, json) = check_json(dir.path(), &["latin1.py"]);
    // Columns count the replaced bytes one each: `s = '?t?'; ` is 11 characters.
    assert_eq!(findings_in(&json, "latin1.py"), [(2, 12)]);
}

#[test]
fn bom_crlf_and_lone_cr_keep_lines_right() {
    let dir = project();
    fs::write(dir.path().join("bom.py"), "\u{feff}danger(1)\n").unwrap();
    fs::write(
        dir.path().join("crlf.py"),
        "x = 1\r\ny = 2\r\ndanger(y)\r\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("cr.js"),
        "let x = 1;\rlet y = 2;\rdanger(y);\r",
    )
    .unwrap();
    let (_, json) = check_json(dir.path(), &["."]);
    assert_eq!(findings_in(&json, "bom.py").len(), 1, "{json}");
    assert_eq!(findings_in(&json, "crlf.py"), [(3, 1)]);
    assert_eq!(findings_in(&json, "cr.js"), [(3, 1)]);
}

#[test]
fn empty_files_are_fine() {
    let dir = project();
    for name in ["empty.py", "empty.ts", "empty.rs", "empty.js"] {
        fs::write(dir.path().join(name), "").unwrap();
    }
    let (code, json) = check_json(dir.path(), &["."]);
    assert_eq!(code, Some(1));
    // Four empty sources, good.py, and the YAML rule file (scanned for secrets).
    assert_eq!(json["summary"]["files_scanned"], 6);
    assert_eq!(json["summary"]["findings"], 1);
    assert!(json["notices"].as_array().unwrap().is_empty());
}

#[test]
fn file_above_the_size_limit_is_skipped_with_a_notice() {
    let dir = project();
    let line = "danger(1)\n";
    fs::write(
        dir.path().join("huge.py"),
        line.repeat(50 * 1024 * 1024 / line.len()),
    )
    .unwrap();
    let (code, json) = check_json(dir.path(), &["."]);
    assert_eq!(code, Some(1), "skipping is not an error");
    assert_eq!(notice_kinds(&json, "huge.py"), ["too-large"]);
    assert_eq!(findings_in(&json, "good.py"), [(1, 1)]);
}

#[test]
fn minified_javascript_is_skipped_with_a_notice() {
    let dir = project();
    let bundle = format!("!function(){{{}danger(1)}}();\n", "var a=1;".repeat(2000));
    fs::write(dir.path().join("bundle.js"), bundle).unwrap();
    fs::write(dir.path().join("lib.min.js"), "danger(1);\n").unwrap();
    let (code, json) = check_json(dir.path(), &["."]);
    assert_eq!(code, Some(1));
    assert_eq!(notice_kinds(&json, "bundle.js"), ["minified"]);
    assert_eq!(notice_kinds(&json, "lib.min.js"), ["minified"]);
    assert_eq!(findings_in(&json, "good.py"), [(1, 1)]);
}

#[test]
fn one_megabyte_single_line() {
    let dir = project();
    let mut text = "x = [".to_string() + &"1, ".repeat(350_000) + "]; danger(x)";
    text.push('\n');
    fs::write(dir.path().join("long.py"), &text).unwrap();
    let (_, json) = check_json(dir.path(), &["long.py"]);
    assert_eq!(findings_in(&json, "long.py").len(), 1);
}

#[test]
fn ten_thousand_deep_nesting_in_every_language() {
    let dir = project();
    let depth = 10_000;
    let nested =
        |open: &str, close: &str| format!("{}1{}", open.repeat(depth), close.repeat(depth));
    fs::write(
        dir.path().join("deep.py"),
        format!("x = {}\ndanger(x)\n", nested("[", "]")),
    )
    .unwrap();
    fs::write(
        dir.path().join("deep.js"),
        // One bracket per line: a 20,000-character line is skipped as minified.
        format!("let x = {};\ndanger(x);\n", nested("[\n", "]\n")),
    )
    .unwrap();
    fs::write(
        dir.path().join("deep.ts"),
        format!("const x = {};\ndanger(x);\n", nested("(\n", ")\n")),
    )
    .unwrap();
    fs::write(
        dir.path().join("deep.rs"),
        format!("fn f() {{ {} danger(1); }}\n", nested("{ ", " }")),
    )
    .unwrap();
    let (code, json) = check_json(dir.path(), &["."]);
    assert!(matches!(code, Some(1)), "{json}");
    for name in ["deep.py", "deep.js", "deep.ts", "deep.rs"] {
        assert_eq!(findings_in(&json, name).len(), 1, "{name}: {json}");
    }
}

#[test]
fn syntax_errors_are_linted_where_they_parse_and_noted() {
    let dir = project();
    fs::write(
        dir.path().join("broken.py"),
        "def f(:\n    pass\n\ndanger(2)\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("broken.ts"),
        "function f() {\n  return 1 +;\n}\n\ndanger(2);\n",
    )
    .unwrap();
    fs::write(dir.path().join("broken.js"), "const = ;\ndanger(2);\n").unwrap();
    fs::write(
        dir.path().join("broken.rs"),
        "fn f( {\n}\nfn g() { danger(2); }\n",
    )
    .unwrap();
    let (_, json) = check_json(dir.path(), &["."]);
    for name in ["broken.py", "broken.ts", "broken.js", "broken.rs"] {
        assert_eq!(notice_kinds(&json, name), ["syntax-error"], "{name}");
        assert!(
            !findings_in(&json, name).is_empty(),
            "{name}: nothing found in the parsable part"
        );
    }
}

#[cfg(unix)]
#[test]
fn unreadable_paths_fail_with_exit_2_but_keep_other_results() {
    let dir = project();
    std::os::unix::fs::symlink("does-not-exist.py", dir.path().join("dangling.py")).unwrap();
    let (code, json) = check_json(dir.path(), &["good.py", "dangling.py", "missing.py"]);
    assert_eq!(code, Some(2));
    assert_eq!(notice_kinds(&json, "dangling.py"), ["unreadable"]);
    assert_eq!(notice_kinds(&json, "missing.py"), ["unreadable"]);
    assert_eq!(findings_in(&json, "good.py"), [(1, 1)]);
}

#[cfg(unix)]
#[test]
fn permission_denied_is_a_notice() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project();
    let locked = dir.path().join("locked.py");
    fs::write(&locked, "danger(3)\n").unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&locked).is_ok() {
        // Running as root: permissions do not apply, so there is nothing to test.
        eprintln!("skipped: permissions are not enforced for this user");
        return;
    }
    let (code, json) = check_json(dir.path(), &["."]);
    assert_eq!(code, Some(2));
    assert_eq!(notice_kinds(&json, "locked.py"), ["unreadable"]);
    assert_eq!(findings_in(&json, "good.py"), [(1, 1)]);
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_fifos_do_not_hang() {
    let dir = project();
    fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("sub/loop")).unwrap();
    std::os::unix::fs::symlink("loop", dir.path().join("sub/self")).unwrap();
    let fifo = dir.path().join("pipe.py");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let (code, json) = check_json(dir.path(), &[".", "pipe.py"]);
    assert_eq!(
        code,
        Some(2),
        "a FIFO named explicitly cannot be linted: {json}"
    );
    assert_eq!(notice_kinds(&json, "pipe.py"), ["unreadable"]);
    assert_eq!(findings_in(&json, "good.py"), [(1, 1)]);
}

#[cfg(target_os = "linux")]
#[test]
fn non_utf8_file_names() {
    use std::os::unix::ffi::OsStrExt;
    let dir = project();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.py");
    fs::write(dir.path().join(name), "danger(4)\n").unwrap();
    let (code, json) = check_json(dir.path(), &["."]);
    assert_eq!(code, Some(1));
    assert_eq!(findings_in(&json, "caf\u{fffd}.py"), [(1, 1)], "{json}");
}

#[test]
fn notices_appear_in_every_format() {
    let dir = project();
    fs::write(dir.path().join("blob.py"), b"\0\0\0").unwrap();
    let run = |format: &str| {
        let out = backlint(
            &[
                "check",
                "--rules",
                "rules",
                "--no-builtin",
                "--format",
                format,
                ".",
            ],
            dir.path(),
        );
        stdout(&out)
    };
    assert!(run("pretty").contains("notice: blob.py: skipped: binary file"));
    assert!(run("concise").contains("blob.py: notice[binary] skipped: binary file"));
    assert!(run("github").contains("::warning file=blob.py::skipped: binary file"));
    let sarif: Value = serde_json::from_str(&run("sarif")).unwrap();
    let notes = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes[0]["level"], "warning");
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "blob.py"
    );
}

#[test]
fn linting_writes_nothing() {
    let dir = project();
    fs::write(dir.path().join("app.ts"), "danger(1);\n").unwrap();
    let listing = |p: &Path| {
        let mut v: Vec<_> = walk(p);
        v.sort();
        v
    };
    let before = listing(dir.path());
    for format in ["pretty", "json", "sarif"] {
        backlint(
            &[
                "check",
                "--no-cache",
                "--rules",
                "rules",
                "--format",
                format,
                ".",
            ],
            dir.path(),
        );
    }
    assert_eq!(before, listing(dir.path()));
    // With the cache on, the cache directory is the only thing written.
    backlint(&["check", "--rules", "rules", "."], dir.path());
    let after: Vec<_> = listing(dir.path())
        .into_iter()
        .filter(|(p, _)| !p.contains(".backlint_cache"))
        .collect();
    assert_eq!(before, after);
    assert!(dir.path().join(".backlint_cache/.gitignore").is_file());
}

#[test]
fn an_unwritable_cache_is_skipped_and_a_warm_cache_gives_the_same_report() {
    let dir = project();
    fs::write(dir.path().join("app.ts"), "danger(1);\n").unwrap();
    // The cache path is a file, so no cache directory can be made there.
    fs::write(dir.path().join("not-a-dir"), "").unwrap();
    let args = [
        "check",
        "--rules",
        "rules",
        "--no-builtin",
        "--format",
        "json",
        "--cache-dir",
    ];
    let run = |cache: &str| {
        let mut a = args.to_vec();
        a.extend([cache, "."]);
        let out = backlint(&a, dir.path());
        let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["summary"]["elapsed_ms"] = 0.into();
        (out.status.code(), v)
    };
    let (code, unwritable) = run("not-a-dir");
    assert_eq!(code, Some(1));
    assert_eq!(findings_in(&unwritable, "app.ts").len(), 1);
    let (_, cold) = run("cache");
    let (_, warm) = run("cache");
    assert_eq!(cold, unwritable);
    assert_eq!(warm, cold);
    assert!(dir.path().join("cache/v1").is_dir());
}

fn walk(p: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(p).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push((entry.path().display().to_string(), meta.len()));
        }
    }
    out
}

#[test]
fn a_file_over_its_time_budget_is_abandoned_with_a_notice() {
    use backlint::engine::lint_source_within;
    use backlint::lang::Lang;
    use backlint::rule::index::{RuleSet, Selection};
    use backlint::rule::load::{compile_all, dir_sources};
    let sources = dir_sources(&repo().join("tests/data/rules-robust")).unwrap();
    let loaded = compile_all(&sources).unwrap_or_else(|_| panic!("test rules compile"));
    let rules = RuleSet::build(loaded, &Selection::default()).unwrap();
    let text = "danger(1)\n".repeat(20_000);
    let outcome = lint_source_within(
        &rules,
        Lang::Python,
        "slow.py",
        &text,
        std::time::Duration::ZERO,
    );
    assert!(outcome.findings.is_empty());
    assert_eq!(outcome.notices.len(), 1);
    assert_eq!(
        outcome.notices[0].kind,
        backlint::diagnostic::NoticeKind::Timeout
    );
    let generous = lint_source_within(
        &rules,
        Lang::Python,
        "slow.py",
        &text,
        std::time::Duration::from_secs(60),
    );
    assert_eq!(generous.findings.len(), 20_000);
}

/// Runs backlint in a read-only checkout. As root, permissions are not
/// enforced, so the run drops to the `nobody` user with `setpriv`.
#[cfg(target_os = "linux")]
#[test]
fn works_in_a_read_only_checkout() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project();
    fs::write(dir.path().join("app.py"), "danger(1)\n").unwrap();
    let chmod = |mode: u32| {
        let mut stack = vec![dir.path().to_path_buf()];
        while let Some(p) = stack.pop() {
            if p.is_dir() {
                stack.extend(fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
                fs::set_permissions(&p, fs::Permissions::from_mode(mode | 0o111)).unwrap();
            } else {
                fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
            }
        }
    };
    chmod(0o444);
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let mut cmd = if is_root {
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_backlint"),
        ]);
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_backlint"))
    };
    let out = cmd
        .args([
            "check",
            "--rules",
            "rules",
            "--no-builtin",
            "--format",
            "concise",
            ".",
        ])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run backlint");
    chmod(0o644);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("app.py:1:1: error[test-danger-call]"),
        "{text}"
    );
    assert!(
        !dir.path().join(".backlint_cache").exists(),
        "nothing may be written"
    );
}
