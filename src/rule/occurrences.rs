//! Where the rules' required literals occur in one file, found in one scan.
//!
//! A candidate node passes a rule only if its text holds one of the
//! literals the rule's query needs (see [`super::literals`]). Searching
//! each candidate's text again costs one automaton run per candidate and
//! rule, over texts that nest (a function, then each statement in it, then
//! each call…). Instead, every word of every top-level rule of a language
//! goes into one automaton; one pass over a file records where each set of
//! words occurs, and a candidate's check becomes a binary search over the
//! occurrences of its set. The same pass tells which of the language's
//! anchors occur (case-sensitive words deciding which rules run at all).
//! Words of one byte are the exception: they are looked for in the
//! candidate's text, as they occur nearly everywhere.

use super::literals::RequiredLiterals;
use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{dfa, nfa, Anchored};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Bytes a language scans with the compact automaton before its DFA is
/// built: about where the DFA's faster scan repays its build.
const DFA_AFTER_BYTES: usize = 512 * 1024;

/// The literal sets of a language's rules, and its anchors, indexed for
/// one scan per file.
#[derive(Default)]
pub struct LiteralIndex {
    /// Every word, ASCII case ignored; matches of case-sensitive words are
    /// checked against their spelling.
    automaton: Option<Scanner>,
    /// Per automaton pattern: the sets it belongs to, with the exact
    /// spelling when that set compares case.
    members: Vec<Vec<(u32, Option<Vec<u8>>)>>,
    /// Per automaton pattern: the anchors spelled like it (any case).
    anchor_members: Vec<Vec<(u32, Vec<u8>)>>,
    anchors: usize,
    /// Empty anchors: they occur in every file.
    empty_anchors: Vec<u32>,
    sets: usize,
    /// Per set: its one-byte words (both cases where it ignores case),
    /// looked for in a node's text instead of the file's scan (below).
    single_bytes: Vec<Vec<u8>>,
    /// Per rule entry (`None`: the entry's needs are not indexed).
    by_entry: Vec<Option<EntrySets>>,
}

/// Per root kind of an entry, the set a node of that kind must hold
/// (`None`: no need).
type EntrySets = Vec<(u16, Option<u32>)>;

/// Where each literal set of a [`LiteralIndex`] occurs in one file.
pub struct FileOccurrences {
    /// Per set: (start, end) of its words' occurrences, ordered by end.
    by_set: Vec<Vec<(u32, u32)>>,
    /// Per anchor: whether it occurs.
    pub anchors: Vec<bool>,
}

