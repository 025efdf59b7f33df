//! Rules: the YAML format ([`schema`]), its compilation into matchers
//! ([`compile`]), where rule files come from ([`load`]) and the per-language
//! dispatch index the engine uses ([`index`]).

pub mod compile;
pub mod error;
pub mod index;
pub mod load;
pub mod meta;
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

/// The compiled matcher of one rule for one language.
pub struct LanguageMatcher {
    pub lang: Lang,
    pub matcher: Matcher,
    /// Prefilter literals: the rule runs only if one occurs in the file.
    pub anchors: Vec<String>,
    /// Capture names of the top-level query, by capture index.
    pub capture_names: Vec<String>,
    /// This language's fix templates, overriding the rule's; the first whose
    /// placeholders are all captured applies.
    pub fix: Vec<String>,
}

/// A rule with its matchers, as loaded from one file.
pub struct LoadedRule {
    pub rule: Rule,
    pub matchers: Vec<LanguageMatcher>,
    /// The taint specification per language (empty without `taint:`).
    pub taint: Vec<crate::taint::spec::LanguageTaint>,
}
