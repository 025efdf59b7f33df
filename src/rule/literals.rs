//! Literals a node's text must contain for a query to match there.
//!
//! Running a tree-sitter query cursor at a candidate node costs far more
//! than a substring search over the node's text, and most candidates fail
//! on a name (`execute`, `system`, `yaml`…) that a `where:` regex or a
//! `#eq?`/`#any-of?`/`#match?` predicate pins down. This module reads the
//! query's text as a tree (nodes, alternations, groups, quantifiers,
//! captures), works out per pattern which captures every match has, and
//! turns their constraints into a set of literals one of which must occur
//! in the matched node's text (a captured node lies inside the matched
//! one). The check may only ever be looser than the query: anything this
//! reader does not understand means "no requirement".

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use std::collections::HashMap;

/// A set of literals one of which must occur; `None`: no requirement.
pub(super) type Need = Option<Literals>;

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Literals {
    words: Vec<Vec<u8>>,
    /// Compare ASCII letters without case.
    fold_case: bool,
}

impl Literals {
    /// How selective the set is: longer shortest literal, then fewer.
    fn score(&self) -> (usize, std::cmp::Reverse<usize>) {
        let shortest = self.words.iter().map(Vec::len).min().unwrap_or(0);
        (shortest.min(6), std::cmp::Reverse(self.words.len()))
    }
}

/// Both must hold: keep the more selective requirement.
fn both(a: Need, b: Need) -> Need {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.score() > a.score() { b } else { a }),
        (a, None) => a,
        (None, b) => b,
    }
}

/// One of them holds: both sets together, or nothing if one has none.
fn either(a: Need, b: Need) -> Need {
    let (mut a, b) = (a?, b?);
    for w in b.words {
        if !a.words.contains(&w) {
            a.words.push(w);
        }
    }
    a.fold_case |= b.fold_case;
    Some(a)
}

/// What a query needs of a node's text, by the kind of the node.
#[derive(Debug)]
pub struct RequiredLiterals {
    /// Node kind ids with the literals one of which a node of that kind
    /// must contain (`None`: nothing required).
    by_kind: Vec<(u16, Option<Searchable>)>,
}

/// Words one of which a node of some kind holds, and whether ASCII case is
/// ignored.
pub type KindWords<'a> = (&'a [Vec<u8>], bool);

/// Words one of which a node must hold, with their automaton, built the
/// first time a node is searched: the needs of top-level queries are
/// answered by the file's [`super::occurrences`] instead, so theirs are
/// never built.
#[derive(Debug)]
struct Searchable {
    literals: Literals,
    automaton: std::sync::OnceLock<Option<AhoCorasick>>,
}

impl Searchable {
    fn occurs_in(&self, text: &[u8]) -> bool {
        let automaton = self.automaton.get_or_init(|| {
            AhoCorasickBuilder::new()
                // Many small automata live for the whole run: the
                // contiguous NFA is the compact kind.
                .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                .ascii_case_insensitive(self.literals.fold_case)
                .build(&self.literals.words)
                .ok()
        });
        // An automaton that cannot be built filters nothing.
        automaton.as_ref().is_none_or(|ac| ac.is_match(text))
    }
}

impl RequiredLiterals {
    /// Whether a node of `kind_id` with this `text` may match. Kinds the
    /// query does not start at are left to the root-kind check.
    pub fn may_match(&self, kind_id: u16, text: &[u8]) -> bool {
        match self.by_kind.iter().find(|(k, _)| *k == kind_id) {
            Some((_, need)) => need.as_ref().is_none_or(|need| need.occurs_in(text)),
            None => true,
        }
    }

    /// Per root kind, the words one of which a node of that kind contains
    /// and whether ASCII case is ignored (`None`: nothing required).
    pub fn words_by_kind(&self) -> impl Iterator<Item = (u16, Option<KindWords<'_>>)> {
        self.by_kind.iter().map(|(kind, need)| {
            (
                *kind,
                need.as_ref()
                    .map(|n| (n.literals.words.as_slice(), n.literals.fold_case)),
            )
        })
    }
}

/// What a capture's `where:` entry asks of its text that literals can
/// tell.
#[derive(Debug, Clone, PartialEq)]
pub enum WhereText {
    /// The text matches this regex.
    Regex(String),
    /// The text holds a secret (`secret: true`, or `secret-key` naming the
    /// capture of the key name as `key`).
    Secret { key: Option<String> },
}

/// The literal requirements of a query, per root kind, or `None` when the
/// text is not understood, some pattern's root kind is not named, or no
/// kind requires anything. `where_texts` gives what the `where:` entry of
/// a capture name asks of its text; `kind_ids` maps a kind name to its
/// ids. Needs only the rule's text, so it can be known before the query is
/// compiled.
pub fn required_literals(
    query_text: &str,
    where_texts: impl Fn(&str) -> Vec<WhereText>,
    kind_ids: impl Fn(&str) -> Vec<u16>,
) -> Option<RequiredLiterals> {
    required_literals_beside(query_text, where_texts, kind_ids, |_| None)
}

