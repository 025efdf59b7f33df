//! Errors in rule files, reported with a span into the YAML.

use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

/// A problem in one rule file. Rendered by miette with the file's text and a
/// label at the offending key or line.
#[derive(Debug, Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(backlint::rule))]
pub struct RuleFileError {
    pub message: String,
    #[source_code]
    pub source_code: NamedSource<String>,
    #[label("{label}")]
    pub span: SourceSpan,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

/// Errors from reading rule sources (before any YAML is looked at).
#[derive(Debug, Error, Diagnostic)]
pub enum RuleLoadError {
    #[error("cannot read rule file {path}: {source}")]
    #[diagnostic(code(backlint::rule::io))]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("rule directory {0} does not exist")]
    #[diagnostic(code(backlint::rule::io))]
    MissingDir(String),
    #[error(transparent)]
    #[diagnostic(transparent)]
    File(#[from] Box<RuleFileError>),
}

/// Byte offset of a 1-based (line, column) in `text`; columns count
/// characters. Out-of-range positions clamp to the end.
pub fn offset_of(text: &str, line: u64, column: u64) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u64 + 1 == line {
            let col = column.saturating_sub(1) as usize;
            return offset + l.char_indices().nth(col).map_or(l.len(), |(b, _)| b);
        }
        offset += l.len();
    }
    text.len()
}

/// The span of the whole line containing `offset` (without the newline).
pub fn line_span(text: &str, offset: usize) -> SourceSpan {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    (start, end - start).into()
}
