//! The rule file format, as serde reads it. These types mirror the YAML one
//! to one; [`super::compile`] turns them into matchers. Every struct denies
//! unknown keys so a typo is an error, not a silently ignored constraint.

use crate::diagnostic::Severity;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// One rule file: `rules/<language>/<id>.yaml` or `rules/multi/<id>.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleFile {
    /// Unique kebab-case id.
    pub id: Spanned<String>,
    /// One line for `backlint rules` and SARIF `shortDescription`.
    pub summary: String,
    pub severity: Severity,
    pub category: Category,
    /// Finding message; `{{name}}` inserts the text of capture `@name`.
    /// Required with `match`; a taint-only rule uses its taint message.
    #[serde(default)]
    pub message: Option<Spanned<String>>,
    /// Markdown: why it matters, how to fix, a bad and a good example.
    pub docs: String,
    #[serde(default)]
    pub references: References,
    /// How often a finding of this rule is a true problem.
    #[serde(default)]
    pub precision: Option<Precision>,
    /// Replacement for the reported node; `{{name}}` inserts capture text.
    /// A language matcher's own `fix` takes precedence.
    #[serde(default)]
    pub fix: Option<Spanned<String>>,
    /// Whether `--fix` may apply the fix without `--unsafe-fixes`. Required
    /// when the rule has a fix.
    #[serde(default)]
    pub fix_safety: Option<FixSafety>,
    /// Matchers keyed by language (`python`, `javascript`, `typescript`,
    /// `tsx`, `rust`), or by several languages joined with commas. May be
    /// left out when the rule has a `taint` section.
    #[serde(rename = "match", default)]
    pub matchers: BTreeMap<String, Spanned<MatcherSpec>>,
    /// Data-flow part of the rule: request data reaching a sink.
    #[serde(default)]
    pub taint: Option<Spanned<TaintSpec>>,
}

/// Matchers of one taint role, keyed by language like `match`.
pub type TaintMatchers = BTreeMap<String, Vec<Spanned<MatcherSpec>>>;

/// A rule's `taint:` section. Sources, sanitizers and propagators usually
/// come from shared libraries (`use:`); sinks are the rule's own.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TaintSpec {
    /// Severity of a finding whose path starts at a source (default: error).
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Message of a taint finding; `{{source}}` and `{{sink}}` insert the
    /// text of the source and of the sink argument.
    #[serde(default)]
    pub message: Option<Spanned<String>>,
    /// Names of taint libraries (`library:` files under `rules/`) whose
    /// sections this rule includes.
    #[serde(default, rename = "use")]
    pub uses: Vec<Spanned<String>>,
    /// Expressions (or handler parameters) that produce request data.
    #[serde(default)]
    pub sources: TaintMatchers,
    /// Expressions whose value is safe whatever flows in (`int(x)`). A
    /// query capturing `@safe_if_true` / `@safe_if_false` is a guard: the
    /// captured variable is clean where an `if` condition held / failed.
    #[serde(default)]
    pub sanitizers: TaintMatchers,
    /// Calls that move taint from `@from` into `@to` (`parts.append(x)`).
    #[serde(default)]
    pub propagators: TaintMatchers,
    /// Dangerous calls; `@sink` captures the argument that must not be
    /// request data.
    #[serde(default)]
    pub sinks: TaintMatchers,
}

/// A taint library: `library: <name>` plus any of the four roles. Rules
/// include it with `taint: { use: [<name>] }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TaintLibraryFile {
    pub library: Spanned<String>,
    /// What the library covers, for documentation.
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub sources: TaintMatchers,
    #[serde(default)]
    pub sanitizers: TaintMatchers,
    #[serde(default)]
    pub propagators: TaintMatchers,
    #[serde(default)]
    pub sinks: TaintMatchers,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Security,
    Performance,
    Reliability,
    Secrets,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Security => "security",
            Category::Performance => "performance",
            Category::Reliability => "reliability",
            Category::Secrets => "secrets",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        [
            Category::Security,
            Category::Performance,
            Category::Reliability,
            Category::Secrets,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// Whether a fix keeps the program's meaning for every caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixSafety {
    /// Applied by `--fix`.
    Safe,
    /// Applied only with `--unsafe-fixes`: it may change behaviour.
    Unsafe,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    VeryHigh,
    High,
    Medium,
    Low,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::VeryHigh => "very-high",
            Precision::High => "high",
            Precision::Medium => "medium",
            Precision::Low => "low",
        }
    }
}

