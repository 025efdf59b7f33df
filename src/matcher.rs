//! Compiled matchers and their evaluation on a syntax tree.
//!
//! A [`Matcher`] answers "does this node match?". Relations walk ancestors
//! or descendants with explicit cursors, never recursion over the input
//! tree, so deep nesting cannot overflow the stack. Recursion happens only
//! over the matcher itself, whose depth is fixed by the rule file.

use crate::lang::kind_set::KindSet;
use crate::lang::preorder::Preorder;
use crate::lang::LanguageInfo;
use crate::query::{ChildLists, CompiledQuery};
use crate::rule::literals::TextLiterals;
use crate::rule::rule_regex::RuleRegex;
use rustc_hash::FxHashMap;
use std::sync::Arc;
use tree_sitter::{Node, QueryCursor};

/// Captured nodes of one query match: (capture index, node).
pub type Captures<'t> = Vec<(u32, Node<'t>)>;

/// What one evaluation needs besides the matcher and the node.
pub struct MatchContext<'a> {
    pub source: &'a str,
    pub lang: &'static LanguageInfo,
    pub cursor: &'a mut QueryCursor,
    /// Results of costly matchers at ancestors, for one file, keyed by
    /// (matcher address, node id): `inside: {kind: module, has: …}` is then
    /// computed once per file instead of once per candidate node.
    pub memo: FxHashMap<(usize, usize), bool>,
    /// The file's root, from which ancestors are found going down.
    pub root: Node<'a>,
    /// The ancestors last found, reused for the next node's.
    pub ancestry: Ancestry<'a>,
    /// The query interpreter's child lists, shared by all rules.
    pub kids: ChildLists<'a>,
}

/// A tree-sitter query plus constraints on its captures.
pub struct QueryMatcher {
    /// Shared by the rules whose query text is the same.
    pub query: Arc<CompiledQuery>,
    /// The query text, kept to find each pattern's root kind.
    pub source: String,
    /// Node kinds the patterns can start at (`None`: any). Checked before
    /// running the query, which is far cheaper than a cursor execution.
    pub root_kinds: Option<Vec<u16>>,
    pub constraints: Vec<(u32, CaptureConstraint)>,
    /// The `#match?`/`#not-match?` predicates of each pattern, by pattern
    /// index: evaluated here rather than by tree-sitter, so their regexes
    /// are compiled like `where:` ones (shared, ASCII mode when they fit,
    /// built on first use).
    pub text_regexes: Vec<Vec<TextRegex>>,
    /// Literals one of which the text of any node this query matches
    /// contains (see [`crate::rule::literals`]); `None`: no such set.
    pub required: Option<crate::rule::literals::RequiredLiterals>,
}

/// `(#match? @capture "regex")`, or `#not-match?` when `negated`: every
/// node of the capture matches (does not match) the regex.
pub struct TextRegex {
    pub capture: u32,
    pub regex: Arc<RuleRegex>,
    pub negated: bool,
}

/// Per-capture constraint (`where:` in rule files).
#[derive(Default)]
pub struct CaptureConstraint {
    pub regex: Option<Arc<RuleRegex>>,
    pub not_regex: Option<Arc<RuleRegex>>,
    pub kinds: KindSet,
    pub not_kinds: KindSet,
    pub literal: Option<bool>,
    /// Secret check; the inner value is the capture naming the value.
    pub secret: Option<Option<u32>>,
}

/// How a relation looks for its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelationKind {
    Inside,
    NotInside,
    Has,
    NotHas,
}

pub struct Relation {
    pub kind: RelationKind,
    pub target: Matcher,
    pub stop_by: Option<Matcher>,
    /// For `has`/`not-has`: literals the text of any node `target` matches
    /// contains; a node whose text has none has no such descendant.
    pub target_literals: Option<TextLiterals>,
}

/// A compiled sub-rule. Empty parts always hold.
#[derive(Default)]
pub struct Matcher {
    pub kinds: KindSet,
    pub regex: Option<Arc<RuleRegex>>,
    pub not_regex: Option<Arc<RuleRegex>>,
    pub query: Option<QueryMatcher>,
    pub relations: Vec<Relation>,
    pub all: Vec<Matcher>,
    pub any: Vec<Matcher>,
    pub not: Option<Box<Matcher>>,
}

