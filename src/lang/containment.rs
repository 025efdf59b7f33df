//! Which node kinds a node of each kind can hold, read from the grammar's
//! `node-types.json`.
//!
//! The main traversal visits every node to find the rules' candidates, but
//! most kinds can only ever hold a few others: a JavaScript `string` holds
//! fragments and escapes, a Rust `line_comment` its doc markers. When no
//! kind a rule starts at can lie below a node, the traversal does not
//! enter it (mechanism 24 of `docs/benchmarks.md`).
//!
//! The answer must never be "cannot" where a tree has such a descendant,
//! so everything unsure counts as "can": kinds `node-types.json` does not
//! describe, anonymous tokens (the file lists them only where they sit in
//! a field) and extras (comments), which may appear under any node.
//! Subtrees with syntax errors are the caller's business:
//! an `ERROR` node can hold anything.

use super::kind_set::KindSet;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;
use tree_sitter::Language;

/// One entry of `node-types.json` (the parts read here; names borrowed
/// from the text unless escaped).
#[derive(Deserialize)]
struct NodeType<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    named: bool,
    #[serde(default)]
    extra: bool,
    #[serde(default, borrow)]
    fields: HashMap<Cow<'a, str>, Children<'a>>,
    #[serde(borrow)]
    children: Option<Children<'a>>,
    #[serde(default, borrow)]
    subtypes: Vec<KindRef<'a>>,
}

#[derive(Deserialize)]
struct Children<'a> {
    #[serde(borrow)]
    types: Vec<KindRef<'a>>,
}

#[derive(Deserialize)]
struct KindRef<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    named: bool,
}

/// Per kind id, the kind ids that may occur strictly below a node of that
/// kind (`None`: unknown, anything may).
pub struct Containment {
    below: Vec<Option<Vec<u64>>>,
}

