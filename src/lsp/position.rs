//! Byte offsets ↔ LSP positions.
//!
//! The engine reports byte offsets; LSP positions are a line and a column
//! counted in the code units of the negotiated encoding (UTF-16 unless the
//! client offers UTF-8). Clients also send positions that do not exist — past
//! the end of a line or the file, or in the middle of a surrogate pair — so
//! the conversion back to bytes clamps instead of failing.

use lsp_types::{Position, Range};

/// The unit LSP columns are counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Bytes of UTF-8 (`positionEncoding: "utf-8"`).
    Utf8,
    /// UTF-16 code units: the LSP default.
    Utf16,
}

impl Encoding {
    fn units(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        }
    }
}

/// Line starts of one text, for conversions in either direction.
pub struct LineTable<'a> {
    text: &'a str,
    /// Byte offset of each line's first character. Lines end at `\n`,
    /// `\r\n` or a lone `\r`, as LSP counts them.
    starts: Vec<usize>,
    encoding: Encoding,
}

impl<'a> LineTable<'a> {
    pub fn new(text: &'a str, encoding: Encoding) -> Self {
        LineTable {
            text,
            starts: crate::diagnostic::line_starts(text),
            encoding,
        }
    }

    /// The LSP position of byte `offset` (clamped to the text and snapped
    /// back to a character boundary).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|s| *s <= offset) - 1;
        let start = self.starts[line];
        let character: usize = self.text[start..offset]
            .chars()
            .map(|c| self.encoding.units(c))
            .sum();
        Position {
            line: saturate(line),
            character: saturate(character),
        }
    }

    /// The LSP range of a byte range.
    pub fn range(&self, start: usize, end: usize) -> Range {
        Range {
            start: self.position(start),
            end: self.position(end.max(start)),
        }
    }

    /// The byte offset of an LSP position. A line past the end means the
    /// end of the text; a column past the line's end means the line's end
    /// (before its terminator); a column inside a character means that
    /// character's start.
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.text.len();
        };
        let end = self.line_end(position.line as usize);
        let wanted = position.character as usize;
        let mut units = 0;
        for (i, c) in self.text[start..end].char_indices() {
            let next = units + self.encoding.units(c);
            if next > wanted {
                return start + i;
            }
            units = next;
        }
        end
    }

    /// Byte offset just past the last character of `line`, before its
    /// terminator.
    fn line_end(&self, line: usize) -> usize {
        let next = self
            .starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        let content = &self.text[self.starts[line]..next];
        self.starts[line] + content.trim_end_matches(['\n', '\r']).len()
    }

    /// The byte range of an LSP range, with its ends ordered.
    pub fn byte_range(&self, range: Range) -> std::ops::Range<usize> {
        let a = self.offset(range.start);
        let b = self.offset(range.end);
        a.min(b)..a.max(b)
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn utf16_counts_surrogate_pairs_as_two() {
        // "é" is 2 bytes / 1 unit, "😀" is 4 bytes / 2 units.
        let text = "aé😀b\nx";
        let utf16 = LineTable::new(text, Encoding::Utf16);
        let b = text.find('b').unwrap_or_default();
        assert_eq!(utf16.position(b), pos(0, 4));
        assert_eq!(utf16.offset(pos(0, 4)), b);
        let utf8 = LineTable::new(text, Encoding::Utf8);
        assert_eq!(utf8.position(b), pos(0, 7));
        assert_eq!(utf8.offset(pos(0, 7)), b);
    }

    #[test]
    fn invalid_positions_are_clamped() {
        let text = "a😀\r\nbc\rd";
        let table = LineTable::new(text, Encoding::Utf16);
        // Inside the surrogate pair: snaps to the emoji's start.
        assert_eq!(table.offset(pos(0, 2)), 1);
        // Past the line's end: before the CRLF.
        assert_eq!(table.offset(pos(0, 99)), 5);
        // A lone CR ends a line too.
        assert_eq!(table.offset(pos(2, 0)), text.len() - 1);
        // Past the last line: end of text.
        assert_eq!(table.offset(pos(99, 3)), text.len());
        assert_eq!(table.offset(pos(u32::MAX, u32::MAX)), text.len());
        // Offsets inside a character or past the end do not panic.
        assert_eq!(table.position(3), pos(0, 1));
        assert_eq!(table.position(999), pos(2, 1));
    }

    #[test]
    fn round_trip_at_every_char_boundary() {
        let text = "x = '😀é'\r\n\ty\n\nz";
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            let table = LineTable::new(text, encoding);
            for (i, _) in text.char_indices() {
                let at_line_break =
                    matches!(text.as_bytes()[i], b'\n') && i > 0 && text.as_bytes()[i - 1] == b'\r';
                if !at_line_break {
                    assert_eq!(table.offset(table.position(i)), i, "{encoding:?} {i}");
                }
            }
        }
    }
}
