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
