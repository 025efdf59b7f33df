//! The secret detectors: declarative data compiled into one scanner.
//!
//! Detectors live in `rules/secrets/detectors.toml` (embedded at build time)
//! so adding a provider format is a data change. Text detectors (provider
//! formats) run over whole texts behind an aho-corasick keyword prefilter:
//! one pass finds which keywords occur, and only their detectors' regexes
//! run, so the cost per file does not grow with the number of detectors.
//! Bound detectors (AWS secret keys, generic passwords and secrets) only
//! run on a value whose key name matches. Every candidate is checked
//! against the detector's entropy floor and [`is_placeholder`].

use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

use super::entropy::shannon;
use super::keys::normalize;
use super::placeholder::is_placeholder;

/// The built-in detector file.
pub const BUILTIN_TOML: &str = include_str!("../../rules/secrets/detectors.toml");

/// A detector as written in the TOML file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectorSpec {
    id: String,
    description: String,
    regex: String,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    secret_group: usize,
    entropy: Option<f64>,
    key: Option<String>,
    key_exclude: Option<String>,
    value_exclude: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    detector: Vec<DetectorSpec>,
}

/// Why a detector file could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The file is not valid TOML for the schema.
    #[error("invalid detector file: {0}")]
    Toml(#[from] toml::de::Error),
    /// A regex field does not parse.
    #[error("detector `{id}`: `{field}` is not a valid regex: {source}")]
    Regex {
        id: String,
        field: &'static str,
        source: Box<regex_syntax::Error>,
    },
    /// A text detector without keywords would defeat the prefilter.
    #[error("detector `{id}`: a detector without `key` needs `keywords`")]
    MissingKeywords { id: String },
    /// `secret_group` names a group the regex does not have.
    #[error("detector `{id}`: `secret_group` {group} does not exist in `regex`")]
    MissingGroup { id: String, group: usize },
    /// Two detectors share an id.
    #[error("detector `{id}` is defined twice")]
    DuplicateId { id: String },
    /// The keyword automaton could not be built.
    #[error("keyword prefilter: {0}")]
    Prefilter(#[from] aho_corasick::BuildError),
}

/// How a bound detector recognises the key its value must be bound to.
#[derive(Debug)]
struct Binding {
    key: DetectorRegex,
    key_exclude: Option<DetectorRegex>,
}

/// One compiled detector.
#[derive(Debug)]
pub struct Detector {
    /// Stable kebab-case id (`aws-access-key-id`).
    pub id: String,
    /// One line for people.
    pub description: String,
    /// Lower-case prefilter keywords (text detectors only).
    pub keywords: Vec<String>,
    regex: DetectorRegex,
    group: usize,
    entropy: Option<f64>,
    binding: Option<Binding>,
    value_exclude: Option<DetectorRegex>,
}

impl Detector {
    /// Whether this detector only applies to values bound to a key name.
    pub fn is_bound(&self) -> bool {
        self.binding.is_some()
    }

    /// Whether `secret` passes the entropy floor, the value veto and the
    /// placeholder check.
    fn accepts(&self, secret: &str) -> bool {
        !secret.is_empty()
            && self.entropy.is_none_or(|min| shannon(secret) >= min)
            && !self
                .value_exclude
                .as_ref()
                .is_some_and(|r| r.is_match(secret.as_bytes()))
            && !is_placeholder(secret)
    }

    /// Accepted secrets in `haystack`, as byte ranges.
    fn find_all(&self, haystack: &str) -> Vec<Range<usize>> {
        let Some(regex) = self.regex.built() else {
            return Vec::new();
        };
        regex
            .captures_iter(haystack.as_bytes())
            .filter_map(|c| c.get(self.group))
            .map(|m| m.range())
            .filter(|range| haystack.get(range.clone()).is_some_and(|s| self.accepts(s)))
            .collect()
    }

    fn binds(&self, normalized_key: &str) -> bool {
        self.binding.as_ref().is_some_and(|b| {
            b.key.is_match(normalized_key.as_bytes())
                && !b
                    .key_exclude
                    .as_ref()
                    .is_some_and(|x| x.is_match(normalized_key.as_bytes()))
        })
    }
}

/// A detector's hit: which detector (index into [`Detectors::all`]) and
/// where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index of the detector; lower indexes win overlaps.
    pub detector: usize,
    /// Byte range of the secret.
    pub span: Range<usize>,
}

