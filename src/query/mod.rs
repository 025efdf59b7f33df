//! Rule queries: tree-sitter's query language, run by backlint's own
//! interpreter when it can be, by tree-sitter otherwise.
//!
//! Why an interpreter: `tree_sitter::Query::new` analyses every pattern
//! against the grammar's whole parse table (1–2.4 ms for a one-node query,
//! 20–40 ms for the largest rule patterns), which made compiling the rules
//! a run needs 10–18 % of its CPU time on the benchmark corpora. Backlint
//! only ever matches a query rooted at one given node (the rule index has
//! chosen the node already), which a direct recursive matcher over the
//! node's children does without any analysis. Reading a query is then a
//! few microseconds.
//!
//! [`parse`] reads the text into a [`Program`]; [`exec`] matches it.
//! Anything outside what they handle (`MISSING`, property predicates,
//! captures on groups, …) is compiled by tree-sitter instead, through the
//! same [`CompiledQuery`] interface, and so is every query whose text has
//! an error (tree-sitter's error says where).

mod exec;
mod parse;

pub use exec::ChildLists;
pub use parse::{named_kind_ids, Unsupported};

use crate::matcher::Captures;
use std::num::NonZeroU16;
use std::sync::OnceLock;
use tree_sitter::{Language, Node, Query, QueryCursor, QueryPredicate};

/// A query ready to run, by either engine.
pub enum CompiledQuery {
    Interpreted(Program),
    TreeSitter(Query),
}

impl CompiledQuery {
    /// The interpreter when it handles `text`, tree-sitter otherwise.
    pub fn new(grammar: &Language, text: &str) -> Result<Self, tree_sitter::QueryError> {
        match Program::new(text, grammar) {
            Ok(program) => Ok(CompiledQuery::Interpreted(program)),
            Err(Unsupported) => Query::new(grammar, text).map(CompiledQuery::TreeSitter),
        }
    }

    pub fn pattern_count(&self) -> usize {
        match self {
            CompiledQuery::Interpreted(p) => p.patterns.len(),
            CompiledQuery::TreeSitter(q) => q.pattern_count(),
        }
    }

    /// Byte offset in the text where pattern `pattern` starts.
    pub fn start_byte_for_pattern(&self, pattern: usize) -> usize {
        match self {
            CompiledQuery::Interpreted(p) => p.patterns.get(pattern).map_or(0, |p| p.start_byte),
            CompiledQuery::TreeSitter(q) => q.start_byte_for_pattern(pattern),
        }
    }

    /// Capture names, by capture index (tree-sitter's numbering: order of
    /// first appearance in the text).
    pub fn capture_names(&self) -> Vec<&str> {
        match self {
            CompiledQuery::Interpreted(p) => p.capture_names.iter().map(String::as_str).collect(),
            CompiledQuery::TreeSitter(q) => q.capture_names().to_vec(),
        }
    }

    pub fn capture_index_for_name(&self, name: &str) -> Option<u32> {
        match self {
            CompiledQuery::Interpreted(p) => p
                .capture_names
                .iter()
                .position(|n| n == name)
                .and_then(|i| u32::try_from(i).ok()),
            CompiledQuery::TreeSitter(q) => q.capture_index_for_name(name),
        }
    }

    /// Predicates neither engine evaluates (backlint's own, and unknown
    /// ones), per pattern.
    pub fn general_predicates(&self, pattern: usize) -> &[QueryPredicate] {
        match self {
            CompiledQuery::Interpreted(p) => p.patterns.get(pattern).map_or(&[], |p| &p.general),
            CompiledQuery::TreeSitter(q) => q.general_predicates(pattern),
        }
    }

    /// Every match of a pattern rooted at `node`, as (pattern index,
    /// captures in document order), after the `#eq?`/`#any-of?` family.
    pub fn matches_at<'t>(
        &self,
        node: Node<'t>,
        source: &[u8],
        cursor: &mut QueryCursor,
        kids: &ChildLists<'t>,
        out: &mut Vec<(usize, Captures<'t>)>,
    ) {
        let query = match self {
            CompiledQuery::Interpreted(p) => {
                if p.matches_at(node, source, kids, out) {
                    return;
                }
                match p.fallback() {
                    Some(query) => query,
                    None => return,
                }
            }
            CompiledQuery::TreeSitter(q) => q,
        };
        use streaming_iterator::StreamingIterator;
        cursor.set_max_start_depth(Some(0));
        let mut it = cursor.matches(query, node, source);
        while let Some(m) = it.next() {
            out.push((
                m.pattern_index,
                m.captures().iter().map(|c| (c.index, c.node)).collect(),
            ));
        }
        cursor.set_max_start_depth(None);
    }

