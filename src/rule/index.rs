//! The compiled rule set and its per-language dispatch index.
//!
//! Each rule's top-level query is bucketed by the node kinds its patterns
//! can start at, so one traversal of a file tries at each node only the
//! rules that could match there. Rules also carry literal anchors; an
//! Aho-Corasick pass over the file bytes switches off the rules whose
//! anchors are absent (a file with no live rule is not parsed at all) and
//! records where the literals the rules' queries need occur
//! ([`super::occurrences`]).

use super::occurrences::{FileOccurrences, LiteralIndex};
use super::schema::{Category, WrittenAs};
use super::{LanguageMatcher, LoadedRule, Rule};
use crate::lang::kind_set::KindSet;
use crate::lang::Lang;
use aho_corasick::AhoCorasick;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A rule's matcher for one language, with its rule's index.
pub struct Entry {
    pub rule: usize,
    pub matcher: LanguageMatcher,
}

/// A rule's taint specification for one language, with its rule's index.
pub struct TaintEntry {
    pub rule: usize,
    pub spec: crate::taint::spec::TaintSlot,
}

/// All rules that apply to one language, indexed for dispatch.
pub struct LangIndex {
    pub entries: Vec<Entry>,
    /// Rules with a taint section; they run in one data-flow pass.
    pub taint: Vec<TaintEntry>,
    /// Whether each taint entry's sinks and sources have anchors (`false`:
    /// that role can match in any file).
    taint_anchored: Vec<[bool; 2]>,
    /// The taint entries' value-source anchors (sources other than handler
    /// parameters), for the data-flow pass to skip functions that hold
    /// none (`None`: some value source has none).
    taint_value_source_anchors: Option<AhoCorasick>,
    by_kind: Vec<Vec<u32>>,
    any_kind: Vec<u32>,
    /// Whether some entry can start at an anonymous node (punctuation, a
    /// keyword) or anywhere: the traversal then visits anonymous leaves.
    anonymous_candidates: bool,
    /// The anchors of the rules and of the taint entries' sinks and
    /// sources; they go into the automaton of [`LangIndex::literals`], so a
    /// file's bytes are scanned once.
    anchors: Vec<String>,
    anchor_ids: std::collections::HashMap<String, u32>,
    anchor_owners: Vec<Vec<u32>>,
    /// Per anchor: (taint entry, role) pairs it lets run (role 0: sink,
    /// 1: source).
    anchor_taint_owners: Vec<Vec<(u32, usize)>>,
    unanchored: Vec<u32>,
    /// For an entry whose matcher is written exactly like another's, the
    /// first such entry: the group is matched once per node.
    same: Vec<Option<u32>>,
    /// The literals each entry's query needs at a node, found per file in
    /// one scan; built with the language's first file.
    literals: std::sync::OnceLock<LiteralIndex>,
    lang: Lang,
    /// The kinds below which a candidate or a data-flow function may lie
    /// (`None`: any kind); built once the language has had
    /// [`ENTER_AFTER_BYTES`].
    entered: std::sync::OnceLock<Option<KindSet>>,
    /// Bytes of the language's files the traversal has asked about.
    linted: AtomicUsize,
}

/// Bytes of a language linted before the traversal starts skipping
/// subtrees: reading the grammar's description costs 4–8 × 10⁶
/// instructions, which the skipped steps repay after about this much code.
const ENTER_AFTER_BYTES: usize = 256 * 1024;

/// What one scan of a file found: the entries and taint entries whose
/// anchors occur, and where the rules' required literals do.
pub struct Live {
    pub entries: Vec<bool>,
    pub taint: Vec<bool>,
    pub occurrences: FileOccurrences,
}

impl Live {
    /// Whether any rule or taint entry can match in the file.
    pub fn any(&self) -> bool {
        self.entries.iter().chain(&self.taint).any(|l| *l)
    }
}

/// Which rules to run: ids or categories to select and to ignore.
#[derive(Debug, Default, Clone)]
pub struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// Opt-in rules to run besides the selection.
    pub enable: Vec<String>,
}

/// The rules of one run, compiled and indexed.
pub struct RuleSet {
    /// Rule metadata, sorted by id.
    pub rules: Vec<Rule>,
    langs: BTreeMap<Lang, LangIndex>,
}

