//! Human output through miette: a source snippet per finding with the span
//! labelled, the rule id, help and docs link; then notices and a summary.

use super::{summary_line, RenderOptions};
use crate::diagnostic::{Finding, Severity};
use crate::rule::index::RuleSet;
use crate::rule::{Category, Rule};
use crate::run::{FileReport, Report};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use std::fmt;
use std::io::{self, Write};

/// A file's text under its display name, without copying it.
struct NamedText<'a> {
    name: &'a str,
    text: &'a str,
    language: &'static str,
}

impl SourceCode for NamedText<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.to_string(),
                inner.data(),
                *inner.span(),
                inner.line(),
                inner.column(),
                inner.line_count(),
            )
            .with_language(self.language),
        ))
    }
}

/// One finding seen as a miette diagnostic.
struct FindingView<'a> {
    finding: &'a Finding,
    rule: Option<&'a Rule>,
    source: NamedText<'a>,
}

impl fmt::Debug for FindingView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl fmt::Display for FindingView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::error::Error for FindingView<'_> {}

impl Diagnostic for FindingView<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.finding.rule_id))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let summary = self.rule.map_or("", |r| r.summary.as_str());
        let fix = match &self.finding.fix {
            Some(fix) => format!("\nsuggested fix: `{}`", fix.replacement),
            None => String::new(),
        };
        Some(Box::new(format!(
            "{summary}{fix}\nrun `backlint explain {}` for why and how to fix",
            self.finding.rule_id
        )))
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.rule
            .and_then(|r| r.help_uri())
            .map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.finding.span;
        if !self.finding.trace.is_empty() {
            // A data-flow finding: the source and each step as secondary
            // labels, the sink as the primary one.
            let steps = self.finding.trace.iter().enumerate().map(|(i, step)| {
                LabeledSpan::new_with_span(
                    Some(format!("{}. {}", i + 1, step.label)),
                    (step.span.start.offset, step.span.len()),
                )
            });
            let sink = LabeledSpan::new_primary_with_span(
                Some("sink".to_string()),
                (span.start.offset, span.len()),
            );
            return Some(Box::new(steps.chain(std::iter::once(sink))));
        }
        let label = self.rule.map_or("here", |r| r.category.as_str());
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(label.to_string()),
            (span.start.offset, span.len()),
        ))))
    }
}

pub fn render(
    report: &Report,
    rules: &RuleSet,
    options: RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_urls(true);
    for file in &report.files {
        render_file(&handler, file, rules, out)?;
    }
    if !options.quiet {
        for n in &report.notices {
            writeln!(out, "notice: {}: {}", n.path, n.message)?;
        }
        writeln!(out, "{}", summary_line(report))?;
    }
    Ok(())
}

/// The file's text with every secret found in it masked (all but a short
/// prefix replaced by `*`, byte for byte so spans stay valid): snippets must
/// never show a secret in full.
fn mask_secrets<'a>(file: &'a FileReport, rules: &RuleSet) -> std::borrow::Cow<'a, str> {
    let secret_spans: Vec<_> = file
        .findings
        .iter()
        .filter(|f| {
            rules
                .rule(&f.rule_id)
                .is_some_and(|r| r.category == Category::Secrets)
        })
        .map(|f| f.span)
        .collect();
    if secret_spans.is_empty() {
        return std::borrow::Cow::Borrowed(&file.source);
    }
    let mut masked = String::with_capacity(file.source.len());
    for (offset, ch) in file.source.char_indices() {
        let hidden = secret_spans.iter().any(|s| {
            let keep = crate::secrets::MAX_PREFIX.min(s.len() / 4);
            offset >= s.start.offset + keep && offset < s.end.offset && !ch.is_whitespace()
        });
        if hidden {
            masked.extend(std::iter::repeat_n('*', ch.len_utf8()));
        } else {
            masked.push(ch);
        }
    }
    std::borrow::Cow::Owned(masked)
}

fn render_file(
    handler: &GraphicalReportHandler,
    file: &FileReport,
    rules: &RuleSet,
    out: &mut dyn Write,
) -> io::Result<()> {
    let shown = mask_secrets(file, rules);
    for finding in &file.findings {
        let view = FindingView {
            finding,
            rule: rules.rule(&finding.rule_id),
            source: NamedText {
                name: &file.path,
                text: &shown,
                language: file.kind.name(),
            },
        };
        let mut text = String::new();
        handler
            .render_report(&mut text, &view)
            .map_err(|e| io::Error::other(e.to_string()))?;
        writeln!(out, "{text}")?;
    }
    Ok(())
}
