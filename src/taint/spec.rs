//! Compiled taint specifications: the matchers of each role for one
//! language, shared between rules through [`Arc`] when they come from a
//! library, so a library's queries compile once per run.

use crate::diagnostic::Severity;
use crate::lang::Lang;
use crate::matcher::Matcher;
use crate::rule::literals::RequiredLiterals;
use crate::rule::schema::WrittenAs;
use std::collections::HashMap;
use std::sync::Arc;

/// One source, sanitizer, propagator or sink. Built-in ones compile their
/// query on first use, once a node passes the checks that need only the
/// rule's text (root kind, required literals), so a run compiles only the
/// taint queries its files can exercise.
pub struct TaintMatcher {
    /// Prefilter literals: the matcher is used on a file only if one
    /// occurs in it, and a rule's taint pass runs only if one of its sink
    /// anchors and one of its source anchors do.
    pub anchors: Vec<String>,
    /// Node kinds the query can start at (`None`: any), from its text.
    pub root_kinds: Option<Vec<u16>>,
    /// Capture names written in the query (order not significant).
    pub captures: Vec<String>,
    /// What the query needs of a node's text (see [`crate::rule::literals`]).
    pub required: Option<RequiredLiterals>,
    compiled: std::sync::OnceLock<Option<CompiledTaintMatcher>>,
    pending: Option<PendingMatcher>,
    /// How it is written: matchers written identically (in copies of a
    /// rule) behave identically, so a file's tables keep one.
    written: Option<WrittenAs>,
}

/// A compiled taint matcher.
pub struct CompiledTaintMatcher {
    pub matcher: Matcher,
    /// Capture names of the query, by capture index.
    pub capture_names: Vec<String>,
}

impl CompiledTaintMatcher {
    pub fn capture_index(&self, name: &str) -> Option<u32> {
        self.capture_names
            .iter()
            .position(|n| n == name)
            .map(|i| i as u32)
    }
}

type PendingMatcher = Box<dyn Fn() -> Option<Matcher> + Send + Sync>;

impl TaintMatcher {
    /// A compiled matcher; `query_text` is the text it was compiled from.
    pub fn ready(matcher: Matcher, query_text: &str, anchors: Vec<String>) -> TaintMatcher {
        let root_kinds = matcher.query.as_ref().and_then(|q| q.root_kinds.clone());
        let capture_names = matcher.capture_names();
        TaintMatcher {
            anchors,
            root_kinds,
            captures: text_captures(query_text).unwrap_or_else(|| capture_names.clone()),
            // The compiled query checks its own required literals.
            required: None,
            compiled: std::sync::OnceLock::from(Some(CompiledTaintMatcher {
                matcher,
                capture_names,
            })),
            pending: None,
            written: None,
        }
    }

    /// A matcher compiled by `compile` on first use.
    pub fn lazy(
        anchors: Vec<String>,
        root_kinds: Option<Vec<u16>>,
        captures: Vec<String>,
        required: Option<RequiredLiterals>,
        compile: PendingMatcher,
    ) -> TaintMatcher {
        TaintMatcher {
            anchors,
            root_kinds,
            captures,
            required,
            compiled: std::sync::OnceLock::new(),
            pending: Some(compile),
            written: None,
        }
    }

    /// Records how the matcher is written (see [`TaintMatcher::same_as`]).
    pub fn written_as(mut self, written: WrittenAs) -> TaintMatcher {
        self.written = Some(written);
        self
    }

    /// Whether `other` is this matcher, or written identically (same
    /// language, same spec, source locations included).
    pub fn same_as(&self, other: &TaintMatcher) -> bool {
        std::ptr::eq(self, other) || (self.written.is_some() && self.written == other.written)
    }

    /// Whether the query can match at `node` and so is worth running:
    /// known without compiling it.
    pub fn may_match(&self, node: tree_sitter::Node<'_>, source: &str) -> bool {
        self.root_kinds
            .as_ref()
            .is_none_or(|k| k.contains(&node.kind_id()))
            && self.required.as_ref().is_none_or(|r| {
                r.may_match(
                    node.kind_id(),
                    source.as_bytes().get(node.byte_range()).unwrap_or_default(),
                )
            })
    }

    /// Whether the query captures `name` (known without compiling it).
    pub fn captures(&self, name: &str) -> bool {
        self.captures.iter().any(|c| c == name)
    }

    /// The compiled matcher (`None` if it does not compile, which CI
    /// rules out for the built-in rules).
    pub fn compiled(&self) -> Option<&CompiledTaintMatcher> {
        self.compiled
            .get_or_init(|| {
                let matcher = self.pending.as_ref()?()?;
                let capture_names = matcher.capture_names();
                Some(CompiledTaintMatcher {
                    matcher,
                    capture_names,
                })
            })
            .as_ref()
    }

    /// Every set of captures with which the query matches at `node`
    /// (compiling it if the text checks pass).
    pub fn captures_at<'t>(
        &self,
        node: tree_sitter::Node<'t>,
        ctx: &mut crate::matcher::MatchContext<'t>,
    ) -> Vec<crate::matcher::Captures<'t>> {
        if !self.may_match(node, ctx.source) {
            return Vec::new();
        }
        match self.compiled() {
            // The compiled query's required literals are the ones just
            // checked (read from the same text): not searched again.
            Some(c) => c
                .matcher
                .match_captures_checked(node, ctx, self.required.is_some()),
            None => Vec::new(),
        }
    }

    /// Whether the query matches at `node`.
    pub fn matches<'t>(
        &self,
        node: tree_sitter::Node<'t>,
        ctx: &mut crate::matcher::MatchContext<'t>,
    ) -> bool {
        !self.captures_at(node, ctx).is_empty()
    }

    /// The index of capture `name` in the compiled query.
    pub fn capture_index(&self, name: &str) -> Option<u32> {
        self.compiled()?.capture_index(name)
    }

    /// Whether the query has been compiled (for tests of laziness).
    pub fn is_compiled(&self) -> bool {
        self.compiled.get().is_some()
    }
}