impl LiteralIndex {
    /// The index of the requirements of each entry, in entry order, and
    /// of the `anchors` (case-sensitive words), by position.
    pub fn new<'a>(
        entries: impl Iterator<Item = Option<&'a RequiredLiterals>>,
        anchors: &[String],
    ) -> LiteralIndex {
        // Sets are shared by content: rules often need the same words.
        let mut set_ids: HashMap<(Vec<Vec<u8>>, bool), u32> = HashMap::new();
        let mut single_bytes: Vec<Vec<u8>> = Vec::new();
        let mut patterns = Patterns::default();
        let mut empty_anchors = Vec::new();
        for (a, anchor) in anchors.iter().enumerate() {
            if anchor.is_empty() {
                empty_anchors.push(a as u32);
            } else {
                let p = patterns.id(anchor.as_bytes());
                patterns.anchor_members[p].push((a as u32, anchor.as_bytes().to_vec()));
            }
        }
        let mut by_entry = Vec::new();
        for required in entries {
            let Some(required) = required else {
                by_entry.push(None);
                continue;
            };
            let mut kinds = Vec::new();
            for (kind, need) in required.words_by_kind() {
                let Some((words, fold_case)) = need else {
                    kinds.push((kind, None));
                    continue;
                };
                let next = set_ids.len() as u32;
                let key = (words.to_vec(), fold_case);
                let set = match set_ids.get(&key) {
                    Some(&set) => set,
                    None => {
                        set_ids.insert(key, next);
                        let mut singles = Vec::new();
                        for word in words {
                            // A one-byte word (`e`, a quote) occurs all
                            // over a file: recording each occurrence costs
                            // more than finding one in the node's text.
                            if let [byte] = word.as_slice() {
                                singles.push(*byte);
                                if fold_case && byte.is_ascii_alphabetic() {
                                    singles.push(byte ^ 0x20);
                                }
                                continue;
                            }
                            let p = patterns.id(word);
                            let spelling = (!fold_case).then(|| word.clone());
                            if !patterns.members[p].contains(&(next, spelling.clone())) {
                                patterns.members[p].push((next, spelling));
                            }
                        }
                        single_bytes.push(singles);
                        next
                    }
                };
                kinds.push((kind, Some(set)));
            }
            by_entry.push(Some(kinds));
        }
        let Patterns {
            folded: patterns,
            members,
            anchor_members,
            ..
        } = patterns;
        let automaton = Scanner::new(patterns);
        // Without an automaton nothing is indexed: entries keep their own
        // checks.
        if automaton.is_none() {
            by_entry.iter_mut().for_each(|e| *e = None);
        }
        LiteralIndex {
            automaton,
            members,
            anchor_members,
            anchors: anchors.len(),
            empty_anchors,
            sets: set_ids.len(),
            single_bytes,
            by_entry,
        }
    }

    /// Whether the entry's needs are answered by this index.
    pub fn covers(&self, entry: usize) -> bool {
        self.by_entry.get(entry).is_some_and(Option::is_some)
    }

    /// One pass over `bytes`: where each set occurs, and which anchors do.
    /// An anchor the automaton could not take counts as present.
    pub fn scan(&self, bytes: &[u8]) -> FileOccurrences {
        let mut by_set: Vec<Vec<(u32, u32)>> = vec![Vec::new(); self.sets];
        let mut anchors = vec![self.automaton.is_none(); self.anchors];
        for &a in &self.empty_anchors {
            anchors[a as usize] = true;
        }
        if let Some(scanner) = &self.automaton {
            let scanned = scanner.each_occurrence(bytes, |p, start, end| {
                for (anchor, spelling) in &self.anchor_members[p] {
                    if bytes.get(start..end) == Some(spelling.as_slice()) {
                        anchors[*anchor as usize] = true;
                    }
                }
                for (set, spelling) in &self.members[p] {
                    let spelled = spelling
                        .as_deref()
                        .is_none_or(|w| bytes.get(start..end) == Some(w));
                    if spelled {
                        by_set[*set as usize].push((start as u32, end as u32));
                    }
                }
            });
            if !scanned {
                // Nothing is known of the file: every set may occur
                // anywhere (a set without a list passes), every anchor
                // may be there.
                return FileOccurrences {
                    by_set: Vec::new(),
                    anchors: vec![true; self.anchors],
                };
            }
        }
        // Overlapping matches come in order of their end already.
        for occurrences in &mut by_set {
            occurrences.sort_unstable_by_key(|&(_, end)| end);
        }
        FileOccurrences { by_set, anchors }
    }

    /// Whether a node of `kind_id` spanning `range` of the file's `bytes`
    /// holds a word the entry needs there. Entries the index does not
    /// cover, and kinds the entry does not start at, pass (other checks
    /// decide).
    pub fn may_match(
        &self,
        entry: usize,
        kind_id: u16,
        range: Range<usize>,
        file: &FileOccurrences,
        bytes: &[u8],
    ) -> bool {
        let Some(Some(kinds)) = self.by_entry.get(entry) else {
            return true;
        };
        let Some((_, Some(set))) = kinds.iter().find(|(k, _)| *k == kind_id) else {
            return true;
        };
        let set = *set as usize;
        // The binary search first: the text is searched only for a set
        // with one-byte words whose longer words are not there.
        if file.within(set, range.clone()) {
            return true;
        }
        let singles = self.single_bytes.get(set).map_or(&[][..], Vec::as_slice);
        if singles.is_empty() {
            return false;
        }
        let text = bytes.get(range).unwrap_or_default();
        match *singles {
            [a] => memchr::memchr(a, text).is_some(),
            [a, b] => memchr::memchr2(a, b, text).is_some(),
            [a, b, c] => memchr::memchr3(a, b, c, text).is_some(),
            _ => text.iter().any(|byte| singles.contains(byte)),
        }
    }
}