/// [`required_literals`], where the matched node must also hold, by the
/// name of its kind, what `beside` says the matcher's other parts need
/// (see [`beside_query`]).
pub(super) fn required_literals_beside(
    query_text: &str,
    where_texts: impl Fn(&str) -> Vec<WhereText>,
    kind_ids: impl Fn(&str) -> Vec<u16>,
    beside: impl Fn(&str) -> Need,
) -> Option<RequiredLiterals> {
    let patterns = Reader::new(query_text).patterns()?;
    // Per root kind id: the union of its patterns' requirements.
    let mut needs: Vec<(u16, Need)> = Vec::new();
    for pattern in &patterns {
        let root = pattern.root_kind()?;
        let ids = kind_ids(root);
        if ids.is_empty() {
            return None;
        }
        let by_capture = capture_needs(pattern, &where_texts);
        let need = both(pattern.need(&by_capture), beside(root));
        for id in ids {
            match needs.iter_mut().find(|(k, _)| *k == id) {
                Some((_, slot)) => *slot = either(slot.take(), need.clone()),
                None => needs.push((id, need.clone())),
            }
        }
    }
    if needs.iter().all(|(_, need)| need.is_none()) {
        return None;
    }
    let mut by_kind = Vec::new();
    for (id, need) in needs {
        let need = need.map(|literals| Searchable {
            literals,
            automaton: std::sync::OnceLock::new(),
        });
        by_kind.push((id, need));
    }
    Some(RequiredLiterals { by_kind })
}

/// What the text of a node of kind `kind` holds for the parts of `spec`
/// other than its query to accept the node: its `regex`, and those of the
/// `all` parts and of the `any` branches that can accept a node of that
/// kind (a branch whose `kind` names others cannot). Relations and `not`
/// are about other nodes or ask for nothing. `None`: nothing is known.
pub(super) fn beside_query(spec: &super::schema::MatcherSpec, kind: &str) -> Need {
    spec_need(spec, kind).flatten()
}

/// `None` when `spec` accepts no node of kind `kind`; else what such a
/// node's text holds when it does.
fn spec_need(spec: &super::schema::MatcherSpec, kind: &str) -> Option<Need> {
    if spec
        .kind
        .as_ref()
        .is_some_and(|kinds| !kinds.to_vec().iter().any(|k| k == kind))
    {
        return None;
    }
    let mut need = spec.regex.as_ref().and_then(|r| regex_literals(&r.value));
    for part in spec.all.iter().flatten() {
        need = both(need, spec_need(&part.value, kind)?);
    }
    if let Some(branches) = &spec.any {
        let mut possible = branches.iter().filter_map(|b| spec_need(&b.value, kind));
        let first = possible.next()?;
        need = both(need, possible.fold(first, either));
    }
    Some(need)
}