impl Matcher {
    /// Capture names of the query, by capture index (none without one).
    pub fn capture_names(&self) -> Vec<String> {
        self.query
            .as_ref()
            .map(|q| {
                q.query
                    .capture_names()
                    .into_iter()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `node` matches, ignoring captures.
    pub fn matches<'t>(&self, node: Node<'t>, ctx: &mut MatchContext<'t>) -> bool {
        if self.query.is_some() {
            !self.match_captures(node, ctx).is_empty()
        } else {
            self.node_parts_hold(node, ctx) && self.structure_holds(node, ctx)
        }
    }

    /// Every set of captures with which `node` matches (an empty list when
    /// it does not). A matcher without a query yields one empty set.
    pub fn match_captures<'t>(
        &self,
        node: Node<'t>,
        ctx: &mut MatchContext<'t>,
    ) -> Vec<Captures<'t>> {
        self.match_captures_checked(node, ctx, false)
    }

    /// [`Matcher::match_captures`] for a caller that has already checked
    /// the query's required literals at `node` (`literals_checked`).
    pub fn match_captures_checked<'t>(
        &self,
        node: Node<'t>,
        ctx: &mut MatchContext<'t>,
        literals_checked: bool,
    ) -> Vec<Captures<'t>> {
        if self
            .query
            .as_ref()
            .is_some_and(|q| !q.may_match_at(node, ctx.source, literals_checked))
            || !self.node_parts_hold(node, ctx)
        {
            return Vec::new();
        }
        let found = match &self.query {
            Some(q) => q.matches_at(node, ctx),
            None => vec![Vec::new()],
        };
        if found.is_empty() || !self.structure_holds(node, ctx) {
            return Vec::new();
        }
        found
    }

    /// [`Matcher::matches`], remembered per node for the rest of the file
    /// when the matcher is costly (a query, a regex over the node's text,
    /// relations or composites). Whether a node matches depends only on the
    /// node and the matcher, so the answer can be reused.
    fn matches_memo<'t>(&self, node: Node<'t>, ctx: &mut MatchContext<'t>) -> bool {
        if !self.kinds.is_empty() && !self.kinds.contains(node.kind_id()) {
            return false;
        }
        let cheap = self.query.is_none()
            && self.regex.is_none()
            && self.not_regex.is_none()
            && self.relations.is_empty()
            && self.all.is_empty()
            && self.any.is_empty()
            && self.not.is_none();
        if cheap {
            return self.matches(node, ctx);
        }
        let key = (self as *const Matcher as usize, node.id());
        if let Some(&hit) = ctx.memo.get(&key) {
            return hit;
        }
        let hit = self.matches(node, ctx);
        ctx.memo.insert(key, hit);
        hit
    }

    fn node_parts_hold(&self, node: Node<'_>, ctx: &MatchContext<'_>) -> bool {
        if !self.kinds.is_empty() && !self.kinds.contains(node.kind_id()) {
            return false;
        }
        if self.regex.is_some() || self.not_regex.is_some() {
            let text = node_text(node, ctx.source);
            if self.regex.as_ref().is_some_and(|r| !r.is_match(text)) {
                return false;
            }
            if self.not_regex.as_ref().is_some_and(|r| r.is_match(text)) {
                return false;
            }
        }
        true
    }

    /// Relations and composites.
    fn structure_holds<'t>(&self, node: Node<'t>, ctx: &mut MatchContext<'t>) -> bool {
        self.relations.iter().all(|r| r.holds(node, ctx))
            && self.all.iter().all(|m| m.matches(node, ctx))
            && (self.any.is_empty() || self.any.iter().any(|m| m.matches(node, ctx)))
            && !self.not.as_ref().is_some_and(|m| m.matches(node, ctx))
    }
}

impl QueryMatcher {
    pub fn query_source(&self) -> &str {
        &self.source
    }

    /// Whether the query can match at `node`: its kind is a root kind and
    /// its text holds a required literal (unless `literals_checked`). Far
    /// cheaper than running it.
    pub fn may_match_at(&self, node: Node<'_>, source: &str, literals_checked: bool) -> bool {
        self.root_kinds
            .as_ref()
            .is_none_or(|k| k.contains(&node.kind_id()))
            && (literals_checked
                || self.required.as_ref().is_none_or(|r| {
                    r.may_match(
                        node.kind_id(),
                        source.as_bytes().get(node.byte_range()).unwrap_or_default(),
                    )
                }))
    }

