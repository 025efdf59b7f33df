//! `--format gitlab`: a GitLab Code Quality report with the fields GitLab
//! requires, on a real multi-language run.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn gitlab_code_quality_report_has_what_gitlab_requires() {
    let root = repo();
    let out = backlint(&["check", "--format", "gitlab", "./examples"], &root);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let issues: Vec<Value> = serde_json::from_slice(&out.stdout).expect("a JSON array");
    assert!(issues.len() > 10, "{}", issues.len());
    let mut fingerprints = std::collections::BTreeSet::new();
    for issue in &issues {
        assert_eq!(issue["type"], "issue");
        assert!(!issue["description"].as_str().unwrap_or_default().is_empty());
        assert!(!issue["check_name"].as_str().unwrap_or_default().is_empty());
        let severity = issue["severity"].as_str().unwrap_or_default();
        assert!(
            ["info", "minor", "major", "critical", "blocker"].contains(&severity),
            "{severity}"
        );
        let path = issue["location"]["path"].as_str().expect("path");
        assert!(path.starts_with("examples/"), "relative, no ./: {path}");
        assert!(root.join(path).is_file(), "{path}");
        let begin = issue["location"]["lines"]["begin"].as_u64().expect("begin");
        assert!(begin >= 1);
        let fingerprint = issue["fingerprint"].as_str().expect("fingerprint");
        assert!(
            fingerprints.insert(fingerprint.to_string()),
            "duplicate {fingerprint}"
        );
    }
    let severities: Vec<&str> = issues
        .iter()
        .filter_map(|i| i["severity"].as_str())
        .collect();
    assert!(severities.contains(&"critical") && severities.contains(&"major"));
}

#[test]
fn no_findings_is_an_empty_array() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ok.py"), "x = 1\n").expect("write");
    let out = backlint(&["check", "--format", "gitlab", "."], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "[]");
}
