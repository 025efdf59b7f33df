//! End-to-end behaviour of the `backlint` binary.

mod common;

use common::*;
use std::fs;

#[test]
fn examples_produce_findings_with_snippets_and_exit_1() {
    let out = backlint(&["check", "examples"], &repo());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    // A miette snippet: the file header, a source line and the label marker.
    assert!(text.contains("╭─[examples/"), "{text}");
    assert!(text.contains("│"), "{text}");
    assert!(text.contains("backlint explain"), "{text}");
    for lang in ["python", "typescript", "rust"] {
        assert!(
            text.contains(&format!("examples/{lang}/")),
            "no findings in examples/{lang}:\n{text}"
        );
    }
    let summary = text.lines().last().unwrap_or_default();
    assert!(
        summary.contains("findings (") && summary.contains("scanned in"),
        "{summary}"
    );
}

#[test]
fn clean_input_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("ok.py"),
        "def add(a, b):\n    return a + b\n",
    )
    .unwrap();
    let out = backlint(&["check", "."], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("0 findings"));
}

#[test]
fn builtin_fixtures_pass() {
    let out = backlint(&["test"], &repo());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains(" 0 failed"), "{}", stdout(&out));
}

#[test]
fn extra_rules_dir_is_loaded_and_tested() {
    let pack = extra_pack();
    let out = backlint(
        &["test", "fixtures", "--rules", "rules", "--no-builtin"],
        pack.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("1 rules, 1 fixture files, 6 annotations checked"),
        "{}",
        stdout(&out)
    );

    // The same rule is used by `check` alongside the built-in rules.
    let out = backlint(
        &[
            "check",
            "--rules",
            "rules",
            "--select",
            "test-eval-of-variable",
            "--format",
            "concise",
            "fixtures",
        ],
        pack.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out)
            .lines()
            .filter(|l| l.contains("error[test-eval-of-variable]"))
            .count(),
        3
    );
}