impl RuleSet {
    /// Builds the set from loaded rules, keeping those the selection allows.
    /// Unknown ids or categories in the selection are an error.
    pub fn build(loaded: Vec<LoadedRule>, selection: &Selection) -> Result<RuleSet, String> {
        for name in selection.select.iter().chain(&selection.ignore) {
            if Category::parse(name).is_none() && !loaded.iter().any(|r| &r.rule.id == name) {
                return Err(format!(
                    "unknown rule or category `{name}` in --select/--ignore (see `backlint rules`)"
                ));
            }
        }
        let selects = |rule: &Rule, names: &[String]| {
            names
                .iter()
                .any(|n| *n == rule.id || *n == rule.category.as_str())
        };
        let mut kept: Vec<LoadedRule> = loaded
            .into_iter()
            .filter(|r| {
                let enabled = selection.enable.contains(&r.rule.id);
                let chosen = if r.rule.opt_in {
                    selection.select.contains(&r.rule.id)
                } else {
                    selection.select.is_empty() || selects(&r.rule, &selection.select)
                };
                (enabled || chosen) && !selects(&r.rule, &selection.ignore)
            })
            .collect();
        kept.sort_by(|a, b| a.rule.id.cmp(&b.rule.id));
        let mut rules = Vec::new();
        let mut per_lang: BTreeMap<Lang, (Vec<Entry>, Vec<TaintEntry>)> = BTreeMap::new();
        for (index, loaded) in kept.into_iter().enumerate() {
            rules.push(loaded.rule);
            for matcher in loaded.matchers {
                per_lang.entry(matcher.lang).or_default().0.push(Entry {
                    rule: index,
                    matcher,
                });
            }
            for spec in loaded.taint {
                per_lang
                    .entry(spec.lang)
                    .or_default()
                    .1
                    .push(TaintEntry { rule: index, spec });
            }
        }
        let langs = per_lang
            .into_iter()
            .map(|(lang, (entries, taint))| (lang, LangIndex::new(lang, entries, taint)))
            .collect();
        Ok(RuleSet { rules, langs })
    }

    /// The index for a language, if any rule applies to it.
    pub fn for_lang(&self, lang: Lang) -> Option<&LangIndex> {
        self.langs.get(&lang)
    }

