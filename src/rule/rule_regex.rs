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

/// A pattern whose counted repetitions make more copies than this
/// (`[^\n]{1000,}`) gets a larger cache: [`cache_bytes`].
const LARGE_COUNT: u32 = 64;

/// A rule regex whose syntax is known to be valid.
#[derive(Debug)]
pub struct RuleRegex {
    pattern: String,
    unicode: bool,
    /// Lazy-DFA cache limit, per thread.
    cache: usize,
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
                .dfa_size_limit(self.cache)
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
        let (unicode, cache, words) = read(pattern)?;
        Ok(Arc::new(RuleRegex {
            pattern: pattern.to_string(),
            unicode,
            cache,
            built: OnceLock::new(),
            words,
        }))
    })
}

/// Parses `pattern` as few times as it can: whether it needs Unicode mode
/// (the note below), an error that reads like the `regex` crate's,
/// the lazy-DFA cache it needs, and the words every match contains.
fn read(pattern: &str) -> Result<(bool, usize, Need), String> {
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
    let cache = cache_bytes(tree.as_ref().map_or(0, counted_copies));
    let words = tree.and_then(|hir| {
        if fold_case {
            return literals::of_regex(&hir, true);
        }
        // Case folded on and off inside the pattern: its letters are
        // classes, read as letters with case ignored.
        match literals::folded(&hir) {
            Some(folded) => literals::of_regex(&folded, true),
            None => literals::of_regex(&hir, false),
        }
    });
    Ok((!ascii, cache, words))
}

/// How many copies of counted parts the automaton of `hir` holds, about:
/// the bounds of counted repetitions, multiplied when nested
/// (`(?:[^\n]{100}){20}`: 2,000) and added up side by side (0 without a
/// count).
fn counted_copies(hir: &Hir) -> u32 {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) | HirKind::Literal(_) | HirKind::Class(_) => 0,
        HirKind::Repetition(r) => {
            let (bound, inner) = (r.min.max(r.max.unwrap_or(0)), counted_copies(&r.sub));
            // `*`, `+` and `?` make no copies worth counting.
            if bound <= 1 {
                inner
            } else {
                bound.saturating_mul(inner.max(1))
            }
        }
        HirKind::Capture(c) => counted_copies(&c.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts
            .iter()
            .fold(0u32, |sum, part| sum.saturating_add(counted_copies(part))),
    }
}

/// The lazy-DFA cache for `pattern`. An automaton holds a copy of a
/// counted repetition's body per count (a UTF-8 decoder per character for
/// `[^\n]{1000,}` in Unicode mode), and below the minimum cache the
/// automaton needs, the `regex` crate does without the lazy DFA and runs
/// every search on its slowest engine: 4 % of a JavaScript run, for the
/// rules' minified-bundle check. 2 KiB per count is twice what the rules'
/// counted patterns need (a unit test measures it); the memory is only
/// taken as a search builds states. Past 4 MiB (about 2,000 counts) a
/// pattern is left to the slower engines.
fn cache_bytes(copies: u32) -> usize {
    if copies <= LARGE_COUNT {
        return CACHE_BYTES;
    }
    (copies as usize)
        .saturating_mul(2048)
        .clamp(CACHE_BYTES, 4 << 20)
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
    use super::{shared, CACHE_BYTES};

    /// Every string of a YAML value, recursively.
    fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }

    /// The least lazy-DFA cache with which the `regex` crate keeps the lazy
    /// DFA for `pattern`: the larger of its forward and reverse automata's.
    fn minimum_cache(pattern: &str, unicode: bool) -> usize {
        use regex_automata::{hybrid, nfa::thompson, util::syntax};
        [false, true]
            .into_iter()
            .map(|reverse| {
                let nfa = thompson::Compiler::new()
                    .syntax(syntax::Config::new().unicode(unicode).utf8(true))
                    // As the `regex` crate builds them: captures forward only.
                    .configure(thompson::Config::new().reverse(reverse).which_captures(
                        if reverse {
                            thompson::WhichCaptures::None
                        } else {
                            thompson::WhichCaptures::All
                        },
                    ))
                    .build(pattern)
                    .expect("compiles");
                hybrid::dfa::Config::new()
                    .get_minimum_cache_capacity(&nfa)
                    .expect("minimum")
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn counted_rule_regexes_get_twice_the_cache_their_lazy_dfa_needs() {
        let mut counted = Vec::new();
        for source in crate::rule::load::builtin_sources() {
            let value: serde_json::Value = serde_saphyr::from_str(&source.text).expect("rule YAML");
            let mut texts = Vec::new();
            strings(&value, &mut texts);
            for text in texts {
                let Ok(re) = shared(&text) else { continue };
                if re.cache > CACHE_BYTES {
                    let needed = minimum_cache(&text, re.unicode);
                    assert!(
                        re.cache >= 2 * needed,
                        "{text}: {} < 2 × {needed}",
                        re.cache
                    );
                    counted.push(text);
                }
            }
        }
        // `^[^\n]{1000,}$` (minified bundles) and `^[^\n]{400}`.
        assert!(counted.len() >= 2, "{counted:?}");
        // Without a large count, the usual cache; nested counts multiply,
        // counts side by side add up.
        assert_eq!(shared("^a{3,64}$").expect("valid").cache, CACHE_BYTES);
        assert_eq!(
            shared("^(?:a+b*){3,64}$").expect("valid").cache,
            CACHE_BYTES
        );
        for (pattern, copies) in [
            (r"(?:[^\n]{100}){20}", 2000),
            (r"[^\n]{500}x[^\n]{300}", 800),
        ] {
            let re = shared(pattern).expect("valid");
            assert_eq!(re.cache, copies * 2048, "{pattern}");
            assert!(
                re.cache >= 2 * minimum_cache(pattern, re.unicode),
                "{pattern}"
            );
        }
    }

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
