//! Microsoft's SARIF Multitool checks backlint's SARIF with its GitHub
//! ingestion rules (`GH*`) and its SARIF rules. scripts/sarif-multitool.sh
//! installs the tool from npm into `target/` and runs
//! `validate --rule-kind "Gh;Sarif"`; the tool exits 0 even when it reports
//! errors, so the test reads its output log. A deliberately broken log
//! shows the check can fail. If npm or the tool cannot run, the test fails.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Validates `input`; the (rule id, effective level, location) of each
/// problem the multitool reports.
fn multitool(input: &Path) -> Vec<(String, String, String)> {
    let output = input.with_extension("validation.sarif");
    let out = Command::new("bash")
        .arg(repo().join("scripts/sarif-multitool.sh"))
        .arg(&output)
        .arg(input)
        .output()
        .expect("run scripts/sarif-multitool.sh");
    assert!(
        out.status.success(),
        "the SARIF multitool did not run:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = std::fs::read_to_string(&output).expect("multitool output");
    let log: Value = serde_json::from_str(&text).expect("multitool output is JSON");
    let run = &log["runs"][0];
    assert_eq!(run["invocations"][0]["executionSuccessful"], true, "{text}");
    let default_levels: Vec<(String, String)> = run["tool"]["driver"]["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_string(),
                r["defaultConfiguration"]["level"]
                    .as_str()
                    .unwrap_or("warning")
                    .to_string(),
            )
        })
        .collect();
    run["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let id = r["ruleId"].as_str().unwrap_or_default().to_string();
            let level = r["level"].as_str().map(str::to_string).unwrap_or_else(|| {
                default_levels
                    .iter()
                    .find(|(rule, _)| *rule == id)
                    .map_or("warning".to_string(), |(_, l)| l.clone())
            });
            let at = r["message"]["arguments"][0]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (id, level, at)
        })
        .collect()
}

/// Problems that would stop or degrade a GitHub upload: every `GH*`
/// finding and every error-level SARIF finding.
fn blocking(problems: &[(String, String, String)]) -> Vec<&(String, String, String)> {
    problems
        .iter()
        .filter(|(id, level, _)| id.starts_with("GH") || level == "error")
        .collect()
}

#[test]
fn multitool_finds_no_github_ingestion_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("examples.sarif");
    let out = backlint(
        &[
            "check",
            "--format",
            "sarif",
            "--sarif-category",
            "examples",
            "--output",
            &good.to_string_lossy(),
            "examples",
        ],
        &repo(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let problems = multitool(&good);
    let blocking_problems = blocking(&problems);
    assert!(
        blocking_problems.is_empty(),
        "GitHub ingestion problems: {blocking_problems:#?}"
    );
    // What remains are advisory SARIF rules; SARIF2005 (no informationUri)
    // while the package declares no homepage.
    for (id, level, at) in &problems {
        assert!(
            id.starts_with("SARIF") && level != "error",
            "{id} {level} {at}"
        );
    }

    // Control: a result without locations is an ingestion error.
    let text = std::fs::read_to_string(&good).expect("read");
    let mut log: Value = serde_json::from_str(&text).expect("JSON");
    log["runs"][0]["results"][0]["locations"] = Value::Array(Vec::new());
    let bad = dir.path().join("broken.sarif");
    std::fs::write(&bad, serde_json::to_vec(&log).expect("JSON")).expect("write");
    let problems = multitool(&bad);
    assert!(
        blocking(&problems)
            .iter()
            .any(|(id, _, at)| id.starts_with("GH") && at == "runs[0].results[0]"),
        "the broken log passed: {problems:#?}"
    );
}
