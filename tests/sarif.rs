//! SARIF output validates against the official 2.1.0 schema (kept as test
//! data, so this runs offline) and carries what code scanning uses.

mod common;

use common::*;
use serde_json::Value;

fn schema_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("tests/data/sarif-2.1.0-rtm.5.json"))
        .expect("schema file");
    let mut schema: Value = serde_json::from_str(&text).expect("schema JSON");
    // The published rtm.5 schema has an unbalanced regex (`]?$`) for the
    // `language` properties of `run` and `toolComponent`, which a strict
    // validator rejects when compiling the schema. Balance it; backlint
    // never emits `language`.
    let fixed = balance_language_patterns(&mut schema);
    assert_eq!(
        fixed, 2,
        "the schema's known defect moved; review this workaround"
    );
    jsonschema::draft4::new(&schema).expect("compile schema")
}

fn balance_language_patterns(value: &mut Value) -> usize {
    const BROKEN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    let mut stack = vec![value];
    let mut fixed = 0;
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if map.get("pattern").and_then(Value::as_str) == Some(BROKEN) {
                    map.insert(
                        "pattern".into(),
                        Value::from("^[a-zA-Z]{2}$|^[a-zA-Z]{2}-[a-zA-Z]{2}$"),
                    );
                    fixed += 1;
                }
                stack.extend(map.values_mut());
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    fixed
}

fn sarif_of(args: &[&str], cwd: &std::path::Path) -> Value {
    let out = backlint(args, cwd);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("SARIF is JSON")
}

#[test]
fn fixtures_sarif_validates_against_the_schema() {
    let sarif = sarif_of(&["check", "--format", "sarif", "fixtures"], &repo());
    let validator = schema_validator();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(
        results.len() > 50,
        "expected many findings on fixtures, got {}",
        results.len()
    );
}

#[test]
fn sarif_carries_rules_locations_and_fingerprints() {
    let pack = extra_pack();
    let sarif = sarif_of(
        &["check", "--rules", "rules", "--format", "sarif", "fixtures"],
        pack.path(),
    );
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let index = rules
        .iter()
        .position(|r| r["id"] == "test-eval-of-variable")
        .expect("rule listed");
    let rule = &rules[index];
    assert_eq!(
        rule["shortDescription"]["text"],
        "eval() of a value that is not a literal."
    );
    assert!(rule["help"]["markdown"]
        .as_str()
        .unwrap_or("")
        .contains("**Bad**"));
    assert_eq!(
        rule["helpUri"],
        "https://cwe.mitre.org/data/definitions/95.html"
    );
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    let tags: Vec<&str> = rule["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        tags.contains(&"security") && tags.contains(&"external/cwe/cwe-95"),
        "{tags:?}"
    );
    assert_eq!(rule["properties"]["security-severity"], "8.0");
    assert_eq!(rule["properties"]["precision"], "high");

    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "test-eval-of-variable")
        .expect("a result");
    assert_eq!(result["ruleIndex"], index);
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "fixtures/python/test-eval-of-variable.py"
    );
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(location["region"]["startLine"], 6);
    assert_eq!(location["region"]["startColumn"], 9);
    assert_eq!(location["region"]["endLine"], 6);
    assert_eq!(location["region"]["endColumn"], 25);
    assert!(result["partialFingerprints"]["backlint/v1"]
        .as_str()
        .is_some());
    assert!(run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap_or("")
        .starts_with("file:///"));
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn fingerprints_survive_inserted_lines() {
    let pack = extra_pack();
    let fixture = pack.path().join("fixtures/python/test-eval-of-variable.py");
    let args = [
        "check",
        "--rules",
        "rules",
        "--no-builtin",
        "--format",
        "sarif",
        "fixtures",
    ];
    let prints = |sarif: &Value| -> Vec<(String, i64)> {
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"]["backlint/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_i64()
                        .unwrap(),
                )
            })
            .collect()
    };
    let before = prints(&sarif_of(&args, pack.path()));
    let text = std::fs::read_to_string(&fixture).unwrap();
    std::fs::write(&fixture, format!("# new header\n\n\n{text}")).unwrap();
    let after = prints(&sarif_of(&args, pack.path()));
    assert_eq!(before.len(), after.len());
    for ((fp_a, line_a), (fp_b, line_b)) in before.iter().zip(&after) {
        assert_eq!(fp_a, fp_b);
        assert_eq!(line_a + 3, *line_b);
    }
}

