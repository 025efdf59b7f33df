//! The JSON format, version 1. Schema documented in docs/json-format.md;
//! any incompatible change bumps `version`.

use crate::diagnostic::{Notice, Position};
use crate::rule::index::RuleSet;
use crate::run::Report;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    summary: Summary,
    findings: Vec<JsonFinding<'a>>,
    notices: &'a [Notice],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    files_scanned: usize,
    findings: usize,
    errors: usize,
    warnings: usize,
    notes: usize,
    elapsed_ms: u128,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: &'static str,
    category: &'static str,
    message: &'a str,
    path: &'a str,
    language: &'static str,
    start: Position,
    end: Position,
    fix: Option<JsonFix<'a>>,
    fingerprint: &'a str,
    help_uri: Option<String>,
    /// Data-flow findings: the path from the source (first) to the sink.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    flow: Vec<JsonStep<'a>>,
}

#[derive(Serialize)]
struct JsonStep<'a> {
    start: Position,
    end: Position,
    label: &'a str,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    start: Position,
    end: Position,
    replacement: &'a str,
}

pub fn render(report: &Report, rules: &RuleSet, out: &mut dyn Write) -> io::Result<()> {
    use crate::diagnostic::Severity::*;
    let findings = report
        .findings()
        .map(|(file, f)| {
            let rule = rules.rule(&f.rule_id);
            JsonFinding {
                rule: &f.rule_id,
                severity: f.severity.as_str(),
                category: rule.map_or("", |r| r.category.as_str()),
                message: &f.message,
                path: &file.path,
                language: file.kind.name(),
                start: f.span.start,
                end: f.span.end,
                fix: f.fix.as_ref().map(|x| JsonFix {
                    start: x.span.start,
                    end: x.span.end,
                    replacement: &x.replacement,
                }),
                fingerprint: &f.fingerprint,
                help_uri: rule.and_then(|r| r.help_uri()),
                flow: f
                    .trace
                    .iter()
                    .map(|s| JsonStep {
                        start: s.span.start,
                        end: s.span.end,
                        label: &s.label,
                    })
                    .collect(),
            }
        })
        .collect();
    let doc = Document {
        version: 1,
        tool: Tool {
            name: "backlint",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: Summary {
            files_scanned: report.files_scanned,
            findings: report.total(),
            errors: report.count(Error),
            warnings: report.count(Warning),
            notes: report.count(Note),
            elapsed_ms: report.elapsed_ms,
        },
        findings,
        notices: &report.notices,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
