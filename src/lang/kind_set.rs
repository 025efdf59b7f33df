//! Sets of node kinds written by name, asked by kind id.
//!
//! `Node::kind()` looks the symbol's name up, measures it and checks it is
//! UTF-8 on every call; matchers and the taint pass ask "is this node one
//! of these kinds?" at nearly every node. A kind id is the node's public
//! symbol, whose name is the node's kind, so a bit per id answers the same
//! question as comparing names.

use tree_sitter::Language;

/// Node kinds by id: every id whose name is one of the given names, named
/// or anonymous, as comparing `node.kind()` with the names would accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindSet {
    bits: Vec<u64>,
    /// The error node's id (`u16::MAX`) lies outside the grammar's table.
    error: bool,
    /// No kind at all (asked per node, so kept rather than recounted).
    empty: bool,
}

/// No kinds: a matcher without a `kind:` constraint.
impl Default for KindSet {
    fn default() -> Self {
        KindSet {
            bits: Vec::new(),
            error: false,
            empty: true,
        }
    }
}

/// The name tree-sitter gives error nodes.
const ERROR_KIND: &str = "ERROR";

impl KindSet {
    /// The ids of `grammar` whose names are in `names`. Names the grammar
    /// does not have add nothing.
    pub fn new<S: AsRef<str>>(grammar: &Language, names: &[S]) -> KindSet {
        if names.is_empty() {
            return KindSet::default();
        }
        // A node's kind id is its public symbol: the one id that
        // `id_for_node_kind` gives for its name, named or anonymous.
        let ids: Vec<u16> = names
            .iter()
            .flat_map(|name| {
                [true, false].map(|named| grammar.id_for_node_kind(name.as_ref(), named))
            })
            .filter(|&id| id != 0)
            .collect();
        let mut set = KindSet::from_ids(grammar, &ids);
        set.error = names.iter().any(|n| n.as_ref() == ERROR_KIND);
        set.empty &= !set.error;
        set
    }

    /// The set of the given kind ids of `grammar` (ids outside its table,
    /// as the error node's `u16::MAX`, add nothing).
    pub fn from_ids(grammar: &Language, ids: &[u16]) -> KindSet {
        let mut bits = vec![0u64; grammar.node_kind_count().div_ceil(64)];
        for &id in ids {
            let id = id as usize;
            if let Some(word) = bits.get_mut(id / 64) {
                *word |= 1 << (id % 64);
            }
        }
        KindSet {
            empty: bits.iter().all(|w| *w == 0),
            bits,
            error: false,
        }
    }

    /// Whether a node of kind `id` is in the set.
    pub fn contains(&self, id: u16) -> bool {
        if id == u16::MAX {
            return self.error;
        }
        let id = id as usize;
        self.bits
            .get(id / 64)
            .is_some_and(|word| word & (1 << (id % 64)) != 0)
    }

    /// The set's bits, a word per 64 kind ids (the error node's id, which
    /// lies outside them, aside).
    pub fn words(&self) -> &[u64] {
        &self.bits
    }

    /// Whether no kind is in the set.
    pub fn is_empty(&self) -> bool {
        self.empty
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    /// Every node of a sample agrees with comparing its kind's name.
    #[test]
    fn ids_answer_like_names() {
        let samples = [
            (
                Lang::Python,
                "def f(x):\n    return x + '1' if x else None\n)",
            ),
            (
                Lang::TypeScript,
                "const a: string = `t${b}`; if (a) { f(a) }",
            ),
            (Lang::Rust, "fn f() -> u8 { let s = \"x\"; 1 + 2 }"),
        ];
        for (lang, source) in samples {
            let grammar = (lang.info().grammar)();
            let names = ["string", "identifier", "ERROR", "if", "+", "no_such_kind"];
            let set = KindSet::new(&grammar, &names);
            let tree = crate::engine::parse(lang, source).expect("parses");
            let mut seen = 0;
            for node in crate::lang::all_nodes(tree.root_node()) {
                assert_eq!(
                    set.contains(node.kind_id()),
                    names.contains(&node.kind()),
                    "{lang:?} node {}",
                    node.kind()
                );
                seen += usize::from(set.contains(node.kind_id()));
            }
            assert!(seen > 0, "{lang:?}: the sample holds kinds of the set");
        }
        assert!(KindSet::default().is_empty());
        let grammar = (Lang::Python.info().grammar)();
        assert!(KindSet::new(&grammar, &["no_such_kind"]).is_empty());
        assert!(!KindSet::new(&grammar, &["ERROR"]).is_empty());
    }
}