#[test]
fn fixture_test_reports_missing_finding_precisely() {
    let pack = extra_pack();
    let fixture = pack.path().join("fixtures/python/test-eval-of-variable.py");
    let text = fs::read_to_string(&fixture).unwrap();
    // Drop the first `expect:` annotation: line 6 is flagged but no longer expected.
    fs::write(
        &fixture,
        text.replacen("    # expect: test-eval-of-variable\n", "", 1),
    )
    .unwrap();
    let out = backlint(
        &["test", "fixtures", "--rules", "rules", "--no-builtin"],
        pack.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let report = stdout(&out);
    assert!(
        report.contains("fixtures/python/test-eval-of-variable.py:5: unexpected finding: `test-eval-of-variable` flagged this line"),
        "{report}"
    );
    // Too few expect cases remain for the coverage rule.
    assert!(report.contains("2 `expect:` and 3 `ok:`"), "{report}");
}

#[test]
fn fixture_test_reports_clean_line_that_starts_to_match() {
    let pack = extra_pack();
    let fixture = pack.path().join("fixtures/python/test-eval-of-variable.py");
    let text = fs::read_to_string(&fixture).unwrap();
    fs::write(
        &fixture,
        text.replace("e = ast.literal_eval(user_input)", "e = eval(user_input)"),
    )
    .unwrap();
    let out = backlint(
        &["test", "fixtures", "--rules", "rules", "--no-builtin"],
        pack.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(
            "fixtures/python/test-eval-of-variable.py:14: unexpected finding: `test-eval-of-variable` flagged this line although it is annotated `ok:`"
        ),
        "{}",
        stdout(&out)
    );
}

#[test]
fn fixture_test_reports_expected_finding_that_disappears() {
    let pack = extra_pack();
    let fixture = pack.path().join("fixtures/python/test-eval-of-variable.py");
    let text = fs::read_to_string(&fixture).unwrap();
    fs::write(
        &fixture,
        text.replace("a = eval(expression)", "a = expression"),
    )
    .unwrap();
    let out = backlint(
        &["test", "fixtures", "--rules", "rules", "--no-builtin"],
        pack.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(
            "fixtures/python/test-eval-of-variable.py:6: missing finding: `test-eval-of-variable` did not flag this line (expected by `expect:` on line 5)"
        ),
        "{}",
        stdout(&out)
    );
}

#[test]
fn select_and_ignore_filter_rules() {
    let pack = extra_pack();
    let args = [
        "check",
        "--rules",
        "rules",
        "--no-builtin",
        "--format",
        "concise",
        "fixtures",
    ];
    let all = backlint(&args, pack.path());
    assert_eq!(stdout(&all).lines().count(), 3);
    let mut ignored = args.to_vec();
    ignored.extend(["--ignore", "security"]);
    let out = backlint(&ignored, pack.path());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");
    let mut unknown = args.to_vec();
    unknown.extend(["--select", "no-such-rule"]);
    let out = backlint(&unknown, pack.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown rule or category `no-such-rule`"));
}

#[test]
fn gitignored_files_are_skipped_unless_named() {
    let pack = extra_pack();
    fs::write(pack.path().join(".gitignore"), "fixtures/\n").unwrap();
    let base = [
        "check",
        "--rules",
        "rules",
        "--no-builtin",
        "--format",
        "concise",
    ];
    let mut walk = base.to_vec();
    walk.push(".");
    let out = backlint(&walk, pack.path());
    assert_eq!(stdout(&out), "", "ignored dir was linted");
    let mut named = base.to_vec();
    named.push("fixtures/python/test-eval-of-variable.py");
    let out = backlint(&named, pack.path());
    assert_eq!(
        stdout(&out).lines().count(),
        3,
        "explicit file must be linted"
    );
}

#[test]
fn inline_suppressions_silence_one_rule() {
    let pack = extra_pack();
    let src = "x = eval(a)  # backlint: ignore[test-eval-of-variable] -- trusted\n# backlint: ignore[other-rule]\ny = eval(b)\n# backlint: ignore[test-eval-of-variable]\nz = eval(c)\n";
    fs::write(pack.path().join("s.py"), src).unwrap();
    let out = backlint(
        &[
            "check",
            "--rules",
            "rules",
            "--no-builtin",
            "--format",
            "concise",
            "s.py",
        ],
        pack.path(),
    );
    assert_eq!(
        stdout(&out),
        "s.py:3:5: error[test-eval-of-variable] `eval` of `b`\n"
    );
}

#[test]
fn concise_github_and_json_formats() {
    let pack = extra_pack();
    let base = [
        "check",
        "--rules",
        "rules",
        "--no-builtin",
        "fixtures/python/test-eval-of-variable.py",
    ];
    let run = |format: &str| {
        let mut args = base.to_vec();
        args.extend(["--format", format]);
        stdout(&backlint(&args, pack.path()))
    };
    let concise = run("concise");
    assert_eq!(
        concise.lines().next(),
        Some("fixtures/python/test-eval-of-variable.py:6:9: error[test-eval-of-variable] `eval` of `expression`")
    );
    let github = run("github");
    assert_eq!(
        github.lines().next(),
        Some("::error file=fixtures/python/test-eval-of-variable.py,line=6,col=9,endLine=6,endColumn=25,title=backlint test-eval-of-variable::`eval` of `expression`")
    );
    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("valid JSON");
    assert_eq!(json["version"], 1);
    assert_eq!(json["summary"]["findings"], 3);
    assert_eq!(json["summary"]["errors"], 3);
    let first = &json["findings"][0];
    assert_eq!(first["rule"], "test-eval-of-variable");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["category"], "security");
    assert_eq!(first["language"], "python");
    assert_eq!(first["start"]["line"], 6);
    assert_eq!(first["start"]["column"], 9);
    assert_eq!(first["end"]["column"], 25);
    assert_eq!(first["fingerprint"].as_str().map(str::len), Some(32));
}

#[test]
fn output_is_deterministic_across_job_counts() {
    let a = backlint(
        &["check", "--format", "json", "--jobs", "1", "fixtures"],
        &repo(),
    );
    let b = backlint(
        &["check", "--format", "json", "--jobs", "2", "fixtures"],
        &repo(),
    );
    let strip = |o: &std::process::Output| {
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        v["summary"]["elapsed_ms"] = 0.into();
        v
    };
    assert_eq!(strip(&a), strip(&b));
    let findings = strip(&a)["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let keys: Vec<(String, u64, u64, String)> = findings
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or("").to_string(),
                f["start"]["line"].as_u64().unwrap_or(0),
                f["start"]["column"].as_u64().unwrap_or(0),
                f["rule"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        keys, sorted,
        "findings must be ordered by path, line, column, rule"
    );
}

#[test]
fn output_file_and_stdin_filename() {
    let pack = extra_pack();
    let out = backlint(
        &[
            "check",
            "--rules",
            "rules",
            "--no-builtin",
            "--format",
            "json",
            "--output",
            "report.json",
            "fixtures",
        ],
        pack.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(pack.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["summary"]["findings"], 3);

    let out = backlint_stdin(
        &[
            "check",
            "--rules",
            "rules",
            "--no-builtin",
            "--format",
            "concise",
            "--stdin-filename",
            "app/views.py",
        ],
        pack.path(),
        "y = eval(data)\n",
    );
    assert_eq!(
        stdout(&out),
        "app/views.py:1:5: error[test-eval-of-variable] `eval` of `data`\n"
    );
}

#[test]
fn rules_and_explain_commands() {
    let out = backlint(&["rules"], &repo());
    assert_eq!(out.status.code(), Some(0));
    let listing = stdout(&out);
    assert!(listing.lines().count() >= 16, "{listing}");
    let out = backlint(&["explain", "blocking-call-in-async"], &repo());
    assert_eq!(out.status.code(), Some(0));
    let doc = stdout(&out);
    assert!(doc.starts_with("# blocking-call-in-async"), "{doc}");
    assert!(doc.contains("## References"), "{doc}");
    let out = backlint(&["explain", "no-such-rule"], &repo());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn statistics_count_findings_per_rule_most_frequent_first() {
    let pack = extra_pack();
    fs::write(
        pack.path().join("rules/python/test-literal-eval.yaml"),
        r#"id: test-literal-eval
summary: ast.literal_eval call.
severity: note
category: reliability
message: "literal_eval"
docs: |
  Test rule.
match:
  python:
    query: |
      (call
        function: (attribute attribute: (identifier) @f (#eq? @f "literal_eval"))) @match
"#,
    )
    .unwrap();
    let args = [
        "check",
        "--rules",
        "rules",
        "--no-builtin",
        "--no-cache",
        "--statistics",
        "fixtures",
    ];
    let out = backlint(&args, pack.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "3  error    test-eval-of-variable  eval() of a value that is not a literal.",
            "1  note     test-literal-eval      ast.literal_eval call.",
        ]
    );
    assert!(lines[2].starts_with("4 findings (3 errors, 0 warnings, 1 note)"));
    assert_eq!(lines.len(), 3);
    // --quiet keeps the table only; a machine format is refused.
    let mut quiet = args.to_vec();
    quiet.push("--quiet");
    assert_eq!(stdout(&backlint(&quiet, pack.path())).lines().count(), 2);
    let mut json = args.to_vec();
    json.extend(["--format", "json"]);
    let out = backlint(&json, pack.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--statistics"));
}