    /// Whether the set holds a rule with this id.
    pub fn has(&self, id: &str) -> bool {
        self.rule(id).is_some()
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Index of a rule by id (SARIF `ruleIndex`).
    pub fn rule_index(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }
}

impl LangIndex {
    fn new(lang: Lang, entries: Vec<Entry>, taint: Vec<TaintEntry>) -> LangIndex {
        let grammar = (lang.info().grammar)();
        let kind_count = grammar.node_kind_count();
        let mut by_kind: Vec<Vec<u32>> = vec![Vec::new(); kind_count];
        let mut any_kind = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut anchor_owners: Vec<Vec<u32>> = Vec::new();
        let mut unanchored = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let i = i as u32;
            match entry.matcher.root_kinds.clone() {
                Some(ids) => {
                    for id in ids {
                        if let Some(bucket) = by_kind.get_mut(id as usize) {
                            if !bucket.contains(&i) {
                                bucket.push(i);
                            }
                        }
                    }
                }
                None => any_kind.push(i),
            }
            if entry.matcher.anchors.is_empty() {
                unanchored.push(i);
            }
            for anchor in &entry.matcher.anchors {
                match patterns.iter().position(|p| p == anchor) {
                    Some(p) => anchor_owners[p].push(i),
                    None => {
                        patterns.push(anchor.clone());
                        anchor_owners.push(vec![i]);
                    }
                }
            }
        }
        let mut anchor_taint_owners: Vec<Vec<(u32, usize)>> = vec![Vec::new(); patterns.len()];
        let mut taint_anchored = Vec::new();
        for (t, entry) in taint.iter().enumerate() {
            let roles = [&entry.spec.sink_anchors, &entry.spec.source_anchors];
            taint_anchored.push(roles.map(Option::is_some));
            for (role, words) in roles.into_iter().enumerate() {
                for word in words.iter().flatten() {
                    let p = match patterns.iter().position(|p| p == word) {
                        Some(p) => p,
                        None => {
                            patterns.push(word.clone());
                            anchor_owners.push(Vec::new());
                            anchor_taint_owners.push(Vec::new());
                            patterns.len() - 1
                        }
                    };
                    if !anchor_taint_owners[p].contains(&(t as u32, role)) {
                        anchor_taint_owners[p].push((t as u32, role));
                    }
                }
            }
        }
        let taint_value_source_anchors = taint
            .iter()
            .map(|t| t.spec.value_source_anchors.clone())
            .collect::<Option<Vec<Vec<String>>>>()
            .and_then(|words| AhoCorasick::new(words.concat()).ok());
        let anchor_ids = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), i as u32))
            .collect();
        let anchors = patterns;
        let mut first: FxHashMap<&WrittenAs, u32> = FxHashMap::default();
        let mut same = vec![None; entries.len()];
        for (i, entry) in entries.iter().enumerate() {
            let Some(key) = entry.matcher.same.as_ref() else {
                continue;
            };
            let leader = *first.entry(key).or_insert(i as u32);
            if leader != i as u32 {
                same[i] = Some(leader);
                same[leader as usize] = Some(leader);
            }
        }
        let anonymous_candidates = !any_kind.is_empty()
            || (0..by_kind.len())
                .any(|k| !by_kind[k].is_empty() && !grammar.node_kind_is_named(k as u16));
        LangIndex {
            anonymous_candidates,
            literals: std::sync::OnceLock::new(),
            lang,
            entered: std::sync::OnceLock::new(),
            linted: AtomicUsize::new(0),
            entries,
            taint,
            taint_anchored,
            taint_value_source_anchors,
            by_kind,
            any_kind,
            anchors,
            anchor_ids,
            anchor_owners,
            anchor_taint_owners,
            unanchored,
            same,
        }
    }

    /// The literals each entry's query needs at a node, indexed for one
    /// scan per file.
    pub fn literals(&self) -> &LiteralIndex {
        self.literals.get_or_init(|| {
            let required = self.entries.iter().map(|e| e.matcher.required());
            LiteralIndex::new(required, &self.anchors)
        })
    }

    /// The group of entries written like this one, if there are several.
    pub fn same_group(&self, entry: u32) -> Option<u32> {
        self.same.get(entry as usize).copied().flatten()
    }

    /// One scan of a file's bytes for the anchors and required literals:
    /// which entries and taint entries can match there, and where the
    /// literals occur.
    pub fn live(&self, bytes: &[u8]) -> Live {
        let occurrences = self.literals().scan(bytes);
        let seen = &occurrences.anchors;
        let mut entries = vec![false; self.entries.len()];
        for &i in &self.unanchored {
            entries[i as usize] = true;
        }
        // Per taint entry: whether each role is free of anchors or has one.
        let mut roles: Vec<[bool; 2]> = self
            .taint_anchored
            .iter()
            .map(|anchored| anchored.map(|a| !a))
            .collect();
        for (p, _) in seen.iter().enumerate().filter(|(_, s)| **s) {
            for &i in &self.anchor_owners[p] {
                entries[i as usize] = true;
            }
            for &(t, role) in &self.anchor_taint_owners[p] {
                roles[t as usize][role] = true;
            }
        }
        Live {
            entries,
            taint: roles.iter().map(|r| r[0] && r[1]).collect(),
            occurrences,
        }
    }

    /// Whether `word` occurs in the file `live` was computed for (`text`):
    /// known from the scan when it is an anchor, else searched.
    pub fn occurs(&self, live: &Live, word: &str, text: &str) -> bool {
        match self.anchor_ids.get(word) {
            Some(&p) => live.occurrences.anchors[p as usize],
            None => text.contains(word),
        }
    }

    /// The value-source anchors of the taint entries (`None`: some value
    /// source can match without one).
    pub fn taint_value_source_anchors(&self) -> Option<&AhoCorasick> {
        self.taint_value_source_anchors.as_ref()
    }

    /// The kinds whose nodes the main traversal enters, for a file of
    /// `bytes`: those that may hold a node some rule starts at, or a
    /// function the data-flow pass needs (`None`: every kind, as when a
    /// rule may start anywhere, and for the language's first
    /// [`ENTER_AFTER_BYTES`], which would not repay reading the grammar's
    /// description). Only for trees without syntax errors, under which any
    /// kind may lie.
    pub fn entered(&self, bytes: usize) -> Option<&KindSet> {
        if let Some(entered) = self.entered.get() {
            return entered.as_ref();
        }
        if self.linted.fetch_add(bytes, Ordering::Relaxed) + bytes < ENTER_AFTER_BYTES {
            return None;
        }
        self.entered
            .get_or_init(|| {
                if !self.any_kind.is_empty() {
                    return None;
                }
                let containment = self.lang.containment()?;
                let grammar = (self.lang.info().grammar)();
                let mut targets: Vec<u16> = (0..self.by_kind.len())
                    .filter(|&k| !self.by_kind[k].is_empty())
                    .map(|k| k as u16)
                    .collect();
                if !self.taint.is_empty() {
                    let functions = &crate::taint::shape::shape_kinds(self.lang).functions;
                    // Named kinds only: the set also holds keywords spelled
                    // like them (`function`, `lambda`), which the pass
                    // does not need and which may lie under any node.
                    targets.extend(
                        (0..self.by_kind.len() as u16)
                            .filter(|&k| functions.contains(k) && grammar.node_kind_is_named(k)),
                    );
                }
                Some(containment.holding(&grammar, &targets))
            })
            .as_ref()
    }

    /// The grammar's description of which kinds hold which, once the
    /// language has had [`ENTER_AFTER_BYTES`] (as for [`LangIndex::entered`]).
    pub fn containment(&self) -> Option<&'static crate::lang::containment::Containment> {
        self.entered.get()?;
        self.lang.containment()
    }

    /// Whether some entry can start at an anonymous node (or at any node),
    /// so that the traversal must visit anonymous leaves too.
    pub fn has_anonymous_candidates(&self) -> bool {
        self.anonymous_candidates
    }

    /// Entries whose patterns can start at a node of this kind, then those
    /// that can start anywhere.
    pub fn candidates(&self, kind_id: u16) -> impl Iterator<Item = u32> + '_ {
        self.by_kind
            .get(kind_id as usize)
            .into_iter()
            .flatten()
            .chain(&self.any_kind)
            .copied()
    }
}

