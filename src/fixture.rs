//! `backlint test`: runs rules over annotated fixture files.
//!
//! A comment line `expect: RULE-ID[, …]` says the next code line must be
//! flagged by each listed rule; `ok: RULE-ID[, …]` says it must not be.
//! Every finding in a fixture must be expected. Every rule under test must
//! have at least [`MIN_CASES`] expect and ok cases per language key.

use crate::diagnostic::Finding;
use crate::engine::lint_text;
use crate::lang::Lang;
use crate::rule::index::RuleSet;
use crate::source::read_source;
use crate::walk::{discover, FileKind};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

/// Cases each rule needs per language, flagged and clean.
pub const MIN_CASES: usize = 3;

/// One annotation: on `line` (1-based), about the code line `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub line: usize,
    pub target: usize,
    pub rule: String,
    pub expect: bool,
    /// `rule[flow]`: a data-flow finding (with a path); `rule[pattern]`:
    /// a pattern finding; bare `rule`: either.
    pub flow: Option<bool>,
}

impl Annotation {
    fn accepts(&self, f: &Finding) -> bool {
        self.rule == f.rule_id
            && self.target == f.span.start.line
            && self.flow.is_none_or(|flow| flow != f.trace.is_empty())
    }
}

/// `sql-injection[flow]` → (`sql-injection`, Some(true)).
fn parse_rule_ref(text: &str) -> (String, Option<bool>) {
    match text.strip_suffix(']').and_then(|t| t.split_once('[')) {
        Some((rule, "flow")) => (rule.trim().to_string(), Some(true)),
        Some((rule, "pattern")) => (rule.trim().to_string(), Some(false)),
        _ => (text.to_string(), None),
    }
}

/// A reason `backlint test` fails.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Failure {
    Missing {
        path: String,
        line: usize,
        annotation_line: usize,
        rule: String,
    },
    Unexpected {
        path: String,
        line: usize,
        rule: String,
        message: String,
        annotated_ok: bool,
    },
    UnknownRule {
        path: String,
        line: usize,
        rule: String,
    },
    TooFewCases {
        rule: String,
        language: String,
        expect: usize,
        ok: usize,
    },
    Unreadable {
        path: String,
        message: String,
    },
    TooFewFlows {
        rule: String,
        language: String,
        flows: usize,
    },
    FixMismatch {
        path: String,
        expected: String,
        line: usize,
        want: String,
        got: String,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Missing { path, line, annotation_line, rule } => write!(
                f,
                "{path}:{line}: missing finding: `{rule}` did not flag this line (expected by `expect:` on line {annotation_line})"
            ),
            Failure::Unexpected { path, line, rule, message, annotated_ok } => write!(
                f,
                "{path}:{line}: unexpected finding: `{rule}` flagged this line{}: {message}",
                if *annotated_ok { " although it is annotated `ok:`" } else { "" }
            ),
            Failure::UnknownRule { path, line, rule } => {
                write!(f, "{path}:{line}: annotation names unknown rule `{rule}`")
            }
            Failure::TooFewCases { rule, language, expect, ok } => write!(
                f,
                "rule `{rule}` ({language}): {expect} `expect:` and {ok} `ok:` fixture cases; each needs at least {MIN_CASES}"
            ),
            Failure::TooFewFlows { rule, language, flows } => write!(
                f,
                "rule `{rule}` ({language}) has a taint section but {flows} `expect: {rule}[flow]` fixture cases; it needs at least {MIN_CASES}"
            ),
            Failure::Unreadable { path, message } => write!(f, "{path}: {message}"),
            Failure::FixMismatch { path, expected, line, want, got } => write!(
                f,
                "{path}: applying the fixes does not give {expected}: line {line} is `{got}`, expected `{want}`"
            ),
        }
    }
}

/// What a fixture run checked.
#[derive(Debug, Default)]
pub struct TestOutcome {
    pub files: usize,
    pub rules: usize,
    pub expectations: usize,
    pub failures: Vec<Failure>,
}