/// The capture names written in a query's text, or `None` if the text is
/// not understood.
pub fn text_captures(query_text: &str) -> Option<Vec<String>> {
    crate::rule::literals::capture_names(query_text)
}

/// The four roles for one language.
#[derive(Default, Clone)]
pub struct TaintRoles {
    pub sources: Vec<Arc<TaintMatcher>>,
    pub sanitizers: Vec<Arc<TaintMatcher>>,
    pub propagators: Vec<Arc<TaintMatcher>>,
    pub sinks: Vec<Arc<TaintMatcher>>,
}

impl TaintRoles {
    /// Appends `other`'s matchers (a library's) to these.
    pub fn extend(&mut self, other: &TaintRoles) {
        self.sources.extend(other.sources.iter().cloned());
        self.sanitizers.extend(other.sanitizers.iter().cloned());
        self.propagators.extend(other.propagators.iter().cloned());
        self.sinks.extend(other.sinks.iter().cloned());
    }
}

/// A `library:` file: parsed when loaded, its matchers compiled per
/// language on first use and then shared by every rule that uses it.
pub struct TaintLibrary {
    pub name: String,
    pub origin: String,
    pub text: Arc<str>,
    pub file: Arc<crate::rule::schema::TaintLibraryFile>,
    /// Compiled roles per language.
    pub compiled: std::sync::Mutex<HashMap<Lang, Arc<TaintRoles>>>,
}

/// A rule's taint specification for one language, compiled when a file
/// first needs it (built-in rules) or when loaded (rules from directories).
pub struct TaintSlot {
    pub lang: Lang,
    /// Sink and source anchors (`None`: some matcher has none).
    pub sink_anchors: Option<Vec<String>>,
    pub source_anchors: Option<Vec<String>>,
    /// The anchors of the sources that match values rather than handler
    /// parameters (`@param`): taint can only arise in code whose text
    /// holds one of these, or in a function with a tainted parameter.
    pub value_source_anchors: Option<Vec<String>>,
    cell: std::sync::OnceLock<Option<LanguageTaint>>,
    pending: Option<PendingTaint>,
}

type PendingTaint = Box<dyn Fn() -> Option<LanguageTaint> + Send + Sync>;

impl TaintSlot {
    pub fn ready(spec: LanguageTaint) -> TaintSlot {
        let cell = std::sync::OnceLock::new();
        let slot = TaintSlot {
            lang: spec.lang,
            sink_anchors: spec.sink_anchors(),
            source_anchors: spec.source_anchors(),
            value_source_anchors: spec.value_source_anchors(),
            cell,
            pending: None,
        };
        let _ = slot.cell.set(Some(spec));
        slot
    }

    /// `anchors` are the sink, source and value-source anchors, as in
    /// the fields of the same names.
    pub fn lazy(lang: Lang, anchors: [Option<Vec<String>>; 3], compile: PendingTaint) -> TaintSlot {
        let [sink_anchors, source_anchors, value_source_anchors] = anchors;
        TaintSlot {
            lang,
            sink_anchors,
            source_anchors,
            value_source_anchors,
            cell: std::sync::OnceLock::new(),
            pending: Some(compile),
        }
    }

    /// The compiled specification (`None` if it does not compile, which
    /// CI rules out for the built-in rules).
    pub fn get(&self) -> Option<&LanguageTaint> {
        self.cell
            .get_or_init(|| self.pending.as_ref().and_then(|compile| compile()))
            .as_ref()
    }

    /// Whether it has been compiled (for tests of laziness).
    pub fn is_compiled(&self) -> bool {
        self.cell.get().is_some()
    }
}

/// A rule's taint specification for one language.
pub struct LanguageTaint {
    pub lang: Lang,
    pub roles: TaintRoles,
    /// Message template; `{{source}}` and `{{sink}}` are filled in.
    pub message: String,
    pub severity: Severity,
}

impl LanguageTaint {
    /// Sink anchors, or `None` when some sink has none (always runs).
    pub fn sink_anchors(&self) -> Option<Vec<String>> {
        anchors_of(&self.roles.sinks)
    }

    /// Source anchors, or `None` when some source has none.
    pub fn source_anchors(&self) -> Option<Vec<String>> {
        anchors_of(&self.roles.sources)
    }

    /// Anchors of the sources that do not capture `@param`, or `None`
    /// when one of those has none.
    pub fn value_source_anchors(&self) -> Option<Vec<String>> {
        anchors_of(self.roles.sources.iter().filter(|m| !m.captures("param")))
    }
}

/// The union of the matchers' anchors; `None` when one has none, as that
/// one can match in any file.
fn anchors_of<'m>(
    matchers: impl IntoIterator<Item = &'m Arc<TaintMatcher>>,
) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for m in matchers {
        if m.anchors.is_empty() {
            return None;
        }
        out.extend(m.anchors.iter().cloned());
    }
    Some(out)
}