    /// Matches whose pattern is rooted at `node` and whose captures satisfy
    /// the constraints. Results are collected before returning so the
    /// shared cursor is free for nested matchers. Callers check
    /// [`QueryMatcher::may_match_at`] first.
    fn matches_at<'t>(&self, node: Node<'t>, ctx: &mut MatchContext<'t>) -> Vec<Captures<'t>> {
        let mut found = Vec::new();
        self.query.matches_at(
            node,
            ctx.source.as_bytes(),
            ctx.cursor,
            &ctx.kids,
            &mut found,
        );
        found
            .into_iter()
            .filter(|(pattern, caps)| {
                self.text_regexes_hold(*pattern, caps, ctx.source)
                    && self.constraints_hold(caps, ctx)
            })
            .map(|(_, caps)| caps)
            .collect()
    }

    fn text_regexes_hold(&self, pattern: usize, caps: &Captures<'_>, source: &str) -> bool {
        let Some(regexes) = self.text_regexes.get(pattern) else {
            return true;
        };
        regexes.iter().all(|t| {
            caps.iter()
                .filter(|(i, _)| *i == t.capture)
                .all(|(_, node)| t.regex.is_match(node_text(*node, source)) != t.negated)
        })
    }

    fn constraints_hold(&self, caps: &Captures<'_>, ctx: &MatchContext<'_>) -> bool {
        self.constraints.iter().all(|(index, c)| {
            caps.iter().filter(|(i, _)| i == index).all(|(_, node)| {
                c.holds(*node, ctx)
                    && c.secret
                        .is_none_or(|key| holds_secret(*node, key, caps, ctx))
            })
        })
    }
}

impl CaptureConstraint {
    fn holds(&self, node: Node<'_>, ctx: &MatchContext<'_>) -> bool {
        let text = node_text(node, ctx.source);
        if self.regex.as_ref().is_some_and(|r| !r.is_match(text)) {
            return false;
        }
        if self.not_regex.as_ref().is_some_and(|r| r.is_match(text)) {
            return false;
        }
        if !self.kinds.is_empty() && !self.kinds.contains(node.kind_id()) {
            return false;
        }
        if self.not_kinds.contains(node.kind_id()) {
            return false;
        }
        match self.literal {
            Some(want) => is_constant(node, ctx.lang) == want,
            None => true,
        }
    }
}

