//! The regexes of rules (`where:`, `regex:`, `#match?`): shared by pattern
//! text, ASCII-minded, and built on first use.
//!
//! A run loads hundreds of them, and on a real corpus a third to a half are
//! never evaluated (their query never matches). Checking the syntax is
//! cheap; building the automata is not, in time or memory, so a pattern is
//! checked when its rule compiles and built the first time it runs. The
//! parse that checks it also gives the words every match contains, for
//! the prefilters of [`super::literals`].

use super::literals::{self, Need};
use crate::memo::RunMemo;
use regex::Regex;
use regex_syntax::hir::{Class, Hir, HirKind};
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
    /// Words one of which every match contains, if known.
    words: Need,
}

impl RuleRegex {
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    pub(super) fn words(&self) -> &Need {
        &self.words
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
        let (unicode, words) = read(pattern)?;
        Ok(Arc::new(RuleRegex {
            pattern: pattern.to_string(),
            unicode,
            built: OnceLock::new(),
            words,
        }))
    })
}

/// Parses `pattern` as few times as it can: whether it needs Unicode mode
/// (the note below), an error that reads like the `regex` crate's, and
/// the words every match contains.
fn read(pattern: &str) -> Result<(bool, Need), String> {
    let parse = |text: &str, unicode: bool, utf8: bool| {
        regex_syntax::ParserBuilder::new()
            .unicode(unicode)
            .utf8(utf8)
            .build()
            .parse(text)
            .map_err(|e| e.to_string())
    };
    // The words are read from the text without a leading `(?i)`, whose
    // syntax and mode are those of the whole pattern. They are read over
    // bytes in ASCII mode whenever the text is ASCII, also for a pattern
    // that runs in Unicode mode (`.`, negated classes): the words are the
    // same but for non-ASCII case variants (`ſ` for `s` under `(?i)`),
    // which a leading `(?i)` drops as well. In Unicode mode, `(?i)` over a
    // negated class folds the case of nearly all of Unicode: 2 % of the
    // instructions of a small run.
    let (body, fold_case) = literals::without_leading_fold_case(pattern);
    let over_bytes = body
        .is_ascii()
        .then(|| parse(body, false, false).ok())
        .flatten();
    let ascii = over_bytes.as_ref().is_some_and(|hir| match fits_text(hir) {
        Some(fits) => fits,
        // Bytes written as escapes: let the parser that runs it decide.
        None => parse(pattern, false, true).is_ok(),
    });
    let in_unicode = (!ascii).then(|| parse(pattern, true, true)).transpose()?;
    let tree = match (over_bytes, in_unicode) {
        (Some(hir), _) => Some(hir),
        (None, Some(hir)) if body == pattern => Some(hir),
        (None, _) => parse(body, true, true).ok(),
    };
    let words = tree.and_then(|hir| literals::of_regex(&hir, fold_case));
    Ok((!ascii, words))
}

/// Whether a pattern parsed over bytes in ASCII mode can only match text,
/// which is what the `regex` crate asks of it there: `Some(false)` when
/// a class holds non-ASCII bytes (`.`, negated classes, `\W`), `None`
/// when a literal does (only escapes write one, and whether the bytes
/// form characters takes the crate's own parser to say).
fn fits_text(hir: &Hir) -> Option<bool> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(true),
        HirKind::Literal(lit) => lit.0.is_ascii().then_some(true),
        HirKind::Class(Class::Bytes(class)) => Some(class.is_ascii()),
        HirKind::Class(Class::Unicode(_)) => Some(true),
        HirKind::Repetition(r) => fits_text(&r.sub),
        HirKind::Capture(c) => fits_text(&c.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => {
            let mut fits = true;
            for part in parts {
                fits &= fits_text(part)?;
            }
            Some(fits)
        }
    }
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
    fn a_pattern_runs_in_ascii_mode_exactly_when_it_parses_that_way_over_text() {
        // One parse over bytes decides; the definition is a parse in ASCII
        // mode that must match text only, as the `regex` crate asks.
        let patterns = [
            r"^\w+$",
            "^caf.$",
            "^[^x]{4}$",
            r"\W+",
            "(?i)^secret$",
            "(?i)(token|secret)_?key",
            r"(?i)^[rbuf]{0,2}(?s:.)*?\bselect\b",
            r"(?u)^\w+$",
            r"a\Bb",
            r"\x41\x42",
            r"\xE2\x98\x83",
            r"\xFF",
            r"\p{L}+",
            "(?i)é",
        ];
        for pattern in patterns {
            let over_text = pattern.is_ascii()
                && regex_syntax::ParserBuilder::new()
                    .unicode(false)
                    .build()
                    .parse(pattern)
                    .is_ok();
            let re = shared(pattern).expect("valid regex");
            assert_eq!(!re.unicode, over_text, "{pattern}");
            re.is_match("");
            assert!(
                re.built.get().is_some_and(|b| b.is_some()),
                "{pattern} builds"
            );
        }
        // Bytes that are no text are an error in either mode.
        let not_text = String::from(r"(?-u:\xFF)");
        assert!(shared(&not_text).is_err());
        assert!(regex::Regex::new(&not_text).is_err());
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
