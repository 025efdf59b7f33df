//! Pre-order walks over a subtree.
//!
//! Walks read nodes from lists made by one pass over tree-sitter's child
//! arrays ([`super::flatten`]), which cost a fraction of the cursor steps
//! they replace: a cursor climbs through the hidden repetition nodes that
//! hold a grammar's lists, and its step to a next sibling cost about 600
//! instructions on Python. A walk that visits most of its subtree lists
//! each subtree of up to [`WHOLE_NODES`] nodes whole when it enters it (a
//! larger one's children first); one that may stop early or leave
//! subtrees out lists each node's children when it enters the node.

use super::flatten::{Children, Flat};
use super::kind_set::KindSet;
use tree_sitter::Node;

/// Most nodes a walk lists at once: a larger subtree is entered one level
/// at a time, so a large file's walk holds lists of about this size (40
/// bytes a node), not of the file's.
const WHOLE_NODES: usize = 16 * 1024;

/// A pre-order walk of the subtree under a node, the node itself first.
pub struct Preorder<'t> {
    root: Node<'t>,
    /// The lists the walk is in, innermost last; none while at the root.
    levels: Vec<Level<'t>>,
    /// Only nodes of these kinds, or holding a syntax error, are entered.
    kinds: Option<KindSet>,
    /// Whether anonymous nodes without children (punctuation, keywords)
    /// are visited.
    anonymous_leaves: bool,
    /// Subtrees of up to this many nodes are listed whole.
    whole: usize,
}

/// Where a walk is below one entered node, with the depth of that node.
enum Level<'t> {
    /// In the node's subtree, listed whole (the node first), at `at`.
    Whole {
        nodes: Flat<'t>,
        at: usize,
        base: usize,
    },
    /// At one of the node's children, with its kind id.
    Children {
        children: Children<'t>,
        current: (Node<'t>, u16),
        base: usize,
    },
}

impl<'t> Preorder<'t> {
    /// A walk starting at `root` that lists subtrees whole: for walks
    /// that visit most of it. It never leaves `root`'s subtree.
    pub fn new(root: Node<'t>) -> Self {
        Preorder::entering(root, None)
    }

    /// Like [`Preorder::new`], but a node whose kind is not in `kinds` and
    /// that holds no syntax error is not entered, whatever `next` is told.
    pub fn entering(root: Node<'t>, kinds: Option<&KindSet>) -> Self {
        Preorder {
            root,
            levels: Vec::new(),
            kinds: kinds.cloned(),
            anonymous_leaves: true,
            whole: WHOLE_NODES,
        }
    }

    /// The walk without the anonymous nodes that have no children
    /// (punctuation, keywords): a third to two fifths of a tree's nodes,
    /// which a walk looking for named nodes only would visit for nothing.
    pub fn without_anonymous_leaves(mut self) -> Self {
        self.anonymous_leaves = false;
        self
    }

    /// A walk starting at `root` that lists a node's children only when
    /// it enters the node: for walks that may stop early or skip most
    /// subtrees (a `has:` relation bounded by `stop-by`).
    pub fn lazy(root: Node<'t>) -> Self {
        Preorder {
            root,
            levels: Vec::new(),
            kinds: None,
            anonymous_leaves: true,
            whole: 0,
        }
    }

