//! Output formats. Each module renders a [`Report`] one way; adding a
//! format is one module plus one [`Format`] variant.

mod concise;
mod github;
mod gitlab;
mod json;
mod pretty;
pub mod sarif;
pub mod statistics;

use crate::rule::index::RuleSet;
use crate::run::Report;
use std::io::{self, Write};

/// The output formats `check --format` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source snippets with labelled spans and a summary (default).
    Pretty,
    /// One line per finding: `path:line:col: severity[rule] message`.
    Concise,
    /// Versioned JSON document (see docs/json-format.md).
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitHub Actions workflow-command annotations.
    Github,
    /// GitLab Code Quality report (JSON, for `artifacts:reports:codequality`).
    Gitlab,
}

/// Rendering switches that do not change findings.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    pub color: bool,
    pub quiet: bool,
    /// SARIF analysis category (`automationDetails.id`), from `--sarif-category`.
    pub sarif_category: Option<String>,
}

/// Writes `report` in `format` to `out`.
pub fn render(
    format: Format,
    report: &Report,
    rules: &RuleSet,
    options: RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Pretty => pretty::render(report, rules, options, out),
        Format::Concise => concise::render(report, options, out),
        Format::Json => json::render(report, rules, out),
        Format::Sarif => {
            let sarif_options = sarif::SarifOptions {
                category: options.sarif_category,
            };
            sarif::render(report, rules, &sarif_options, out)
        }
        Format::Github => github::render(report, out),
        Format::Gitlab => gitlab::render(report, rules, out),
    }
}

/// "3 findings (1 error, 2 warnings, 0 notes) in 2 files; 12 files scanned in 5 ms".
pub fn summary_line(report: &Report) -> String {
    use crate::diagnostic::Severity::*;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{} ({}, {}, {}) in {}; {} scanned in {} ms",
        plural(report.total(), "finding"),
        plural(report.count(Error), "error"),
        plural(report.count(Warning), "warning"),
        plural(report.count(Note), "note"),
        plural(report.files.len(), "file"),
        plural(report.files_scanned, "file"),
        report.elapsed_ms
    )
}
