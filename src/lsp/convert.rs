//! Findings as LSP diagnostics.
//!
//! The diagnostic carries the rule id as `code`, `backlint` as `source` and
//! the rule's documentation link as `codeDescription.href`. Its message is
//! the finding's message, which rules already redact; the source text under
//! the finding is never copied into a diagnostic, so a secret is not sent
//! to the editor a second time (or into its logs).

use super::position::LineTable;
use crate::diagnostic::{Finding, Severity};
use crate::rule::index::RuleSet;
use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Url,
};

/// The `source` of every diagnostic.
pub const SOURCE: &str = "backlint";

/// One finding as a diagnostic.
/// A data-flow finding lists its path (source first) as related
/// information, each step with its label.
pub fn diagnostic(
    finding: &Finding,
    rules: &RuleSet,
    lines: &LineTable<'_>,
    uri: &Url,
) -> Diagnostic {
    let href = rules
        .rule(&finding.rule_id)
        .and_then(|r| r.help_uri())
        .and_then(|u| Url::parse(&u).ok());
    Diagnostic {
        range: lines.range(finding.span.start.offset, finding.span.end.offset),
        severity: Some(severity(finding.severity)),
        code: Some(NumberOrString::String(finding.rule_id.clone())),
        code_description: href.map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message: finding.message.clone(),
        related_information: (!finding.trace.is_empty()).then(|| {
            finding
                .trace
                .iter()
                .map(|step| DiagnosticRelatedInformation {
                    location: Location {
                        uri: uri.clone(),
                        range: lines.range(step.span.start.offset, step.span.end.offset),
                    },
                    message: step.label.clone(),
                })
                .collect()
        }),
        tags: None,
        data: None,
    }
}

/// Error → error, warning → warning, note → information.
pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Note => DiagnosticSeverity::INFORMATION,
    }
}