    /// The node the walk is at.
    #[inline]
    pub fn node(&self) -> Node<'t> {
        match self.levels.last() {
            Some(Level::Whole { nodes, at, .. }) => nodes.node(*at),
            Some(Level::Children { current, .. }) => current.0,
            None => self.root,
        }
    }

    /// The current node's kind id ([`Node::kind_id`]).
    #[inline]
    pub fn kind_id(&self) -> u16 {
        match self.levels.last() {
            Some(Level::Whole { nodes, at, .. }) => nodes.kind_id(*at),
            Some(Level::Children { current, .. }) => current.1,
            None => self.root.kind_id(),
        }
    }

    /// How many levels below the walk's root the current node is.
    #[inline]
    pub fn depth(&self) -> usize {
        match self.levels.last() {
            Some(Level::Whole { nodes, at, base }) => base + nodes.depth(*at),
            Some(Level::Children { base, .. }) => base + 1,
            None => 0,
        }
    }

    /// Moves to the next node in pre-order, entering the current node's
    /// children only when `descend` is true. False once the walk is over
    /// (the walk is then back at its root; do not call it again).
    #[inline]
    pub fn next(&mut self, descend: bool) -> bool {
        if descend && self.enter() {
            return true;
        }
        // Past the current node's subtree: in a whole list its end, else
        // the next child; a finished level's node is the current one of
        // the level around it.
        while let Some(level) = self.levels.last_mut() {
            match level {
                Level::Whole { nodes, at, .. } => {
                    let next = nodes.end(*at);
                    if next < nodes.len() {
                        *at = next;
                        return true;
                    }
                }
                Level::Children {
                    children, current, ..
                } => {
                    if let Some(next) = next_child(children, self.anonymous_leaves) {
                        *current = next;
                        return true;
                    }
                }
            }
            self.levels.pop();
        }
        false
    }

    /// Moves to the current node's first child, listing what it needs;
    /// false when the node has none or is not entered.
    fn enter(&mut self) -> bool {
        if let Some(Level::Whole { nodes, at, .. }) = self.levels.last_mut() {
            // The pass listed the children (or left them out).
            if *at + 1 < nodes.end(*at) {
                *at += 1;
                return true;
            }
            return false;
        }
        let node = self.node();
        if node.child_count() == 0 {
            return false;
        }
        if let Some(kinds) = &self.kinds {
            if !kinds.contains(self.kind_id()) && !node.has_error() {
                return false;
            }
        }
        let base = self.depth();
        if self.whole > 0 && node.descendant_count() <= self.whole {
            let nodes = Flat::of(node, self.kinds.as_ref(), self.anonymous_leaves);
            if nodes.len() < 2 {
                return false;
            }
            self.levels.push(Level::Whole { nodes, at: 1, base });
            return true;
        }
        let mut children = Children::of(node);
        let Some(current) = next_child(&mut children, self.anonymous_leaves) else {
            return false;
        };
        self.levels.push(Level::Children {
            children,
            current,
            base,
        });
        true
    }
}

/// The next of `children` with its kind id, past anonymous leaves unless
/// `anonymous_leaves`.
fn next_child<'t>(children: &mut Children<'t>, anonymous_leaves: bool) -> Option<(Node<'t>, u16)> {
    children
        .find(|(node, _, _)| anonymous_leaves || node.is_named() || node.child_count() > 0)
        .map(|(node, kind, _)| (node, kind))
}

#[cfg(test)]
mod tests {
    use super::{KindSet, Preorder};
    use crate::engine::parse;
    use crate::lang::Lang;

    /// Every node of the tree, by tree-sitter's own sibling steps.
    fn naive_walk(root: tree_sitter::Node<'_>) -> Vec<(usize, tree_sitter::Node<'_>)> {
        naive_walk_skipping(root, |_| false)
    }

    /// The same, not entering the nodes `skip` picks.
    fn naive_walk_skipping(
        root: tree_sitter::Node<'_>,
        skip: impl Fn(tree_sitter::Node<'_>) -> bool,
    ) -> Vec<(usize, tree_sitter::Node<'_>)> {
        let (mut nodes, mut cursor, mut depth) = (Vec::new(), root.walk(), 0);
        loop {
            nodes.push((depth, cursor.node()));
            if !skip(cursor.node()) && cursor.goto_first_child() {
                depth += 1;
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    return nodes;
                }
                depth -= 1;
            }
        }
    }

    /// A node's children and their fields, by tree-sitter's cursor.
    fn cursor_children(
        node: tree_sitter::Node<'_>,
    ) -> Vec<(tree_sitter::Node<'_>, Option<std::num::NonZeroU16>)> {
        let (mut children, mut cursor) = (Vec::new(), node.walk());
        let mut more = cursor.goto_first_child();
        while more {
            children.push((cursor.node(), cursor.field_id()));
            more = cursor.goto_next_sibling();
        }
        children
    }

    /// What a walk can read of a node, to compare walks by.
    type Seen = (
        usize,
        usize,
        u16,
        u16,
        bool,
        bool,
        usize,
        usize,
        (usize, usize),
        (usize, usize),
    );

