//! Team workflow: configuration, suppressions, baselines, diff-aware runs,
//! fixes and sharding, end to end through the binary.

mod common;

use common::*;
use serde_json::Value;
use std::fs;
use std::path::Path;

/// A scratch project holding the workflow and robustness test rules.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &repo().join("tests/data/rules-workflow"),
        &dir.path().join("rules"),
    );
    copy_dir(
        &repo().join("tests/data/rules-robust"),
        &dir.path().join("rules"),
    );
    dir
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// `check` with the test rules only, concise output; (exit code, stdout lines, stderr).
fn check(dir: &Path, extra: &[&str]) -> (Option<i32>, Vec<String>, String) {
    let mut args = vec![
        "check",
        "--rules",
        "rules",
        "--no-builtin",
        "--format",
        "concise",
    ];
    args.extend(extra);
    let out = backlint(&args, dir);
    let lines = stdout(&out).lines().map(str::to_string).collect();
    (out.status.code(), lines, stderr(&out))
}

#[test]
fn nearest_config_wins_in_nested_folders() {
    let dir = project();
    write(
        dir.path(),
        "backlint.toml",
        "ignore = [\"test-danger-call\"]\n",
    );
    write(dir.path(), "top.py", "danger(1)\n");
    write(
        dir.path(),
        "svc/backlint.toml",
        "select = [\"reliability\"]\n",
    );
    write(dir.path(), "svc/app.py", "danger(2)\n");
    write(dir.path(), "svc/deep/more.py", "danger(3)\n");
    let (code, lines, err) = check(dir.path(), &["."]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(
        lines,
        [
            "svc/app.py:1:1: error[test-danger-call] call to `danger`",
            "svc/deep/more.py:1:1: error[test-danger-call] call to `danger`"
        ]
    );
    // --config overrides discovery for every file.
    write(dir.path(), "all.toml", "select = [\"test-danger-call\"]\n");
    let (_, lines, _) = check(dir.path(), &["--config", "all.toml", "."]);
    assert_eq!(lines.len(), 3, "{lines:?}");
}

#[test]
fn pyproject_tool_table_is_read() {
    let dir = project();
    write(
        dir.path(),
        "pyproject.toml",
        "[project]\nname = \"x\"\n\n[tool.backlint]\nignore = [\"test-danger-call\"]\n",
    );
    write(dir.path(), "a.py", "danger(1)\nimport yaml\nyaml.load(s)\n");
    let (_, lines, _) = check(dir.path(), &["."]);
    assert_eq!(
        lines,
        ["a.py:3:1: error[test-yaml-load] `yaml.load` without a safe loader"]
    );
}

#[test]
fn unknown_config_key_is_an_error_with_a_span() {
    let dir = project();
    write(
        dir.path(),
        "backlint.toml",
        "fail-on = \"error\"\nselct = [\"security\"]\n",
    );
    write(dir.path(), "a.py", "danger(1)\n");
    let (code, _, err) = check(dir.path(), &["."]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown field `selct`"), "{err}");
    assert!(err.contains("backlint.toml:2:1"), "{err}");
}

#[test]
fn unknown_rule_and_bad_glob_in_config_are_errors_with_spans() {
    let dir = project();
    write(
        dir.path(),
        "backlint.toml",
        "ignore = [\"test-danger-call\", \"no-such-rule\"]\n",
    );
    write(dir.path(), "a.py", "danger(1)\n");
    let (code, _, err) = check(dir.path(), &["."]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("unknown rule or category `no-such-rule`"),
        "{err}"
    );
    assert!(err.contains("backlint.toml:1:31"), "{err}");
    write(
        dir.path(),
        "backlint.toml",
        "exclude = [\"a/**\", \"b[\"]\n",
    );
    let (code, _, err) = check(dir.path(), &["."]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("invalid glob") && err.contains("backlint.toml:1:20"),
        "{err}"
    );
}

#[test]
fn include_exclude_per_path_ignores_severity_and_fail_on() {
    let dir = project();
    write(
        dir.path(),
        "backlint.toml",
        r#"include = ["src/**", "tests/**"]
exclude = ["src/generated/**"]
fail-on = "error"

[per-path-ignores]
"tests/**" = ["test-danger-call"]

[severity]
test-danger-call = "note"
"#,
    );
    write(dir.path(), "src/app.py", "danger(1)\n");
    write(dir.path(), "src/generated/gen.py", "danger(2)\n");
    write(
        dir.path(),
        "tests/test_app.py",
        "danger(3)\nimport yaml\nyaml.load(s)\n",
    );
    write(dir.path(), "scripts/tool.py", "danger(4)\n");
    let (code, lines, _) = check(dir.path(), &["."]);
    assert_eq!(
        lines,
        [
            "src/app.py:1:1: note[test-danger-call] call to `danger`",
            "tests/test_app.py:3:1: error[test-yaml-load] `yaml.load` without a safe loader"
        ]
    );
    assert_eq!(code, Some(1), "an error finding fails with fail-on = error");
    // Only the note left: below `fail-on = "error"`, so exit 0.
    let (code, lines, _) = check(dir.path(), &["src"]);
    assert_eq!(lines.len(), 1);
    assert_eq!(code, Some(0));
    // A file named explicitly is linted even when excluded.
    let (_, lines, _) = check(dir.path(), &["src/generated/gen.py"]);
    assert_eq!(lines.len(), 1);
}

#[test]
fn suppressions_with_and_without_ids_file_level_and_unused() {
    let dir = project();
    write(
        dir.path(),
        "a.py",
        "danger(1)  # backlint: ignore[test-danger-call] -- vetted\ndanger(2)  # backlint: ignore\n# backlint: ignore[test-yaml-load]\ndanger(3)\n",
    );
    write(
        dir.path(),
        "b.py",
        "# backlint: ignore-file[test-danger-call]\ndanger(4)\nimport yaml\nyaml.load(s)\n",
    );
    let (_, lines, _) = check(dir.path(), &["."]);
    assert_eq!(
        lines,
        [
            "a.py:4:1: error[test-danger-call] call to `danger`",
            "b.py:4:1: error[test-yaml-load] `yaml.load` without a safe loader"
        ]
    );
    let (_, lines, _) = check(dir.path(), &["--report-unused-ignores", "."]);
    assert!(
        lines.contains(&"a.py:3:3: note[unused-suppression] unused suppression: no finding of `test-yaml-load` here".to_string()),
        "{lines:?}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("unused-suppression"))
            .count(),
        1,
        "{lines:?}"
    );
    let (_, lines, _) = check(dir.path(), &["--select", "blanket-suppression", "."]);
    assert_eq!(lines, ["a.py:2:14: note[blanket-suppression] suppression without rule ids hides every rule here"]);
}

#[test]
fn baseline_survives_inserted_lines_and_reports_new_findings() {
    let dir = project();
    write(
        dir.path(),
        "a.py",
        "def f():\n    danger(1)\n    danger(2)\n",
    );
    let (code, _, err) = check(dir.path(), &["--write-baseline", "baseline.json", "."]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("recorded 2 findings in baseline.json"),
        "{err}"
    );
    let baseline: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(baseline["version"], 1);
    assert_eq!(baseline["findings"].as_array().unwrap().len(), 2);

    write(
        dir.path(),
        "a.py",
        "import os\n\n\ndef f():\n    danger(1)\n    danger(2)\n",
    );
    let (code, lines, err) = check(dir.path(), &["--baseline", "baseline.json", "."]);
    assert_eq!((code, lines.len()), (Some(0), 0), "{lines:?}");
    assert!(err.contains("2 findings hidden by baseline"), "{err}");

    write(
        dir.path(),
        "a.py",
        "import os\n\n\ndef f():\n    danger(1)\n    danger(2)\n    danger(9)\n",
    );
    let (code, lines, _) = check(dir.path(), &["--baseline", "baseline.json", "."]);
    assert_eq!(code, Some(1));
    assert_eq!(
        lines,
        ["a.py:7:5: error[test-danger-call] call to `danger`"]
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn changed_since_lints_changed_and_untracked_files_only() {
    let dir = project();
    write(dir.path(), "old.py", "danger(1)\n");
    write(dir.path(), "edited.py", "x = 1\n");
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    write(dir.path(), "edited.py", "x = 1\ndanger(2)\n");
    write(dir.path(), "new.py", "danger(3)\n");
    let (code, lines, err) = check(dir.path(), &["--changed-since", "HEAD", "."]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(
        lines,
        [
            "edited.py:2:1: error[test-danger-call] call to `danger`",
            "new.py:1:1: error[test-danger-call] call to `danger`"
        ]
    );
    let (code, _, err) = check(dir.path(), &["--changed-since", "no-such-ref", "."]);
    assert_eq!(code, Some(2));
    assert!(err.contains("git diff"), "{err}");
}

#[test]
fn fix_applies_safe_fixes_atomically_and_is_idempotent() {
    let dir = project();
    let original = "import yaml\ncfg = yaml.load(text)\nr = get(url, verify=False)\n";
    write(dir.path(), "a.py", original);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir.path().join("a.py"), fs::Permissions::from_mode(0o640)).unwrap();
    }
    let (_, diff, _) = check(dir.path(), &["--diff", "a.py"]);
    assert_eq!(diff.join("\n"), "--- a/a.py\n+++ b/a.py\n@@ -1,3 +1,3 @@\n import yaml\n-cfg = yaml.load(text)\n+cfg = yaml.safe_load(text)\n r = get(url, verify=False)");
    assert_eq!(
        fs::read_to_string(dir.path().join("a.py")).unwrap(),
        original,
        "--diff must not write"
    );

    let (code, lines, err) = check(dir.path(), &["--fix", "a.py"]);
    assert!(err.contains("applied 1 fixes in 1 files"), "{err}");
    assert_eq!(
        lines,
        ["a.py:3:21: warning[test-verify-false] `False` turns TLS verification off"]
    );
    assert_eq!(code, Some(1));
    let fixed = fs::read_to_string(dir.path().join("a.py")).unwrap();
    assert_eq!(
        fixed,
        "import yaml\ncfg = yaml.safe_load(text)\nr = get(url, verify=False)\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.path().join("a.py"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o640, "permissions kept");
    }
    let (_, _, err) = check(dir.path(), &["--fix", "a.py"]);
    assert!(
        !err.contains("applied"),
        "second --fix changed something: {err}"
    );
    assert_eq!(fs::read_to_string(dir.path().join("a.py")).unwrap(), fixed);

    let (code, lines, _) = check(dir.path(), &["--fix", "--unsafe-fixes", "a.py"]);
    assert_eq!((code, lines.len()), (Some(0), 0));
    assert_eq!(
        fs::read_to_string(dir.path().join("a.py")).unwrap(),
        "import yaml\ncfg = yaml.safe_load(text)\nr = get(url, verify=True)\n"
    );
    // No temporary files left behind.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn a_file_changed_between_read_and_write_is_left_untouched() {
    use backlint::rule::index::{RuleSet, Selection};
    use backlint::rule::load::{compile_all, dir_sources};
    use backlint::run::{check, CheckOptions};
    let dir = project();
    let file = dir.path().join("a.py");
    fs::write(&file, "import yaml\ncfg = yaml.load(text)\n").unwrap();
    let loaded = compile_all(&dir_sources(&dir.path().join("rules")).unwrap())
        .unwrap_or_else(|_| panic!("rules"));
    let rules = RuleSet::build(loaded, &Selection::default()).unwrap();
    let report = check(
        &rules,
        &CheckOptions {
            paths: vec![file.clone()],
            jobs: Some(1),
            max_file_size: 1 << 20,
        },
    );
    assert_eq!(report.total(), 1);
    fs::write(&file, "import yaml\ncfg = yaml.load(other)\n").unwrap();
    let outcomes = backlint::fix::apply(&report, backlint::fix::FixOptions { unsafe_fixes: true });
    assert!(
        matches!(
            outcomes.as_slice(),
            [backlint::fix::FileFix::Changed { .. }]
        ),
        "{outcomes:?}"
    );
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        "import yaml\ncfg = yaml.load(other)\n"
    );
}

#[test]
fn every_builtin_fix_removes_its_finding_and_is_idempotent() {
    // Which (rule, fixture) pairs offer fixes, from one run over the fixtures.
    let out = backlint(&["check", "--format", "json", "fixtures"], &repo());
    let all: Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut pairs: Vec<(String, String)> = all["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["fix"].is_null())
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs.dedup();
    assert!(
        pairs.len() >= 8,
        "only {} (rule, fixture) pairs have fixes: {pairs:?}",
        pairs.len()
    );
    for (rule, fixture) in &pairs {
        let dir = tempfile::tempdir().unwrap();
        let name = Path::new(fixture)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let target = dir.path().join(&name);
        fs::copy(repo().join(fixture), &target).unwrap();
        let run = |extra: &[&str]| {
            let mut args = vec![
                "check",
                "--select",
                rule,
                "--format",
                "json",
                "--unsafe-fixes",
            ];
            args.extend(extra);
            args.push(&name);
            let out = backlint(&args, dir.path());
            serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null)
        };
        let after = run(&["--fix"]);
        let still = after["findings"]
            .as_array()
            .map_or(0, |f| f.iter().filter(|f| !f["fix"].is_null()).count());
        assert_eq!(
            still, 0,
            "{rule} in {fixture}: fixable findings remain after --fix: {after}"
        );
        let once = fs::read(&target).unwrap();
        assert_ne!(
            once,
            fs::read(repo().join(fixture)).unwrap(),
            "{rule} in {fixture}: --fix changed nothing"
        );
        run(&["--fix"]);
        assert_eq!(
            once,
            fs::read(&target).unwrap(),
            "{rule} in {fixture}: second --fix changed the file"
        );
    }
}

#[test]
fn shards_cover_every_file_once_and_merged_sarif_equals_the_full_run() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("fixtures"), &dir.path().join("fixtures"));
    let sarif = |extra: &[&str], out: &str| {
        let mut args = vec!["check", "--format", "sarif", "--output", out, "fixtures"];
        args.extend(extra);
        backlint(&args, dir.path());
        serde_json::from_str::<Value>(&fs::read_to_string(dir.path().join(out)).unwrap()).unwrap()
    };
    let full = sarif(&[], "full.sarif");
    let mut files_seen: Vec<String> = Vec::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let log = sarif(&["--shard", &shard], &format!("shard{i}.sarif"));
        let mut files: Vec<String> = log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        files.dedup();
        files_seen.extend(files);
    }
    let mut unique = files_seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        files_seen.len(),
        "a file appeared in two shards"
    );
    let out = backlint(
        &[
            "merge-sarif",
            "shard1.sarif",
            "shard2.sarif",
            "shard3.sarif",
            "-o",
            "merged.sarif",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let merged: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("merged.sarif")).unwrap())
            .unwrap();
    let results = |v: &Value| v["runs"][0]["results"].clone();
    assert!(results(&full).as_array().unwrap().len() > 50);
    assert_eq!(results(&merged), results(&full));
    assert_eq!(
        merged["runs"][0]["tool"]["driver"]["rules"],
        full["runs"][0]["tool"]["driver"]["rules"]
    );
}