impl Relation {
    fn holds<'t>(&self, node: Node<'t>, ctx: &mut MatchContext<'t>) -> bool {
        match self.kind {
            RelationKind::Inside => self.find_ancestor(node, ctx),
            RelationKind::NotInside => !self.find_ancestor(node, ctx),
            RelationKind::Has => self.has_descendant(node, ctx),
            RelationKind::NotHas => !self.has_descendant(node, ctx),
        }
    }

    /// Whether a descendant matches the target. With target literals, only
    /// the subtrees whose text holds a whole occurrence of one are visited
    /// (a matching node's text holds one), and none when `node`'s has none.
    fn has_descendant<'t>(&self, node: Node<'t>, ctx: &mut MatchContext<'t>) -> bool {
        let occurrences = match &self.target_literals {
            Some(literals) => {
                let found =
                    literals.occurrences(node_text(node, ctx.source).as_bytes(), node.start_byte());
                if found.is_empty() {
                    return false;
                }
                Some(found)
            }
            None => None,
        };
        self.find_descendant(node, occurrences.as_deref(), ctx)
    }

    /// Walks up from the parent; the target is tested before `stop-by`, so
    /// `inside: async fn, stop-by: any fn` means "the nearest fn is async".
    fn find_ancestor<'t>(&self, node: Node<'t>, ctx: &mut MatchContext<'t>) -> bool {
        let test = |ancestor: Node<'t>, ctx: &mut MatchContext<'t>| {
            if self.target.matches_memo(ancestor, ctx) {
                Some(true)
            } else if self
                .stop_by
                .as_ref()
                .is_some_and(|s| s.matches_memo(ancestor, ctx))
            {
                Some(false)
            } else {
                None
            }
        };
        // Taken out of the context while the ancestors are tested: a
        // relation nested in the target may use the context's own.
        let mut ancestry = std::mem::take(&mut ctx.ancestry);
        let found = ancestry
            .of(ctx.root, node)
            .map(|ancestors| ancestors.iter().rev().find_map(|a| test(*a, ctx)));
        ctx.ancestry = ancestry;
        if let Some(found) = found {
            return found.unwrap_or(false);
        }
        let mut current = node.parent();
        while let Some(ancestor) = current {
            if let Some(found) = test(ancestor, ctx) {
                return found;
            }
            current = ancestor.parent();
        }
        false
    }

    /// Depth-first over the descendants with a cursor; a descendant matching
    /// `stop-by` is not entered.
    /// `occurrences` (sorted by start): byte ranges of the target's
    /// literals, outside of which no subtree is visited.
    fn find_descendant<'t>(
        &self,
        node: Node<'t>,
        occurrences: Option<&[(usize, usize)]>,
        ctx: &mut MatchContext<'t>,
    ) -> bool {
        // It may stop at the first descendant or skip subtrees: children
        // are listed as the walk enters their parent.
        let mut walk = Preorder::lazy(node);
        if !walk.next(true) {
            return false;
        }
        loop {
            let current = walk.node();
            let worth = occurrences.is_none_or(|o| holds_occurrence(o, current.byte_range()));
            if worth && self.target.matches(current, ctx) {
                return true;
            }
            let stop = !worth
                || self
                    .stop_by
                    .as_ref()
                    .is_some_and(|s| s.matches(current, ctx));
            if !walk.next(!stop) {
                return false;
            }
        }
    }
}

/// The ancestors of the node a relation last asked about, found going
/// down from the file's root: tree-sitter's `Node::parent()` walks down
/// from the root itself, so climbing with it costs the depth squared.
/// Candidates come in traversal order, so the next node's ancestors mostly
/// begin with the last one's: the walk down starts from the deepest of
/// those that still encloses the new node.
#[derive(Default)]
pub struct Ancestry<'t> {
    /// The root, the ancestors of the last node, outermost first, and that
    /// node.
    chain: Vec<Node<'t>>,
}

impl<'t> Ancestry<'t> {
    /// The ancestors of `node` under `root`, outermost first (one
    /// `Ancestry` serves one tree). `None` for a zero-width node, which a
    /// walk down by byte offset never reaches (`goto_first_child_for_byte`
    /// picks a child that ends after the offset): the caller climbs instead.
    fn of(&mut self, root: Node<'t>, node: Node<'_>) -> Option<&[Node<'t>]> {
        let range = node.byte_range();
        if range.is_empty() {
            return None;
        }
        let kept = self
            .chain
            .iter()
            .take_while(|a| {
                a.id() != node.id() && a.start_byte() <= range.start && range.end <= a.end_byte()
            })
            .count();
        // A kept node encloses `node`'s range and is not `node`, so it is an
        // ancestor: sibling subtrees with width do not overlap, and a
        // descendant of `node` would have `node` before it in the chain.
        // The walk from the root is only a safeguard.
        self.chain.truncate(kept);
        if kept == 0 || !self.descend(node) {
            self.chain.clear();
            self.chain.push(root);
            if !self.descend(node) {
                self.chain.clear();
                return None;
            }
        }
        self.chain.split_last().map(|(_, ancestors)| ancestors)
    }

    /// Extends the chain from its last node down to `node`.
    fn descend(&mut self, node: Node<'_>) -> bool {
        let Some(from) = self.chain.last() else {
            return false;
        };
        let mut cursor = from.walk();
        while cursor.node().id() != node.id() {
            if cursor
                .goto_first_child_for_byte(node.start_byte())
                .is_none()
            {
                return false;
            }
            self.chain.push(cursor.node());
        }
        true
    }
}

/// Whether one of `occurrences` (sorted by start) lies wholly in `range`.
fn holds_occurrence(occurrences: &[(usize, usize)], range: std::ops::Range<usize>) -> bool {
    let first = occurrences.partition_point(|(start, _)| *start < range.start);
    occurrences[first..]
        .iter()
        .take_while(|(start, _)| *start < range.end)
        .any(|(_, end)| *end <= range.end)
}