/// The compiled detector set.
#[derive(Debug)]
pub struct Detectors {
    all: Vec<Detector>,
    prefilter: AhoCorasick,
    /// Detector index of each prefilter pattern.
    keyword_owner: Vec<usize>,
}

/// A detector regex: its syntax is checked when the file loads, its
/// automaton built the first time it runs. Most text detectors never run
/// on a given input (their keywords are absent), and building the thirty
/// automata up front was a tenth of the instructions of a one-file run.
///
/// One written in ASCII runs with ASCII classes over the text's bytes:
/// secrets are ASCII, and Unicode classes under counted repetition
/// (`[^\s'"]{12,1000}`) make automata and their per-thread caches
/// megabytes large. A match that would split a character is dropped (the
/// built-in patterns cannot produce one).
#[derive(Debug)]
struct DetectorRegex {
    pattern: String,
    built: OnceLock<Option<Regex>>,
}

impl DetectorRegex {
    /// Checks the syntax as `regex::bytes` reads it; also returns the
    /// number of groups, counting the whole match.
    fn parse(id: &str, field: &'static str, pattern: &str) -> Result<(Self, usize), CatalogError> {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(!pattern.is_ascii())
            .utf8(false)
            .build()
            .parse(pattern)
            .map_err(|source| CatalogError::Regex {
                id: id.to_string(),
                field,
                source: Box::new(source),
            })?;
        let groups = hir.properties().explicit_captures_len() + 1;
        let regex = DetectorRegex {
            pattern: pattern.to_string(),
            built: OnceLock::new(),
        };
        Ok((regex, groups))
    }

    fn new(id: &str, field: &'static str, pattern: &str) -> Result<Self, CatalogError> {
        Self::parse(id, field, pattern).map(|(regex, _)| regex)
    }

    /// The automaton, built on first use; `None` (reported once) if it
    /// exceeds the `regex` crate's size limit.
    fn built(&self) -> Option<&Regex> {
        self.built
            .get_or_init(|| {
                match RegexBuilder::new(&self.pattern)
                    .unicode(!self.pattern.is_ascii())
                    .build()
                {
                    Ok(regex) => Some(regex),
                    Err(e) => {
                        eprintln!("backlint: secret detector regex not used: {e}");
                        None
                    }
                }
            })
            .as_ref()
    }

    fn is_match(&self, haystack: &[u8]) -> bool {
        self.built().is_some_and(|r| r.is_match(haystack))
    }
}