    /// Whether the interpreter runs this query (for tests).
    pub fn is_interpreted(&self) -> bool {
        matches!(self, CompiledQuery::Interpreted(_))
    }
}

/// A query read by [`parse`], run by [`exec`].
pub struct Program {
    patterns: Vec<Pattern>,
    capture_names: Vec<String>,
    /// The text and grammar, for tree-sitter to take over at a node where
    /// the interpreter would take too many steps.
    text: String,
    grammar: Language,
    fallback: OnceLock<Option<Query>>,
}

impl Program {
    /// Reads `text`; [`Unsupported`] when it is outside what the
    /// interpreter handles or names something `grammar` does not have.
    pub fn new(text: &str, grammar: &Language) -> Result<Self, Unsupported> {
        let (patterns, capture_names) = parse::program(text, grammar)?;
        Ok(Program {
            patterns,
            capture_names,
            text: text.to_string(),
            grammar: grammar.clone(),
            fallback: OnceLock::new(),
        })
    }

    /// The same query compiled by tree-sitter, on first need.
    fn fallback(&self) -> Option<&Query> {
        self.fallback
            .get_or_init(|| Query::new(&self.grammar, &self.text).ok())
            .as_ref()
    }
}

/// One top-level pattern.
struct Pattern {
    /// Always a single node (a node pattern or an alternation of them).
    root: Elem,
    text_predicates: Vec<TextPredicate>,
    general: Vec<QueryPredicate>,
    start_byte: usize,
}

/// An item of a pattern: `field: atom quantifier @captures`.
struct Elem {
    field: Option<NonZeroU16>,
    atom: Atom,
    quantifier: Quantifier,
    captures: Vec<u32>,
}

enum Atom {
    /// `(kind children…)`, `(_ …)`, `_` or `"token"`; `negated` lists the
    /// `!field`s the node must not have.
    Node {
        test: NodeTest,
        seq: Seq,
        negated: Vec<NonZeroU16>,
    },
    /// `[a b …]`.
    Alternation(Vec<Elem>),
    /// `((a) (b))`: siblings in a row.
    Group(Seq),
}

impl Atom {
    /// Whether the atom always matches exactly one node (so a capture on
    /// it names that node).
    fn is_single_node(&self) -> bool {
        match self {
            Atom::Node { .. } => true,
            Atom::Alternation(branches) => branches
                .iter()
                .all(|b| b.quantifier == Quantifier::One && b.atom.is_single_node()),
            Atom::Group(_) => false,
        }
    }
}

/// Children patterns in order; `anchor_before[i]` is a `.` written before
/// item `i`, `anchor_end` one after the last.
#[derive(Default)]
struct Seq {
    items: Vec<Elem>,
    anchor_before: Vec<bool>,
    anchor_end: bool,
}

impl Seq {
    fn has_anchors(&self) -> bool {
        self.anchor_end || self.anchor_before.iter().any(|a| *a)
    }
}

enum NodeTest {
    /// One of these kind ids (a kind's aliases, a supertype's subtypes).
    Kinds(Vec<u16>),
    /// `(_)`.
    AnyNamed,
    /// `_`.
    Any,
    /// `(ERROR)`.
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quantifier {
    One,
    /// `?`. (`*` and `+` are left to tree-sitter.)
    ZeroOrOne,
}

/// The text predicates tree-sitter's bindings evaluate, with their
/// semantics: every node of a capture must pass (a capture with no node
/// passes).
enum TextPredicate {
    EqString {
        capture: u32,
        value: String,
        negated: bool,
    },
    EqCapture {
        capture: u32,
        other: u32,
        negated: bool,
    },
    AnyOf {
        capture: u32,
        values: Vec<String>,
        negated: bool,
    },
}

#[cfg(test)]
mod tests;
