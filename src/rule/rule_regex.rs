//! The regexes of rules (`where:`, `regex:`, `#match?`): shared by pattern
//! text, ASCII-minded, and built on first use.
//!
//! A run loads hundreds of them, and on a real corpus a third to a half are
//! never evaluated (their query never matches). Checking the syntax is
//! cheap; building the automata is not, in time or memory, so a pattern is
//! checked when its rule compiles and built the first time it runs.

use crate::memo::RunMemo;
use regex::Regex;
use std::sync::{Arc, OnceLock};

/// Lazy-DFA cache limit per regex and thread: the texts matched are short
/// (names, strings, one node), so a small cache suffices.
const CACHE_BYTES: usize = 128 * 1024;

/// A rule regex whose syntax is known to be valid.
#[derive(Debug)]
pub struct RuleRegex {
    pattern: String,
    unicode: bool,
    built: OnceLock<Option<Regex>>,
}

impl RuleRegex {
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether `text` matches. A pattern whose automaton exceeds the
    /// `regex` crate's size limit matches nothing (reported once).
    pub fn is_match(&self, text: &str) -> bool {
        let built = self.built.get_or_init(|| {
            match regex::RegexBuilder::new(&self.pattern)
                .unicode(self.unicode)
                .dfa_size_limit(CACHE_BYTES)
                .build()
            {
                Ok(re) => Some(re),
                Err(e) => {
                    eprintln!("backlint: regex `{}` not used: {e}", self.pattern);
                    None
                }
            }
        });
        built.as_ref().is_some_and(|re| re.is_match(text))
    }
}

/// The regex for `pattern`, one per pattern text for the whole run (a
/// `Regex` clone would share the program but get caches of its own). A
/// syntax error reads like the `regex` crate's.
pub fn shared(pattern: &str) -> Result<Arc<RuleRegex>, String> {
    static REGEXES: RunMemo<String, Arc<RuleRegex>> = RunMemo::new();
    REGEXES.get_or_try(pattern, || {
        let parses = |unicode: bool| {
            regex_syntax::ParserBuilder::new()
                .unicode(unicode)
                .build()
                .parse(pattern)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        // ASCII mode when the pattern is ASCII and parses that way (see the
        // note below); otherwise Unicode mode, whose parse reports any error.
        let ascii = pattern.is_ascii() && parses(false).is_ok();
        if !ascii {
            parses(true)?;
        }
        Ok(Arc::new(RuleRegex {
            pattern: pattern.to_string(),
            unicode: !ascii,
            built: OnceLock::new(),
        }))
    })
}

// A rule regex is compiled with Unicode mode off, so that `\w`, `\d`,
// `\s`, `\b` and `(?i)` mean their ASCII versions, when it is written in
// ASCII and parses that way over text. Unicode classes and case folding
// make the automata several times larger, and the rules' regexes run over
// code, where the ASCII meaning is the intended one. A pattern that needs
// Unicode mode (non-ASCII text, or `.` and negated classes, which could
// otherwise match half a character) keeps it, as does one that asks with
// `(?u)`. docs/writing-rules.md tells rule authors.

#[cfg(test)]
mod tests {
    use super::shared;

    #[test]
    fn ascii_patterns_match_ascii_only_unless_they_need_unicode() {
        let re = |p: &str| shared(p).expect("valid regex");
        assert!(re("(?i)^secret$").is_match("SeCrEt"));
        assert!(!re("(?i)^secret$").is_match("ſecret"));
        assert!(!re(r"^\w+$").is_match("café"));
        assert!(re(r"(?u)^\w+$").is_match("café"));
        // `.` and negated classes keep Unicode mode: whole characters.
        assert!(re("^caf.$").is_match("café"));
        assert!(re("^[^x]{4}$").is_match("café"));
        assert!(re("(?i)^é$").is_match("É"));
        // The same text gives the same regex.
        assert!(std::sync::Arc::ptr_eq(&re("a+b"), &re("a+b")));
    }

    #[test]
    fn syntax_errors_are_found_before_first_use_and_read_like_the_regex_crate() {
        let unclosed = String::from("(");
        let ours = shared(&unclosed).expect_err("unclosed group");
        let theirs = regex::Regex::new(&unclosed)
            .expect_err("unclosed group")
            .to_string();
        assert_eq!(ours.lines().last(), theirs.lines().last());
        assert!(ours.contains("unclosed group"));
    }

    #[test]
    fn a_pattern_is_built_on_first_use() {
        let re = shared("^lazily-built$").expect("valid regex");
        assert!(re.built.get().is_none());
        assert!(re.is_match("lazily-built"));
        assert!(re.built.get().is_some_and(|b| b.is_some()));
    }
}
