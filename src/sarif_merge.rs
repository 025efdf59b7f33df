//! `backlint merge-sarif`: joins the SARIF logs of sharded runs into one
//! log with one run, as if the whole tree had been linted at once.

use serde_json::{json, Map, Value};
use std::collections::HashMap;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum MergeError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not JSON: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("{path} is not a SARIF log with runs")]
    NotSarif { path: String },
    #[error("nothing to merge")]
    Empty,
}

/// Merges logs (already parsed). Rules are united by id and `ruleIndex`
/// recomputed; results are ordered by file, line, column and rule, the
/// order of an unsharded run.
pub fn merge(logs: &[(String, Value)]) -> Result<Value, MergeError> {
    let mut base: Option<Value> = None;
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_ids: HashMap<String, usize> = HashMap::new();
    let mut results: Vec<Value> = Vec::new();
    let mut notifications: Vec<Value> = Vec::new();
    let mut successful = true;
    for (path, log) in logs {
        let runs = log["runs"]
            .as_array()
            .ok_or_else(|| MergeError::NotSarif { path: path.clone() })?;
        for run in runs {
            if base.is_none() {
                base = Some(run.clone());
            }
            let run_rules = run["tool"]["driver"]["rules"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for rule in &run_rules {
                let id = rule["id"].as_str().unwrap_or_default().to_string();
                if let std::collections::hash_map::Entry::Vacant(slot) = rule_ids.entry(id) {
                    slot.insert(rules.len());
                    rules.push(rule.clone());
                }
            }
            for result in run["results"].as_array().into_iter().flatten() {
                let mut result = result.clone();
                if let Some(index) = result["ruleId"].as_str().and_then(|id| rule_ids.get(id)) {
                    result["ruleIndex"] = json!(index);
                }
                results.push(result);
            }
            for invocation in run["invocations"].as_array().into_iter().flatten() {
                successful &= invocation["executionSuccessful"].as_bool().unwrap_or(true);
                notifications.extend(
                    invocation["toolExecutionNotifications"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default(),
                );
            }
        }
    }
    let mut run = base.ok_or(MergeError::Empty)?;
    results.sort_by_key(sort_key);
    run["tool"]["driver"]["rules"] = Value::Array(rules);
    run["results"] = Value::Array(results);
    let mut invocation = Map::new();
    invocation.insert("executionSuccessful".into(), json!(successful));
    invocation.insert(
        "toolExecutionNotifications".into(),
        Value::Array(notifications),
    );
    run["invocations"] = json!([invocation]);
    let mut merged = logs[0].1.clone();
    merged["runs"] = json!([run]);
    Ok(merged)
}

fn sort_key(result: &Value) -> (String, i64, i64, String) {
    let location = &result["locations"][0]["physicalLocation"];
    (
        location["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        location["region"]["startLine"].as_i64().unwrap_or(0),
        location["region"]["startColumn"].as_i64().unwrap_or(0),
        result["ruleId"].as_str().unwrap_or_default().to_string(),
    )
}

/// Reads and merges SARIF files.
pub fn merge_files(paths: &[std::path::PathBuf]) -> Result<Value, MergeError> {
    let mut logs = Vec::new();
    for path in paths {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| MergeError::Read {
            path: display.clone(),
            source,
        })?;
        let value = serde_json::from_str(&text).map_err(|source| MergeError::Parse {
            path: display.clone(),
            source,
        })?;
        logs.push((display, value));
    }
    merge(&logs)
}