/// Node kind ids the patterns of `query` (written as `source`) can start
/// at, or `None` when some pattern can start anywhere (wildcards,
/// alternations, supertypes).
pub fn pattern_root_kinds(
    query: &crate::query::CompiledQuery,
    source: &str,
    grammar: &tree_sitter::Language,
) -> Option<Vec<u16>> {
    let starts = (0..query.pattern_count()).map(|p| query.start_byte_for_pattern(p));
    root_kinds_at(starts, source, grammar)
}

/// [`pattern_root_kinds`] from the query text alone, without compiling it:
/// the index of a lazily compiled rule is built from this. Anything the
/// scan does not understand gives `None` (the rule is tried at every node),
/// never a narrower set; the compiled query's own root kinds are checked
/// again before it runs.
pub fn text_root_kinds(source: &str, grammar: &tree_sitter::Language) -> Option<Vec<u16>> {
    root_kinds_at(pattern_starts(source)?.into_iter(), source, grammar)
}

/// Byte offsets where the top-level patterns of a query start, like
/// `Query::start_byte_for_pattern`; `None` for text this scan does not
/// understand.
fn pattern_starts(source: &str) -> Option<Vec<usize>> {
    let bytes = source.as_bytes();
    let mut starts = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b';' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                if depth == 0 {
                    starts.push(i);
                }
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i >= bytes.len() {
                    return None;
                }
            }
            b'(' | b'[' => {
                if depth == 0 {
                    starts.push(i);
                }
                depth += 1;
            }
            b')' | b']' => depth = depth.checked_sub(1)?,
            _ if depth > 0 || c.is_ascii_whitespace() => {}
            // After a top-level pattern: a capture or a quantifier.
            b'@' => {
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || b"_-.".contains(&bytes[i]))
                {
                    i += 1;
                }
                continue;
            }
            b'*' | b'+' | b'?' => {}
            _ => return None,
        }
        i += 1;
    }
    (depth == 0 && !starts.is_empty()).then_some(starts)
}

fn root_kinds_at(
    starts: impl Iterator<Item = usize>,
    source: &str,
    grammar: &tree_sitter::Language,
) -> Option<Vec<u16>> {
    let supertypes = grammar.supertypes();
    let mut ids = Vec::new();
    for start in starts {
        let name = pattern_root_name(source.get(start..)?)?;
        let id = grammar.id_for_node_kind(name, true);
        if id == 0 || supertypes.contains(&id) {
            return None;
        }
        for kind in kind_ids(grammar, name) {
            if !ids.contains(&kind) {
                ids.push(kind);
            }
        }
    }
    Some(ids)
}

/// Every id of the named node kind `name` (aliases can give one name
/// several ids).
pub fn kind_ids(grammar: &tree_sitter::Language, name: &str) -> Vec<u16> {
    crate::query::named_kind_ids(grammar, name)
}

/// `(call_expression ...)` → `call_expression`; anything else → `None`.
fn pattern_root_name(pattern: &str) -> Option<&str> {
    let rest = pattern.trim_start().strip_prefix('(')?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let name = &rest[..end];
    (!name.is_empty() && name != "_").then_some(name)
}