/// The capture names a query's text uses, or `None` for text this reader
/// does not understand.
pub fn capture_names(query_text: &str) -> Option<Vec<String>> {
    let patterns = Reader::new(query_text).patterns()?;
    let mut names: Vec<&str> = Vec::new();
    for pattern in &patterns {
        pattern.capture_names(&mut names);
    }
    let mut out: Vec<String> = Vec::new();
    for name in names {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    Some(out)
}

/// Requirements per capture name from `where:` entries and the pattern's
/// text predicates.
fn capture_needs(
    pattern: &Item,
    where_texts: &impl Fn(&str) -> Vec<WhereText>,
) -> HashMap<String, Literals> {
    let mut out: HashMap<String, Need> = HashMap::new();
    let mut add = |name: &str, need: Need| {
        let slot = out.entry(name.to_string()).or_insert(None);
        *slot = both(slot.take(), need);
    };
    let mut names = Vec::new();
    pattern.capture_names(&mut names);
    for &name in &names {
        for text in where_texts(name) {
            let need = match text {
                WhereText::Regex(re) => regex_literals(&re),
                // Without a key name in the pattern, only the detectors
                // that scan text can find the secret, and each runs only
                // where one of its keywords occurs.
                WhereText::Secret { key } if key.as_deref().is_none_or(|k| !names.contains(&k)) => {
                    secret_keywords()
                }
                // With one, a detector bound to key names may accept the
                // value instead. Either way the word lies inside the node
                // the pattern starts at, where requirements are checked
                // (see `RequiredLiterals::may_match`), so the secret's
                // capture may carry both.
                WhereText::Secret { .. } => either(secret_keywords(), secret_key_words()),
            };
            add(name, need);
        }
    }
    let mut predicates = Vec::new();
    pattern.predicates(&mut predicates);
    for (op, args) in predicates {
        let [Arg::Capture(name), rest @ ..] = args else {
            continue;
        };
        let strings: Option<Vec<&str>> = rest
            .iter()
            .map(|a| match a {
                Arg::String(s) => Some(s.as_str()),
                Arg::Capture(_) => None,
            })
            .collect();
        let Some(strings) = strings.filter(|s| !s.is_empty()) else {
            continue;
        };
        let need = match op.as_str() {
            "eq?" | "any-of?" => exact(&strings),
            "match?" if strings.len() == 1 => regex_literals(strings[0]),
            _ => None,
        };
        add(name, need);
    }
    out.into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
}

/// The keywords one of which a text holds for a secret detector to find
/// anything in it without a key name (ASCII case ignored).
fn secret_keywords() -> Need {
    let words: Vec<Vec<u8>> = crate::secrets::detectors::builtin()
        .keywords()
        .map(|k| k.as_bytes().to_vec())
        .collect();
    if words.is_empty() || words.iter().any(Vec::is_empty) {
        return None;
    }
    Some(Literals {
        words,
        fold_case: true,
    })
}

/// The words one of which a key name's text holds for a detector bound to
/// key names to accept it. Each such detector's `key` regex runs on the
/// normalised name (`dbPassword` → `db_password`, see
/// `crate::secrets::keys::normalize`); each alphanumeric run of that name
/// is a run of the raw text lowercased, so the raw text holds, ASCII case
/// aside, the longest run of a word the regex needs. Normalising lowercases
/// two other characters to ASCII letters (KELVIN SIGN, CAPITAL I WITH DOT
/// ABOVE): they count as words too.
fn secret_key_words() -> Need {
    let mut words: Vec<Vec<u8>> = ["\u{212A}", "\u{130}"]
        .iter()
        .map(|w| w.as_bytes().to_vec())
        .collect();
    for pattern in crate::secrets::detectors::builtin().key_regexes() {
        for word in regex_literals(pattern)?.words {
            let run = word
                .split(|b| !b.is_ascii_alphanumeric())
                .max_by_key(|run| run.len())
                .filter(|run| !run.is_empty())?
                .to_ascii_lowercase();
            if !words.contains(&run) {
                words.push(run);
            }
        }
    }
    Some(Literals {
        words,
        fold_case: true,
    })
}

fn exact(words: &[&str]) -> Need {
    if words.iter().any(|w| w.is_empty()) {
        return None;
    }
    Some(Literals {
        words: words.iter().map(|w| w.as_bytes().to_vec()).collect(),
        fold_case: false,
    })
}

/// Literals one of which every match of `pattern` contains. Read with
/// the regex's syntax check, from the same parse ([`super::rule_regex`]);
/// an invalid pattern needs nothing.
fn regex_literals(pattern: &str) -> Need {
    super::rule_regex::shared(pattern)
        .ok()
        .and_then(|regex| regex.words().clone())
}

/// The text to read literals from, and whether they fold case: a leading
/// `(?i)` is read as ASCII case folding of the literals (a superset of
/// what the regex accepts, which is all a prefilter needs) rather than as
/// every case variant of every word.
pub(super) fn without_leading_fold_case(pattern: &str) -> (&str, bool) {
    match pattern.strip_prefix("(?i)") {
        Some(rest) if rest.is_ascii() && !rest.contains("(?") => (rest, true),
        _ => (pattern, false),
    }
}

/// The literals every match of a regex parsed as `hir` contains: the
/// words it starts with (`regex-syntax`'s extractor) or, failing that,
/// words it contains anywhere. Which parse is read, and why over bytes:
/// `rule_regex::read`.
pub(super) fn of_regex(hir: &regex_syntax::hir::Hir, fold_case: bool) -> Need {
    use regex_syntax::hir::literal::Extractor;
    let prefixes = Extractor::new().extract(hir).literals().and_then(|found| {
        if found.is_empty() || found.iter().any(|l| l.as_bytes().is_empty()) {
            return None;
        }
        Some(Literals {
            words: found.iter().map(|l| l.as_bytes().to_vec()).collect(),
            fold_case,
        })
    });
    let inner = inner_literals(hir).map(|words| Literals { words, fold_case });
    both(prefixes, inner)
}

/// `hir` with ASCII case folded away, for its words to be looked for
/// with ASCII case ignored: a literal is lowercased, and a class of just
/// the two cases of one ASCII letter (what `(?i)` makes of it over bytes,
/// or in Unicode mode when no other character folds to it) becomes that
/// letter in lower case. A pattern that switches case folding on and off
/// inside (`(?i)…(?-i:\s)…`) keeps no leading `(?i)` to strip, and its
/// words would otherwise be lost in classes. Every other class is left as
/// it is: a search that ignores ASCII case finds its members too.
pub(super) fn folded(hir: &regex_syntax::hir::Hir) -> Option<regex_syntax::hir::Hir> {
    let mut pairs = 0;
    let out = fold(hir, &mut pairs);
    (pairs > 0).then_some(out)
}

/// [`folded`], counting the classes that became letters in `pairs`.
fn fold(hir: &regex_syntax::hir::Hir, pairs: &mut usize) -> regex_syntax::hir::Hir {
    use regex_syntax::hir::{Capture, Class, Hir, HirKind, Repetition};
    // The letter of a class of exactly its two ASCII cases.
    let letter = |ranges: Vec<(u32, u32)>| -> Option<u8> {
        let [(a, a_end), (b, b_end)] = ranges[..] else {
            return None;
        };
        let (upper, lower) = (u8::try_from(a).ok()?, u8::try_from(b).ok()?);
        let single = a == a_end && b == b_end;
        (single && upper.is_ascii_uppercase() && lower == upper.to_ascii_lowercase())
            .then_some(lower)
    };
    let class_letter = |class: &Class| match class {
        Class::Bytes(c) => letter(
            c.ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end())))
                .collect(),
        ),
        Class::Unicode(c) => letter(
            c.ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end())))
                .collect(),
        ),
    };
    match hir.kind() {
        HirKind::Literal(lit) => Hir::literal(lit.0.to_ascii_lowercase()),
        HirKind::Class(class) => match class_letter(class) {
            Some(lower) => {
                *pairs += 1;
                Hir::literal([lower])
            }
            None => hir.clone(),
        },
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(|p| fold(p, pairs)).collect()),
        HirKind::Alternation(branches) => {
            Hir::alternation(branches.iter().map(|b| fold(b, pairs)).collect())
        }
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            sub: Box::new(fold(&rep.sub, pairs)),
            ..rep.clone()
        }),
        HirKind::Capture(cap) => Hir::capture(Capture {
            sub: Box::new(fold(&cap.sub, pairs)),
            ..cap.clone()
        }),
        HirKind::Empty | HirKind::Look(_) => hir.clone(),
    }
}

