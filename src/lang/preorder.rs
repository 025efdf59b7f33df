//! Pre-order walks over a subtree with one tree cursor.
//!
//! tree-sitter's `goto_next_sibling` only fails after trying every hidden
//! node above the cursor (the grammar's supertypes and repetitions), so a
//! walk that asks for the sibling of each last child pays that search once
//! per node with children: on Python it was a fifth of the walk. A node's
//! visible child count is kept in its subtree, so these walks count the
//! siblings left at each level and climb straight up from a last child.

use tree_sitter::{Node, TreeCursor};

/// A pre-order walk of the subtree under a node, the node itself first.
pub struct Preorder<'t> {
    cursor: TreeCursor<'t>,
    /// For each level below the walk's root, how many siblings follow the
    /// node the cursor is at on that level.
    later_siblings: Vec<u32>,
}

impl<'t> Preorder<'t> {
    /// A walk starting at `root`; it never leaves `root`'s subtree.
    pub fn new(root: Node<'t>) -> Self {
        Preorder {
            cursor: root.walk(),
            later_siblings: Vec::new(),
        }
    }

    /// The node the walk is at.
    #[inline]
    pub fn node(&self) -> Node<'t> {
        self.cursor.node()
    }

    /// How many levels below the walk's root the current node is.
    #[inline]
    pub fn depth(&self) -> usize {
        self.later_siblings.len()
    }

    /// The field name of the current node in its parent, if any.
    pub fn field_name(&self) -> Option<&'t str> {
        self.cursor.field_name()
    }

    /// Moves to the next node in pre-order, entering the current node's
    /// children only when `descend` is true. False once the walk is over
    /// (the walk is then back at its root; do not call it again).
    #[inline]
    pub fn next(&mut self, descend: bool) -> bool {
        if descend {
            let children = self.cursor.node().child_count();
            if children > 0 && self.cursor.goto_first_child() {
                self.later_siblings.push(children - 1);
                return true;
            }
        }
        while let Some(left) = self.later_siblings.last_mut() {
            if *left > 0 {
                *left -= 1;
                if self.cursor.goto_next_sibling() {
                    return true;
                }
            }
            self.later_siblings.pop();
            self.cursor.goto_parent();
        }
        false
    }
}

/// Steps over a node's children with a cursor already at its first child
/// (`goto_first_child` succeeded), stopping at the last child instead of
/// asking tree-sitter for a sibling it does not have.
pub struct Siblings {
    left: u32,
}

impl Siblings {
    /// For the children of `parent`.
    #[inline]
    pub fn of(parent: Node<'_>) -> Self {
        Siblings {
            left: parent.child_count().saturating_sub(1),
        }
    }

    /// Moves `cursor` to the next child; false after the last one.
    #[inline]
    pub fn advance(&mut self, cursor: &mut TreeCursor<'_>) -> bool {
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        cursor.goto_next_sibling()
    }
}

#[cfg(test)]
mod tests {
    use super::{Preorder, Siblings};
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
        samples
    }

    #[test]
    fn preorder_visits_what_the_cursor_visits() {
        let mut checked = 0;
        for (lang, text) in samples() {
            let tree = parse(lang, &text).expect("parsed");
            let root = tree.root_node();
            let expected = naive_walk(root);
            let mut walk = Preorder::new(root);
            let mut seen = vec![(walk.depth(), walk.node())];
            while walk.next(true) {
                seen.push((walk.depth(), walk.node()));
            }
            assert_eq!(seen, expected, "{lang:?}: {text}");
            checked += seen.len();
            // From inner nodes (as `has:` walks start), not entering some
            // of the nodes on the way.
            let skip = |n: tree_sitter::Node<'_>| n.start_byte().is_multiple_of(3);
            for (_, start) in expected.iter().step_by(5) {
                let expected = naive_walk_skipping(*start, skip);
                let mut walk = Preorder::new(*start);
                let mut seen = vec![(walk.depth(), walk.node())];
                while walk.next(!skip(walk.node())) {
                    seen.push((walk.depth(), walk.node()));
                }
                assert_eq!(seen, expected, "{lang:?} from {}", start.kind());
            }
        }
        assert!(checked > 10_000, "only {checked} nodes compared");
    }

    #[test]
    fn preorder_without_descending_skips_the_subtree() {
        let text = "def f():\n    return g(1)\nx = 2\n";
        let tree = parse(Lang::Python, text).expect("parsed");
        let mut walk = Preorder::new(tree.root_node());
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

    #[test]
    fn siblings_stop_at_the_last_child() {
        for (lang, text) in samples() {
            let tree = parse(lang, &text).expect("parsed");
            for (_, node) in naive_walk(tree.root_node()) {
                let mut expected = Vec::new();
                let mut cursor = node.walk();
                let mut more = cursor.goto_first_child();
                while more {
                    expected.push(cursor.node());
                    more = cursor.goto_next_sibling();
                }
                let mut cursor = node.walk();
                let mut seen = Vec::new();
                if cursor.goto_first_child() {
                    let mut siblings = Siblings::of(node);
                    loop {
                        seen.push(cursor.node());
                        if !siblings.advance(&mut cursor) {
                            break;
                        }
                    }
                }
                assert_eq!(seen, expected, "{lang:?}");
            }
        }
    }
}