/// Standards the rule maps to.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct References {
    /// CWE numbers, e.g. `[89]`.
    #[serde(default)]
    pub cwe: Vec<u32>,
    /// OWASP Top 10 2021 ids, e.g. `["A03:2021"]`.
    #[serde(default)]
    pub owasp: Vec<String>,
    /// Further reading.
    #[serde(default)]
    pub links: Vec<String>,
}

/// A string or a list of strings.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// A matcher (sub-rule). Everything present must hold at the node:
/// its kind, its text, its query, its relations and its composites.
/// Equality and hashing include the source locations of its parts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MatcherSpec {
    /// Tree-sitter query; its patterns must match *at* the node.
    #[serde(default)]
    pub query: Option<Spanned<String>>,
    /// Node kind(s) the node must have.
    #[serde(default)]
    pub kind: Option<OneOrMany>,
    /// Regex the node's text must match.
    #[serde(default)]
    pub regex: Option<Spanned<String>>,
    /// Regex the node's text must not match.
    #[serde(default)]
    pub not_regex: Option<Spanned<String>>,
    /// Literal strings, one of which must occur in the file for the rule to
    /// run at all (top level only). A cheap prefilter.
    #[serde(default)]
    pub anchors: Option<Vec<String>>,
    /// Top level only: this language's fix templates (overriding the
    /// rule's `fix`). The first whose placeholders were all captured by the
    /// match applies, so multi-pattern queries can fix each pattern.
    #[serde(default)]
    pub fix: Option<Spanned<OneOrMany>>,
    /// Constraints on the query's captures.
    #[serde(default, rename = "where")]
    pub where_: BTreeMap<String, Spanned<CaptureSpec>>,
    #[serde(default)]
    pub inside: Option<Box<Spanned<MatcherSpec>>>,
    #[serde(default)]
    pub not_inside: Option<Box<Spanned<MatcherSpec>>>,
    #[serde(default)]
    pub has: Option<Box<Spanned<MatcherSpec>>>,
    #[serde(default)]
    pub not_has: Option<Box<Spanned<MatcherSpec>>>,
    /// In a relation: where the ancestor/descendant search stops.
    #[serde(default)]
    pub stop_by: Option<Box<Spanned<MatcherSpec>>>,
    #[serde(default)]
    pub all: Option<Vec<Spanned<MatcherSpec>>>,
    #[serde(default)]
    pub any: Option<Vec<Spanned<MatcherSpec>>>,
    #[serde(default)]
    pub not: Option<Box<Spanned<MatcherSpec>>>,
}

/// A matcher as written: its language and its spec. Two are equal when
/// they would compile to the same matcher; the spec's source locations
/// take part, as in [`MatcherSpec`]'s equality. Copies of a rule have
/// equal ones, which the engine runs once for all of them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WrittenAs {
    lang: crate::lang::Lang,
    spec: std::sync::Arc<MatcherSpec>,
}

impl WrittenAs {
    pub fn new(lang: crate::lang::Lang, spec: &MatcherSpec) -> WrittenAs {
        WrittenAs {
            lang,
            spec: std::sync::Arc::new(spec.clone()),
        }
    }
}

/// Constraints on one capture; every captured node must satisfy them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CaptureSpec {
    #[serde(default)]
    pub regex: Option<Spanned<String>>,
    #[serde(default)]
    pub not_regex: Option<Spanned<String>>,
    #[serde(default)]
    pub kind: Option<OneOrMany>,
    #[serde(default)]
    pub not_kind: Option<OneOrMany>,
    /// `true`: a compile-time constant; `false`: built from non-literal parts.
    #[serde(default)]
    pub literal: Option<bool>,
    /// `true`: the string literal holds a secret in a provider format.
    #[serde(default)]
    pub secret: Option<bool>,
    /// Like `secret: true`, and generic high-entropy values also count when
    /// the text of this capture is a sensitive name (`password`, `api_key`…).
    #[serde(default)]
    pub secret_key: Option<Spanned<String>>,
}