#[cfg(test)]
mod tests {
    use super::{pattern_root_name, pattern_starts, RuleSet, Selection, ENTER_AFTER_BYTES};
    use crate::lang::{fixture_files, Lang};
    use crate::rule::load::{builtin_sources, compile_all};

    /// Every fixture file gives the same findings whether the traversal
    /// skips the subtrees that can hold no candidate or enters them all.
    #[test]
    fn skipping_subtrees_changes_no_finding() {
        let build = || {
            let loaded = compile_all(&builtin_sources()).unwrap_or_else(|_| panic!("load"));
            RuleSet::build(loaded, &Selection::default()).expect("set")
        };
        let (entering, skipping) = (build(), build());
        let mut compared = 0;
        for lang in Lang::all() {
            let Some(index) = skipping.for_lang(lang) else {
                continue;
            };
            // As if a run had linted that much of the language already.
            let entered = index.entered(ENTER_AFTER_BYTES).expect("kinds to enter");
            let grammar = (lang.info().grammar)();
            let kinds = grammar.node_kind_count() as u16;
            assert!(
                (0..kinds).any(|k| !entered.contains(k)),
                "{lang:?} skips nothing"
            );
            for (path, source) in fixture_files(lang) {
                let all = crate::engine::lint_source(&entering, lang, &path, &source);
                let some = crate::engine::lint_source(&skipping, lang, &path, &source);
                assert_eq!(all.findings, some.findings, "{path}");
                compared += all.findings.len();
            }
            let index = entering.for_lang(lang).expect("same languages");
            assert!(index.entered(0).is_none(), "{lang:?}: fixtures too large");
        }
        assert!(compared > 500, "only {compared} findings compared");
    }

    #[test]
    fn lazy_built_in_rules_index_and_compile_like_eager_ones() {
        let lazy = compile_all(&builtin_sources()).unwrap_or_else(|_| panic!("lazy load"));
        let mut eager_sources = builtin_sources();
        eager_sources.iter_mut().for_each(|s| s.lazy = false);
        let eager = compile_all(&eager_sources).unwrap_or_else(|_| panic!("eager load"));
        assert_eq!(lazy.len(), eager.len());
        for (l, e) in lazy.iter().zip(&eager) {
            assert_eq!(l.matchers.len(), e.matchers.len(), "{}", l.rule.id);
            for (lm, em) in l.matchers.iter().zip(&e.matchers) {
                assert!(!lm.is_compiled(), "{} compiled before use", l.rule.id);
                assert_eq!(lm.root_kinds, em.root_kinds, "{} {}", l.rule.id, lm.lang);
                assert_eq!(lm.anchors, em.anchors);
                let compiled = lm.compiled().expect("built-in matcher compiles");
                assert_eq!(
                    compiled.capture_names,
                    em.compiled().expect("eager").capture_names
                );
            }
        }
    }

    #[test]
    fn one_scan_finds_live_rules_taint_entries_and_anchors() {
        let loaded = compile_all(&builtin_sources()).unwrap_or_else(|_| panic!("built-ins"));
        let rules = super::RuleSet::build(loaded, &super::Selection::default()).expect("set");
        let index = rules.for_lang(crate::lang::Lang::Python).expect("python");
        let sql = rules.rule_index("sql-injection").expect("rule");
        let taint = index
            .taint
            .iter()
            .position(|t| t.rule == sql)
            .expect("taint");
        let pattern = index
            .entries
            .iter()
            .position(|e| e.rule == sql)
            .expect("entry");
        // The taint entry needs a sink anchor and a source anchor.
        let both = "q = request.args['q']\ncur.execute(q)\n";
        let sink_only = "cur.execute(q)\n";
        let source_only = "q = request.args['q']\n";
        let live = index.live(both.as_bytes());
        assert!(live.taint[taint] && live.entries[pattern] && live.any());
        let live = index.live(sink_only.as_bytes());
        assert!(!live.taint[taint] && live.entries[pattern]);
        assert!(!index.live(source_only.as_bytes()).taint[taint]);
        // Anchors are answered from the scan, other words by a search.
        let live = index.live(sink_only.as_bytes());
        assert!(index.occurs(&live, "execute", sink_only));
        assert!(!index.occurs(&live, "request", sink_only));
        assert!(index.occurs(&live, "cur.", sink_only));
        assert!(!index.live(b"x = 1\n").taint.iter().any(|l| *l));
    }