/// Words one of which every match of `hir` contains anywhere, not only at
/// its start: `^\(?\s*request\.(json|form)` needs `request.`, which a
/// prefix extractor gives up on after the optional parenthesis.
fn inner_literals(hir: &regex_syntax::hir::Hir) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::HirKind;
    let score = |words: &Vec<Vec<u8>>| {
        let shortest = words.iter().map(Vec::len).min().unwrap_or(0);
        (shortest.min(6), std::cmp::Reverse(words.len()))
    };
    match hir.kind() {
        HirKind::Literal(lit) if !lit.0.is_empty() => Some(vec![lit.0.to_vec()]),
        HirKind::Capture(c) => inner_literals(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => inner_literals(&r.sub),
        // Every part occurs: the most selective one will do.
        HirKind::Concat(parts) => parts
            .iter()
            .filter_map(inner_literals)
            .max_by_key(|w| score(w)),
        // One branch occurs: each must have words.
        HirKind::Alternation(branches) => {
            let mut words: Vec<Vec<u8>> = Vec::new();
            for branch in branches {
                for w in inner_literals(branch)? {
                    if !words.contains(&w) {
                        words.push(w);
                    }
                }
            }
            Some(words)
        }
        _ => None,
    }
}

/// Literals one of which the text of any node a matcher matches contains,
/// so a `has:` relation need not walk the descendants of a node whose text
/// holds none of its target's literals (a descendant's text lies inside
/// the node's).
#[derive(Debug)]
pub struct TextLiterals(AhoCorasick);

impl TextLiterals {
    /// What a node matching `matcher` contains, from its regexes and those
    /// of the parts that must hold with it; `None` when nothing is known.
    pub fn of(matcher: &crate::matcher::Matcher) -> Option<TextLiterals> {
        let need = matcher_need(matcher)?;
        let automaton = AhoCorasickBuilder::new()
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .ascii_case_insensitive(need.fold_case)
            .build(&need.words)
            .ok()?;
        Some(TextLiterals(automaton))
    }

    /// Whether `text` holds one of the literals.
    pub fn occur_in(&self, text: &[u8]) -> bool {
        self.0.is_match(text)
    }

    /// Every occurrence of a literal in `text`, overlapping ones included,
    /// as byte ranges shifted by `offset`, sorted by start.
    pub fn occurrences(&self, text: &[u8], offset: usize) -> Vec<(usize, usize)> {
        // The automaton is built with the standard match kind, which
        // overlapping search needs; were it not, the whole text stands in.
        let Ok(matches) = self.0.try_find_overlapping_iter(text) else {
            return vec![(offset, offset + text.len())];
        };
        let mut found: Vec<(usize, usize)> = matches
            .map(|m| (offset + m.start(), offset + m.end()))
            .collect();
        found.sort_unstable();
        found
    }
}

fn matcher_need(matcher: &crate::matcher::Matcher) -> Need {
    use crate::matcher::RelationKind;
    let mut need = matcher.regex.as_ref().and_then(|r| r.words().clone());
    need = both(need, matcher.query.as_ref().and_then(query_need));
    for part in &matcher.all {
        need = both(need, matcher_need(part));
    }
    for relation in &matcher.relations {
        if relation.kind == RelationKind::Has {
            need = both(need, matcher_need(&relation.target));
        }
    }
    let any = matcher
        .any
        .iter()
        .map(matcher_need)
        .reduce(either)
        .flatten();
    both(need, any)
}