impl Detectors {
    /// Compiles a detector file.
    pub fn load(toml_text: &str) -> Result<Self, CatalogError> {
        let file: CatalogFile = toml::from_str(toml_text)?;
        let mut all = Vec::with_capacity(file.detector.len());
        let mut patterns = Vec::new();
        let mut keyword_owner = Vec::new();
        for spec in file.detector {
            let id = spec.id;
            if all.iter().any(|d: &Detector| d.id == id) {
                return Err(CatalogError::DuplicateId { id });
            }
            let (regex, groups) = DetectorRegex::parse(&id, "regex", &spec.regex)?;
            if spec.secret_group >= groups {
                return Err(CatalogError::MissingGroup {
                    id,
                    group: spec.secret_group,
                });
            }
            let binding = match spec.key {
                Some(key) => Some(Binding {
                    key: DetectorRegex::new(&id, "key", &key)?,
                    key_exclude: spec
                        .key_exclude
                        .map(|k| DetectorRegex::new(&id, "key_exclude", &k))
                        .transpose()?,
                }),
                None if spec.keywords.is_empty() => {
                    return Err(CatalogError::MissingKeywords { id })
                }
                None => None,
            };
            let value_exclude = spec
                .value_exclude
                .map(|v| DetectorRegex::new(&id, "value_exclude", &v))
                .transpose()?;
            let keywords: Vec<String> = spec.keywords.iter().map(|k| k.to_lowercase()).collect();
            for k in &keywords {
                patterns.push(k.clone());
                keyword_owner.push(all.len());
            }
            all.push(Detector {
                id,
                description: spec.description,
                keywords,
                regex,
                group: spec.secret_group,
                entropy: spec.entropy,
                binding,
                value_exclude,
            });
        }
        let prefilter = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&patterns)?;
        Ok(Self {
            all,
            prefilter,
            keyword_owner,
        })
    }

    /// The keywords of the text detectors (lower case): [`Self::scan_text`]
    /// finds nothing in a text that holds none of them, ASCII case ignored.
    pub fn keywords(&self) -> impl Iterator<Item = &str> {
        self.all
            .iter()
            .flat_map(|d| d.keywords.iter().map(String::as_str))
    }

    /// The `key` regexes of the detectors bound to key names, which run on
    /// the normalised name (`super::keys::normalize`).
    pub fn key_regexes(&self) -> impl Iterator<Item = &str> {
        self.all
            .iter()
            .filter_map(|d| d.binding.as_ref())
            .map(|b| b.key.pattern.as_str())
    }

    /// Every detector, in priority order.
    pub fn all(&self) -> &[Detector] {
        &self.all
    }

    /// Text-detector hits anywhere in `text`, overlaps resolved in favour
    /// of the earlier detector, sorted by position.
    pub fn scan_text(&self, text: &str) -> Vec<Hit> {
        if !self.prefilter.is_match(text) {
            return Vec::new();
        }
        let mut candidates = vec![false; self.all.len()];
        for m in self.prefilter.find_overlapping_iter(text) {
            if let Some(&owner) = self.keyword_owner.get(m.pattern().as_usize()) {
                candidates[owner] = true;
            }
        }
        let hits = candidates
            .iter()
            .enumerate()
            .filter(|(_, &c)| c)
            .flat_map(|(i, _)| {
                self.all[i]
                    .find_all(text)
                    .into_iter()
                    .map(move |span| Hit { detector: i, span })
            })
            .collect();
        resolve_overlaps(hits)
    }

    /// The first bound detector that accepts `value` bound to `key`, with
    /// the secret's range within `value`.
    pub fn scan_bound(&self, key: &str, value: &str) -> Option<Hit> {
        let normalized = normalize(key);
        self.all
            .iter()
            .enumerate()
            .find_map(|(i, d)| {
                if !d.binds(&normalized) {
                    return None;
                }
                let span = d.find_all(value).into_iter().next()?;
                Some(Hit { detector: i, span })
            })
            // Checked last: most keys bind no detector.
            .filter(|_| !names_itself(key, value))
    }
}

/// Whether `value` spells part of its own `key`, letters and digits
/// compared without case (`AWS_SESSION_TOKEN = "aws-session-token"`,
/// `_RELATIONSHIP_TOKEN = "relationship"`): a name that refers to the key,
/// as in lookup tables and parser tokens, not a secret.
fn names_itself(key: &str, value: &str) -> bool {
    let letters = |s: &str| -> Vec<u8> {
        s.bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase())
            .collect()
    };
    let value = letters(value);
    value.len() >= 4 && letters(key).windows(value.len()).any(|w| w == value)
}

/// Keeps, among overlapping hits, the one from the earlier detector (then
/// the earlier position); returns them sorted by position.
pub fn resolve_overlaps(mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by_key(|h| (h.detector, h.span.start));
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    for hit in hits {
        let overlaps = kept
            .iter()
            .any(|k| hit.span.start < k.span.end && k.span.start < hit.span.end);
        if !overlaps {
            kept.push(hit);
        }
    }
    kept.sort_by_key(|h| (h.span.start, h.detector));
    kept
}

