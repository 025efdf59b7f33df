//! What linting produces: findings, notices about files, and their positions.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;

/// How bad a finding is. Ordered: `Note < Warning < Error`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A point in a file: 1-based line, 1-based column counted in Unicode
/// scalar values, and the 0-based byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// A half-open byte range with its start and end positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Span {
    pub start: Position,
    pub end: Position,
}

impl Span {
    /// Builds a span from a byte range of `text`. For many spans in one
    /// text, use [`LineIndex::span`].
    pub fn from_range(text: &str, start: usize, end: usize) -> Span {
        Span {
            start: position_at(text, start),
            end: position_at(text, end.max(start)),
        }
    }

    pub fn len(&self) -> usize {
        self.end.offset - self.start.offset
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The position of byte `offset` in `text` (clamped to the text and to a
/// character boundary). Lines end at `\n`, `\r\n` or a lone `\r`.
pub fn position_at(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = line_start_before(text, offset);
    let lone_crs = before
        .match_indices('\r')
        .filter(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n'))
        .count();
    Position {
        line: before.matches('\n').count() + lone_crs + 1,
        column: before[line_start..].chars().count() + 1,
        offset,
    }
}

/// Where each line of `text` starts, in bytes. Lines end at `\n`, `\r\n`
/// or a lone `\r`, as editors (LSP) and miette's snippets count them.
pub fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            starts.push(i + 1);
        }
    }
    starts
}

/// Line starts of a text, for fast offset → position lookups. The starts
/// are found on the first lookup: most files have no finding, and scanning
/// every byte of them for line ends would be wasted.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        LineIndex {
            text,
            starts: std::cell::OnceCell::new(),
        }
    }

    fn starts(&self) -> &[usize] {
        self.starts.get_or_init(|| line_starts(self.text))
    }

    /// Same result as [`position_at`], in logarithmic time plus the line's length.
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let starts = self.starts();
        let line = starts.partition_point(|s| *s <= offset);
        let line_start = starts[line - 1];
        Position {
            line,
            column: self.text[line_start..offset].chars().count() + 1,
            offset,
        }
    }

    pub fn span(&self, start: usize, end: usize) -> Span {
        Span {
            start: self.position(start),
            end: self.position(end.max(start)),
        }
    }
}

/// Byte offset where the line containing `offset` starts.
pub fn line_start_before(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    let bytes = text.as_bytes();
    bytes[..offset]
        .iter()
        .enumerate()
        .rev()
        .find(|(i, b)| **b == b'\n' || (**b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .map_or(0, |(i, _)| i + 1)
}

/// The lines of `text`, split at `\n`, `\r\n` or a lone `\r` (unlike
/// [`str::lines`], which keeps lone `\r`), without terminators.
pub fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// A suggested replacement for a byte range of the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Fix {
    pub span: Span,
    pub replacement: String,
    /// `true` when `--fix` may apply it without `--unsafe-fixes`.
    pub safe: bool,
}

/// One problem found in one file by one rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    pub fix: Option<Fix>,
    /// Content-based identity of the finding, stable when lines move: see
    /// [`fingerprint`].
    pub fingerprint: String,
    /// For data-flow findings: the path from the source to the sink.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<TraceStep>,
}

/// One step of a data-flow path: where, and what happens there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TraceStep {
    pub span: Span,
    pub label: String,
}

/// Why a file was skipped or only partly linted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    /// The file could not be read (permissions, vanished, not a file).
    Unreadable,
    /// The file looks binary (NUL bytes).
    Binary,
    /// The file is larger than the size limit.
    TooLarge,
    /// The file has syntax errors; only the parsable parts were linted.
    SyntaxError,
    /// The walker reported a problem (e.g. a symlink loop).
    Walk,
    /// Parsing and matching took longer than the per-file time budget.
    Timeout,
    /// Minified or bundled code (`*.min.js`, very long lines): generated,
    /// not written by people, so not linted.
    Minified,
}

impl NoticeKind {
    /// Whether this notice means work was lost (exit code 2).
    pub fn is_failure(self) -> bool {
        matches!(self, NoticeKind::Unreadable | NoticeKind::Walk)
    }
}

/// A note about a file rather than a finding in it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Notice {
    pub path: String,
    pub kind: NoticeKind,
    pub message: String,
}

/// Content-based fingerprint: the rule, the file, the whitespace-normalised
/// text of the finding's first line and how many identical (rule, text)
/// pairs precede it in the file. Line numbers are left out on purpose so the
/// fingerprint survives code moving up or down.
pub fn fingerprint(rule_id: &str, path: &str, line_text: &str, occurrence: usize) -> String {
    let normalized: Vec<&str> = line_text.split_whitespace().collect();
    let mut hasher = Sha256::new();
    for part in [
        rule_id,
        path,
        &normalized.join(" "),
        &occurrence.to_string(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    hex::encode(&digest[..16])
}

/// The first line of `text`, cut to at most `max` characters (an ellipsis
/// marks a cut or a dropped rest), for messages and labels.
pub fn shorten(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > max || line.len() < text.len() {
        let cut: String = line.chars().take(max.saturating_sub(3)).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "ab\né x\n";
        assert_eq!(
            position_at(text, 0),
            Position {
                line: 1,
                column: 1,
                offset: 0
            }
        );
        // 'x' is after a two-byte 'é' and a space: third character of line 2.
        assert_eq!(
            position_at(text, 6),
            Position {
                line: 2,
                column: 3,
                offset: 6
            }
        );
        // Offsets inside a multi-byte character snap back to its start.
        assert_eq!(position_at(text, 4).offset, 3);
    }

    #[test]
    fn every_line_ending_counts() {
        let text = "a\r\nb\rc\nd";
        assert_eq!(split_lines(text), vec!["a", "b", "c", "d"]);
        assert_eq!(position_at(text, 3).line, 2);
        assert_eq!(position_at(text, 5).line, 3);
        assert_eq!(
            position_at(text, 7),
            Position {
                line: 4,
                column: 1,
                offset: 7
            }
        );
        // A CR of a CRLF pair is not a line of its own.
        assert_eq!(
            position_at(text, 1),
            Position {
                line: 1,
                column: 2,
                offset: 1
            }
        );
    }

    #[test]
    fn line_index_agrees_with_position_at() {
        let text = "ab\r\nc\rdé\nf\n\ng";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(
                index.position(offset),
                position_at(text, offset),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn fingerprint_ignores_indentation_but_not_content() {
        let a = fingerprint("r", "a.py", "    x = eval(s)", 0);
        assert_eq!(a, fingerprint("r", "a.py", "x  =  eval(s)", 0));
        assert_ne!(a, fingerprint("r", "a.py", "x = eval(t)", 0));
        assert_ne!(a, fingerprint("r", "a.py", "x = eval(s)", 1));
        assert_ne!(a, fingerprint("r", "b.py", "x = eval(s)", 0));
    }
}
