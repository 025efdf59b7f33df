//! Matches a [`Program`] at one node: a backtracking walk over the
//! pattern, visiting only the children the pattern talks about.
//!
//! Semantics follow tree-sitter's query cursor: child patterns match the
//! children in order, skipping any others; `.` forbids skipping named
//! children; a field prefix requires the child to sit in that field. Every
//! way of matching is enumerated, then — as tree-sitter drops a partial
//! match whose captures another one at the same point contains — only the
//! matches whose captures no other match strictly contains are kept, one
//! copy each. Text predicates are checked last, on those.

use super::{Atom, Elem, NodeTest, Program, Quantifier, Seq, TextPredicate};
use crate::lang::flatten::Children;
use crate::matcher::Captures;
use rustc_hash::FxHashMap;
use std::cell::{Cell, RefCell};
use std::num::NonZeroU16;
use std::rc::Rc;
use tree_sitter::Node;

/// A child with the field it sits in.
#[derive(Clone, Copy)]
struct Kid<'t> {
    node: Node<'t>,
    field: Option<NonZeroU16>,
}

/// The children a sequence is matched against, with the step budget.
#[derive(Clone, Copy)]
struct Row<'k, 't> {
    budget: &'k Budget<'k, 't>,
    kids: &'k [Kid<'t>],
}

/// Continuation taking the position after what was matched.
type Next<'k, 't> = &'k mut dyn FnMut(usize, &mut Captures<'t>);
/// Continuation for a match of one node.
type Done<'k, 't> = &'k mut dyn FnMut(&mut Captures<'t>);

/// Nodes tried for one pattern at one node before the interpreter gives
/// up and tree-sitter's cursor (which merges equivalent partial matches)
/// answers instead: unanchored uncaptured children over a long list, as
/// in `(block (_) (_) (_) (_))`, have combinatorially many ways to match.
const STEPS: u32 = 50_000;
/// Matches of one pattern at one node beyond which tree-sitter answers
/// too (keeping the maximal ones compares every pair).
const MATCHES: usize = 256;

/// Child lists a [`ChildLists`] keeps before it starts again: enough for
/// the candidates of one function, a bound on memory in a large file.
const KEPT_LISTS: usize = 1024;

/// Child lists of one tree's nodes, kept while the tree is matched. One
/// node's children are asked for again and again: by backtracking, by the
/// other patterns of a query, by every rule whose pattern starts at the
/// node or reaches it from a candidate above (on fastify + sequelize, 63 %
/// of the lists asked for had been built before in the same file, 42 %
/// within the same query call, which is all lists lived for before), and
/// stepping a cursor through them cost about a thousand instructions a
/// child (they are now listed from tree-sitter's child arrays). Serves
/// one tree: node ids are addresses, which another tree may reuse.
#[derive(Default)]
pub struct ChildLists<'t> {
    lists: RefCell<FxHashMap<usize, Rc<[Kid<'t>]>>>,
    /// Reused for every list: a list collected into a new `Vec` would be
    /// allocated twice.
    scratch: RefCell<Vec<Kid<'t>>>,
    /// The captures of the match being built and the matches of the
    /// pattern being tried, reused from candidate to candidate: new ones
    /// cost an allocation per pattern tried.
    matching: RefCell<(Captures<'t>, Vec<Captures<'t>>)>,
}

impl<'t> ChildLists<'t> {
    fn of(&self, node: Node<'t>) -> Rc<[Kid<'t>]> {
        let id = node.id();
        if let Some(kids) = self.lists.borrow().get(&id) {
            return kids.clone();
        }
        let found = self.build(node);
        let mut lists = self.lists.borrow_mut();
        if lists.len() >= KEPT_LISTS {
            lists.clear();
        }
        lists.insert(id, found.clone());
        found
    }

    fn build(&self, node: Node<'t>) -> Rc<[Kid<'t>]> {
        let mut scratch = self.scratch.borrow_mut();
        scratch.clear();
        scratch.extend(Children::of(node).map(|(node, _, field)| Kid { node, field }));
        Rc::from(&scratch[..])
    }
}

/// Steps left for the current pattern, whether one was refused, and the
/// tree's child lists.
struct Budget<'k, 't> {
    left: Cell<u32>,
    refused: Cell<bool>,
    kids: &'k ChildLists<'t>,
}

impl<'k, 't> Budget<'k, 't> {
    fn new(kids: &'k ChildLists<'t>) -> Self {
        Budget {
            left: Cell::new(STEPS),
            refused: Cell::new(false),
            kids,
        }
    }

    /// Takes a step; `false` once the budget is spent.
    fn step(&self) -> bool {
        match self.left.get() {
            0 => {
                self.refused.set(true);
                false
            }
            left => {
                self.left.set(left - 1);
                true
            }
        }
    }
}

