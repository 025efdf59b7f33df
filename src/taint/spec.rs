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
    /// Prefilter literals: the rule's taint pass runs on a file only if a
    /// sink anchor and a source anchor occur in it.
    pub anchors: Vec<String>,
}

impl TaintMatcher {
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

/// A compiled `library:` file.
pub struct TaintLibrary {
    pub name: String,
    pub origin: String,
    pub roles: HashMap<Lang, TaintRoles>,
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
