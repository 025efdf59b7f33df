//! The compiled rule set and its per-language dispatch index.
//!
//! Each rule's top-level query is bucketed by the node kinds its patterns
//! can start at, so one traversal of a file tries at each node only the
//! rules that could match there. Rules also carry literal anchors; an
//! Aho-Corasick pass over the file bytes switches off the rules whose
//! anchors are absent, and a file with no live rule is not parsed at all.

use super::schema::Category;
use super::{LanguageMatcher, LoadedRule, Rule};
use crate::lang::Lang;
use aho_corasick::AhoCorasick;
use std::collections::BTreeMap;

/// A rule's matcher for one language, with its rule's index.
pub struct Entry {
    pub rule: usize,
    pub matcher: LanguageMatcher,
}

/// A rule's taint specification for one language, with its rule's index.
pub struct TaintEntry {
    pub rule: usize,
    pub spec: crate::taint::spec::LanguageTaint,
}

/// All rules that apply to one language, indexed for dispatch.
pub struct LangIndex {
    pub entries: Vec<Entry>,
    /// Rules with a taint section; they run in one data-flow pass.
    pub taint: Vec<TaintEntry>,
    /// Sink and source anchors of each taint entry (`None`: no prefilter).
    taint_anchors: Vec<[Option<AhoCorasick>; 2]>,
    by_kind: Vec<Vec<u32>>,
    any_kind: Vec<u32>,
    anchors: Option<AhoCorasick>,
    anchor_owners: Vec<Vec<u32>>,
    unanchored: Vec<u32>,
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
            match root_kind_ids(&entry.matcher, &grammar) {
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
        let anchors = if patterns.is_empty() {
            None
        } else {
            AhoCorasick::new(&patterns).ok()
        };
        let automaton = |a: Option<Vec<String>>| a.and_then(|a| AhoCorasick::new(a).ok());
        let taint_anchors = taint
            .iter()
            .map(|t| {
                [
                    automaton(t.spec.sink_anchors()),
                    automaton(t.spec.source_anchors()),
                ]
            })
            .collect();
        LangIndex {
            entries,
            taint,
            taint_anchors,
            by_kind,
            any_kind,
            anchors,
            anchor_owners,
            unanchored,
        }
    }

    /// Which entries can match in a file with these bytes (by anchors).
    pub fn live_entries(&self, bytes: &[u8]) -> Vec<bool> {
        let mut live = vec![false; self.entries.len()];
        for &i in &self.unanchored {
            live[i as usize] = true;
        }
        if let Some(ac) = &self.anchors {
            let mut seen = vec![false; self.anchor_owners.len()];
            let mut remaining = seen.len();
            for m in ac.find_overlapping_iter(bytes) {
                let p = m.pattern().as_usize();
                if !seen[p] {
                    seen[p] = true;
                    remaining -= 1;
                    for &i in &self.anchor_owners[p] {
                        live[i as usize] = true;
                    }
                    if remaining == 0 {
                        break;
                    }
                }
            }
        }
        live
    }

    /// Which taint entries can report in a file with these bytes: one of
    /// their sink anchors and one of their source anchors occur.
    pub fn live_taint(&self, bytes: &[u8]) -> Vec<bool> {
        self.taint_anchors
            .iter()
            .map(|pair| {
                pair.iter()
                    .all(|a| a.as_ref().is_none_or(|ac| ac.is_match(bytes)))
            })
            .collect()
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

/// Node kind ids each pattern of the matcher's query starts at, or `None`
/// when some pattern can start anywhere (wildcards, alternations,
/// supertypes): such rules are tried at every node.
fn root_kind_ids(matcher: &LanguageMatcher, _grammar: &tree_sitter::Language) -> Option<Vec<u16>> {
    matcher.matcher.query.as_ref()?.root_kinds.clone()
}

/// Node kind ids the patterns of `query` (written as `source`) can start
/// at, or `None` when some pattern can start anywhere (wildcards,
/// alternations, supertypes).
pub fn pattern_root_kinds(
    query: &tree_sitter::Query,
    source: &str,
    grammar: &tree_sitter::Language,
) -> Option<Vec<u16>> {
    let supertypes = grammar.supertypes();
    let mut ids = Vec::new();
    for pattern in 0..query.pattern_count() {
        let start = query.start_byte_for_pattern(pattern);
        let name = pattern_root_name(source.get(start..)?)?;
        let id = grammar.id_for_node_kind(name, true);
        if id == 0 || supertypes.contains(&id) {
            return None;
        }
        for kind in 0..grammar.node_kind_count() as u16 {
            if grammar.node_kind_is_named(kind)
                && grammar.node_kind_for_id(kind) == Some(name)
                && !ids.contains(&kind)
            {
                ids.push(kind);
            }
        }
    }
    Some(ids)
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
    use super::pattern_root_name;

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
