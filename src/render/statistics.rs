//! `check --statistics`: one line per rule with findings instead of the
//! findings themselves, most frequent first — what a team looks at before
//! adopting a rule set or writing a baseline.

use super::{summary_line, RenderOptions};
use crate::diagnostic::Severity;
use crate::rule::index::RuleSet;
use crate::run::Report;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Writes the per-rule counts of `report` to `out`.
pub fn render(
    report: &Report,
    rules: &RuleSet,
    options: RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    // Per rule: how many findings, and the highest severity among them
    // (configuration may raise or lower it per file).
    let mut counts: BTreeMap<&str, (usize, Severity)> = BTreeMap::new();
    for (_, finding) in report.findings() {
        let entry = counts
            .entry(finding.rule_id.as_str())
            .or_insert((0, finding.severity));
        entry.0 += 1;
        entry.1 = entry.1.max(finding.severity);
    }
    let mut rows: Vec<(&str, usize, Severity)> = counts
        .into_iter()
        .map(|(id, (count, severity))| (id, count, severity))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let count_width = rows.first().map_or(1, |r| r.1.to_string().len());
    let id_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    for (id, count, severity) in &rows {
        let summary = rules.rule(id).map_or("", |r| r.summary.as_str());
        let line = format!(
            "{count:>count_width$}  {severity:<7}  {id:<id_width$}  {summary}",
            severity = severity.as_str()
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    if !options.quiet {
        writeln!(out, "{}", summary_line(report))?;
    }
    Ok(())
}
