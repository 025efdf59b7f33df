//! Inline suppressions: `# backlint: ignore[rule-id, …] -- reason` on the
//! finding's line, or alone on the line above. Without `[…]` every rule is
//! suppressed on that line.

use regex::Regex;
use std::sync::OnceLock;

fn directive() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"backlint:\s*ignore(?:\[([^\]]*)\])?(?:[^\w\-\[]|$)").expect("static regex")
    })
}

/// Suppression lookup for one file.
pub struct Suppressions<'a> {
    lines: Vec<&'a str>,
    comment: &'static str,
}

impl<'a> Suppressions<'a> {
    pub fn new(source: &'a str, comment: &'static str) -> Self {
        Suppressions {
            lines: crate::diagnostic::split_lines(source),
            comment,
        }
    }

    /// Whether a finding of `rule_id` starting on 1-based `line` is suppressed.
    pub fn suppresses(&self, line: usize, rule_id: &str) -> bool {
        let same_line = line.checked_sub(1).and_then(|i| self.lines.get(i));
        if let Some(text) = same_line {
            if self.directive_covers(text, rule_id) {
                return true;
            }
        }
        let above = line.checked_sub(2).and_then(|i| self.lines.get(i));
        match above {
            Some(text) if text.trim_start().starts_with(self.comment) => {
                self.directive_covers(text, rule_id)
            }
            _ => false,
        }
    }

    fn directive_covers(&self, text: &str, rule_id: &str) -> bool {
        let Some(comment_at) = text.find(self.comment) else {
            return false;
        };
        directive()
            .captures_iter(&text[comment_at..])
            .any(|c| match c.get(1) {
                None => true,
                Some(ids) => ids.as_str().split(',').any(|id| id.trim() == rule_id),
            })
    }
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
        // `ignore` must be the whole word: `ignore-file` is not a line ignore.
        let s = Suppressions::new("x = 1 # backlint: ignore-file\n", "#");
        assert!(!s.suppresses(1, "r"));
    }

    #[test]
    fn directive_outside_a_comment_does_not_count() {
        let s = Suppressions::new("s = 'backlint: ignore'\n", "#");
        assert!(!s.suppresses(1, "r"));
    }
}