impl Program {
    /// Appends the matches at `node` to `out`; `false` (and nothing
    /// appended) when a pattern ran out of steps.
    pub(super) fn matches_at<'t>(
        &self,
        node: Node<'t>,
        source: &[u8],
        kids: &ChildLists<'t>,
        out: &mut Vec<(usize, Captures<'t>)>,
    ) -> bool {
        let before = out.len();
        // Another query run from inside this one (none does today) would
        // find the buffers taken, and use its own.
        let mut taken = kids.matching.try_borrow_mut().ok();
        let mut own = Default::default();
        let (caps, found) = match taken.as_deref_mut() {
            Some(buffers) => buffers,
            None => &mut own,
        };
        // Asked once: every pattern's root test reads it.
        let kind = node.kind_id();
        for (index, pattern) in self.patterns.iter().enumerate() {
            if !root_may_match(&pattern.root, node, kind) {
                continue;
            }
            found.clear();
            caps.clear();
            let budget = Budget::new(kids);
            at_node(&budget, &pattern.root, node, None, caps, &mut |caps| {
                found.push(caps.clone())
            });
            if budget.refused.get() || found.len() > MATCHES {
                out.truncate(before);
                return false;
            }
            keep_maximal(found);
            for mut caps in found.drain(..) {
                if pattern
                    .text_predicates
                    .iter()
                    .all(|p| p.holds(&caps, source))
                {
                    // Document order, a node before its descendants, as
                    // tree-sitter reports them.
                    caps.sort_by_key(|(_, n)| (n.start_byte(), std::cmp::Reverse(n.end_byte())));
                    out.push((index, caps));
                }
            }
        }
        true
    }
}

/// The cheap test of a pattern's root before any matching.
fn root_may_match(root: &Elem, node: Node<'_>, kind: u16) -> bool {
    match &root.atom {
        Atom::Node { test, .. } => test.accepts_kind(node, || kind),
        Atom::Alternation(branches) => branches.iter().any(|b| root_may_match(b, node, kind)),
        Atom::Group(_) => false,
    }
}

impl NodeTest {
    fn accepts(&self, node: Node<'_>) -> bool {
        self.accepts_kind(node, || node.kind_id())
    }

    /// [`NodeTest::accepts`] with the node's kind from `kind`, asked only
    /// when the test needs it.
    fn accepts_kind(&self, node: Node<'_>, kind: impl FnOnce() -> u16) -> bool {
        match self {
            NodeTest::Kinds(ids) => ids.contains(&kind()),
            NodeTest::AnyNamed => node.is_named(),
            NodeTest::Any => true,
            NodeTest::Error => node.is_error(),
        }
    }
}

/// Matches the single-node element `elem` at `node` (its quantifier is the
/// caller's business); `field` is the field `node` sits in, `None` at a
/// pattern's root where fields are not checked.
fn at_node<'t>(
    budget: &Budget<'_, 't>,
    elem: &Elem,
    node: Node<'t>,
    field: Option<Option<NonZeroU16>>,
    caps: &mut Captures<'t>,
    done: Done<'_, 't>,
) {
    if !budget.step() {
        return;
    }
    if let (Some(want), Some(at)) = (elem.field, field) {
        if at != Some(want) {
            return;
        }
    }
    match &elem.atom {
        Atom::Node { test, seq, negated } => {
            if !test.accepts(node)
                || negated
                    .iter()
                    .any(|f| node.child_by_field_id(f.get()).is_some())
            {
                return;
            }
            let mark = caps.len();
            caps.extend(elem.captures.iter().map(|c| (*c, node)));
            if seq.items.is_empty() && !seq.anchor_end {
                done(caps);
            } else {
                let kids = budget.kids.of(node);
                let row = Row {
                    budget,
                    kids: &kids,
                };
                seq_from(row, seq, 0, 0, false, caps, &mut |end, caps| {
                    if !(seq.anchor_end && kids[end..].iter().any(|k| k.node.is_named())) {
                        done(caps)
                    }
                });
            }
            caps.truncate(mark);
        }
        // tree-sitter lists an alternation's captures after the branch's.
        Atom::Alternation(branches) => {
            for branch in branches {
                at_node(budget, branch, node, field, caps, &mut |caps| {
                    let mark = caps.len();
                    caps.extend(elem.captures.iter().map(|c| (*c, node)));
                    done(caps);
                    caps.truncate(mark);
                });
            }
        }
        Atom::Group(_) => {}
    }
}

/// Matches `seq.items[i..]` against `kids[pos..]`; `anchored` adds an
/// anchor before item `i` (a group written after a `.`).
fn seq_from<'t>(
    row: Row<'_, 't>,
    seq: &Seq,
    i: usize,
    pos: usize,
    anchored: bool,
    caps: &mut Captures<'t>,
    next: Next<'_, 't>,
) {
    let Some(elem) = seq.items.get(i) else {
        next(pos, caps);
        return;
    };
    let anchored = anchored || seq.anchor_before.get(i).copied().unwrap_or(false);
    quantified(row, elem, pos, anchored, caps, &mut |after, caps| {
        seq_from(row, seq, i + 1, after, false, caps, next)
    });
}

/// `elem` with its quantifier, from `kids[pos..]`.
fn quantified<'t>(
    row: Row<'_, 't>,
    elem: &Elem,
    pos: usize,
    anchored: bool,
    caps: &mut Captures<'t>,
    next: Next<'_, 't>,
) {
    match elem.quantifier {
        Quantifier::One => once(row, elem, pos, anchored, caps, next),
        Quantifier::ZeroOrOne => {
            once(row, elem, pos, anchored, caps, next);
            next(pos, caps);
        }
    }
}

