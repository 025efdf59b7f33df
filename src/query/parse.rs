//! Reads tree-sitter query text into the patterns of a [`super::Program`] for the interpreter in
//! [`super::exec`].
//!
//! Anything this reader does not understand (or any name the grammar does
//! not know) is [`Unsupported`]: the caller then compiles the text with
//! tree-sitter instead, which also reports real errors with their position.

use super::{Atom, Elem, NodeTest, Pattern, Quantifier, Seq, TextPredicate};
use crate::memo::RunMemo;
use std::collections::HashMap;
use std::num::NonZeroU16;
use std::sync::Arc;
use tree_sitter::{Language, QueryPredicate, QueryPredicateArg};

/// The text uses something the interpreter does not handle.
#[derive(Debug, PartialEq, Eq)]
pub struct Unsupported;

type Result<T> = std::result::Result<T, Unsupported>;

/// Bytes a capture name may hold besides letters and digits.
const CAPTURE_NAME: &[u8] = b"_-.";

/// Reads `text` (a whole query: any number of patterns) for `grammar`.
pub fn program(text: &str, grammar: &Language) -> Result<(Vec<Pattern>, Vec<String>)> {
    let mut reader = Reader {
        text: text.as_bytes(),
        at: 0,
        grammar,
        capture_names: Vec::new(),
    };
    let mut patterns = Vec::new();
    loop {
        reader.skip_blank();
        if reader.at >= reader.text.len() {
            break;
        }
        let start_byte = reader.at;
        let mut predicates = Vec::new();
        let root = reader.elem(&mut predicates)?;
        // A top-level group with one node and predicates is that node.
        let root = match root {
            Elem {
                atom: Atom::Group(seq),
                field: None,
                quantifier: Quantifier::One,
                captures,
            } if captures.is_empty() && seq.items.len() == 1 && !seq.has_anchors() => {
                seq.items.into_iter().next().ok_or(Unsupported)?
            }
            other => other,
        };
        if root.field.is_some()
            || root.quantifier != Quantifier::One
            || matches!(root.atom, Atom::Group(_))
            || !root.atom.is_single_node()
        {
            return Err(Unsupported);
        }
        let (text_predicates, general) = split_predicates(predicates)?;
        patterns.push(Pattern {
            root,
            text_predicates,
            general,
            start_byte,
        });
    }
    Ok((patterns, reader.capture_names))
}

/// A predicate as written: operator (without `#`) and arguments.
struct RawPredicate {
    operator: String,
    args: Vec<QueryPredicateArg>,
}

/// `#eq?`-like predicates the interpreter evaluates, and the rest kept for
/// the caller, like tree-sitter's `general_predicates`.
fn split_predicates(raw: Vec<RawPredicate>) -> Result<(Vec<TextPredicate>, Vec<QueryPredicate>)> {
    let mut text = Vec::new();
    let mut general = Vec::new();
    for p in raw {
        let negated = p.operator.starts_with("not-");
        match (p.operator.as_str(), &p.args[..]) {
            ("eq?" | "not-eq?", [QueryPredicateArg::Capture(c), QueryPredicateArg::String(s)]) => {
                text.push(TextPredicate::EqString {
                    capture: *c,
                    value: s.to_string(),
                    negated,
                })
            }
            ("eq?" | "not-eq?", [QueryPredicateArg::Capture(a), QueryPredicateArg::Capture(b)]) => {
                text.push(TextPredicate::EqCapture {
                    capture: *a,
                    other: *b,
                    negated,
                })
            }
            ("any-of?" | "not-any-of?", [QueryPredicateArg::Capture(c), values @ ..]) => {
                let values = values
                    .iter()
                    .map(|v| match v {
                        QueryPredicateArg::String(s) => Ok(s.to_string()),
                        QueryPredicateArg::Capture(_) => Err(Unsupported),
                    })
                    .collect::<Result<Vec<_>>>()?;
                text.push(TextPredicate::AnyOf {
                    capture: *c,
                    values,
                    negated,
                })
            }
            // Text predicates in forms or variants not handled here, and
            // property predicates, are left to tree-sitter.
            (
                "eq?" | "not-eq?" | "any-of?" | "not-any-of?" | "match?" | "not-match?" | "any-eq?"
                | "any-not-eq?" | "any-match?" | "any-not-match?" | "is?" | "is-not?" | "set!",
                _,
            ) => return Err(Unsupported),
            _ => general.push(QueryPredicate {
                operator: p.operator.into_boxed_str(),
                args: p.args.into_boxed_slice(),
            }),
        }
    }
    Ok((text, general))
}