/// Whether the string literal `node` holds a secret; `key` is the capture
/// whose text names the value, if any.
fn holds_secret(
    node: Node<'_>,
    key: Option<u32>,
    caps: &Captures<'_>,
    ctx: &MatchContext<'_>,
) -> bool {
    let content = string_content(node_text(node, ctx.source));
    if content.is_empty() {
        return false;
    }
    let key_text = key
        .and_then(|k| caps.iter().find(|(i, _)| *i == k))
        .map(|(_, n)| string_content(node_text(*n, ctx.source)));
    crate::secrets::scan_literal(key_text, content).is_some()
}

/// The inside of a string literal: prefixes (`f`, `r`, `b`, `r#`) and
/// quotes (`'`, `"`, triple quotes, backticks) removed.
pub fn string_content(text: &str) -> &str {
    let t = text.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let hashes = t.len() - t.trim_start_matches('#').len();
    let t = &t[hashes..];
    for quote in ["\"\"\"", "'''", "\"", "'", "`"] {
        if let Some(inner) = t.strip_prefix(quote) {
            let inner = inner.strip_suffix(&"#".repeat(hashes)).unwrap_or(inner);
            return inner.strip_suffix(quote).unwrap_or(inner);
        }
    }
    text
}

/// The source text of a node (empty if the range is not valid UTF-8).
pub fn node_text<'s>(node: Node<'_>, source: &'s str) -> &'s str {
    source.get(node.byte_range()).unwrap_or("")
}

/// Whether a node is a compile-time constant: all its named descendants
/// (itself included) are of the language's constant kinds.
pub fn is_constant(node: Node<'_>, lang: &LanguageInfo) -> bool {
    let mut walk = Preorder::new(node);
    loop {
        let current = walk.node();
        if current.is_named() && !lang.constant_kinds.contains(&current.kind()) {
            return false;
        }
        if !walk.next(true) {
            return true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Ancestry;
    use crate::lang::Lang;

    /// Every node's ancestors, outermost first, by climbing with `parent()`.
    fn climbed(node: tree_sitter::Node<'_>) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut current = node.parent();
        while let Some(parent) = current {
            chain.push(parent.id());
            current = parent.parent();
        }
        chain.reverse();
        chain
    }

    #[test]
    fn ancestors_found_going_down_are_those_found_climbing() {
        let samples = [
            (
                Lang::Python,
                "class A:\n    def f(self, x=g(1)):\n        return [y for y in x if y]\n",
            ),
            (
                Lang::Rust,
                "mod tests {\n    fn f() { let s = \"k\"; call(s, |a| a + 1); }\n}\n",
            ),
            // A syntax error: tree-sitter inserts zero-width MISSING nodes.
            (
                Lang::TypeScript,
                "const a = f(1, {b: `x${y}`};\nif (a) { g(\n",
            ),
        ];
        for (lang, text) in samples {
            let tree = crate::engine::parse(lang, text).expect("parses");
            let root = tree.root_node();
            let nodes = crate::lang::all_nodes(root);
            // In traversal order (how candidates come), backwards, and
            // jumping about, each through one reused `Ancestry`.
            let n = nodes.len();
            let orders: [Vec<usize>; 3] = [
                (0..n).collect(),
                (0..n).rev().collect(),
                (0..n).map(|i| i * 7 % n).collect(),
            ];
            for order in orders {
                let mut ancestry = Ancestry::default();
                let mut found = 0;
                for node in order.iter().map(|&i| nodes[i]) {
                    // `None` sends the caller back to climbing: allowed,
                    // but only for zero-width nodes.
                    match ancestry.of(root, node) {
                        Some(chain) => {
                            let ids: Vec<usize> = chain.iter().map(|n| n.id()).collect();
                            assert_eq!(ids, climbed(node), "{lang:?} {}", node.kind());
                            found += 1;
                        }
                        None => {
                            assert_eq!(node.start_byte(), node.end_byte(), "{}", node.kind())
                        }
                    }
                }
                assert!(found > 20, "{lang:?}: {found} of {n}");
            }
        }
    }
}