/// What the text of any node `query` matches holds: the literals its
/// root kinds require, all of them together.
fn query_need(query: &crate::matcher::QueryMatcher) -> Need {
    let required = query.required.as_ref()?;
    query
        .root_kinds
        .as_ref()?
        .iter()
        .map(|root| {
            let (_, need) = required.by_kind.iter().find(|(kind, _)| kind == root)?;
            Some(need.as_ref()?.literals.clone())
        })
        .reduce(either)
        .flatten()
}

/// One element of a query pattern.
#[derive(Debug)]
enum Item {
    /// `(kind child…)`, `(_ …)` or a grouped sequence `((a) (b))` (no
    /// kind).
    Node(Option<String>, Vec<Item>),
    /// `[a b c]`.
    Alternation(Vec<Item>),
    /// `"token"`, `_`: no requirement of its own.
    Leaf,
    /// `(#op? @capture "arg"…)`.
    Predicate(String, Vec<Arg>),
    /// An item with its quantifier and captures.
    Decorated {
        item: Box<Item>,
        optional: bool,
        captures: Vec<String>,
    },
}

#[derive(Debug)]
enum Arg {
    Capture(String),
    String(String),
}

impl Item {
    /// The node kind a top-level pattern starts at, if it names one.
    fn root_kind(&self) -> Option<&str> {
        match self {
            Item::Decorated { item, .. } => item.root_kind(),
            Item::Node(kind, _) => kind.as_deref(),
            _ => None,
        }
    }

    fn need(&self, by_capture: &HashMap<String, Literals>) -> Need {
        match self {
            Item::Node(_, children) => children
                .iter()
                .fold(None, |acc, c| both(acc, c.need(by_capture))),
            Item::Alternation(branches) => {
                let mut branches = branches
                    .iter()
                    .filter(|b| !matches!(b, Item::Predicate(..)));
                let first = branches.next()?.need(by_capture);
                branches.fold(first, |acc, b| either(acc, b.need(by_capture)))
            }
            Item::Leaf | Item::Predicate(..) => None,
            Item::Decorated {
                item,
                optional,
                captures,
            } => {
                if *optional {
                    return None;
                }
                captures.iter().fold(item.need(by_capture), |acc, c| {
                    both(acc, by_capture.get(c).cloned())
                })
            }
        }
    }

    fn capture_names<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Item::Node(_, items) | Item::Alternation(items) => {
                items.iter().for_each(|i| i.capture_names(out))
            }
            Item::Decorated { item, captures, .. } => {
                out.extend(captures.iter().map(String::as_str));
                item.capture_names(out);
            }
            Item::Leaf | Item::Predicate(..) => {}
        }
    }

    fn predicates<'a>(&'a self, out: &mut Vec<(String, &'a [Arg])>) {
        match self {
            Item::Node(_, items) | Item::Alternation(items) => {
                items.iter().for_each(|i| i.predicates(out))
            }
            Item::Decorated { item, .. } => item.predicates(out),
            Item::Predicate(op, args) => out.push((op.clone(), args)),
            Item::Leaf => {}
        }
    }
}