    #[test]
    fn identically_written_taint_sinks_are_run_once_for_both_rules() {
        use crate::rule::load::{builtin_sources, RuleSource};
        let mut sources: Vec<RuleSource> = builtin_sources()
            .into_iter()
            .filter(|s| s.text.starts_with("library:"))
            .collect();
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("rules/multi/command-injection.yaml"),
        )
        .expect("rule file");
        for n in 1..=2 {
            sources.push(RuleSource {
                origin: format!("copy{n}.yaml"),
                text: text.replacen("id: command-injection", &format!("id: ci-copy{n}"), 1),
                lazy: true,
            });
        }
        let loaded = compile_all(&sources).unwrap_or_else(|_| panic!("copies compile"));
        let rules = super::RuleSet::build(loaded, &super::Selection::default()).expect("set");
        let index = rules.for_lang(crate::lang::Lang::Python).expect("python");
        let sinks: Vec<_> = index
            .taint
            .iter()
            .map(|t| &t.spec.get().expect("taint compiles").roles.sinks)
            .collect();
        assert_eq!(sinks.len(), 2);
        let (a, b) = (&sinks[0][0], &sinks[1][0]);
        assert!(
            !std::sync::Arc::ptr_eq(a, b),
            "each copy compiles its own sink"
        );
        assert!(a.same_as(b));
        assert!(sinks[0].len() > 1 && !sinks[0][0].same_as(&sinks[0][1]));
        // Both rules still report the flow.
        let source = "from flask import request\nimport os\n\n@app.post('/r')\ndef run():\n    os.system(request.form['cmd'])\n";
        let outcome = crate::engine::lint_source(&rules, crate::lang::Lang::Python, "a.py", source);
        let mut ids: Vec<&str> = outcome
            .findings
            .iter()
            .filter(|f| !f.trace.is_empty())
            .map(|f| f.rule_id.as_str())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, ["ci-copy1", "ci-copy2"]);
    }

    #[test]
    fn identically_written_matchers_share_their_matches() {
        use crate::rule::load::RuleSource;
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/multi/weak-random.yaml"),
        )
        .expect("rule file");
        let copy = |n: u32, lazy: bool| RuleSource {
            origin: format!("copy{n}.yaml"),
            text: text.replacen("id: weak-random", &format!("id: weak-random-{n}"), 1),
            lazy,
        };
        // Written differently, at the same places in the file: not shared.
        let mut other = copy(4, false);
        assert!(other.text.contains("randint"));
        other.text = other.text.replace("randint", "randinx");
        let sources = vec![copy(1, false), copy(2, false), copy(3, true), other];
        let loaded = compile_all(&sources).unwrap_or_else(|_| panic!("copies compile"));
        let rules = super::RuleSet::build(loaded, &super::Selection::default()).expect("set");
        let index = rules.for_lang(crate::lang::Lang::Python).expect("python");
        assert_eq!(index.same_group(0), Some(0));
        assert_eq!(index.same_group(1), Some(0));
        assert_eq!(index.same_group(2), Some(0));
        assert_eq!(index.same_group(3), None);
        let source = "import random\nreset_code = random.randint(0, 999999)\n";
        let outcome = crate::engine::lint_source(&rules, crate::lang::Lang::Python, "a.py", source);
        let ids: Vec<&str> = outcome
            .findings
            .iter()
            .map(|f| f.rule_id.as_str())
            .collect();
        assert_eq!(ids, ["weak-random-1", "weak-random-2", "weak-random-3"]);
    }

    #[test]
    fn pattern_starts_follow_the_query_text() {
        assert_eq!(pattern_starts("(a) @x\n(b (c \")\"))"), Some(vec![0, 7]));
        assert_eq!(
            pattern_starts("; (not a pattern)\n[(a) (b)]+ @x"),
            Some(vec![18])
        );
        assert_eq!(pattern_starts("(a"), None);
        assert_eq!(pattern_starts("a: (b)"), None);
        assert_eq!(pattern_starts(""), None);
    }

    #[test]
    fn root_names_come_from_simple_patterns_only() {
        assert_eq!(pattern_root_name("(call function: (x))"), Some("call"));
        assert_eq!(
            pattern_root_name("  ( call_expression)"),
            Some("call_expression")
        );
        assert_eq!(pattern_root_name("(_) @x"), None);
        assert_eq!(pattern_root_name("[(a) (b)]"), None);
        assert_eq!(pattern_root_name("\"async\""), None);
    }
}