/// The built-in detectors, compiled on first use.
pub fn builtin() -> &'static Detectors {
    static BUILTIN: OnceLock<Detectors> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        // The embedded file is fixed at build time and compiled by the unit
        // tests, so a failure here is a build defect, not bad input.
        Detectors::load(BUILTIN_TOML)
            .unwrap_or_else(|e| panic!("rules/secrets/detectors.toml: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_file_compiles_and_text_detectors_come_first() {
        let d = Detectors::load(BUILTIN_TOML).unwrap_or_else(|e| panic!("{e}"));
        // Loading only checks the syntax: every automaton must build too.
        for detector in d.all() {
            let binding = detector.binding.iter();
            let regexes = std::iter::once(&detector.regex)
                .chain(binding.clone().map(|b| &b.key))
                .chain(binding.filter_map(|b| b.key_exclude.as_ref()))
                .chain(detector.value_exclude.as_ref());
            for regex in regexes {
                assert!(
                    regex.built().is_some(),
                    "{}: {}",
                    detector.id,
                    regex.pattern
                );
            }
        }
        let first_bound = d.all().iter().position(Detector::is_bound);
        let last_text = d.all().iter().rposition(|x| !x.is_bound());
        assert!(
            first_bound > last_text,
            "bound detectors must follow text detectors"
        );
    }

    #[test]
    fn schema_errors_are_reported() {
        let missing_kw = "[[detector]]\nid = \"a\"\ndescription = \"d\"\nregex = \"x\"\n";
        assert!(matches!(
            Detectors::load(missing_kw),
            Err(CatalogError::MissingKeywords { .. })
        ));
        let bad_regex =
            "[[detector]]\nid = \"a\"\ndescription = \"d\"\nregex = \"(\"\nkeywords = [\"x\"]\n";
        assert!(matches!(
            Detectors::load(bad_regex),
            Err(CatalogError::Regex { .. })
        ));
        let bad_group = "[[detector]]\nid = \"a\"\ndescription = \"d\"\nregex = \"x\"\nkeywords = [\"x\"]\nsecret_group = 1\n";
        assert!(matches!(
            Detectors::load(bad_group),
            Err(CatalogError::MissingGroup { .. })
        ));
        let unknown = "[[detector]]\nid = \"a\"\ndescription = \"d\"\nregex = \"x\"\nkeywords = [\"x\"]\ncolour = 1\n";
        assert!(matches!(
            Detectors::load(unknown),
            Err(CatalogError::Toml(_))
        ));
        let twice = format!(
            "{}{}",
            missing_kw.replace("regex", "keywords = [\"x\"]\nregex"),
            missing_kw.replace("regex", "keywords = [\"x\"]\nregex")
        );
        assert!(matches!(
            Detectors::load(&twice),
            Err(CatalogError::DuplicateId { .. })
        ));
    }

    /// A text detector in the catalogue's format, its secret in group 1.
    fn text_detector(id: &str, regex: &str, keyword: &str) -> String {
        format!(
            "[[detector]]\nid = \"{id}\"\ndescription = \"d\"\nregex = '''{regex}'''\n\
             keywords = [\"{keyword}\"]\nsecret_group = 1\n\n"
        )
    }

    #[test]
    fn a_detector_is_built_when_its_keyword_first_occurs() {
        let toml = text_detector("first", "tok_([a-z0-9]{8})", "tok_")
            + &text_detector("second", "key_([a-z0-9]{8})", "key_");
        let d = Detectors::load(&toml).unwrap_or_else(|e| panic!("{e}"));
        let built = |i: usize| d.all()[i].regex.built.get().is_some();
        assert!(!built(0) && !built(1));
        assert_eq!(d.scan_text("tok_k7qz9xwp").len(), 1);
        assert!(built(0) && !built(1));
    }

    #[test]
    fn overlaps_go_to_the_earlier_detector() {
        let hits = vec![
            Hit {
                detector: 5,
                span: 0..10,
            },
            Hit {
                detector: 1,
                span: 4..8,
            },
            Hit {
                detector: 2,
                span: 20..25,
            },
        ];
        assert_eq!(
            resolve_overlaps(hits),
            [
                Hit {
                    detector: 1,
                    span: 4..8
                },
                Hit {
                    detector: 2,
                    span: 20..25
                }
            ]
        );
    }

    #[test]
    fn prefilter_skips_detectors_whose_keywords_are_absent() {
        let d = builtin();
        assert!(d
            .scan_text("nothing to see here, just prose and code")
            .is_empty());
    }

    #[test]
    fn ascii_patterns_use_ascii_classes_and_never_split_a_character() {
        let toml = text_detector("t", r"tok_([^\s]{8})", "tok_");
        let d = Detectors::load(&toml).unwrap_or_else(|e| panic!("{e}"));
        let spans = |text: &str| -> Vec<Range<usize>> {
            d.scan_text(text).into_iter().map(|h| h.span).collect()
        };
        assert_eq!(spans("tok_k7Qz9xwp"), vec![4..12]);
        // U+00A0 is whitespace to Unicode classes, not to ASCII ones: the
        // value runs through its two bytes.
        assert_eq!(spans("tok_k7\u{a0}Qz9x end"), vec![4..12]);
        // Eight bytes that end inside `é` (two bytes): dropped.
        assert!(spans("tok_k7Qz9xwé").is_empty());
    }
}