/// One occurrence of `elem` at or after `kids[pos]`; with `anchored`,
/// only anonymous children may be skipped to reach it.
fn once<'t>(
    row: Row<'_, 't>,
    elem: &Elem,
    pos: usize,
    anchored: bool,
    caps: &mut Captures<'t>,
    next: Next<'_, 't>,
) {
    match &elem.atom {
        Atom::Group(seq) => {
            seq_from(row, seq, 0, pos, anchored, caps, next);
            return;
        }
        // Branches that are sequences (or quantified) match as siblings.
        Atom::Alternation(branches) if !elem.atom.is_single_node() => {
            for branch in branches {
                quantified(row, branch, pos, anchored, caps, next);
            }
            return;
        }
        _ => {}
    }
    for (at, kid) in row.kids.iter().enumerate().skip(pos) {
        at_node(
            row.budget,
            elem,
            kid.node,
            Some(kid.field),
            caps,
            &mut |caps| next(at + 1, caps),
        );
        if anchored && kid.node.is_named() {
            break;
        }
    }
}

/// Keeps one copy of each match whose captures no other match strictly
/// contains.
fn keep_maximal(found: &mut Vec<Captures<'_>>) {
    if found.len() < 2 {
        return;
    }
    let keys: Vec<Vec<(u32, usize)>> = found
        .iter()
        .map(|caps| {
            let mut key: Vec<(u32, usize)> = caps.iter().map(|(i, n)| (*i, n.id())).collect();
            key.sort_unstable();
            key.dedup();
            key
        })
        .collect();
    let contains = |big: &[(u32, usize)], small: &[(u32, usize)]| {
        small.iter().all(|c| big.binary_search(c).is_ok())
    };
    let mut keep = vec![true; found.len()];
    for i in 0..keys.len() {
        for j in 0..keys.len() {
            if i == j || !keep[j] {
                continue;
            }
            let covers = contains(&keys[j], &keys[i]);
            // A strict subset goes; of equal ones the first stays.
            if covers && (keys[j].len() > keys[i].len() || j < i) {
                keep[i] = false;
                break;
            }
        }
    }
    let mut flags = keep.into_iter();
    found.retain(|_| flags.next().unwrap_or(true));
}

impl TextPredicate {
    fn holds(&self, caps: &Captures<'_>, source: &[u8]) -> bool {
        let text = |n: &Node<'_>| source.get(n.byte_range()).unwrap_or_default();
        let nodes = |capture: u32| {
            caps.iter()
                .filter(move |(i, _)| *i == capture)
                .map(|(_, n)| n)
        };
        match self {
            TextPredicate::EqString {
                capture,
                value,
                negated,
            } => nodes(*capture).all(|n| (text(n) == value.as_bytes()) != *negated),
            TextPredicate::AnyOf {
                capture,
                values,
                negated,
            } => {
                nodes(*capture).all(|n| values.iter().any(|v| text(n) == v.as_bytes()) != *negated)
            }
            TextPredicate::EqCapture {
                capture,
                other,
                negated,
            } => {
                let mut left = nodes(*capture);
                let mut right = nodes(*other);
                loop {
                    match (left.next(), right.next()) {
                        (Some(a), Some(b)) => {
                            if (text(a) == text(b)) == *negated {
                                return false;
                            }
                        }
                        (None, None) => return true,
                        _ => return false,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node's children through a new cursor.
    fn kids(node: Node<'_>) -> Vec<Kid<'_>> {
        let (mut out, mut cursor) = (Vec::new(), node.walk());
        let mut more = cursor.goto_first_child();
        while more {
            out.push(Kid {
                node: cursor.node(),
                field: cursor.field_id(),
            });
            more = cursor.goto_next_sibling();
        }
        out
    }

    #[test]
    fn kept_child_lists_are_the_lists_a_new_walk_gives() {
        let source = "def f(a, b):\n    return g(a, b=b)[0]\n".repeat(100);
        let mut parser = tree_sitter::Parser::new();
        let grammar = (crate::lang::Lang::Python.info().grammar)();
        parser.set_language(&grammar).expect("grammar");
        let tree = parser.parse(&source, None).expect("tree");
        let nodes = crate::lang::all_nodes(tree.root_node());
        assert!(nodes.len() > 2 * KEPT_LISTS);
        let lists = ChildLists::default();
        let same = |a: &[Kid<'_>], b: &[Kid<'_>]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| x.node == y.node && x.field == y.field)
        };
        // Twice over more nodes than are kept: lists come back from the
        // memo or are walked again after it started over; all are right.
        for _ in 0..2 {
            for node in &nodes {
                assert!(same(&lists.of(*node), &kids(*node)));
                assert!(lists.lists.borrow().len() <= KEPT_LISTS);
            }
        }
        let first = nodes[0];
        assert!(Rc::ptr_eq(&lists.of(first), &lists.of(first)));
    }
}
