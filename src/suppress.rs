//! Inline suppressions in comments:
//!
//! - `# backlint: ignore[rule-a, rule-b] -- reason` on the finding's line,
//!   or alone on the line above; without `[…]` every rule is suppressed
//!   (a *blanket* suppression);
//! - `# backlint: ignore-file[rule-a]` (or `ignore-file` alone) anywhere in
//!   the file suppresses those rules in the whole file.
//!
//! Directives remember whether they suppressed anything, so unused ones can
//! be reported.

use regex::Regex;
use std::cell::Cell;
use std::sync::OnceLock;

fn directive_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"backlint:\s*(ignore-file|ignore)(?:\[([^\]]*)\])?(?:[^\w\-\[]|$)")
            .expect("static regex")
    })
}

/// One `backlint:` directive.
#[derive(Debug)]
pub struct Directive {
    /// 1-based line of the comment.
    pub line: usize,
    /// 1-based column where `backlint:` starts.
    pub column: usize,
    /// Byte offset of `backlint:` and length of the directive text.
    pub offset: usize,
    pub len: usize,
    /// Rule ids; `None` means every rule.
    pub rules: Option<Vec<String>>,
    pub file_level: bool,
    /// Lines a line-level directive covers.
    covers: (usize, usize),
    used: Cell<bool>,
}

impl Directive {
    pub fn is_used(&self) -> bool {
        self.used.get()
    }

    fn covers(&self, line: usize, rule_id: &str) -> bool {
        let in_range = self.file_level || (self.covers.0..=self.covers.1).contains(&line);
        in_range
            && self
                .rules
                .as_ref()
                .is_none_or(|ids| ids.iter().any(|id| id == rule_id))
    }
}

/// The directives of one file.
#[derive(Debug, Default)]
pub struct Suppressions {
    pub directives: Vec<Directive>,
}

impl Suppressions {
    pub fn new(source: &str, comment: &'static str) -> Self {
        let mut directives = Vec::new();
        let mut offset = 0;
        let lines = crate::diagnostic::split_lines(source);
        for (i, text) in lines.iter().enumerate() {
            let line_offset = line_offset(source, &lines, i, &mut offset);
            let Some(comment_at) = text.find(comment) else {
                continue;
            };
            let comment_only = text.trim_start().starts_with(comment);
            for c in directive_regex().captures_iter(&text[comment_at..]) {
                let whole = c.get(0).map_or(0..0, |m| m.range());
                let start = comment_at + whole.start;
                let file_level = &c[1] == "ignore-file";
                let rules = c.get(2).map(|ids| {
                    ids.as_str()
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                });
                let line = i + 1;
                // Up to the closing `]`, or the keyword when there are no ids.
                let directive_end = c
                    .get(2)
                    .map_or_else(|| c.get(1).map_or(whole.end, |m| m.end()), |m| m.end() + 1);
                directives.push(Directive {
                    line,
                    column: text[..start].chars().count() + 1,
                    offset: line_offset + start,
                    len: directive_end - whole.start,
                    rules,
                    file_level,
                    // A trailing comment covers its own line; a comment alone on
                    // its line also covers the next one.
                    covers: (line, if comment_only { line + 1 } else { line }),
                    used: Cell::new(false),
                });
            }
        }
        Suppressions { directives }
    }

    /// Whether a finding of `rule_id` starting on 1-based `line` is
    /// suppressed; marks the directives that did it as used.
    pub fn suppresses(&self, line: usize, rule_id: &str) -> bool {
        let mut hit = false;
        for d in self.directives.iter().filter(|d| d.covers(line, rule_id)) {
            d.used.set(true);
            hit = true;
        }
        hit
    }
}

/// Byte offset at which line `i` starts (lines visited in order).
fn line_offset(source: &str, lines: &[&str], i: usize, cursor: &mut usize) -> usize {
    if i == 0 {
        *cursor = 0;
    } else {
        let prev_end = *cursor + lines[i - 1].len();
        let terminator = if source[prev_end..].starts_with("\r\n") {
            2
        } else {
            1
        };
        *cursor = prev_end + terminator;
    }
    *cursor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_line_and_line_above() {
        let src = "a = 1  # backlint: ignore[x] -- known\n# backlint: ignore[y, z]\nb = 2\nc = 3 # backlint: ignore\nd = 4\n";
        let s = Suppressions::new(src, "#");
        assert!(s.suppresses(1, "x"));
        assert!(!s.suppresses(1, "y"));
        assert!(s.suppresses(3, "z"));
        assert!(s.suppresses(3, "y"));
        assert!(!s.suppresses(3, "x"));
        assert!(s.suppresses(4, "anything"));
        // A trailing comment on the line above covers only its own line.
        assert!(!s.suppresses(5, "anything"));
        assert!(s.directives.iter().all(Directive::is_used));
    }

    #[test]
    fn file_level_directives() {
        let src = "// backlint: ignore-file[weak-random]\nlet a = 1;\n\nlet b = 2;\n";
        let s = Suppressions::new(src, "//");
        assert!(s.suppresses(4, "weak-random"));
        assert!(!s.suppresses(4, "other"));
        assert!(s.directives[0].file_level);
    }

    #[test]
    fn directive_outside_a_comment_does_not_count() {
        let s = Suppressions::new("s = 'backlint: ignore'\n", "#");
        assert!(!s.suppresses(1, "r"));
        assert!(s.directives.is_empty());
    }

    #[test]
    fn positions_of_directives() {
        let src = "x = 1\r\ny = 2  # backlint: ignore[r]\n";
        let s = Suppressions::new(src, "#");
        let d = &s.directives[0];
        assert_eq!((d.line, d.column), (2, 10));
        assert_eq!(&src[d.offset..d.offset + d.len], "backlint: ignore[r]");
        assert!(!d.is_used());
    }
}