fn schema_errors(sarif: &Value) -> Vec<String> {
    schema_validator()
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Checks every field GitHub code scanning reads, on rules and results,
/// and the limits it enforces. `root` is the directory the run used.
fn assert_github_ready(sarif: &Value, root: &std::path::Path) {
    let errors = schema_errors(sarif);
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
    let runs = sarif["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("%SRCROOT% declared");
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);

    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    for rule in rules {
        let id = rule["id"].as_str().expect("rule id");
        for field in ["shortDescription", "fullDescription"] {
            let text = rule[field]["text"].as_str().unwrap_or_default();
            assert!(!text.trim().is_empty(), "{id}: {field}");
        }
        assert!(
            !rule["fullDescription"]["text"]
                .as_str()
                .unwrap_or("#")
                .starts_with('#'),
            "{id}: fullDescription is a heading"
        );
        let markdown = rule["help"]["markdown"].as_str().unwrap_or_default();
        assert!(markdown.contains("## References"), "{id}: help.markdown");
        assert!(rule["help"]["text"].as_str().is_some(), "{id}: help.text");
        let help_uri = rule["helpUri"].as_str().unwrap_or_default();
        assert!(help_uri.starts_with("https://"), "{id}: helpUri {help_uri}");
        assert_ne!(rule["name"], rule["id"], "{id}: name must differ from id");
        let level = rule["defaultConfiguration"]["level"].as_str();
        assert!(
            matches!(level, Some("error" | "warning" | "note")),
            "{id}: {level:?}"
        );
        let tags: Vec<&str> = rule["properties"]["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(!tags.is_empty() && tags.len() <= 20, "{id}: {tags:?}");
        let category = tags[0];
        assert!(
            ["security", "performance", "reliability", "secrets"].contains(&category),
            "{id}: {tags:?}"
        );
        let precision = rule["properties"]["precision"].as_str();
        assert!(
            matches!(precision, Some("very-high" | "high" | "medium" | "low")),
            "{id}: {precision:?}"
        );
        let severity = &rule["properties"]["security-severity"];
        if tags.contains(&"security") {
            assert!(
                tags.iter().any(|t| t.starts_with("external/cwe/cwe-")),
                "{id}: security rule without CWE tag: {tags:?}"
            );
            let score: f64 = severity
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(-1.0);
            assert!((0.0..=10.0).contains(&score), "{id}: {severity}");
        } else {
            assert!(severity.is_null(), "{id}: {severity}");
        }
    }

    let results = run["results"].as_array().expect("results");
    assert!(results.len() <= 25_000);
    for result in results {
        let id = result["ruleId"].as_str().expect("ruleId");
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], id);
        assert!(matches!(
            result["level"].as_str(),
            Some("error" | "warning" | "note")
        ));
        assert!(!result["message"]["text"]
            .as_str()
            .unwrap_or_default()
            .is_empty());
        let locations = result["locations"].as_array().expect("locations");
        assert!(!locations.is_empty() && locations.len() <= 1_000);
        let physical = &locations[0]["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().expect("uri");
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(
            !uri.contains(':') && !uri.starts_with('/') && !uri.contains(".."),
            "URI must be relative: {uri}"
        );
        assert!(
            root.join(uri).is_file(),
            "{uri} not under {}",
            root.display()
        );
        let region = &physical["region"];
        let start = region["startLine"].as_u64().expect("startLine");
        assert!(start >= 1 && region["endLine"].as_u64() >= Some(start));
        assert!(region["startColumn"].as_u64() >= Some(1));
        let fingerprint = result["partialFingerprints"]["backlint/v1"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(fingerprint.len(), 32, "{fingerprint}");
        assert!(
            result["partialFingerprints"]["primaryLocationLineHash"].is_null(),
            "left to the upload action"
        );
    }
}

#[test]
fn examples_sarif_has_everything_github_code_scanning_uses() {
    let root = repo();
    let sarif = sarif_of(
        &[
            "check",
            "--format",
            "sarif",
            "--sarif-category",
            "backlint/examples",
            "examples",
        ],
        &root,
    );
    assert_github_ready(&sarif, &root);
    let run = &sarif["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "backlint/examples/");
    let results = run["results"].as_array().expect("results");
    let languages: std::collections::BTreeSet<&str> = results
        .iter()
        .filter_map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()?
                .rsplit('.')
                .next()
        })
        .collect();
    assert!(
        ["py", "ts", "rs"].iter().all(|l| languages.contains(l)),
        "expected findings in every example language: {languages:?}"
    );
    // Every reported rule is described, and fingerprints are unique.
    let prints: std::collections::BTreeSet<&str> = results
        .iter()
        .filter_map(|r| r["partialFingerprints"]["backlint/v1"].as_str())
        .collect();
    assert_eq!(prints.len(), results.len());
}

#[test]
fn without_a_category_github_derives_one() {
    let sarif = sarif_of(&["check", "--format", "sarif", "examples"], &repo());
    assert!(sarif["runs"][0]["automationDetails"].is_null());
}

/// Runs `git` in `dir` with no user or system configuration.
fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let empty = dir.join(".git-test-config");
    if !empty.exists() {
        std::fs::write(&empty, "").expect("write");
    }
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", &empty)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    stdout(&out).trim().to_string()
}