#[test]
fn init_writes_a_config_that_loads() {
    let dir = project();
    let out = backlint(&["init"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(dir.path().join("backlint.toml").is_file());
    write(dir.path(), "a.py", "danger(1)\n");
    let (code, lines, err) = check(dir.path(), &["."]);
    assert_eq!((code, lines.len()), (Some(1), 1), "{err}");
    let again = backlint(&["init"], dir.path());
    assert_eq!(again.status.code(), Some(2), "init must not overwrite");
}

#[test]
fn stdin_uses_the_config_of_its_file_name() {
    let dir = project();
    write(
        dir.path(),
        "backlint.toml",
        "[per-path-ignores]\n\"legacy/**\" = [\"test-danger-call\"]\n",
    );
    let run = |name: &str| {
        let out = backlint_stdin(
            &[
                "check",
                "--rules",
                "rules",
                "--no-builtin",
                "--format",
                "concise",
                "--stdin-filename",
                name,
            ],
            dir.path(),
            "danger(1)\n",
        );
        stdout(&out)
    };
    assert_eq!(
        run("app/x.py"),
        "app/x.py:1:1: error[test-danger-call] call to `danger`\n"
    );
    assert_eq!(run("legacy/x.py"), "");
}

#[test]
fn secret_allow_list_by_path_regex_and_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Values built at run time, in the providers' formats; not real keys.
    let stripe = format!("sk_live_{}", "a1B2c3D4e5F6g7H8i9J0k1L2");
    let github = format!("ghp_{}", "Zq8Xw7Vu6Ts5Rq4Po3Nm2Lk1Ji0HgFeDcBa9Y");
    write(
        d,
        "app/.env",
        &format!("STRIPE_KEY={stripe}\nGITHUB_TOKEN={github}\n"),
    );
    write(d, "tests/fixtures/.env", &format!("STRIPE_KEY={stripe}\n"));
    let run = || {
        let out = backlint(
            &[
                "check",
                "--select",
                "hardcoded-secret",
                "--format",
                "json",
                "--no-cache",
                ".",
            ],
            d,
        );
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["fingerprint"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let all = run();
    assert_eq!(all.len(), 3, "{all:?}");
    write(
        d,
        "backlint.toml",
        "[secrets]\nallow-paths = [\"tests/fixtures/**\"]\nallow-regexes = [\"^ghp_Zq8\"]\n",
    );
    let allowed = run();
    assert_eq!(allowed.len(), 1, "{allowed:?}");
    assert_eq!(allowed[0].0, "app/.env");
    let fingerprint = allowed[0].1.clone();
    write(
        d,
        "backlint.toml",
        &format!("[secrets]\nallow-paths = [\"tests/fixtures/**\"]\nallow-regexes = [\"^ghp_Zq8\"]\nallow-fingerprints = [\"{fingerprint}\"]\n"),
    );
    assert!(run().is_empty());
    write(d, "backlint.toml", "[secrets]\nallow-regexes = [\"(\"]\n");
    let out = backlint(&["check", "--select", "hardcoded-secret", "."], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("invalid regex"), "{}", stderr(&out));
}
