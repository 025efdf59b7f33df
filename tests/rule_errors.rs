//! Malformed rule files: exit code 2 and a miette report pointing at the
//! offending line of the YAML.

mod common;

use common::*;
use std::fs;

const GOOD: &str = r#"id: sample-rule
summary: Sample.
severity: warning
category: security
message: "eval of {{arg}}"
docs: |
  Sample rule.
match:
  python:
    query: |
      (call
        function: (identifier) @fn (#eq? @fn "eval")
        arguments: (argument_list (_) @arg)) @match
    where:
      arg: { regex: "^x" }
"#;

/// A project whose only rule file is `rule`, with an `a.py` calling eval.
fn project_with(rule: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("rules")).unwrap();
    fs::write(dir.path().join("rules/sample.yaml"), rule).unwrap();
    fs::write(dir.path().join("a.py"), "eval(x)\n").unwrap();
    dir
}

/// `backlint check` of `a.py` in `dir` with only its rule directory,
/// concise output, and `extra` arguments.
fn check_sample(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "check",
        "--rules",
        "rules",
        "--no-builtin",
        "--format",
        "concise",
    ];
    args.extend(extra);
    args.push("a.py");
    backlint(&args, dir)
}

/// Writes `rule` as the only rule file and returns (exit code, stderr).
fn load(rule: &str) -> (Option<i32>, String) {
    let dir = project_with(rule);
    let out = check_sample(dir.path(), &[]);
    (out.status.code(), stderr(&out))
}

#[test]
fn the_good_rule_loads() {
    let dir = project_with(GOOD);
    let out = check_sample(dir.path(), &[]);
    assert_eq!(stdout(&out), "a.py:1:1: warning[sample-rule] eval of x\n");
}

fn assert_points_at(stderr: &str, line: usize, needle: &str, message: &str) {
    assert!(
        stderr.contains(message),
        "message `{message}` missing:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("rules/sample.yaml:{line}:")),
        "not pointing at line {line}:\n{stderr}"
    );
    let marked = stderr
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{line} │")))
        .unwrap_or_else(|| panic!("line {line} not shown:\n{stderr}"));
    assert!(
        marked.contains(needle),
        "line {line} shown as `{marked}`, expected `{needle}`"
    );
}

#[test]
fn unknown_key() {
    let (code, err) = load(&GOOD.replace("severity: warning", "severity: warning\nseverty: error"));
    assert_eq!(code, Some(2));
    assert_points_at(&err, 4, "severty", "unknown field `severty`");
}

#[test]
fn unknown_key_in_a_matcher() {
    let (code, err) =
        load(&GOOD.replace("    where:", "    insde:\n      kind: block\n    where:"));
    assert_eq!(code, Some(2));
    assert_points_at(&err, 14, "insde", "unknown field `insde`");
}

#[test]
fn yaml_syntax_error() {
    let (code, err) = load(&GOOD.replace("category: security", "category: [security"));
    assert_eq!(code, Some(2));
    assert!(err.contains("rules/sample.yaml:"), "{err}");
}

#[test]
fn bad_query() {
    let (code, err) = load(&GOOD.replace("(identifier) @fn", "(identifer) @fn"));
    assert_eq!(code, Some(2));
    assert_points_at(&err, 12, "identifer", "the python query does not compile");
}

#[test]
fn bad_regex() {
    let (code, err) = load(&GOOD.replace(r#"regex: "^x""#, r#"regex: "^(x""#));
    assert_eq!(code, Some(2));
    assert_points_at(&err, 15, "regex", "invalid regex");
}

#[test]
fn unknown_capture_in_message() {
    let (code, err) = load(&GOOD.replace("{{arg}}", "{{argument}}"));
    assert_eq!(code, Some(2));
    assert_points_at(
        &err,
        5,
        "{{argument}}",
        "`{{argument}}` names a capture that the python query does not define",
    );
}

#[test]
fn unknown_capture_in_where() {
    let (code, err) = load(&GOOD.replace("      arg: {", "      args: {"));
    assert_eq!(code, Some(2));
    assert_points_at(&err, 15, "args", "`where` names capture `args`");
}

#[test]
fn unknown_language() {
    let (code, err) = load(&GOOD.replace("  python:", "  cobol:"));
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown language `cobol`"), "{err}");
}

#[test]
fn unknown_severity_value() {
    let (code, err) = load(&GOOD.replace("severity: warning", "severity: fatal"));
    assert_eq!(code, Some(2));
    assert_points_at(&err, 3, "fatal", "fatal");
}

#[test]
fn duplicate_id_across_files() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("rules")).unwrap();
    fs::write(dir.path().join("rules/a.yaml"), GOOD).unwrap();
    fs::write(dir.path().join("rules/b.yaml"), GOOD).unwrap();
    let out = backlint(
        &["check", "--rules", "rules", "--no-builtin", "."],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("rule id `sample-rule` is already defined in rules/a.yaml"),
        "{err}"
    );
    assert!(err.contains("rules/b.yaml:1:"), "{err}");
}

/// tree-sitter's verdict on a rule file's queries is remembered in the
/// cache only when it accepts them: a rejected query is reported on every
/// run, an accepted one is not compiled again.
#[test]
fn only_accepted_queries_are_remembered_between_runs() {
    // A pattern tree-sitter finds impossible (no call has an import
    // statement as its function), though every name in it exists.
    let impossible = GOOD.replace(
        r#"(identifier) @fn (#eq? @fn "eval")"#,
        "(import_statement) @fn",
    );
    let dir = project_with(&impossible);
    let run = || {
        let out = check_sample(dir.path(), &[]);
        (out.status.code(), stdout(&out), stderr(&out))
    };
    let remembered = || {
        fs::read_dir(dir.path().join(".backlint_cache/v1/queries"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    for _ in 0..2 {
        let (code, _, err) = run();
        assert_eq!(code, Some(2));
        assert_points_at(
            &err,
            12,
            "import_statement",
            "the python query does not compile",
        );
    }
    assert_eq!(remembered(), 0);
    fs::write(dir.path().join("rules/sample.yaml"), GOOD).unwrap();
    let cold = run();
    assert_eq!(cold.1, "a.py:1:1: warning[sample-rule] eval of x\n");
    assert_eq!(remembered(), 1);
    assert_eq!(run(), cold);
    // --no-cache neither reads nor writes the store.
    fs::remove_dir_all(dir.path().join(".backlint_cache")).unwrap();
    let out = check_sample(dir.path(), &["--no-cache"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join(".backlint_cache").exists());
}