fn scratch_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("client.py"),
        "import requests\nrequests.get(url, verify=False, timeout=5)\n",
    )
    .expect("write");
    git(dir.path(), &["init", "-q", "-b", "trunk"]);
    git(dir.path(), &["add", "client.py"]);
    git(dir.path(), &["commit", "-q", "-m", "init"]);
    dir
}

#[test]
fn version_control_provenance_comes_from_git_without_credentials() {
    let dir = scratch_repo();
    git(
        dir.path(),
        &[
            "remote",
            "add",
            "origin",
            "https://ci-token:glpat-SECRETVALUE@gitlab.example.com/team/app.git",
        ],
    );
    let head = git(dir.path(), &["rev-parse", "HEAD"]);
    let out = backlint(&["check", "--format", "sarif", "."], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("SECRETVALUE") && !text.contains("ci-token"));
    let sarif: Value = serde_json::from_str(&text).expect("JSON");
    assert_github_ready(&sarif, dir.path());
    let provenance = &sarif["runs"][0]["versionControlProvenance"];
    assert_eq!(provenance.as_array().map(Vec::len), Some(1), "{provenance}");
    let details = &provenance[0];
    assert_eq!(
        details["repositoryUri"],
        "https://gitlab.example.com/team/app.git"
    );
    assert_eq!(details["revisionId"], head.as_str());
    assert_eq!(details["branch"], "trunk");
    assert_eq!(details["mappedTo"]["uriBaseId"], "%SRCROOT%");

    // Detached HEAD: no branch, still the commit.
    git(dir.path(), &["checkout", "-q", "--detach"]);
    let sarif = sarif_of(&["check", "--format", "sarif", "."], dir.path());
    let details = &sarif["runs"][0]["versionControlProvenance"][0];
    assert_eq!(details["revisionId"], head.as_str());
    assert!(details["branch"].is_null());
}