/// A reader of tree-sitter query text; every method returns `None` on
/// text it does not understand.
struct Reader<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Reader {
            text: text.as_bytes(),
            at: 0,
        }
    }

    fn patterns(mut self) -> Option<Vec<Item>> {
        let mut out = Vec::new();
        loop {
            self.skip_space();
            if self.at >= self.text.len() {
                break;
            }
            out.push(self.decorated()?);
        }
        (!out.is_empty()).then_some(out)
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if c == b';' {
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.at += 1;
                }
            } else if c.is_ascii_whitespace() {
                self.at += 1;
            } else {
                break;
            }
        }
    }

    fn name(&mut self) -> &'a str {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || b"_-.?!/".contains(&c))
        {
            self.at += 1;
        }
        std::str::from_utf8(&self.text[start..self.at]).unwrap_or("")
    }

    fn string(&mut self) -> Option<String> {
        self.at += 1; // opening quote
        let mut out = Vec::new();
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return String::from_utf8(out).ok();
                }
                b'\\' => {
                    self.at += 1;
                    let c = self.peek()?;
                    out.push(match c {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'r' => b'\r',
                        b'0' => 0,
                        other => other,
                    });
                }
                c => out.push(c),
            }
            self.at += 1;
        }
    }

    /// An item followed by its quantifier and captures.
    fn decorated(&mut self) -> Option<Item> {
        let item = self.item()?;
        if matches!(item, Item::Predicate(..)) {
            return Some(item);
        }
        let mut optional = false;
        let mut captures = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Some(b'?' | b'*') => {
                    optional = true;
                    self.at += 1;
                }
                Some(b'+') => self.at += 1,
                Some(b'@') => {
                    self.at += 1;
                    let name = self.name();
                    if name.is_empty() {
                        return None;
                    }
                    captures.push(name.to_string());
                }
                _ => break,
            }
        }
        Some(Item::Decorated {
            item: Box::new(item),
            optional,
            captures,
        })
    }

    fn item(&mut self) -> Option<Item> {
        self.skip_space();
        match self.peek()? {
            b'"' => {
                self.string()?;
                Some(Item::Leaf)
            }
            b'[' => {
                self.at += 1;
                Some(Item::Alternation(self.children(b']')?))
            }
            b'(' => {
                self.at += 1;
                self.skip_space();
                match self.peek()? {
                    b'#' => {
                        self.at += 1;
                        self.predicate()
                    }
                    b'(' | b'[' | b'"' | b'.' => Some(Item::Node(None, self.children(b')')?)),
                    _ => {
                        let kind = self.name();
                        if kind.is_empty() {
                            return None;
                        }
                        let kind = (kind != "_").then(|| kind.to_string());
                        Some(Item::Node(kind, self.children(b')')?))
                    }
                }
            }
            _ => {
                // A bare wildcard `_` (or another bare name).
                if self.name().is_empty() {
                    return None;
                }
                Some(Item::Leaf)
            }
        }
    }

    /// Children up to `close`, skipping fields (`name:`), negated fields
    /// (`!name`) and anchors (`.`).
    fn children(&mut self, close: u8) -> Option<Vec<Item>> {
        let mut out = Vec::new();
        loop {
            self.skip_space();
            match self.peek()? {
                c if c == close => {
                    self.at += 1;
                    return Some(out);
                }
                b'.' => self.at += 1,
                b'!' => {
                    self.at += 1;
                    self.name();
                }
                c if c.is_ascii_alphabetic() => {
                    let save = self.at;
                    self.name();
                    self.skip_space();
                    if self.peek() == Some(b':') {
                        self.at += 1;
                    } else {
                        self.at = save;
                        out.push(self.decorated()?);
                    }
                }
                _ => out.push(self.decorated()?),
            }
        }
    }

    fn predicate(&mut self) -> Option<Item> {
        let op = self.name().to_string();
        let mut args = Vec::new();
        loop {
            self.skip_space();
            match self.peek()? {
                b')' => {
                    self.at += 1;
                    return Some(Item::Predicate(op, args));
                }
                b'@' => {
                    self.at += 1;
                    args.push(Arg::Capture(self.name().to_string()));
                }
                b'"' => args.push(Arg::String(self.string()?)),
                _ => {
                    if self.name().is_empty() {
                        return None;
                    }
                }
            }
        }
    }
}

/// The requirement of `query` with `where` regexes given by capture name,
/// every kind name read as kind id 1 so that the requirements of all
/// patterns apply to one node kind (for tests).
#[cfg(test)]
pub(crate) fn required_at_one_kind(
    query: &str,
    wheres: &[(&str, &str)],
) -> Option<RequiredLiterals> {
    required_literals(query, regexes(wheres), |_| vec![1])
}

