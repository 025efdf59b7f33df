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
///
/// Every matcher a rule file compiles asks for the offset of its place in
/// the file (for errors it might report), so the lines before it are
/// skipped with `memchr` rather than read character by character (that
/// read was 1.2 % of the instructions of a run over every 15th Python file
/// of the benchmark corpus).
pub fn offset_of(text: &str, line: u64, column: u64) -> usize {
    let Some(lines_before) = line.checked_sub(1) else {
        return text.len();
    };
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut newlines = memchr::memchr_iter(b'\n', bytes);
    for _ in 0..lines_before {
        match newlines.next() {
            Some(at) => start = at + 1,
            None => return text.len(),
        }
    }
    let end = memchr::memchr(b'\n', &bytes[start..]).map_or(text.len(), |at| start + at + 1);
    let l = &text[start..end];
    let col = column.saturating_sub(1) as usize;
    start + l.char_indices().nth(col).map_or(l.len(), |(b, _)| b)
}

/// The span of the whole line containing `offset` (without the newline).
pub fn line_span(text: &str, offset: usize) -> SourceSpan {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    (start, end - start).into()
}

#[cfg(test)]
mod tests {
    use super::offset_of;

    /// The definition: walk the lines, then the characters of the line.
    fn by_lines(text: &str, line: u64, column: u64) -> usize {
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

    #[test]
    fn offsets_agree_with_walking_the_lines() {
        let texts = [
            "",
            "\n",
            "id: x\n",
            "id: x\nquery: (call)\n  where: é€x\n",
            "no newline at the end",
            "a\n\n\nb\nçé\n",
        ];
        for text in texts {
            for line in 0..8 {
                for column in 0..10 {
                    assert_eq!(
                        offset_of(text, line, column),
                        by_lines(text, line, column),
                        "{text:?} line {line} column {column}"
                    );
                }
            }
        }
        assert_eq!(offset_of("ab\ncé\nd", 2, 3), 6);
        assert_eq!(offset_of("ab\ncd", 2, 1), 3);
    }
}
