//! Rules: the YAML format ([`schema`]), its compilation into matchers
//! ([`compile`]), where rule files come from ([`load`]) and the per-language
//! dispatch index the engine uses ([`index`]).

pub mod compile;
pub mod error;
pub mod index;
pub mod literals;
pub mod load;
pub mod meta;
pub mod occurrences;
pub mod rule_regex;
pub mod schema;

use crate::diagnostic::Severity;
use crate::lang::Lang;
use crate::matcher::Matcher;
pub use schema::{Category, FixSafety, Precision, References};

/// A rule's metadata: what it reports and how it is documented.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub summary: String,
    pub severity: Severity,
    pub category: Category,
    pub message: String,
    pub docs: String,
    pub references: References,
    pub precision: Precision,
    pub fix: Option<String>,
    pub fix_safety: FixSafety,
    /// Opt-in rules run only when selected by id (`--select`, config).
    pub opt_in: bool,
    /// Languages in table order, without duplicates.
    pub languages: Vec<Lang>,
    /// Where the rule came from (`rules/python/x.yaml` for built-ins).
    pub origin: String,
    /// Severity of data-flow findings, when the rule has a taint section.
    pub taint_severity: Option<Severity>,
    /// Languages the taint section has sinks for.
    pub taint_languages: Vec<Lang>,
}

impl Rule {
    /// The first reference link, else the CWE page: used as `helpUri`.
    pub fn help_uri(&self) -> Option<String> {
        self.references.links.first().cloned().or_else(|| {
            self.references
                .cwe
                .first()
                .map(|n| format!("https://cwe.mitre.org/data/definitions/{n}.html"))
        })
    }

    /// Language names for display, collapsing `typescript`+`tsx`.
    pub fn language_names(&self) -> Vec<&'static str> {
        self.languages
            .iter()
            .filter(|l| !(**l == Lang::Tsx && self.languages.contains(&Lang::TypeScript)))
            .map(|l| l.name())
            .collect()
    }
}

/// The matcher of one rule for one language. Built-in rules compile it on
/// first use (the first file of the language whose anchors it passes), so a
/// run pays only for the rules its files can trigger; rules from `--rules`
/// directories are compiled when loaded, so their errors are reported first.
pub struct LanguageMatcher {
    pub lang: Lang,
    /// Prefilter literals: the rule runs only if one occurs in the file.
    pub anchors: Vec<String>,
    /// Node kinds the top-level query can start at (`None`: any), known
    /// without compiling it.
    pub root_kinds: Option<Vec<u16>>,
    compiled: std::sync::OnceLock<Option<CompiledMatcher>>,
    pending: Option<compile::Pending>,
    /// What the top-level query needs of a node's text, read from the
    /// rule text on first use, so a matcher is compiled only once a node
    /// passes it.
    required: std::sync::OnceLock<Option<literals::RequiredLiterals>>,
    /// Identical for matchers written identically (same language, same
    /// spec), which therefore match the same nodes with the same captures:
    /// the engine evaluates such a group once per node.
    pub(crate) same: Option<schema::WrittenAs>,
}

/// A compiled top-level matcher.
pub struct CompiledMatcher {
    pub matcher: Matcher,
    /// Capture names of the top-level query, by capture index.
    pub capture_names: Vec<String>,
    /// This language's fix templates, overriding the rule's; the first whose
    /// placeholders are all captured applies.
    pub fix: Vec<String>,
}

impl LanguageMatcher {
    /// An already compiled matcher.
    pub(crate) fn ready(
        lang: Lang,
        anchors: Vec<String>,
        root_kinds: Option<Vec<u16>>,
        compiled: CompiledMatcher,
    ) -> LanguageMatcher {
        LanguageMatcher {
            lang,
            anchors,
            root_kinds,
            compiled: std::sync::OnceLock::from(Some(compiled)),
            pending: None,
            required: std::sync::OnceLock::new(),
            same: None,
        }
    }

    /// A matcher compiled on first use from `pending`.
    pub(crate) fn lazy(
        lang: Lang,
        anchors: Vec<String>,
        root_kinds: Option<Vec<u16>>,
        pending: compile::Pending,
    ) -> LanguageMatcher {
        LanguageMatcher {
            lang,
            anchors,
            root_kinds,
            compiled: std::sync::OnceLock::new(),
            pending: Some(pending),
            required: std::sync::OnceLock::new(),
            same: None,
        }
    }

    /// Sets the key of [`LanguageMatcher::same`].
    pub(crate) fn same_as(mut self, key: schema::WrittenAs) -> LanguageMatcher {
        self.same = Some(key);
        self
    }

    /// The compiled matcher, compiling it now if needed (once, whichever
    /// thread gets here first). `None` when it does not compile, which the
    /// tests of the built-in rules rule out; the error is printed once.
    pub fn compiled(&self) -> Option<&CompiledMatcher> {
        self.compiled
            .get_or_init(|| {
                let pending = self.pending.as_ref()?;
                match pending.compile(self.lang) {
                    Ok(compiled) => Some(compiled),
                    Err(e) => {
                        eprintln!("backlint: rule {} ({}): {}", pending.origin, self.lang, e);
                        None
                    }
                }
            })
            .as_ref()
    }

    /// What the top-level query needs of a node's text. For a matcher not
    /// compiled yet this is read from the rule's text, so a rule whose
    /// query no node of a run can satisfy is never compiled.
    pub fn required(&self) -> Option<&literals::RequiredLiterals> {
        match &self.pending {
            Some(pending) => self
                .required
                .get_or_init(|| pending.required_literals(self.lang))
                .as_ref(),
            None => self.compiled()?.matcher.query.as_ref()?.required.as_ref(),
        }
    }

    /// Whether the matcher has been compiled (for tests and benchmarks).
    pub fn is_compiled(&self) -> bool {
        self.compiled.get().is_some()
    }
}

/// A rule with its matchers, as loaded from one file.
pub struct LoadedRule {
    pub rule: Rule,
    pub matchers: Vec<LanguageMatcher>,
    /// The taint specification per language (empty without `taint:`).
    pub taint: Vec<crate::taint::spec::TaintSlot>,
}