/// The `where` regexes of a capture name, from (name, regex) pairs (for
/// tests).
#[cfg(test)]
fn regexes<'a>(wheres: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Vec<WhereText> + 'a {
    move |name| {
        wheres
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, re)| WhereText::Regex(re.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The requirement for `query` with `where` regexes by capture name;
    /// the automaton is probed with `texts` (true: may match).
    fn probe(query: &str, wheres: &[(&str, &str)], texts: &[&str]) -> Option<Vec<bool>> {
        let required = required_at_one_kind(query, wheres)?;
        Some(
            texts
                .iter()
                .map(|t| required.may_match(1, t.as_bytes()))
                .collect(),
        )
    }

    #[test]
    fn a_required_capture_pins_its_where_literals() {
        let got = probe(
            "(call function: (attribute attribute: (identifier) @m) arguments: (_))",
            &[("m", "^(?:execute|executemany)$")],
            &["cur.execute(q)", "cur.fetch(q)"],
        );
        assert_eq!(got, Some(vec![true, false]));
    }

    #[test]
    fn a_regex_needs_the_literals_inside_it_not_only_its_prefix() {
        // The optional parenthesis and spaces defeat a prefix extractor.
        let got = probe(
            "(call arguments: (argument_list (_) @body))",
            &[("body", r"^\(?\s*(await\s+)?request\.(json|form)")],
            &["User(**request.json)", "User(**payload.json)"],
        );
        assert_eq!(got, Some(vec![true, false]));
    }

    #[test]
    fn a_has_target_needs_its_regex_literals_and_those_of_its_parts() {
        use crate::matcher::Matcher;
        use crate::rule::rule_regex::shared;
        let named = |re: &str| Matcher {
            kinds: crate::lang::kind_set::KindSet::new(
                &(crate::lang::Lang::Python.info().grammar)(),
                &["identifier"],
            ),
            regex: Some(shared(re).expect("valid regex")),
            ..Matcher::default()
        };
        let secret = TextLiterals::of(&named("(?i)(password|api_?key)$")).expect("literals");
        assert!(secret.occur_in(b"debug!(\"{}\", user.PASSWORD)"));
        assert!(secret.occur_in(b"info!(api_key)"));
        assert!(!secret.occur_in(b"info!(\"{}\", user.name)"));
        // Either alternative may match: both sets together.
        let either = Matcher {
            any: vec![named("password$"), named("^token")],
            ..Matcher::default()
        };
        let either = TextLiterals::of(&either).expect("literals");
        assert!(either.occur_in(b"f(token_value)") && either.occur_in(b"f(password)"));
        assert!(!either.occur_in(b"f(name)"));
        // Every occurrence, shifted, in order: the has-walk visits only
        // subtrees holding one.
        assert_eq!(
            either.occurrences(b"f(password, token)", 100),
            vec![(102, 110), (112, 117)]
        );
        assert!(either.occurrences(b"f(name)", 0).is_empty());
        // An alternative that can match anything leaves nothing required.
        let open = Matcher {
            any: vec![named("password$"), Matcher::default()],
            ..Matcher::default()
        };
        assert!(TextLiterals::of(&open).is_none());
    }

    #[test]
    fn alternatives_need_one_of_their_literals_each() {
        let query = "(call function: [(attribute attribute: (identifier) @a) (identifier) @b])";
        let wheres = [("a", "^system$"), ("b", "^popen$")];
        let got = probe(query, &wheres, &["os.system(x)", "popen(x)", "run(x)"]);
        assert_eq!(got, Some(vec![true, true, false]));
        // A branch without a literal means no requirement at all.
        let open = "(call function: [(attribute attribute: (identifier) @a) (identifier)])";
        assert_eq!(probe(open, &wheres, &["x"]), None);
    }

    #[test]
    fn optional_captures_and_patterns_without_literals_need_nothing() {
        let wheres = [("a", "^system$")];
        assert_eq!(probe("(call (identifier)? @a)", &wheres, &["x"]), None);
        assert_eq!(probe("(call (identifier)* @a)", &wheres, &["x"]), None);
        assert_eq!(
            probe("(call (identifier) @a) (string) @s", &wheres, &["x"]),
            None
        );
        assert_eq!(
            probe("(call (identifier)+ @a)", &wheres, &["system()", "x"]),
            Some(vec![true, false])
        );
    }

    #[test]
    fn text_predicates_are_literals_too() {
        let got = probe(
            r#"(call function: (identifier) @f (#any-of? @f "eval" "exec")) (call function: (identifier) @g (#eq? @g "com\"pile"))"#,
            &[],
            &["eval(x)", "exec(x)", "com\"pile(x)", "run(x)"],
        );
        assert_eq!(got, Some(vec![true, true, true, false]));
        let negated = r#"(call function: (identifier) @f (#not-eq? @f "eval"))"#;
        assert_eq!(probe(negated, &[], &["x"]), None);
    }

    #[test]
    fn case_insensitive_regexes_fold_ascii_case() {
        let got = probe(
            "(assignment left: (identifier) @k)",
            &[("k", "(?i)passw(?:or)?d")],
            &["DB_PASSWORD = x", "user = x"],
        );
        assert_eq!(got, Some(vec![true, false]));
    }

    #[test]
    fn patterns_that_run_in_unicode_mode_still_need_their_literals() {
        // A negated class and `.`: read over bytes, the words are the same.
        let got = probe(
            "(assignment left: (identifier) @k)",
            &[("k", r"(?i)^[^\s]*.token")],
            &["MY_TOKEN = x", "my_token = x", "user = x"],
        );
        assert_eq!(got, Some(vec![true, true, false]));
    }

    #[test]
    fn requirements_are_kept_per_root_kind() {
        let wheres = [("a", "^system$")];
        let ids = |name: &str| match name {
            "call" => vec![1],
            "assignment" => vec![2, 3],
            _ => vec![],
        };
        let query = "(call (identifier) @a) (assignment (string))";
        let required = required_literals(query, regexes(&wheres), ids).unwrap();
        assert!(required.may_match(1, b"system()"));
        assert!(!required.may_match(1, b"x = run()"));
        assert!(required.may_match(2, b"x = 'y'"));
        assert!(required.may_match(3, b"x = 'y'"));
        // A pattern starting anywhere: no requirement can be kept.
        assert!(required_literals("(_ (identifier) @a)", regexes(&wheres), ids).is_none());
    }

    #[test]
    fn a_secret_without_a_key_name_in_the_pattern_needs_a_detector_keyword() {
        let wheres = |name: &str| match name {
            "match" => vec![WhereText::Secret {
                key: Some("key".into()),
            }],
            _ => vec![],
        };
        let ids = |name: &str| match name {
            "assignment" => vec![1],
            "string" => vec![2],
            _ => vec![],
        };
        let query = "(assignment left: (_) @key right: (string) @match) (string) @match";
        let required = required_literals(query, wheres, ids).unwrap();
        // With the key name, a value bound to a sensitive name needs no
        // keyword, in any spelling of the name; other names do.
        assert!(required.may_match(1, b"password = 'hunter2'"));
        assert!(required.may_match(1, b"dbPassword = 'hunter2'"));
        assert!(required.may_match(1, b"API_KEY = 'q8T0b2xZ'"));
        assert!(required.may_match(1, b"jwtSecret = 'q8T0b2xZ'"));
        assert!(required.may_match(1, b"to\xe2\x84\xaaen = 'q8T0b2xZ'"));
        assert!(required.may_match(1, b"name = 'AKIAIOSFODNN7EXAMPLE'"));
        assert!(!required.may_match(1, b"encoding = 'utf-8'"));
        // Without it, only a text detector can fire, behind its keywords
        // (ASCII case ignored).
        assert!(required.may_match(2, b"'AKIAIOSFODNN7EXAMPLE'"));
        assert!(required.may_match(2, b"\"postgres://u:p@db/x\""));
        assert!(!required.may_match(2, b"'hunter2'"));
        // `secret: true` names no key at all.
        let plain = |name: &str| match name {
            "s" => vec![WhereText::Secret { key: None }],
            _ => vec![],
        };
        let required = required_literals("(string) @s", plain, ids).unwrap();
        assert!(!required.may_match(2, b"'utf-8'"));
        assert!(required.may_match(2, b"'ghp_0123456789abcdef'"));
        // A key capture that only some matches have: either way.
        let optional = "(pair (identifier)? @key value: (string) @match)";
        let required = required_literals(optional, wheres, |_| vec![3]).unwrap();
        assert!(required.may_match(3, b"{password: 'hunter2'}"));
        assert!(required.may_match(3, b"{'AKIAIOSFODNN7EXAMPLE'}"));
        assert!(!required.may_match(3, b"{encoding: 'utf-8'}"));
    }

    #[test]
    fn the_matchers_other_parts_add_what_they_need_of_the_node() {
        let yaml = [
            "query: '(string) @s (call) @c'",
            "any:",
            "  - kind: call",
            "  - kind: string",
            "    regex: '(?is)^[a-z]*\"\\s*select\\b.*\\bfrom\\b'",
        ]
        .join("\n");
        let spec: super::super::schema::MatcherSpec = serde_saphyr::from_str(&yaml).expect("spec");
        let ids = |name: &str| match name {
            "string" => vec![1],
            "call" => vec![2],
            _ => vec![],
        };
        let query = "(string) @s (call) @c";
        let required =
            required_literals_beside(query, |_| vec![], ids, |kind| beside_query(&spec, kind))
                .expect("a requirement");
        // A string passes only through the branch with the regex, whose
        // words are read with case folded.
        assert!(required.may_match(1, b"\"SELECT * FROM t\""));
        assert!(!required.may_match(1, b"\"utf-8\""));
        // A call passes through the branch that asks nothing of its text.
        assert!(required.may_match(2, b"f(x)"));
        // Without the other parts, nothing is required.
        assert!(required_literals(query, |_| vec![], ids).is_none());
    }

    #[test]
    fn case_folding_switched_inside_a_regex_keeps_its_words() {
        let wheres = [("s", "(?i)\\bselect\\b(?s-i:.)*\\bfrom\\b|\\bwhere(?-i:\\s)")];
        let got = probe(
            "(call (string) @s)",
            &wheres,
            &["q('SELECT a FROM b')", "q('a WHERE b')", "q('hello')"],
        );
        assert_eq!(got, Some(vec![true, true, false]));
        // Letters a rule spells as both cases count as that letter.
        let got = probe(
            "(call (string) @s)",
            &[("s", "[Ss]elect")],
            &["SELECT", "other"],
        );
        assert_eq!(got, Some(vec![true, false]));
    }

    #[test]
    fn text_it_does_not_understand_means_no_requirement() {
        let wheres = [("a", "^system$")];
        assert_eq!(probe("(call (identifier) @a", &wheres, &["x"]), None);
        assert_eq!(probe("(call {weird} @a)", &wheres, &["x"]), None);
    }

    #[test]
    fn capture_names_are_read_from_the_text() {
        let names = capture_names("(call (identifier) @f [(string) @s (integer) @f]) (x) @y");
        assert_eq!(names, Some(vec!["f".into(), "s".into(), "y".into()]));
    }

    #[test]
    fn fields_anchors_comments_and_groups_are_read() {
        let query =
            "; a comment\n(call !type function: (identifier) @f . arguments: ((string) @s (_)))";
        let got = probe(query, &[("s", "^\"sh\"$")], &["f(\"sh\", x)", "f(x)"]);
        assert_eq!(got, Some(vec![true, false]));
    }
}