/// Reads the annotations of a fixture file.
pub fn annotations(source: &str, comment: &str) -> Vec<Annotation> {
    let lines: Vec<&str> = crate::diagnostic::split_lines(source);
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(body) = line.trim_start().strip_prefix(comment) else {
            continue;
        };
        let body = body.trim();
        let (expect, ids) = if let Some(ids) = body.strip_prefix("expect:") {
            (true, ids)
        } else if let Some(ids) = body.strip_prefix("ok:") {
            (false, ids)
        } else {
            continue;
        };
        let Some(target) = (i + 1..lines.len()).find(|&j| is_code(lines[j], comment)) else {
            continue;
        };
        for rule in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (rule, flow) = parse_rule_ref(rule);
            out.push(Annotation {
                line: i + 1,
                target: target + 1,
                rule,
                expect,
                flow,
            });
        }
    }
    out
}

fn is_code(line: &str, comment: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with(comment)
}

/// Runs every rule in `rules` over the fixtures under `dirs`.
pub fn run(rules: &RuleSet, dirs: &[PathBuf]) -> TestOutcome {
    let (mut files, _) = discover(dirs);
    // `<rule>.fixed.<ext>` files hold expected fix output, not fixtures.
    files.retain(|f| !is_fixed_file(&f.path));
    let mut outcome = TestOutcome {
        files: files.len(),
        rules: rules.rules.len(),
        ..Default::default()
    };
    // (rule, language key) → (expect count, ok count)
    let mut cases: BTreeMap<(String, &'static str), (usize, usize)> = BTreeMap::new();
    let mut flow_cases: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    for file in &files {
        let display = file.path.to_string_lossy().replace('\\', "/");
        let text = match read_source(&file.path, &display, u64::MAX) {
            Ok(t) => t,
            Err(n) => {
                outcome.failures.push(Failure::Unreadable {
                    path: display,
                    message: n.message,
                });
                continue;
            }
        };
        let notes = match sidecar_annotations(&file.path) {
            Some(notes) => notes,
            None => annotations(&text, file.kind.line_comment()),
        };
        let findings = lint_text(rules, file.kind, &display, &text).findings;
        outcome.expectations += notes.len();
        compare(&display, &notes, &findings, rules, &mut outcome.failures);
        if let Some(failure) = check_fixed(&file.path, &display, &text, &findings) {
            outcome.failures.push(failure);
        }
        for a in &notes {
            let entry = cases
                .entry((a.rule.clone(), coverage_key(file.kind)))
                .or_default();
            if a.expect {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
            if a.expect && a.flow == Some(true) {
                *flow_cases
                    .entry((a.rule.clone(), coverage_key(file.kind)))
                    .or_default() += 1;
            }
        }
    }
    for rule in &rules.rules {
        let keys: BTreeSet<&'static str> = rule
            .languages
            .iter()
            .map(|l| coverage_key(FileKind::Code(*l)))
            .collect();
        for key in keys {
            let (expect, ok) = cases
                .get(&(rule.id.clone(), key))
                .copied()
                .unwrap_or_default();
            if expect < MIN_CASES || ok < MIN_CASES {
                outcome.failures.push(Failure::TooFewCases {
                    rule: rule.id.clone(),
                    language: key.into(),
                    expect,
                    ok,
                });
            }
        }
        let flow_keys: BTreeSet<&'static str> = rule
            .taint_languages
            .iter()
            .map(|l| coverage_key(FileKind::Code(*l)))
            .collect();
        for key in flow_keys {
            let flows = flow_cases
                .get(&(rule.id.clone(), key))
                .copied()
                .unwrap_or_default();
            if flows < MIN_CASES {
                outcome.failures.push(Failure::TooFewFlows {
                    rule: rule.id.clone(),
                    language: key.into(),
                    flows,
                });
            }
        }
    }
    outcome.failures.sort();
    outcome
}

fn is_fixed_file(path: &std::path::Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.contains(".fixed."))
}

/// When `<rule>.fixed.<ext>` sits beside fixture `<rule>.<ext>`, applying
/// every fix (safe and unsafe) of that rule must give exactly its text.
fn check_fixed(
    path: &std::path::Path,
    display: &str,
    text: &str,
    findings: &[Finding],
) -> Option<Failure> {
    let stem = path.file_stem()?.to_str()?;
    let ext = path.extension()?.to_str()?;
    let expected_path = path.with_file_name(format!("{stem}.fixed.{ext}"));
    let expected = std::fs::read_to_string(&expected_path).ok()?;
    let fixes = findings
        .iter()
        .filter(|f| f.rule_id == stem)
        .filter_map(|f| f.fix.as_ref());
    let (bytes, _, _) = crate::fix::apply_fixes(text.as_bytes(), fixes);
    let got = String::from_utf8_lossy(&bytes).into_owned();
    if got == expected {
        return None;
    }
    let got_lines = crate::diagnostic::split_lines(&got);
    let want_lines = crate::diagnostic::split_lines(&expected);
    let line = (0..got_lines.len().max(want_lines.len()))
        .find(|&i| got_lines.get(i) != want_lines.get(i))
        .unwrap_or(0);
    Some(Failure::FixMismatch {
        path: display.to_string(),
        expected: expected_path.to_string_lossy().replace('\\', "/"),
        line: line + 1,
        want: want_lines.get(line).unwrap_or(&"<end of file>").to_string(),
        got: got_lines.get(line).unwrap_or(&"<end of file>").to_string(),
    })
}

/// TypeScript and TSX fixtures count together; config files count as one.
fn coverage_key(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Code(Lang::Tsx) => Lang::TypeScript.name(),
        FileKind::Code(other) => other.name(),
        FileKind::Config(_) => "config",
    }
}

