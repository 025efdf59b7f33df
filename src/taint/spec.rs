//! Compiled taint specifications: the matchers of each role for one
//! language, shared between rules through [`Arc`] when they come from a
//! library, so a library's queries compile once per run.

use crate::diagnostic::Severity;
use crate::lang::Lang;
use crate::matcher::Matcher;
use std::collections::HashMap;
use std::sync::Arc;

/// One source, sanitizer, propagator or sink.
pub struct TaintMatcher {
    pub matcher: Matcher,
    /// Capture names of the query, by capture index.
    pub capture_names: Vec<String>,
    /// Prefilter literals: the matcher is used on a file only if one
    /// occurs in it, and a rule's taint pass runs only if one of its sink
    /// anchors and one of its source anchors do.
    pub anchors: Vec<String>,
}

impl TaintMatcher {
    /// Whether the query can match at `node` and so is worth running.
    pub fn may_match(&self, node: tree_sitter::Node<'_>, source: &str) -> bool {
        self.matcher
            .query
            .as_ref()
            .is_none_or(|q| q.may_match_at(node, source))
    }

    pub fn capture_index(&self, name: &str) -> Option<u32> {
        self.capture_names
            .iter()
            .position(|n| n == name)
            .map(|i| i as u32)
    }
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
            cell,
            pending: None,
        };
        let _ = slot.cell.set(Some(spec));
        slot
    }

    pub fn lazy(
        lang: Lang,
        sink_anchors: Option<Vec<String>>,
        source_anchors: Option<Vec<String>>,
        compile: PendingTaint,
    ) -> TaintSlot {
        TaintSlot {
            lang,
            sink_anchors,
            source_anchors,
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
}

/// The union of the matchers' anchors; `None` when one has none, as that
/// one can match in any file.
fn anchors_of(matchers: &[Arc<TaintMatcher>]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for m in matchers {
        if m.anchors.is_empty() {
            return None;
        }
        out.extend(m.anchors.iter().cloned());
    }
    Some(out)
}