    fn seen(depth: usize, node: tree_sitter::Node<'_>) -> Seen {
        let (start, end) = (node.start_position(), node.end_position());
        (
            depth,
            node.id(),
            node.kind_id(),
            node.grammar_id(),
            node.is_named(),
            node.is_extra(),
            node.start_byte(),
            node.end_byte(),
            (start.row, start.column),
            (end.row, end.column),
        )
    }

    fn all_seen(nodes: &[(usize, tree_sitter::Node<'_>)]) -> Vec<Seen> {
        nodes.iter().map(|(d, n)| seen(*d, *n)).collect()
    }

    fn samples() -> Vec<(Lang, String)> {
        let mut samples: Vec<(Lang, String)> = Lang::all()
            .flat_map(|lang| {
                crate::lang::fixture_files(lang)
                    .into_iter()
                    .map(move |(_, text)| (lang, text))
            })
            .collect();
        // Syntax errors and missing nodes: zero-width and error nodes.
        samples.push((Lang::Python, "def f(:\n  x = [1, 2\n".into()));
        samples.push((Lang::Rust, "fn f( { let x = ; }".into()));
        samples.push((Lang::JavaScript, "if (a { b(; } else".into()));
        // More nodes than a walk lists at once, with an error inside.
        let body = "def f(a):\n    return [g(x, a) for x in a if x]\n".repeat(600);
        let large = format!("{body}def broken(:\n    pass\n{body}");
        samples.push((Lang::Python, large));
        // A node with more children than are listed at once.
        samples.push((Lang::Python, format!("x = [{}]\n", "1, ".repeat(9000))));
        // Deeper than the pass's first stack of levels.
        let deep = format!("x = {}1{}\n", "(".repeat(600), ")".repeat(600));
        samples.push((Lang::Python, deep));
        samples
    }

    /// About two thirds of the kinds of `nodes`, for walks that enter
    /// only some kinds.
    fn some_kinds(lang: Lang, nodes: &[(usize, tree_sitter::Node<'_>)]) -> KindSet {
        let kinds: Vec<u16> = nodes
            .iter()
            .map(|(_, n)| n.kind_id())
            .filter(|k| k % 3 != 0)
            .collect();
        KindSet::from_ids(&(lang.info().grammar)(), &kinds)
    }

    /// The nodes a walk visits, not entering those `skip` picks; checks
    /// the kind id the walk reports at each, and that it ends at its root.
    fn walked<'t>(
        mut walk: Preorder<'t>,
        skip: impl Fn(tree_sitter::Node<'t>) -> bool,
    ) -> Vec<Seen> {
        let (root, mut visited) = (walk.node(), Vec::new());
        loop {
            let node = walk.node();
            assert_eq!(walk.kind_id(), node.kind_id());
            visited.push(seen(walk.depth(), node));
            if !walk.next(!skip(node)) {
                assert_eq!(walk.node(), root, "back at the root");
                return visited;
            }
        }
    }

    #[test]
    fn preorder_visits_what_the_cursor_visits() {
        let (mut checked, mut large) = (0, false);
        for (lang, text) in samples() {
            let tree = parse(lang, &text).expect("parsed");
            let root = tree.root_node();
            large |= root.descendant_count() > super::WHOLE_NODES;
            let expected = naive_walk(root);
            for walk in [Preorder::new(root), Preorder::lazy(root)] {
                let visited = walked(walk, |_| false);
                assert_eq!(visited, all_seen(&expected), "{lang:?}: {text}");
                checked += visited.len();
            }
            // From inner nodes (as `has:` walks start), not entering some
            // of the nodes on the way.
            let skip = |n: tree_sitter::Node<'_>| n.start_byte().is_multiple_of(3);
            for (_, start) in expected.iter().step_by(5) {
                let expected = naive_walk_skipping(*start, skip);
                for walk in [Preorder::new(*start), Preorder::lazy(*start)] {
                    assert_eq!(
                        walked(walk, skip),
                        all_seen(&expected),
                        "{lang:?} from {}",
                        start.kind()
                    );
                }
            }
            // Entering only some kinds, and any subtree with an error.
            let set = some_kinds(lang, &expected);
            let refused = |n: tree_sitter::Node<'_>| !set.contains(n.kind_id()) && !n.has_error();
            assert_eq!(
                walked(Preorder::entering(root, Some(&set)), |_| false),
                all_seen(&naive_walk_skipping(root, refused)),
                "{lang:?}: entering some kinds"
            );
        }
        assert!(checked > 10_000, "only {checked} nodes compared");
        assert!(large, "no sample is listed level by level");
    }

    #[test]
    fn a_walk_without_anonymous_leaves_visits_every_other_node() {
        let (mut left_out, mut large) = (0, false);
        for (lang, text) in samples() {
            let tree = parse(lang, &text).expect("parsed");
            let root = tree.root_node();
            large |= root.descendant_count() > super::WHOLE_NODES;
            let leaf = |n: tree_sitter::Node<'_>| !n.is_named() && n.child_count() == 0;
            let every = naive_walk(root);
            let expected: Vec<_> = every.iter().filter(|(_, n)| !leaf(*n)).copied().collect();
            left_out += every.len() - expected.len();
            assert_eq!(
                walked(Preorder::new(root).without_anonymous_leaves(), |_| false),
                all_seen(&expected),
                "{lang:?}: {text}"
            );
            // With only some kinds entered, as the main traversal walks.
            let set = some_kinds(lang, &every);
            let refused = |n: tree_sitter::Node<'_>| !set.contains(n.kind_id()) && !n.has_error();
            let expected: Vec<_> = naive_walk_skipping(root, refused)
                .into_iter()
                .filter(|(_, n)| !leaf(*n))
                .collect();
            let walk = Preorder::entering(root, Some(&set)).without_anonymous_leaves();
            assert_eq!(
                walked(walk, |_| false),
                all_seen(&expected),
                "{lang:?}: entering some kinds"
            );
        }
        assert!(left_out > 10_000, "only {left_out} anonymous leaves");
        assert!(large, "no sample is listed level by level");
    }

    #[test]
    fn children_lists_have_the_cursors_nodes_and_fields() {
        let (mut fields, mut wide) = (0, false);
        for (lang, text) in samples() {
            let tree = parse(lang, &text).expect("parsed");
            for (depth, node) in naive_walk(tree.root_node()) {
                let expected: Vec<_> = cursor_children(node)
                    .into_iter()
                    .map(|(child, field)| (seen(depth + 1, child), field))
                    .collect();
                let listed = crate::lang::flatten::Flat::children(node);
                let got: Vec<_> = (1..listed.len())
                    .map(|i| (seen(depth + 1, listed.node(i)), listed.field(i)))
                    .collect();
                assert_eq!(got, expected, "{lang:?}: children of {}", node.kind());
                fields += got.iter().filter(|(_, f)| f.is_some()).count();
                // Listed, or stepped with a cursor when there are many.
                let iterated: Vec<_> = super::Children::of(node)
                    .map(|(child, kind, field)| {
                        assert_eq!(kind, child.kind_id());
                        (seen(depth + 1, child), field)
                    })
                    .collect();
                assert_eq!(iterated, expected, "{lang:?}: children of {}", node.kind());
                wide |= expected.len() > 4096;
            }
        }
        assert!(fields > 1_000, "only {fields} fields compared");
        assert!(wide, "no node has more children than are listed");
    }

    #[test]
    fn the_listed_nodes_have_the_c_layout() {
        assert!(crate::lang::flatten::layout_matches());
    }

    #[test]
    fn preorder_without_descending_skips_the_subtree() {
        let text = "def f():\n    return g(1)\nx = 2\n";
        let tree = parse(Lang::Python, text).expect("parsed");
        let root = tree.root_node();
        for mut walk in [Preorder::new(root), Preorder::lazy(root)] {
            let mut kinds = Vec::new();
            while walk.next(walk.node().kind() != "function_definition") {
                kinds.push(walk.node().kind());
            }
            assert_eq!(
                kinds,
                [
                    "function_definition",
                    "expression_statement",
                    "assignment",
                    "identifier",
                    "=",
                    "integer"
                ]
            );
        }
    }
}