/// Annotations from `<file>.expect` beside a fixture that cannot hold
/// comments (JSON): lines `LINE: expect|ok RULE-ID[, …]`, `#` comments.
pub fn sidecar_annotations(path: &std::path::Path) -> Option<Vec<Annotation>> {
    let mut name = path.file_name()?.to_os_string();
    name.push(".expect");
    let text = std::fs::read_to_string(path.with_file_name(name)).ok()?;
    let mut out = Vec::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let Some((number, rest)) = line.split_once(':') else {
            continue;
        };
        let Ok(target) = number.trim().parse::<usize>() else {
            continue;
        };
        let rest = rest.trim();
        let (expect, ids) = match rest.split_once(char::is_whitespace) {
            Some(("expect", ids)) => (true, ids),
            Some(("ok", ids)) => (false, ids),
            _ => continue,
        };
        for rule in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (rule, flow) = parse_rule_ref(rule);
            out.push(Annotation {
                line: target,
                target,
                rule,
                expect,
                flow,
            });
        }
    }
    Some(out)
}

fn compare(
    path: &str,
    notes: &[Annotation],
    findings: &[Finding],
    rules: &RuleSet,
    failures: &mut Vec<Failure>,
) {
    for a in notes {
        if rules.rule(&a.rule).is_none() {
            failures.push(Failure::UnknownRule {
                path: path.into(),
                line: a.line,
                rule: a.rule.clone(),
            });
            continue;
        }
        let flagged = findings.iter().any(|f| a.accepts(f));
        if a.expect && !flagged {
            failures.push(Failure::Missing {
                path: path.into(),
                line: a.target,
                annotation_line: a.line,
                rule: match a.flow {
                    Some(true) => format!("{}[flow]", a.rule),
                    Some(false) => format!("{}[pattern]", a.rule),
                    None => a.rule.clone(),
                },
            });
        }
    }
    for f in findings {
        let line = f.span.start.line;
        let expected = notes.iter().any(|a| a.expect && a.accepts(f));
        if !expected {
            let annotated_ok = notes.iter().any(|a| !a.expect && a.accepts(f));
            failures.push(Failure::Unexpected {
                path: path.into(),
                line,
                rule: if f.trace.is_empty() {
                    f.rule_id.clone()
                } else {
                    format!("{}[flow]", f.rule_id)
                },
                message: f.message.clone(),
                annotated_ok,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_target_the_next_code_line() {
        let src = "# expect: a, b\n# a plain comment\n\nx = 1\n# ok: a\ny = 2\n";
        let notes = annotations(src, "#");
        assert_eq!(notes.len(), 3);
        assert_eq!(
            notes[0],
            Annotation {
                line: 1,
                target: 4,
                rule: "a".into(),
                expect: true,
                flow: None,
            }
        );
        assert_eq!(notes[1].rule, "b");
        assert_eq!(
            notes[2],
            Annotation {
                line: 5,
                target: 6,
                rule: "a".into(),
                expect: false,
                flow: None,
            }
        );
    }

    #[test]
    fn flow_and_pattern_qualifiers_are_parsed() {
        let notes = annotations("# expect: a[flow], b[pattern], c\nx = 1\n", "#");
        let got: Vec<_> = notes.iter().map(|n| (n.rule.as_str(), n.flow)).collect();
        assert_eq!(got, [("a", Some(true)), ("b", Some(false)), ("c", None)]);
    }
}