struct Reader<'a> {
    text: &'a [u8],
    at: usize,
    grammar: &'a Language,
    capture_names: Vec<String>,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// Skips whitespace and `;` comments.
    fn skip_blank(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() {
                self.at += 1;
            } else if c == b';' {
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.at += 1;
                }
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_blank();
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// A node kind or field name (`supertype/kind` too).
    fn identifier(&mut self) -> Result<String> {
        self.word(b"_/")
    }

    /// A run of ASCII letters, digits and `extra` bytes.
    fn word(&mut self, extra: &[u8]) -> Result<String> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
        {
            self.at += 1;
        }
        if self.at == start {
            return Err(Unsupported);
        }
        std::str::from_utf8(&self.text[start..self.at])
            .map(str::to_string)
            .map_err(|_| Unsupported)
    }

    /// A double-quoted string, unescaped like tree-sitter does.
    fn string(&mut self) -> Result<String> {
        if !self.eat(b'"') {
            return Err(Unsupported);
        }
        let mut out = Vec::new();
        loop {
            let c = self.peek().ok_or(Unsupported)?;
            self.at += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek().ok_or(Unsupported)?;
                    self.at += 1;
                    out.push(match e {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'0' => 0,
                        other => other,
                    });
                }
                other => out.push(other),
            }
        }
        String::from_utf8(out).map_err(|_| Unsupported)
    }

    fn capture_index(&mut self, name: &str, define: bool) -> Result<u32> {
        if let Some(i) = self.capture_names.iter().position(|n| n == name) {
            return u32::try_from(i).map_err(|_| Unsupported);
        }
        if !define {
            return Err(Unsupported);
        }
        self.capture_names.push(name.to_string());
        u32::try_from(self.capture_names.len() - 1).map_err(|_| Unsupported)
    }

    /// One element: `field: atom quantifier @captures`.
    fn elem(&mut self, predicates: &mut Vec<RawPredicate>) -> Result<Elem> {
        self.skip_blank();
        let mut field = None;
        let save = self.at;
        if self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        {
            let name = self.identifier()?;
            self.skip_blank();
            if self.peek() == Some(b':') {
                self.at += 1;
                field = Some(self.field_id(&name)?);
            } else {
                self.at = save;
            }
        }
        self.skip_blank();
        let atom = match self.peek().ok_or(Unsupported)? {
            b'(' => self.parenthesized(predicates)?,
            b'[' => {
                self.at += 1;
                let mut branches = Vec::new();
                while !self.eat(b']') {
                    if self.peek() == Some(b'(') && self.text.get(self.at + 1) == Some(&b'#') {
                        predicates.push(self.predicate()?);
                        continue;
                    }
                    branches.push(self.elem(predicates)?);
                }
                if branches.is_empty() {
                    return Err(Unsupported);
                }
                Atom::Alternation(branches)
            }
            b'"' => {
                let name = self.string()?;
                Atom::Node {
                    test: NodeTest::Kinds(self.kind_ids(&name, false)?),
                    seq: Seq::default(),
                    negated: Vec::new(),
                }
            }
            b'_' => {
                self.at += 1;
                if self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                {
                    return Err(Unsupported);
                }
                Atom::Node {
                    test: NodeTest::Any,
                    seq: Seq::default(),
                    negated: Vec::new(),
                }
            }
            _ => return Err(Unsupported),
        };
        self.skip_blank();
        let quantifier = match self.peek() {
            Some(b'?') => Quantifier::ZeroOrOne,
            // tree-sitter reports repetitions in ways of its own (each
            // repeated node as a match of its own in some positions, all
            // of them in one match in others): left to it.
            Some(b'*' | b'+') => return Err(Unsupported),
            _ => Quantifier::One,
        };
        if quantifier != Quantifier::One {
            self.at += 1;
        }
        let mut captures = Vec::new();
        while self.eat(b'@') {
            let name = self.word(CAPTURE_NAME)?;
            captures.push(self.capture_index(&name, true)?);
        }
        // A capture on a group or on an alternation with group branches
        // names no single node.
        if (!captures.is_empty() || field.is_some()) && !atom.is_single_node() {
            return Err(Unsupported);
        }
        Ok(Elem {
            field,
            atom,
            quantifier,
            captures,
        })
    }

    /// `(kind children…)`, `(_ …)`, a group `((a) (b))`; the caller has
    /// checked the `(`.
    fn parenthesized(&mut self, predicates: &mut Vec<RawPredicate>) -> Result<Atom> {
        self.at += 1;
        self.skip_blank();
        let test = match self.peek().ok_or(Unsupported)? {
            b'(' | b'[' | b'"' | b'.' => None,
            b'_' if !self
                .text
                .get(self.at + 1)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') =>
            {
                self.at += 1;
                Some(NodeTest::AnyNamed)
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let name = self.identifier()?;
                Some(self.named_test(&name)?)
            }
            _ => return Err(Unsupported),
        };
        let mut seq = Seq::default();
        let mut negated = Vec::new();
        let mut anchor = false;
        loop {
            self.skip_blank();
            match self.peek().ok_or(Unsupported)? {
                b')' => {
                    self.at += 1;
                    break;
                }
                b'.' => {
                    self.at += 1;
                    anchor = true;
                }
                b'!' => {
                    self.at += 1;
                    let name = self.identifier()?;
                    negated.push(self.field_id(&name)?);
                }
                b'(' if self.text.get(self.at + 1) == Some(&b'#') => {
                    predicates.push(self.predicate()?);
                }
                _ => {
                    let elem = self.elem(predicates)?;
                    seq.anchor_before.push(anchor);
                    seq.items.push(elem);
                    anchor = false;
                }
            }
        }
        seq.anchor_end = anchor;
        match test {
            Some(test) => Ok(Atom::Node { test, seq, negated }),
            None if negated.is_empty() && !seq.items.is_empty() && !seq.anchor_end => {
                Ok(Atom::Group(seq))
            }
            None => Err(Unsupported),
        }
    }

    /// `(#op? args…)`; the caller has checked the `(#`.
    fn predicate(&mut self) -> Result<RawPredicate> {
        self.at += 2;
        let operator = self.word(b"_-?!")?;
        let mut args = Vec::new();
        loop {
            self.skip_blank();
            match self.peek().ok_or(Unsupported)? {
                b')' => {
                    self.at += 1;
                    break;
                }
                b'@' => {
                    self.at += 1;
                    let name = self.word(CAPTURE_NAME)?;
                    args.push(QueryPredicateArg::Capture(
                        self.capture_index(&name, false)?,
                    ));
                }
                b'"' => args.push(QueryPredicateArg::String(self.string()?.into_boxed_str())),
                _ => args.push(QueryPredicateArg::String(
                    self.word(b"_-.")?.into_boxed_str(),
                )),
            }
        }
        Ok(RawPredicate { operator, args })
    }

    fn field_id(&self, name: &str) -> Result<NonZeroU16> {
        self.grammar.field_id_for_name(name).ok_or(Unsupported)
    }

    /// The test for `(name …)`: a kind, a supertype (any of its subtypes),
    /// `supertype/kind`, or `ERROR`.
    fn named_test(&self, name: &str) -> Result<NodeTest> {
        if name == "ERROR" {
            return Ok(NodeTest::Error);
        }
        if name == "MISSING" {
            return Err(Unsupported);
        }
        if let Some((_, sub)) = name.split_once('/') {
            return Ok(NodeTest::Kinds(self.kind_ids(sub, true)?));
        }
        let supertypes: Vec<u16> = self
            .grammar
            .supertypes()
            .iter()
            .copied()
            .filter(|id| self.grammar.node_kind_for_id(*id) == Some(name))
            .collect();
        if supertypes.is_empty() {
            return Ok(NodeTest::Kinds(self.kind_ids(name, true)?));
        }
        // Subtypes can be supertypes themselves (Python's
        // `primary_expression` is an `expression`): expand them.
        let all = self.grammar.supertypes();
        let mut subtypes = Vec::new();
        let mut seen = supertypes.clone();
        let mut pending = supertypes;
        while let Some(id) = pending.pop() {
            for &sub in self.grammar.subtypes_for_supertype(id) {
                if all.contains(&sub) {
                    if !seen.contains(&sub) {
                        seen.push(sub);
                        pending.push(sub);
                    }
                } else {
                    subtypes.push(sub);
                }
            }
        }
        subtypes.sort_unstable();
        subtypes.dedup();
        if subtypes.is_empty() {
            Err(Unsupported)
        } else {
            Ok(NodeTest::Kinds(subtypes))
        }
    }

    /// Every symbol spelled `name` with this namedness (aliases can give a
    /// name several ids).
    fn kind_ids(&self, name: &str, named: bool) -> Result<Vec<u16>> {
        kind_names(self.grammar)
            .get(name)
            .map(|[anonymous, named_ids]| if named { named_ids } else { anonymous })
            .filter(|ids| !ids.is_empty())
            .cloned()
            .ok_or(Unsupported)
    }
}

/// A grammar's symbol ids by name: anonymous ones, then named ones.
type KindNames = HashMap<String, [Vec<u16>; 2]>;

/// Every id of the named node kind `name` of `grammar`, ascending
/// (aliases can give one name several ids).
pub fn named_kind_ids(grammar: &Language, name: &str) -> Vec<u16> {
    kind_names(grammar)
        .get(name)
        .map(|[_, named]| named.clone())
        .unwrap_or_default()
}

/// The name index of `grammar`, built once per run: a query names a kind
/// at every node, and scanning the grammar's few hundred symbols for each
/// name was 1.6 % of the instructions of a small run.
fn kind_names(grammar: &Language) -> Arc<KindNames> {
    static BY_GRAMMAR: RunMemo<Language, Arc<KindNames>> = RunMemo::new();
    BY_GRAMMAR.get_or(grammar, || {
        let mut names = KindNames::new();
        let count = u16::try_from(grammar.node_kind_count()).unwrap_or(u16::MAX);
        for id in 0..count {
            if let Some(name) = grammar.node_kind_for_id(id) {
                let named = usize::from(grammar.node_kind_is_named(id));
                names.entry(name.to_string()).or_default()[named].push(id);
            }
        }
        Arc::new(names)
    })
}