/// The words' automaton. Scanning every file for a few hundred words with
/// a DFA is 1.9–2.9× faster than with the contiguous NFA (the file scan
/// was 4–6 % of a run), but a DFA takes 0.6–0.9 MB instead of 60–90 KB
/// and three times as long to build (about 2 ms), which a run over a few
/// files would not win back. So a language starts with the NFA and builds
/// its DFA once it has scanned [`DFA_AFTER_BYTES`]; both find the same
/// matches.
struct Scanner {
    words: Vec<Vec<u8>>,
    nfa: nfa::contiguous::NFA,
    dfa: OnceLock<Option<dfa::DFA>>,
    scanned: AtomicUsize,
}

impl Scanner {
    fn new(words: Vec<Vec<u8>>) -> Option<Scanner> {
        if words.is_empty() {
            return None;
        }
        let nfa = nfa::contiguous::Builder::new()
            .ascii_case_insensitive(true)
            .prefilter(false)
            .build(&words)
            .ok()?;
        Some(Scanner {
            words,
            nfa,
            dfa: OnceLock::new(),
            scanned: AtomicUsize::new(0),
        })
    }

    fn build_dfa(words: &[Vec<u8>]) -> Option<dfa::DFA> {
        dfa::Builder::new()
            .ascii_case_insensitive(true)
            .prefilter(false)
            .build(words)
            .ok()
    }

    /// Calls `found(pattern, start, end)` for every occurrence of every
    /// word in `bytes`, overlapping ones included, in order of their end;
    /// false if the automaton could not search.
    fn each_occurrence(&self, bytes: &[u8], found: impl FnMut(usize, usize, usize)) -> bool {
        match self.dfa_for(bytes.len()) {
            Some(dfa) => each_occurrence(dfa, bytes, found),
            None => each_occurrence(&self.nfa, bytes, found),
        }
    }

    /// The DFA, once enough bytes were scanned to repay its build.
    fn dfa_for(&self, len: usize) -> Option<&dfa::DFA> {
        if let Some(built) = self.dfa.get() {
            return built.as_ref();
        }
        let scanned = self.scanned.fetch_add(len, Ordering::Relaxed) + len;
        if scanned < DFA_AFTER_BYTES {
            return None;
        }
        self.dfa
            .get_or_init(|| Self::build_dfa(&self.words))
            .as_ref()
    }
}

/// Files shorter than this are scanned in one stream (see
/// [`each_occurrence`]).
const STREAMS_FROM: usize = 4096;
/// Streams walked at once over a longer file.
const STREAMS: usize = 4;