#[test]
fn no_provenance_without_an_origin_remote() {
    let dir = scratch_repo();
    let sarif = sarif_of(&["check", "--format", "sarif", "."], dir.path());
    assert!(sarif["runs"][0]["versionControlProvenance"].is_null());
    assert!(schema_errors(&sarif).is_empty());
}

#[test]
fn results_beyond_githubs_limit_are_cut_least_severe_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 25,000 errors (TLS verification off) in 100 files, between two files
    // with 15 warnings each (no timeout). Small files keep each within the
    // per-file time budget of a debug build.
    let warnings = format!("import requests\n{}", "requests.get(url)\n".repeat(15));
    let errors = format!(
        "import requests\n{}",
        "requests.get(url, verify=False, timeout=5)\n".repeat(250)
    );
    for i in 0..=101 {
        let text = if i == 0 || i == 101 {
            &warnings
        } else {
            &errors
        };
        std::fs::write(dir.path().join(format!("f{i:03}.py")), text).expect("write");
    }
    let sarif = sarif_of(
        &[
            "check",
            "--format",
            "sarif",
            "--select",
            "tls-verification-disabled,missing-timeout",
            ".",
        ],
        dir.path(),
    );
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 25_000);
    assert!(results.iter().all(|r| r["level"] == "error"));
    let positions: Vec<(String, i64)> = results
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            (
                location["artifactLocation"]["uri"].to_string(),
                location["region"]["startLine"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "report order kept"
    );
    let notifications = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    let truncated = notifications
        .iter()
        .find(|n| n["descriptor"]["id"] == "results-truncated")
        .expect("a truncation notification");
    assert!(truncated["message"]["text"]
        .as_str()
        .unwrap_or_default()
        .starts_with("30 of 25030 results left out"));
    assert!(schema_errors(&sarif).is_empty());
}

/// A taint finding carries its path as `codeFlows`: from the line where
/// request data enters to the sink line, in order, and the file still
/// validates against the schema.
#[test]
fn taint_findings_carry_code_flows_from_source_to_sink() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("app.py"),
        "from flask import request\n\
         \n\
         def search():\n\
         \x20   term = request.args[\"q\"]\n\
         \x20   sql = \"SELECT * FROM items WHERE name = '\" + term + \"'\"\n\
         \x20   cursor.execute(sql)\n",
    )
    .expect("write");
    let sarif = sarif_of(
        &["check", "--no-cache", "--format", "sarif", "app.py"],
        dir.path(),
    );
    let errors = schema_errors(&sarif);
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let flow = results
        .iter()
        .find(|r| r["ruleId"] == "sql-injection" && r["codeFlows"].is_array())
        .expect("a sql-injection result with codeFlows");
    assert_eq!(flow["level"], "error");
    assert_eq!(
        flow["locations"][0]["physicalLocation"]["region"]["startLine"],
        6
    );
    let steps = flow["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .expect("thread flow locations");
    let lines: Vec<i64> = steps
        .iter()
        .map(|s| {
            s["location"]["physicalLocation"]["region"]["startLine"]
                .as_i64()
                .unwrap_or(0)
        })
        .collect();
    assert_eq!(lines.first(), Some(&4), "starts at the source: {lines:?}");
    assert_eq!(lines.last(), Some(&6), "ends at the sink: {lines:?}");
    assert!(
        lines.windows(2).all(|w| w[0] <= w[1]),
        "in order: {lines:?}"
    );
    assert!(
        lines.contains(&5),
        "includes the concatenation step: {lines:?}"
    );
    let first_message = steps[0]["location"]["message"]["text"]
        .as_str()
        .unwrap_or("");
    assert!(first_message.contains("request.args"), "{first_message}");
    // The pattern warning on the same path is not reported a second time.
    let sql_results = results
        .iter()
        .filter(|r| r["ruleId"] == "sql-injection")
        .count();
    assert_eq!(sql_results, 1, "{results:#?}");
}
