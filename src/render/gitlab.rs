//! GitLab Code Quality report: a JSON array of CodeClimate-style issues
//! that GitLab shows in merge request widgets and diffs when a job
//! declares it under `artifacts:reports:codequality` (docs/ci.md).
//!
//! GitLab needs `description`, `check_name`, `fingerprint` (unique per
//! issue, stable across runs), `severity` and `location.path` relative to
//! the repository root with `location.lines.begin`.

use crate::diagnostic::{Finding, Severity};
use crate::rule::index::RuleSet;
use crate::rule::schema::Category;
use crate::run::{FileReport, Report};
use serde::Serialize;
use std::io::{self, Write};
use std::path::Path;

/// One Code Quality issue.
#[derive(Debug, Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    description: &'a str,
    check_name: &'a str,
    fingerprint: &'a str,
    severity: &'static str,
    categories: Vec<&'static str>,
    location: Location,
}

#[derive(Debug, Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Debug, Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

/// GitLab's severity scale is info, minor, major, critical, blocker.
/// backlint errors are critical (they fail a check by default), warnings
/// major, notes info; `blocker` is left for tools that mean "cannot merge".
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Note => "info",
    }
}

/// CodeClimate's category names for backlint's categories.
fn categories(category: Option<Category>) -> Vec<&'static str> {
    match category {
        Some(Category::Security | Category::Secrets) => vec!["Security"],
        Some(Category::Performance) => vec!["Performance"],
        Some(Category::Reliability) | None => vec!["Bug Risk"],
    }
}

/// Path relative to the repository root: paths as given on the command
/// line (run at the root), without `./`; absolute paths under the working
/// directory made relative to it.
fn repo_path(path: &str, cwd: Option<&Path>) -> String {
    let p = Path::new(path);
    let relative = cwd
        .filter(|_| p.is_absolute())
        .and_then(|c| p.strip_prefix(c).ok())
        .unwrap_or(p);
    let text = relative.to_string_lossy().replace('\\', "/");
    let mut text = text.as_str();
    while let Some(rest) = text.strip_prefix("./") {
        text = rest;
    }
    text.to_string()
}

fn issue<'a>(file: &FileReport, f: &'a Finding, rules: &RuleSet, cwd: Option<&Path>) -> Issue<'a> {
    Issue {
        kind: "issue",
        description: &f.message,
        check_name: &f.rule_id,
        fingerprint: &f.fingerprint,
        severity: severity(f.severity),
        categories: categories(rules.rule(&f.rule_id).map(|r| r.category)),
        location: Location {
            path: repo_path(&file.path, cwd),
            lines: Lines {
                begin: f.span.start.line,
                end: f.span.end.line,
            },
        },
    }
}

/// Writes the Code Quality report (an empty array when nothing was found).
pub fn render(report: &Report, rules: &RuleSet, out: &mut dyn Write) -> io::Result<()> {
    let cwd = std::env::current_dir().ok();
    let issues: Vec<Issue> = report
        .findings()
        .map(|(file, f)| issue(file, f, rules, cwd.as_deref()))
        .collect();
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_root() {
        let cwd = Path::new("/repo");
        assert_eq!(repo_path("./src/app.py", Some(cwd)), "src/app.py");
        assert_eq!(repo_path("/repo/src/app.py", Some(cwd)), "src/app.py");
        assert_eq!(repo_path("src/app.py", None), "src/app.py");
        assert_eq!(repo_path("/elsewhere/x.py", Some(cwd)), "/elsewhere/x.py");
    }

    #[test]
    fn severities_use_gitlabs_scale() {
        assert_eq!(severity(Severity::Error), "critical");
        assert_eq!(severity(Severity::Warning), "major");
        assert_eq!(severity(Severity::Note), "info");
    }
}