/// The overlapping search of `aut` over `bytes`, written against the
/// crate's low-level [`Automaton`] interface.
///
/// The crate's own overlapping iterator keeps its state in memory between
/// steps and returns at each match (about 30 instructions a byte). Each
/// byte's step waits on the load of the transition the previous step
/// chose, so the scan runs at the latency of that load. Here the loop only
/// notes where it entered a special state, with the state in a register,
/// and it walks [`STREAMS`] parts of the file at once, each waiting on its
/// own loads. Every part but the first starts `max_pattern_len` bytes
/// early, so that wherever it reports, its state is the one a single scan
/// would have (an Aho-Corasick state is the longest pattern prefix ending
/// at the position). The matches are read after, in order of their end.
fn each_occurrence<A: Automaton>(
    aut: &A,
    bytes: &[u8],
    mut found: impl FnMut(usize, usize, usize),
) -> bool {
    let Ok(start) = aut.start_state(Anchored::No) else {
        return false;
    };
    let part = bytes.len() / STREAMS;
    let lead = aut.max_pattern_len();
    let mut entered: [Vec<(StateID, usize)>; STREAMS] = Default::default();
    if bytes.len() < STREAMS_FROM || part < lead {
        if !walk(aut, start, bytes, 0, &mut entered[0]) {
            return false;
        }
    } else {
        // Stream `k` reports the matches ending in `bounds[k]..bounds[k + 1]`
        // (the first one's own end included) and starts at `from[k]`.
        let bounds: [usize; STREAMS + 1] =
            std::array::from_fn(|k| if k == STREAMS { bytes.len() } else { k * part });
        let from: [usize; STREAMS] = std::array::from_fn(|k| bounds[k].saturating_sub(lead));
        let mut sid = [start; STREAMS];
        for i in 0..part {
            for k in 0..STREAMS {
                sid[k] = aut.next_state(Anchored::No, sid[k], bytes[from[k] + i]);
                if aut.is_special(sid[k]) {
                    if aut.is_dead(sid[k]) {
                        return false;
                    }
                    entered[k].push((sid[k], from[k] + i + 1));
                }
            }
        }
        for k in 0..STREAMS {
            let rest = from[k] + part;
            if !walk(
                aut,
                sid[k],
                &bytes[rest..bounds[k + 1]],
                rest,
                &mut entered[k],
            ) {
                return false;
            }
            // A later stream's lead repeats what the one before found.
            if k > 0 {
                entered[k].retain(|&(_, end)| end > bounds[k]);
            }
        }
    }
    for (sid, end) in entered.into_iter().flatten() {
        if !aut.is_match(sid) {
            continue;
        }
        for i in 0..aut.match_len(sid) {
            let pattern = aut.match_pattern(sid, i);
            found(pattern.as_usize(), end - aut.pattern_len(pattern), end);
        }
    }
    true
}

/// One stream of [`each_occurrence`] from state `sid` over `bytes`, which
/// start at `offset` in the file: where it entered a match state. False
/// at a dead state, which an unanchored search never reaches.
fn walk<A: Automaton>(
    aut: &A,
    mut sid: StateID,
    bytes: &[u8],
    offset: usize,
    entered: &mut Vec<(StateID, usize)>,
) -> bool {
    for (i, &byte) in bytes.iter().enumerate() {
        sid = aut.next_state(Anchored::No, sid, byte);
        if aut.is_special(sid) {
            if aut.is_dead(sid) {
                return false;
            }
            entered.push((sid, offset + i + 1));
        }
    }
    true
}

/// The automaton's patterns (words in lower case) while the index is
/// built, with what each serves.
#[derive(Default)]
struct Patterns {
    ids: HashMap<Vec<u8>, usize>,
    folded: Vec<Vec<u8>>,
    members: Vec<Vec<(u32, Option<Vec<u8>>)>>,
    anchor_members: Vec<Vec<(u32, Vec<u8>)>>,
}

impl Patterns {
    /// The pattern of `word`, added if new.
    fn id(&mut self, word: &[u8]) -> usize {
        let folded = word.to_ascii_lowercase();
        if let Some(&p) = self.ids.get(&folded) {
            return p;
        }
        self.ids.insert(folded.clone(), self.folded.len());
        self.folded.push(folded);
        self.members.push(Vec::new());
        self.anchor_members.push(Vec::new());
        self.folded.len() - 1
    }
}