impl Containment {
    /// Reads `node_types` (the grammar's `node-types.json`); `extras` names
    /// the kinds that may appear anywhere when the file does not mark them
    /// (older grammars). `None` when the text cannot be read.
    pub fn new(grammar: &Language, node_types: &str, extras: &[&str]) -> Option<Containment> {
        let types: Vec<NodeType> = serde_json::from_str(node_types).ok()?;
        let count = grammar.node_kind_count();
        let words = count.div_ceil(64);
        // Names to ids, each asked of the grammar once (it compares the
        // name with every symbol's): the id a node of that kind reports.
        let mut ids: HashMap<(&str, bool), Option<usize>> = HashMap::new();
        for t in &types {
            for r in std::iter::once((&*t.kind, t.named)).chain(
                t.fields
                    .values()
                    .chain(&t.children)
                    .flat_map(|c| &c.types)
                    .chain(&t.subtypes)
                    .map(|r| (&*r.kind, r.named)),
            ) {
                ids.entry(r).or_insert_with(|| {
                    let at = grammar.id_for_node_kind(r.0, r.1) as usize;
                    (at != 0 && at < count).then_some(at)
                });
            }
        }
        for name in extras {
            let at = grammar.id_for_node_kind(name, true) as usize;
            ids.insert((name, true), (at != 0 && at < count).then_some(at));
        }
        let id = |kind: &str, named: bool| ids.get(&(kind, named)).copied().flatten();
        let supertypes: HashMap<(&str, bool), &[KindRef]> = types
            .iter()
            .filter(|t| !t.subtypes.is_empty())
            .map(|t| ((&*t.kind, t.named), t.subtypes.as_slice()))
            .collect();
        // The visible kinds each supertype stands for (its subtypes, which
        // may be supertypes themselves), worked out once each; `None` when
        // a named subtype is not in the grammar's table (unknown).
        let mut expanded: HashMap<(&str, bool), Option<Vec<usize>>> = HashMap::new();
        for &key in supertypes.keys() {
            let (mut out, mut stack, mut seen) = (Some(Vec::new()), vec![key], vec![key]);
            while let Some(at) = stack.pop() {
                for r in supertypes.get(&at).copied().unwrap_or_default() {
                    let sub = (&*r.kind, r.named);
                    if supertypes.contains_key(&sub) {
                        if !seen.contains(&sub) {
                            seen.push(sub);
                            stack.push(sub);
                        }
                    } else {
                        match (id(sub.0, sub.1), out.as_mut()) {
                            (Some(k), Some(out)) => out.push(k),
                            (None, _) if sub.1 => out = None,
                            _ => {}
                        }
                    }
                }
            }
            expanded.insert(key, out);
        }
        let extra_ids: Vec<usize> = types
            .iter()
            .filter(|t| t.extra)
            .filter_map(|t| id(&t.kind, t.named))
            .chain(extras.iter().filter_map(|name| id(name, true)))
            .collect();
        // Direct children per described kind; kinds not described have
        // none listed and stay unknown.
        let mut direct: Vec<Option<Vec<usize>>> = vec![None; count];
        for t in types.iter().filter(|t| t.subtypes.is_empty()) {
            let Some(at) = id(&t.kind, t.named) else {
                continue;
            };
            // A named child the grammar's table lacks leaves the kind
            // unknown: a newer grammar's names must not silently vanish.
            let mut kids = Some(extra_ids.clone());
            for r in t.fields.values().chain(&t.children).flat_map(|c| &c.types) {
                let found = match expanded.get(&(&*r.kind, r.named)) {
                    Some(subtypes) => subtypes.clone(),
                    None => match id(&r.kind, r.named) {
                        Some(k) => Some(vec![k]),
                        None if r.named => None,
                        None => Some(Vec::new()),
                    },
                };
                match (found, kids.as_mut()) {
                    (Some(found), Some(kids)) => kids.extend(found),
                    (None, _) => kids = None,
                    _ => {}
                }
            }
            if let Some(kids) = kids.as_mut() {
                kids.sort_unstable();
                kids.dedup();
            }
            direct[at] = kids;
        }
        // Anonymous tokens outside fields are not listed: any of them may
        // be below any node. So may extras, between two of its tokens.
        let mut tokens = vec![0u64; words];
        for at in 1..count {
            let at16 = at as u16;
            if !grammar.node_kind_is_named(at16) && grammar.node_kind_is_visible(at16) {
                tokens[at / 64] |= 1 << (at % 64);
            }
        }
        let mut below: Vec<Option<Vec<u64>>> = direct
            .iter()
            .map(|kids| {
                kids.as_ref().map(|kids| {
                    let mut bits = tokens.clone();
                    for &k in kids {
                        bits[k / 64] |= 1 << (k % 64);
                    }
                    bits
                })
            })
            .collect();
        // Below a node: its children and what is below them, to a fixed
        // point (the grammar's kinds nest recursively). An unknown child
        // makes its parent unknown.
        let mut union = vec![0u64; words];
        loop {
            let mut changed = false;
            for at in 0..count {
                let (Some(kids), Some(bits)) = (direct[at].as_ref(), below[at].as_ref()) else {
                    continue;
                };
                union.copy_from_slice(bits);
                let mut unknown = false;
                for &k in kids {
                    match &below[k] {
                        Some(bits) => union.iter_mut().zip(bits).for_each(|(u, b)| *u |= b),
                        None => unknown = true,
                    }
                }
                if unknown {
                    below[at] = None;
                    changed = true;
                } else if let Some(bits) = below[at].as_mut().filter(|b| **b != union) {
                    bits.copy_from_slice(&union);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        Some(Containment { below })
    }

    /// Whether a node of kind `parent` may have a descendant of kind
    /// `child` (true for kinds outside the grammar's table, as the error
    /// node's).
    pub fn can_hold(&self, parent: u16, child: u16) -> bool {
        let (parent, child) = (parent as usize, child as usize);
        match self.below.get(parent) {
            Some(Some(bits)) => bits
                .get(child / 64)
                .is_none_or(|w| w & (1 << (child % 64)) != 0),
            _ => true,
        }
    }

    /// The kinds under which a node of one of `targets` may lie, as a set
    /// of ids (`targets` given as ids).
    pub fn holding(&self, grammar: &Language, targets: &[u16]) -> KindSet {
        self.holders(grammar, targets, false)
    }

    /// The kinds that are one of `targets` or under which one may lie.
    pub fn being_or_holding(&self, grammar: &Language, targets: &[u16]) -> KindSet {
        self.holders(grammar, targets, true)
    }

    fn holders(&self, grammar: &Language, targets: &[u16], with_targets: bool) -> KindSet {
        let holders: Vec<u16> = (0..self.below.len() as u16)
            .filter(|&k| {
                (with_targets && targets.contains(&k))
                    || targets.iter().any(|&t| self.can_hold(k, t))
            })
            .collect();
        KindSet::from_ids(grammar, &holders)
    }
}

#[cfg(test)]
mod tests {
    use crate::lang::{fixture_files, Lang};

    /// Every kind found below a node of every fixture file (and of the
    /// samples below) is one the description says it can hold, unless
    /// the node's subtree has a syntax error.
    #[test]
    fn every_descendant_is_one_its_ancestor_can_hold() {
        let samples: &[(Lang, &str)] = &[
            (
                Lang::Python,
                "x = f'{a(b)} {c!r:>{w}}' \\\n  + 'y'  # note\n",
            ),
            (
                Lang::JavaScript,
                "const s = `a${f(/* c */ x)}` + 'b\\n' // d\n",
            ),
            (Lang::TypeScript, "let a: Array<string> = g</* c */ T>(1);"),
            (Lang::Tsx, "const e = <div a={f()}>{/* c */ x}</div>;"),
            (
                Lang::Rust,
                "/// doc\nfn f() { let s = r#\"x\"#; m!(a, \"b\"); /* c */ }",
            ),
        ];
        for lang in Lang::all() {
            let containment = lang.containment().expect("node-types.json reads");
            let mut files = fixture_files(lang);
            files.extend(
                samples
                    .iter()
                    .filter(|(l, _)| *l == lang)
                    .map(|(_, s)| ("sample".to_string(), s.to_string())),
            );
            let mut pairs = 0;
            for (path, source) in files {
                let tree = crate::engine::parse(lang, &source).expect("parses");
                for node in crate::lang::all_nodes(tree.root_node()) {
                    if node.has_error() {
                        continue;
                    }
                    for below in crate::lang::all_nodes(node).into_iter().skip(1) {
                        pairs += 1;
                        assert!(
                            containment.can_hold(node.kind_id(), below.kind_id()),
                            "{path}: {lang:?} {} holds {} at {:?}",
                            node.kind(),
                            below.kind(),
                            below.start_position()
                        );
                    }
                }
            }
            // TSX has no fixture files: its sample alone.
            assert!(pairs > 100, "{lang:?}: only {pairs} pairs checked");
        }
    }

    /// The description does rule kinds out: what the traversal skips.
    #[test]
    fn some_kinds_cannot_hold_others() {
        let cases = [
            (Lang::JavaScript, "string", "call_expression", false),
            (Lang::JavaScript, "template_string", "call_expression", true),
            (Lang::Python, "dotted_name", "call", false),
            // An f-string's interpolation holds any expression.
            (Lang::Python, "string", "call", true),
            (Lang::Rust, "line_comment", "call_expression", false),
            (Lang::Rust, "string_literal", "identifier", false),
            (Lang::TypeScript, "string", "call_expression", false),
            // A comment may sit between any two tokens.
            (Lang::TypeScript, "arguments", "comment", true),
        ];
        for (lang, parent, child, can) in cases {
            let grammar = (lang.info().grammar)();
            let id = |name: &str| grammar.id_for_node_kind(name, true);
            let containment = lang.containment().expect("node-types.json reads");
            assert_eq!(
                containment.can_hold(id(parent), id(child)),
                can,
                "{lang:?}: {parent} holds {child}"
            );
        }
    }
}
