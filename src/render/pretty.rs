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
    /// Where each line starts ([`crate::diagnostic::line_starts`]: as
    /// miette counts lines).
    lines: &'a [usize],
    language: &'static str,
}

impl SourceCode for NamedText<'_> {
    /// miette reads a snippet by scanning the text from its start, so a
    /// file with thousands of findings took time quadratic in its size;
    /// it is given the text from the first line it shows instead, and
    /// its line numbers are shifted back.
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let line = self
            .lines
            .partition_point(|&s| s <= span.offset())
            .saturating_sub(1);
        // One line more than shown: miette looks at the character before
        // an empty span, which may be the line break before it. A span
        // past the end is read from the start, for miette's own error.
        let first = if span.offset() <= self.text.len() {
            line.saturating_sub(before + 1)
        } else {
            0
        };
        let (first, from, window) = match self
            .lines
            .get(first)
            .and_then(|&from| Some((from, self.text.get(from..)?)))
        {
            Some((from, window)) => (first, from, window),
            None => (0, 0, self.text),
        };
        let shifted = SourceSpan::new((span.offset() - from).into(), span.len());
        let inner = window.read_span(&shifted, before, after)?;
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.to_string(),
                inner.data(),
                SourceSpan::new((inner.span().offset() + from).into(), inner.span().len()),
                inner.line() + first,
                inner.column(),
                inner.line_count() + first,
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
    let mut masked: Option<String> = None;
    for f in &file.findings {
        let secret = rules
            .rule(&f.rule_id)
            .is_some_and(|r| r.category == Category::Secrets);
        if !secret {
            continue;
        }
        let keep = crate::secrets::MAX_PREFIX.min(f.span.len() / 4);
        let text = masked.get_or_insert_with(|| file.source.clone());
        // Every character that starts in the hidden part.
        let start = char_start_from(text, f.span.start.offset + keep);
        let end = char_start_from(text, f.span.end.offset);
        let Some(hidden) = text.get(start..end) else {
            continue;
        };
        // Each character but whitespace becomes as many `*` as its bytes.
        let stars: String = hidden
            .chars()
            .map(|ch| {
                if ch.is_whitespace() {
                    ch.to_string()
                } else {
                    "*".repeat(ch.len_utf8())
                }
            })
            .collect();
        text.replace_range(start..end, &stars);
    }
    match masked {
        Some(text) => std::borrow::Cow::Owned(text),
        None => std::borrow::Cow::Borrowed(&file.source),
    }
}

/// The first character boundary at or after `offset` (the text's length
/// past its end).
fn char_start_from(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

fn render_file(
    handler: &GraphicalReportHandler,
    file: &FileReport,
    rules: &RuleSet,
    out: &mut dyn Write,
) -> io::Result<()> {
    let shown = mask_secrets(file, rules);
    let lines = crate::diagnostic::line_starts(&shown);
    for finding in &file.findings {
        let view = FindingView {
            finding,
            rule: rules.rule(&finding.rule_id),
            source: NamedText {
                name: &file.path,
                text: &shown,
                lines: &lines,
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

#[cfg(test)]
mod tests {
    use super::{mask_secrets, NamedText};
    use crate::diagnostic::{line_starts, Finding, Severity, Span};
    use crate::lang::Lang;
    use crate::rule::index::{RuleSet, Selection};
    use crate::rule::load::{builtin_sources, compile_all};
    use crate::run::FileReport;
    use crate::walk::FileKind;
    use miette::{SourceCode, SourceSpan};

    /// The snippet read from the first shown line is the one miette reads
    /// scanning the whole text: same data, span, line, column and line
    /// count, for every span of texts with every kind of line break.
    #[test]
    fn snippets_read_from_the_shown_lines_match_miettes_own() {
        let texts = [
            "a = 1\nb = 2\n\nc = 'x'\nd = 4",
            "one\r\ntwo\r\n\r\nthree\r\n",
            "lone\rcr\rbreaks\r\nand\nmixed\n\n",
            "é = 'ü'\n  ß = \"日本\"\n\tz\n",
            "",
            "\n\n\n",
        ];
        let mut compared = 0;
        for text in texts {
            let lines = line_starts(text);
            let named = NamedText {
                name: "t",
                text,
                lines: &lines,
                language: "Python",
            };
            // Spans inside the text, as findings' are (miette's own reader
            // panics on some past its end).
            for start in 0..=text.len() {
                for len in [0, 1, 3, 9].into_iter().filter(|l| start + l <= text.len()) {
                    for (before, after) in [(0, 0), (1, 1), (2, 3), (3, 0)] {
                        let span = SourceSpan::new(start.into(), len);
                        let ours = named.read_span(&span, before, after);
                        let theirs = text.read_span(&span, before, after);
                        match (ours, theirs) {
                            (Ok(o), Ok(t)) => {
                                let at = format!("{text:?} {start}+{len} ({before}, {after})");
                                assert_eq!(o.data(), t.data(), "{at}");
                                assert_eq!(o.span(), t.span(), "{at}");
                                assert_eq!(o.line(), t.line(), "{at}");
                                assert_eq!(o.column(), t.column(), "{at}");
                                assert_eq!(o.line_count(), t.line_count(), "{at}");
                                compared += 1;
                            }
                            (Err(_), Err(_)) => {}
                            (o, t) => panic!(
                                "{text:?} {start}+{len}: ours {:?}, miette's {:?}",
                                o.is_ok(),
                                t.is_ok()
                            ),
                        }
                    }
                }
            }
        }
        assert!(compared > 500, "only {compared} snippets compared");
    }

    /// Masking span by span hides what masking character by character
    /// hid: every non-space character starting past a secret's kept
    /// prefix, with overlapping and multi-byte secrets.
    #[test]
    fn secrets_are_masked_like_character_by_character() {
        let loaded = compile_all(&builtin_sources()).unwrap_or_else(|_| panic!("load"));
        let rules = RuleSet::build(loaded, &Selection::default()).expect("rule set");
        let source = "k = 'sk_live_0123456789abcdef'\np = 'pässwörd wïth spaces ünïcode'\nx = 1\n";
        let spans = [(4, 30), (35, 66), (40, 50), (6, 12)];
        let finding = |(start, end): (usize, usize), rule: &str| Finding {
            rule_id: rule.to_string(),
            severity: Severity::Warning,
            message: String::new(),
            span: Span::from_range(source, start, end),
            fix: None,
            fingerprint: String::new(),
            trace: Vec::new(),
        };
        let mut findings: Vec<Finding> = spans
            .iter()
            .map(|&s| finding(s, "hardcoded-secret"))
            .collect();
        findings.push(finding((0, 3), "debug-enabled"));
        let file = FileReport {
            path: "a.py".into(),
            kind: FileKind::Code(Lang::Python),
            source: source.into(),
            findings,
        };
        let masked = mask_secrets(&file, &rules);
        // The reference: each character tested against every secret.
        let mut expected = String::new();
        for (offset, ch) in source.char_indices() {
            let hidden = spans.iter().any(|&(start, end)| {
                let keep = crate::secrets::MAX_PREFIX.min((end - start) / 4);
                offset >= start + keep && offset < end && !ch.is_whitespace()
            });
            if hidden {
                expected.extend(std::iter::repeat_n('*', ch.len_utf8()));
            } else {
                expected.push(ch);
            }
        }
        assert_eq!(masked, expected);
        assert!(masked.starts_with("k = 's") && !masked.contains("0123"));
        assert_eq!(masked.len(), source.len());
    }
}