impl FileOccurrences {
    /// Whether an occurrence of `set` lies inside `range`.
    fn within(&self, set: usize, range: Range<usize>) -> bool {
        let Some(occurrences) = self.by_set.get(set) else {
            return true;
        };
        let first = occurrences.partition_point(|&(_, end)| (end as usize) <= range.start);
        occurrences[first..]
            .iter()
            .take_while(|&&(_, end)| end as usize <= range.end)
            .any(|&(start, _)| start as usize >= range.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::literals::required_at_one_kind;

    /// An index of one entry per query, every kind name mapped to id 1.
    fn index(queries: &[(&str, &[(&str, &str)])]) -> (LiteralIndex, Vec<RequiredLiterals>) {
        let required: Vec<RequiredLiterals> = queries
            .iter()
            .map(|(query, wheres)| required_at_one_kind(query, wheres).expect("a requirement"))
            .collect();
        (LiteralIndex::new(required.iter().map(Some), &[]), required)
    }

    /// Every (start, end) node range of `text` answered by the index agrees
    /// with searching the node's text.
    fn agrees(index: &LiteralIndex, required: &[RequiredLiterals], text: &str) {
        let file = index.scan(text.as_bytes());
        for (entry, req) in required.iter().enumerate() {
            for start in 0..=text.len() {
                for end in start..=text.len() {
                    let searched = req.may_match(1, &text.as_bytes()[start..end]);
                    let indexed = index.may_match(entry, 1, start..end, &file, text.as_bytes());
                    assert_eq!(searched, indexed, "entry {entry} at {start}..{end}");
                }
            }
        }
    }

    #[test]
    fn the_index_answers_like_a_search_of_the_node_text() {
        let (index, required) = index(&[
            (
                "(call function: (identifier) @f (#any-of? @f \"exec\" \"execute\"))",
                &[],
            ),
            (
                "(call function: (identifier) @f)",
                &[("f", "(?i)^(popen|system)$")],
            ),
            ("(call function: (identifier) @f (#eq? @f \"Popen\"))", &[]),
            // One-byte words are looked for in the node's text.
            (
                "(call function: (identifier) @f)",
                &[("f", "(?i)^(e|ex|sh|`)$")],
            ),
            (
                "(call function: (identifier) @f (#any-of? @f \"X\" \"'\" \"\\\"\" \"<\"))",
                &[],
            ),
        ]);
        assert!((0..5).all(|e| index.covers(e)));
        let singles: Vec<&Vec<u8>> = index
            .single_bytes
            .iter()
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(
            singles,
            [b"eE`".as_slice(), b"X'\"<"],
            "both cases of `e` where case is ignored, `X` as spelled"
        );
        // Overlapping words, case variants, words at the edges.
        agrees(
            &index,
            &required,
            "execute(x); POPEN(y); Popen(z); popen; exec",
        );
        agrees(&index, &required, "SYSTEM.executemany");
        agrees(&index, &required, "E(x) `y` SH; 'q' <a> x \"");
    }

    #[test]
    fn the_dfa_built_after_enough_bytes_finds_what_the_nfa_found() {
        let (_, required) = index(&[
            ("(call function: (identifier) @f (#eq? @f \"Popen\"))", &[]),
            (
                "(call function: (identifier) @f)",
                &[("f", "(?i)^(exec|execute|system)$")],
            ),
        ]);
        let anchors = ["Popen".to_string(), "exec".to_string()];
        let index = LiteralIndex::new(required.iter().map(Some), &anchors);
        let scanner = index.automaton.as_ref().expect("an automaton");
        let text = b"POPEN(x); Popen(y); exec(z); EXECUTE(w); system; popen";
        let by_nfa = index.scan(text);
        assert!(
            scanner.dfa.get().is_none(),
            "a small file scans with the NFA"
        );
        index.scan(&vec![b' '; DFA_AFTER_BYTES]);
        assert!(scanner.dfa.get().is_some_and(|dfa| dfa.is_some()));
        let by_dfa = index.scan(text);
        assert_eq!(by_nfa.by_set, by_dfa.by_set);
        assert_eq!(by_nfa.anchors, by_dfa.anchors);
        assert_eq!(by_dfa.anchors, [true, true]);
        assert_eq!(by_dfa.by_set[0], [(10, 15)], "`Popen` as spelled");
        assert_eq!(
            by_dfa.by_set[1].len(),
            4,
            "exec; EXECUTE and the exec in it; system"
        );
    }

    #[test]
    fn the_own_search_loop_finds_what_the_crates_overlapping_search_finds() {
        let words: Vec<Vec<u8>> = ["con", "connect", "on", "exec", "x", "sk_", "eCt", "\"\"\""]
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect();
        let texts: [&[u8]; 4] = [
            b"conn = CONNECT(x); db.Connect(); sk_live_ execute \"\"\"\"doc",
            b"",
            b"x",
            b"oncononconnectt",
        ];
        let reference = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&words)
            .expect("an automaton");
        let scanner = Scanner::new(words.clone()).expect("a scanner");
        let dfa = Scanner::build_dfa(&words).expect("a DFA");
        // Long enough for several streams, with their bounds falling at every
        // offset of the words around them; half in other cases, which the
        // words match too.
        let long: Vec<Vec<u8>> = (0..144)
            .map(|n| {
                let period: &[u8] = if n % 2 == 0 {
                    b"connect exec sk_ "
                } else {
                    b"CONNECT eXec SK_ "
                };
                let mut text = period.repeat(STREAMS_FROM / 17 + 6);
                text.truncate(STREAMS_FROM + n / 2);
                text
            })
            .collect();
        let texts = texts.iter().copied().chain(long.iter().map(Vec::as_slice));
        for text in texts {
            let expected: Vec<(usize, usize, usize)> = reference
                .find_overlapping_iter(text)
                .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
                .collect();
            let mut by_nfa = Vec::new();
            assert!(each_occurrence(&scanner.nfa, text, |p, s, e| by_nfa.push((p, s, e))));
            let mut by_dfa = Vec::new();
            assert!(each_occurrence(&dfa, text, |p, s, e| by_dfa.push((p, s, e))));
            assert_eq!(
                by_nfa,
                expected,
                "NFA on {:?}",
                String::from_utf8_lossy(text)
            );
            assert_eq!(
                by_dfa,
                expected,
                "DFA on {:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn anchors_are_found_in_the_same_scan_with_their_case() {
        let (_, required) = index(&[("(call function: (identifier) @f (#eq? @f \"popen\"))", &[])]);
        let anchors = [
            "Popen".to_string(),
            "popen".to_string(),
            String::new(),
            "eval".into(),
        ];
        let index = LiteralIndex::new(required.iter().map(Some), &anchors);
        let file = index.scan(b"subprocess.Popen(cmd)");
        // Spelled as written; an empty anchor is in every file.
        assert_eq!(file.anchors, [true, false, true, false]);
        assert!(
            !index.may_match(0, 1, 0..21, &file, b"subprocess.Popen(cmd)"),
            "the set needs `popen` in lower case"
        );
        let file = index.scan(b"os.popen(cmd)");
        assert_eq!(file.anchors, [false, true, true, false]);
        assert!(index.may_match(0, 1, 0..13, &file, b"os.popen(cmd)"));
    }

    #[test]
    fn entries_without_needs_and_other_kinds_pass() {
        let (index, _) = index(&[("(call function: (identifier) @f (#eq? @f \"eval\"))", &[])]);
        let index = LiteralIndex {
            by_entry: vec![index.by_entry[0].clone(), None],
            ..index
        };
        let text = b"print(x)";
        let file = index.scan(text);
        assert!(!index.may_match(0, 1, 0..8, &file, text));
        assert!(index.may_match(0, 2, 0..8, &file, text), "not a root kind");
        assert!(
            index.may_match(1, 1, 0..8, &file, text),
            "entry not indexed"
        );
        assert!(!index.covers(1) && index.covers(0));
    }
}
