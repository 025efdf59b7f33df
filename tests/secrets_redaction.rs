//! No output format ever contains a secret in full: every secret found in
//! the fixtures is looked for in the bytes of every format's output.

mod common;

use common::*;
use serde_json::Value;

/// The secret values the scanner reports in the secret fixtures.
fn secrets_in(paths: &[&str]) -> Vec<String> {
    let mut args = vec!["check", "--select", "hardcoded-secret", "--format", "json"];
    args.extend(paths);
    let out = backlint(&args, &repo());
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut secrets = Vec::new();
    for f in json["findings"].as_array().unwrap() {
        let bytes = std::fs::read(repo().join(f["path"].as_str().unwrap())).unwrap();
        let (start, end) = (
            f["start"]["offset"].as_u64().unwrap() as usize,
            f["end"]["offset"].as_u64().unwrap() as usize,
        );
        let raw = String::from_utf8_lossy(&bytes[start..end]).to_string();
        let value = backlint::matcher::string_content(&raw).to_string();
        // The whole span, and each line of it (PEM blocks span lines).
        for candidate in std::iter::once(value.clone()).chain(value.lines().map(str::to_string)) {
            let candidate = candidate.trim().to_string();
            if candidate.len() >= 8 && !candidate.starts_with("-----") {
                secrets.push(candidate);
            }
        }
    }
    secrets.sort();
    secrets.dedup();
    secrets
}

#[test]
fn no_format_prints_a_secret() {
    let paths = [
        "fixtures/config",
        "fixtures/python/hardcoded-secret.py",
        "fixtures/javascript/hardcoded-secret.js",
        "fixtures/typescript/hardcoded-secret.ts",
        "fixtures/rust/hardcoded-secret.rs",
    ];
    let secrets = secrets_in(&paths);
    assert!(
        secrets.len() >= 40,
        "expected many secrets in the fixtures, found {}",
        secrets.len()
    );
    let mut formats = vec!["pretty", "concise", "json", "sarif", "github"];
    let gitlab = backlint(
        &["check", "--format", "gitlab", "fixtures/config/.env"],
        &repo(),
    );
    if gitlab.status.code() != Some(2) {
        formats.push("gitlab");
    }
    for format in formats {
        let mut args = vec!["check", "--select", "hardcoded-secret", "--format", format];
        args.extend(paths);
        let out = backlint(&args, &repo());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("hardcoded-secret"),
            "{format}: no findings at all"
        );
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{format} output contains a secret: {}…",
                &secret[..4]
            );
        }
        assert!(!String::from_utf8_lossy(&out.stderr).contains(&secrets[0]));
    }
}
