//! Intraprocedural taint analysis: one walk over a file that follows
//! request data through assignments, branches and loops to sinks.
//!
//! The state maps variable names (and member paths such as `self.sql`) to
//! the rules they are tainted for, each with the path that tainted them.
//! Statements are executed in order; `if` arms run from the same state and
//! are joined (tainted on any path is tainted), loop bodies run twice so a
//! value tainted late in one iteration reaches a sink early in the next.
//! Functions and closures start from the state where they are defined,
//! with their parameters shadowing it, and their own state is dropped at
//! their end: taint does not cross function boundaries.
//!
//! Recursion follows the syntax tree, so it is capped at [`MAX_DEPTH`]
//! levels: deeper code is not analysed rather than overflowing the stack.

use super::shape::{shape, shape_kinds, Binding, Loop, Shape, ShapeKinds};
use super::spec::{LanguageTaint, TaintMatcher};
use crate::diagnostic::shorten;
use crate::lang::containment::Containment;
use crate::lang::flatten::Children;
use crate::lang::kind_set::KindSet;
use crate::lang::Lang;
use crate::matcher::{node_text, MatchContext};
use crate::memo::RunMemo;
use rustc_hash::{FxHashMap, FxHashSet};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;
use tree_sitter::Node;

/// Nesting depth beyond which code is skipped.
const MAX_DEPTH: usize = 400;
/// Longest code quoted in a path label.
const LABEL_TEXT: usize = 40;
/// Steps kept in a reported path (the source and the last ones).
const MAX_STEPS: usize = 12;
const DEADLINE_CHECK_INTERVAL: u32 = 1024;

/// One step of a path from a source to a sink, as a byte range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub start: usize,
    pub end: usize,
    pub label: String,
}

/// A sink reached by request data.
#[derive(Debug)]
pub struct Hit {
    /// Index into the rule list given to [`analyze`].
    pub rule: usize,
    /// The sink call (or its `@match` capture).
    pub start: usize,
    pub end: usize,
    /// Text of the source and of the tainted sink argument.
    pub source_text: String,
    pub sink_text: String,
    /// Source first, sink last.
    pub steps: Vec<Step>,
}

/// What the pass found in one file.
#[derive(Debug, Default)]
pub struct Analysis {
    /// Sinks reached by request data.
    pub hits: Vec<Hit>,
    /// Byte offsets of bindings and sinks whose values are *known* for the
    /// rules in the mask: built only from literals and values sanitized for
    /// them. Those rules' pattern findings there are false alarms.
    pub vouched: Vec<(usize, u64)>,
}

/// Rule bits: bit `i` is the `i`-th rule given to [`analyze`].
type Mask = u64;

struct TraceNode {
    step: Step,
    prev: Option<Rc<TraceNode>>,
}

/// Which rules a value is tainted for, each group with its path, and
/// the rules for which the value is *known*: built only from literals,
/// those rules' sanitizer results and other known values, so no input of
/// any kind that matters to them is in it.
#[derive(Clone, Default)]
struct Taint {
    flows: Vec<(Mask, Rc<TraceNode>)>,
    known: Mask,
}

impl Taint {
    fn known() -> Taint {
        Taint {
            flows: Vec::new(),
            known: Mask::MAX,
        }
    }

    fn source(mask: Mask, step: Step) -> Taint {
        if mask == 0 {
            return Taint::default();
        }
        Taint {
            flows: vec![(mask, Rc::new(TraceNode { step, prev: None }))],
            known: 0,
        }
    }

    fn mask(&self) -> Mask {
        self.flows.iter().fold(0, |m, (bits, _)| m | bits)
    }

    fn is_clean(&self) -> bool {
        self.flows.is_empty()
    }

    /// The taint of a value computed from both.
    fn union(&mut self, other: &Taint) {
        for (bits, trace) in &other.flows {
            let new = bits & !self.mask();
            if new != 0 {
                self.flows.push((new, trace.clone()));
            }
        }
        self.known &= other.known;
    }

    fn clear(&mut self, bits: Mask) {
        for entry in &mut self.flows {
            entry.0 &= !bits;
        }
        self.flows.retain(|e| e.0 != 0);
    }

    /// The same taint, with one more step on every path.
    fn then(&self, step: &Step) -> Taint {
        Taint {
            flows: self
                .flows
                .iter()
                .map(|(bits, prev)| {
                    (
                        *bits,
                        Rc::new(TraceNode {
                            step: step.clone(),
                            prev: Some(prev.clone()),
                        }),
                    )
                })
                .collect(),
            known: self.known,
        }
    }

    fn trace(&self, bit: Mask) -> Option<&Rc<TraceNode>> {
        self.flows
            .iter()
            .find(|(b, _)| b & bit != 0)
            .map(|(_, t)| t)
    }
}

/// Variable (or member path) → taint. A present but clean entry means
/// "known clean here" (assigned a constant, checked by a guard), which
/// also stops a member path from being read through its object.
type State = FxHashMap<String, Taint>;

/// Variables a condition proves clean, for the rules in the mask.
type Guarded = Vec<(String, Mask)>;

/// Joins the states of two paths: tainted on either is tainted; known
/// clean only when known clean on both.
fn join(a: &State, b: &State) -> State {
    let mut out = State::default();
    for (key, ta) in a {
        match b.get(key) {
            Some(tb) => {
                let mut t = ta.clone();
                t.union(tb);
                out.insert(key.clone(), t);
            }
            None if !ta.is_clean() => {
                let mut t = ta.clone();
                t.known = 0;
                out.insert(key.clone(), t);
            }
            None => {}
        }
    }
    for (key, tb) in b {
        if !a.contains_key(key) && !tb.is_clean() {
            let mut t = tb.clone();
            t.known = 0;
            out.insert(key.clone(), t);
        }
    }
    out
}

fn join_all(states: Vec<State>) -> Option<State> {
    let mut iter = states.into_iter();
    let first = iter.next()?;
    Some(iter.fold(first, |acc, s| join(&acc, &s)))
}

/// Matchers of one role from all rules, each once, with the rules using it,
/// dispatched by the node kinds their queries start at.
#[derive(Default)]
struct Table {
    items: Vec<(Arc<TaintMatcher>, Mask)>,
    by_kind: FxHashMap<u16, Vec<usize>>,
    any_kind: Vec<usize>,
}

impl Table {
    fn add(&mut self, matcher: &Arc<TaintMatcher>, bit: Mask) {
        // Shared (a library's) or written identically (copies of a rule):
        // run once, for all the rules using it.
        if let Some(item) = self.items.iter_mut().find(|(m, _)| m.same_as(matcher)) {
            item.1 |= bit;
            return;
        }
        let i = self.items.len();
        self.items.push((matcher.clone(), bit));
        match matcher.root_kinds.as_ref() {
            Some(kinds) => {
                for k in kinds {
                    self.by_kind.entry(*k).or_default().push(i);
                }
            }
            None => self.any_kind.push(i),
        }
    }

    fn candidates(&self, kind: u16) -> Vec<usize> {
        let by_kind = self.by_kind.get(&kind);
        if by_kind.is_none() && self.any_kind.is_empty() {
            return Vec::new(); // the common case: no allocation
        }
        let mut out: Vec<usize> = by_kind.cloned().unwrap_or_default();
        out.extend(&self.any_kind);
        out
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[derive(Default)]
struct Tables {
    /// Sources tried on function parameters (queries capturing `@param`).
    param_sources: Table,
    sources: Table,
    sanitizers: Table,
    /// Sanitizers capturing `@safe_if_true`/`@safe_if_false`.
    guards: Table,
    propagators: Table,
    sinks: Table,
}

struct Analyzer<'a, 'c> {
    /// The kinds worth executing (`None`: all), from [`executed_kinds`].
    executed: Option<Arc<KindSet>>,
    shape: &'static Shape,
    kinds: &'static ShapeKinds,
    ctx: &'a mut MatchContext<'c>,
    tables: Tables,
    all: Mask,
    hits: Vec<Hit>,
    vouched: Vec<(usize, Mask)>,
    seen: FxHashSet<(usize, usize, usize)>,
    deadline: Option<Instant>,
    visited: u32,
    timed_out: bool,
    file: &'a FileFacts<'a, 'c>,
}

/// What the caller knows of the file from its one scan for anchors.
pub struct FileFacts<'a, 't> {
    /// Whether an anchor occurs in the file.
    pub anchor_occurs: &'a dyn Fn(&str) -> bool,
    /// The anchors of the language's taint sources that match values, not
    /// handler parameters (`None`: some such source has none): in a
    /// function whose text holds none, with no tainted parameter or
    /// captured variable, and no function in it with one, no flow can
    /// start.
    pub value_source_anchors: Option<&'a aho_corasick::AhoCorasick>,
    /// The file's functions (the shape's function kinds) in document
    /// order, from the main traversal: a function nested in another may
    /// have parameters that are request data.
    pub functions: &'a [Node<'t>],
    /// Byte ranges of the taint rules' pattern findings, sorted: the only
    /// places where proving values known changes the result.
    pub watched: &'a [(usize, usize)],
    /// Which kinds the grammar lets hold which (`None`: not read, as in
    /// small runs): subtrees that can hold nothing the pass acts on are
    /// not executed.
    pub containment: Option<&'static Containment>,
}

/// The kinds whose nodes may change what the pass finds when executed:
/// those it acts on (functions, bindings, branches, loops, and the kinds
/// the file's propagators and sinks start at) and those that may hold one.
/// Executing any other node only walks its subtree (mechanism 28 of
/// `docs/benchmarks.md`). `None` when a propagator or sink may start at
/// any kind.
fn executed_kinds(lang: Lang, containment: &Containment, tables: &Tables) -> Option<Arc<KindSet>> {
    let (propagators, sinks) = (&tables.propagators, &tables.sinks);
    if !propagators.any_kind.is_empty() || !sinks.any_kind.is_empty() {
        return None;
    }
    let starts = propagators.by_kind.keys().chain(sinks.by_kind.keys());
    Some(worth_executing(
        lang,
        containment,
        starts.copied().collect(),
    ))
}

/// [`executed_kinds`] for propagators and sinks starting at `starts`,
/// kept per language and set of start kinds.
fn worth_executing(lang: Lang, containment: &Containment, mut starts: Vec<u16>) -> Arc<KindSet> {
    static KEPT: RunMemo<(Lang, Vec<u16>), Arc<KindSet>> = RunMemo::new();
    starts.sort_unstable();
    starts.dedup();
    let key = (lang, starts);
    KEPT.get_or(&key, || {
        let grammar = (lang.info().grammar)();
        let mut targets = shape_kinds(lang).acted_on(&grammar);
        targets.extend(&key.1);
        Arc::new(containment.being_or_holding(&grammar, &targets))
    })
}

/// Runs the taint specifications `rules` over the tree at `root`. `None`
/// when `deadline` passed.
pub fn analyze<'t>(
    lang: Lang,
    rules: &[&LanguageTaint],
    root: Node<'t>,
    ctx: &mut MatchContext<'t>,
    deadline: Option<Instant>,
    file: &FileFacts<'_, 't>,
) -> Option<Analysis> {
    let mut tables = Tables::default();
    let rules = &rules[..rules.len().min(Mask::BITS as usize)];
    // A matcher with anchors can only match in a file that holds one.
    let possible = |m: &&Arc<TaintMatcher>| {
        m.anchors.is_empty() || m.anchors.iter().any(|a| (file.anchor_occurs)(a))
    };
    for (i, spec) in rules.iter().enumerate() {
        let bit: Mask = 1 << i;
        for m in spec.roles.sources.iter().filter(possible) {
            if m.captures("param") {
                tables.param_sources.add(m, bit);
            } else {
                tables.sources.add(m, bit);
            }
        }
        for m in spec.roles.sanitizers.iter().filter(possible) {
            if m.captures("safe_if_true") || m.captures("safe_if_false") {
                tables.guards.add(m, bit);
            } else {
                tables.sanitizers.add(m, bit);
            }
        }
        for m in spec.roles.propagators.iter().filter(possible) {
            tables.propagators.add(m, bit);
        }
        for m in spec.roles.sinks.iter().filter(possible) {
            tables.sinks.add(m, bit);
        }
    }
    if tables.sinks.is_empty() || (tables.sources.is_empty() && tables.param_sources.is_empty()) {
        return Some(Analysis::default());
    }
    let all = if rules.len() >= Mask::BITS as usize {
        Mask::MAX
    } else {
        (1 << rules.len()) - 1
    };
    let executed = file
        .containment
        .and_then(|containment| executed_kinds(lang, containment, &tables));
    let mut analyzer = Analyzer {
        executed,
        shape: shape(lang),
        kinds: shape_kinds(lang),
        ctx,
        tables,
        all,
        hits: Vec::new(),
        vouched: Vec::new(),
        seen: FxHashSet::default(),
        deadline,
        visited: 0,
        timed_out: false,
        file,
    };
    // With no value source, taint can only start at a handler's parameter;
    // with no pattern finding to vouch for, a file without one has
    // nothing to find.
    let cannot_find =
        analyzer.tables.sources.is_empty() && file.watched.is_empty() && !analyzer.any_handler();
    if !cannot_find {
        analyzer.exec(root, &mut State::default(), 0);
    }
    if analyzer.timed_out {
        return None;
    }
    let mut hits = analyzer.hits;
    hits.sort_by_key(|h| (h.start, h.rule));
    Some(Analysis {
        hits,
        vouched: analyzer.vouched,
    })
}

impl<'a, 'c> Analyzer<'a, 'c> {
    fn text(&self, node: Node<'c>) -> &'c str {
        node_text(node, self.ctx.source)
    }

    fn tick(&mut self) -> bool {
        self.visited = self.visited.wrapping_add(1);
        if self.visited.is_multiple_of(DEADLINE_CHECK_INTERVAL)
            && self.deadline.is_some_and(|d| Instant::now() > d)
        {
            self.timed_out = true;
        }
        !self.timed_out
    }

    /// Executes `node` as code: updates `state` and reports sinks.
    fn exec(&mut self, node: Node<'c>, state: &mut State, depth: usize) {
        if depth > MAX_DEPTH || !self.tick() {
            return;
        }
        let kind = node.kind_id();
        if self
            .executed
            .as_ref()
            .is_some_and(|e| !e.contains(kind) && node.is_named() && !node.has_error())
        {
            return;
        }
        if self.kinds.functions.contains(kind) {
            self.function(node, state, depth);
            return;
        }
        if let Some(binding) = self.kinds.binding(kind) {
            self.binding(node, binding, state, depth);
        } else if self.kinds.ifs.contains(kind) {
            self.branch(node, state, depth);
        } else if let Some(l) = self.kinds.loop_of(kind) {
            self.looped(node, l, state, depth);
        } else {
            self.sequence(node, state, depth);
        }
        self.after(node, state, depth);
    }

    /// Children in order; consecutive arms (`case`, `except`, `catch`) each
    /// run from the state before the first of them, and the results join
    /// with that state (no arm may run).
    fn sequence(&mut self, node: Node<'c>, state: &mut State, depth: usize) {
        // Most nodes reached here are leaves: no cursor for them.
        if node.named_child_count() == 0 {
            return;
        }
        let mut arms_from: Option<State> = None;
        let mut arm_states: Vec<State> = Vec::new();
        for (child, child_kind, _) in Children::of(node) {
            if !child.is_named() {
                continue;
            }
            if self.kinds.arms.contains(child_kind) {
                let from = arms_from.get_or_insert_with(|| state.clone());
                let mut s = from.clone();
                self.exec(child, &mut s, depth + 1);
                arm_states.push(s);
                continue;
            }
            if let Some(from) = arms_from.take() {
                arm_states.push(from);
                *state = join_all(std::mem::take(&mut arm_states)).unwrap_or_default();
            }
            self.exec(child, state, depth + 1);
        }
        if let Some(from) = arms_from.take() {
            arm_states.push(from);
            *state = join_all(arm_states).unwrap_or_default();
        }
    }

    fn binding(&mut self, node: Node<'c>, b: &Binding, state: &mut State, depth: usize) {
        let value = field_or_first(self.kinds, node, b.value);
        let target = if b.target.is_empty() {
            None
        } else {
            self.kinds.field(node, b.target)
        };
        if let Some(v) = value {
            self.exec(v, state, depth + 1);
        }
        let Some(target) = target else { return };
        let mut taint = match value {
            Some(v) => self.eval(v, state, depth + 1),
            None => Taint::default(),
        };
        if b.augmented {
            let old = self.eval(target, state, depth + 1);
            taint.union(&old);
        }
        if taint.is_clean() && taint.known != 0 {
            self.vouched.push((node.start_byte(), taint.known));
        }
        self.assign(target, value, taint, node, state, depth);
    }

    /// Binds `taint` (the value of `value`, if known) to the names in `target`.
    fn assign(
        &mut self,
        target: Node<'c>,
        value: Option<Node<'c>>,
        taint: Taint,
        at: Node<'c>,
        state: &mut State,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let kind = target.kind();
        if let Some(v) = value {
            if self.shape.sequences.contains(&kind) && self.shape.sequences.contains(&v.kind()) {
                let mut tc = target.walk();
                let mut vc = v.walk();
                let targets: Vec<Node<'c>> = target.named_children(&mut tc).collect();
                let values: Vec<Node<'c>> = v.named_children(&mut vc).collect();
                if targets.len() == values.len() {
                    for (t, v) in targets.into_iter().zip(values) {
                        let taint = self.eval(v, state, depth + 1);
                        self.assign(t, Some(v), taint, at, state, depth + 1);
                    }
                    return;
                }
            }
        }
        if self.shape.variables.contains(&kind)
            || self.shape.pattern_names.contains(&kind)
            || self.shape.paths.contains(&kind)
        {
            let name = self.text(target).to_string();
            self.set(state, name, &taint, at);
            return;
        }
        if let Some(container) = subscript_object(self.kinds, target) {
            // `d["k"] = v`: the container holds the value too.
            if taint.is_clean() {
                return;
            }
            let name = self.text(container).to_string();
            let mut t = state.get(&name).cloned().unwrap_or_default();
            t.union(&self.step(&taint, at, &name));
            state.insert(name, t);
            return;
        }
        let mut names = Vec::new();
        self.binding_names(target, &mut names, depth);
        for name in names {
            self.set(state, name, &taint, at);
        }
    }

    fn set(&self, state: &mut State, name: String, taint: &Taint, at: Node<'c>) {
        if taint.is_clean() && taint.known == 0 {
            // Unknown and clean is what an absent name means: keep the
            // state small, as it is cloned at every branch.
            state.remove(&name);
            return;
        }
        let t = self.step(taint, at, &name);
        state.insert(name, t);
    }

    fn step(&self, taint: &Taint, at: Node<'c>, name: &str) -> Taint {
        if taint.is_clean() {
            return Taint {
                flows: Vec::new(),
                known: taint.known,
            };
        }
        taint.then(&Step {
            start: at.start_byte(),
            end: at.end_byte(),
            label: format!("flows into `{}`", shorten(name, LABEL_TEXT)),
        })
    }

    /// Names a pattern or parameter binds (types and defaults skipped).
    fn binding_names(&self, node: Node<'c>, out: &mut Vec<String>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let kind = node.kind();
        if self.shape.variables.contains(&kind) || self.shape.pattern_names.contains(&kind) {
            out.push(self.text(node).to_string());
            return;
        }
        if self.shape.non_binding_kinds.contains(&kind) {
            return;
        }
        let language = node.language();
        for (child, _, field) in Children::of(node) {
            let field = field.and_then(|f| language.field_name_for_id(f.get()));
            // `{ key: name }` binds its value; elsewhere `value` is a default.
            let skip = field.is_some_and(|f| {
                self.shape.non_binding_fields.contains(&f)
                    && !(kind == "pair_pattern" && f == "value")
            });
            if child.is_named() && !skip {
                self.binding_names(child, out, depth + 1);
            }
        }
    }

    /// `if`/`elif`/`else` chains: each arm from the state the conditions
    /// before it leave; guards clean variables where they hold; arms that
    /// always leave (return, raise) do not flow on.
    fn branch(&mut self, node: Node<'c>, state: &mut State, depth: usize) {
        let mut outs: Vec<State> = Vec::new();
        let mut fall = state.clone();
        let mut arm = Some(node);
        let mut cursor = node.walk();
        let alternatives: Vec<Node<'c>> = node
            .children_by_field_name("alternative", &mut cursor)
            .collect();
        let mut rest = alternatives.into_iter();
        let mut covered = false;
        while let Some(current) = arm.take() {
            if let Some(cond) = self.kinds.field(current, "condition") {
                self.exec(cond, &mut fall, depth + 1);
                let (if_true, if_false) = self.guards(cond, depth);
                let mut then = fall.clone();
                clean(&mut then, &if_true);
                if let Some(body) = self.kinds.field(current, "consequence") {
                    self.exec(body, &mut then, depth + 1);
                    if !self.exits(body, depth) {
                        outs.push(then);
                    }
                } else {
                    outs.push(then);
                }
                clean(&mut fall, &if_false);
            }
            match rest.next() {
                Some(alt) if self.shape.else_ifs.contains(&alt.kind()) => arm = Some(alt),
                Some(alt) => {
                    let mut s = fall.clone();
                    self.exec(alt, &mut s, depth + 1);
                    if !self.exits(alt, depth) {
                        outs.push(s);
                    }
                    covered = true;
                }
                None => {}
            }
        }
        if !covered {
            outs.push(fall.clone());
        }
        *state = join_all(outs).unwrap_or(fall);
    }

    /// Whether control never continues after `node` (its last statement
    /// returns, raises, breaks or calls a function that does not return).
    fn exits(&self, node: Node<'c>, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let kind = node.kind();
        if self.shape.exits.contains(&kind) {
            return true;
        }
        if self.shape.blocks.contains(&kind) {
            let mut cursor = node.walk();
            let last = node
                .named_children(&mut cursor)
                .filter(|c| !c.kind().contains("comment"))
                .last();
            return last.is_some_and(|l| self.exits(l, depth + 1));
        }
        let callee = self
            .kinds
            .field(node, "function")
            .or_else(|| self.kinds.field(node, "macro"));
        if let Some(callee) = callee {
            let name = self.text(callee);
            let name = if node.kind() == "macro_invocation" {
                format!("{name}!")
            } else {
                name.to_string()
            };
            return self.shape.exit_calls.contains(&name.as_str());
        }
        false
    }

    /// Variables an `if` condition proves clean when true / when false.
    fn guards(&mut self, cond: Node<'c>, depth: usize) -> (Guarded, Guarded) {
        let mut if_true = Vec::new();
        let mut if_false = Vec::new();
        if self.tables.guards.is_empty() {
            return (if_true, if_false);
        }
        // Walks the condition through parentheses, negations and `and`/`or`
        // only: a guard inside a call argument says nothing about the
        // condition. Each entry: (node, depth, under an odd number of
        // negations, the condition being true / false tells something).
        let mut stack = vec![(cond, depth, false, true, true)];
        while let Some((node, d, negated, can_true, can_false)) = stack.pop() {
            if d > MAX_DEPTH || !(can_true || can_false) {
                continue;
            }
            for i in self.tables.guards.candidates(node.kind_id()) {
                let (matcher, mask) = &self.tables.guards.items[i];
                let matcher = matcher.clone();
                let mask = *mask;
                let found = matcher.captures_at(node, self.ctx);
                if found.is_empty() {
                    continue;
                }
                let t = matcher.capture_index("safe_if_true");
                let f = matcher.capture_index("safe_if_false");
                for caps in found {
                    for (index, captured) in caps {
                        let name = self.text(captured).to_string();
                        // Under `not`/`!` the guard's meaning flips.
                        let when_true = if Some(index) == t {
                            !negated
                        } else if Some(index) == f {
                            negated
                        } else {
                            continue;
                        };
                        if when_true && can_true {
                            if_true.push((name, mask));
                        } else if !when_true && can_false {
                            if_false.push((name, mask));
                        }
                    }
                }
            }
            let (flips, mut child_true, mut child_false) = match self.connective(node) {
                Connective::Not => (true, can_true, can_false),
                Connective::Group => (false, can_true, can_false),
                // `a and b` true: both true; false: either may be false.
                Connective::And if negated => (false, false, can_false),
                Connective::And => (false, can_true, false),
                Connective::Or if negated => (false, can_true, false),
                Connective::Or => (false, false, can_false),
                Connective::Other => continue,
            };
            if node.named_child_count() == 0 {
                (child_true, child_false) = (false, false);
            }
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                stack.push((child, d + 1, negated ^ flips, child_true, child_false));
            }
        }
        (if_true, if_false)
    }

    /// How a condition node combines its operands.
    fn connective(&self, node: Node<'c>) -> Connective {
        let op = || {
            self.kinds
                .field(node, "operator")
                .or_else(|| node.child(0))
                .map(|o| self.text(o))
                .unwrap_or("")
        };
        match node.kind() {
            "parenthesized_expression" => Connective::Group,
            "not_operator" => Connective::Not,
            "unary_expression" if op() == "!" => Connective::Not,
            "boolean_operator" | "binary_expression" => match op() {
                "and" | "&&" => Connective::And,
                "or" | "||" => Connective::Or,
                _ => Connective::Other,
            },
            _ => Connective::Other,
        }
    }

    fn looped(&mut self, node: Node<'c>, l: &Loop, state: &mut State, depth: usize) {
        let binding = (!l.binding.is_empty())
            .then(|| self.kinds.field(node, l.binding))
            .flatten();
        let iterable = (!l.iterable.is_empty())
            .then(|| self.kinds.field(node, l.iterable))
            .flatten();
        let body = self.kinds.field(node, l.body);
        let mut cursor = node.walk();
        let children: Vec<Node<'c>> = node.named_children(&mut cursor).collect();
        for child in children {
            if Some(child) == binding {
                continue;
            }
            if Some(child) == body {
                // Twice: a value tainted late in one iteration is read
                // early in the next.
                for _ in 0..2 {
                    let before = state.clone();
                    self.exec(child, state, depth + 1);
                    *state = join(&before, state);
                }
                continue;
            }
            self.exec(child, state, depth + 1);
            if Some(child) == iterable {
                if let Some(target) = binding {
                    let taint = self.eval(child, state, depth + 1);
                    self.assign(target, None, taint, node, state, depth + 1);
                }
            }
        }
    }

    /// A function or closure: parameters shadow the enclosing state and may
    /// be request data; nothing flows back out.
    fn function(&mut self, node: Node<'c>, outer: &State, depth: usize) {
        let mut state = outer.clone();
        for (param, taint) in self.parameters(node) {
            let mut names = Vec::new();
            self.binding_names(param, &mut names, depth);
            for name in names {
                if taint.is_clean() && taint.known == 0 {
                    state.remove(&name);
                } else {
                    state.insert(name, taint.clone());
                }
            }
        }
        if self.nothing_to_find(node, &state) {
            return;
        }
        if let Some(body) = self.kinds.field(node, "body") {
            self.exec(body, &mut state, depth + 1);
        }
    }

    /// Whether some function of the file has a parameter that is request
    /// data. The main traversal lists every named function it passes, and
    /// it enters every subtree that can hold one (and every one with a
    /// syntax error), so no function `exec` reaches is missing.
    fn any_handler(&mut self) -> bool {
        for &function in self.file.functions {
            if !self.tick() {
                return false;
            }
            if self.parameters(function).iter().any(|(_, t)| !t.is_clean()) {
                return true;
            }
        }
        false
    }

    /// A function's parameters, each with its taint: known clean when
    /// typed with a safe type, request data when a parameter source says
    /// so.
    fn parameters(&mut self, function: Node<'c>) -> Vec<(Node<'c>, Taint)> {
        let mut out = Vec::new();
        for field in self.shape.parameters {
            let Some(params) = self.kinds.field(function, field) else {
                continue;
            };
            let list: Vec<Node<'c>> = if params.kind().ends_with("parameters") {
                let mut cursor = params.walk();
                params.named_children(&mut cursor).collect()
            } else {
                vec![params]
            };
            for param in list {
                let typed_safe = self.kinds.field(param, "type").is_some_and(|t| {
                    let ty = self.text(t).trim_start_matches(':').trim();
                    self.shape.safe_types.contains(&ty)
                });
                let taint = if typed_safe {
                    Taint::known()
                } else {
                    self.param_source(param)
                };
                out.push((param, taint));
            }
        }
        out
    }

    /// Whether analysing `function` cannot change the result: nothing in
    /// its state is tainted, its text holds no value-source anchor, no
    /// function nested in it has a parameter that is request data, and
    /// no pattern finding of a taint rule lies in it to be proven harmless.
    fn nothing_to_find(&mut self, function: Node<'c>, state: &State) -> bool {
        let Some(anchors) = self.file.value_source_anchors else {
            return false;
        };
        let (start, end) = (function.start_byte(), function.end_byte());
        let watched = self.file.watched.iter().any(|&(s, e)| s < end && e > start);
        if watched
            || !state.values().all(Taint::is_clean)
            || anchors.is_match(self.ctx.source.get(start..end).unwrap_or_default())
        {
            return false;
        }
        if self.tables.param_sources.is_empty() {
            return true;
        }
        // The functions inside it, from the main traversal's list, which
        // must hold this one.
        let functions = self.file.functions;
        let at = functions.partition_point(|f| f.start_byte() < start);
        if functions.get(at).is_none_or(|f| f.id() != function.id()) {
            return false;
        }
        let nested = functions[at + 1..]
            .iter()
            .take_while(|f| f.start_byte() < end);
        for &inner in nested {
            if self.parameters(inner).iter().any(|(_, t)| !t.is_clean()) {
                return false;
            }
        }
        true
    }

    fn param_source(&mut self, param: Node<'c>) -> Taint {
        let mut mask = 0;
        for i in self.tables.param_sources.candidates(param.kind_id()) {
            let (matcher, bits) = &self.tables.param_sources.items[i];
            if mask & bits == *bits {
                continue;
            }
            let (matcher, bits) = (matcher.clone(), *bits);
            if matcher.matches(param, self.ctx) {
                mask |= bits;
            }
        }
        if mask == 0 {
            // Most parameters: no path label to format.
            return Taint::default();
        }
        Taint::source(
            mask,
            Step {
                start: param.start_byte(),
                end: param.end_byte(),
                label: format!(
                    "request data: handler parameter `{}`",
                    shorten(self.text(param), LABEL_TEXT)
                ),
            },
        )
    }

    /// Propagators and sinks at `node`, after its children ran.
    fn after(&mut self, node: Node<'c>, state: &mut State, depth: usize) {
        let kind = node.kind_id();
        for i in self.tables.propagators.candidates(kind) {
            let matcher = self.tables.propagators.items[i].0.clone();
            let found = matcher.captures_at(node, self.ctx);
            if found.is_empty() {
                continue;
            }
            let (Some(from), Some(to)) =
                (matcher.capture_index("from"), matcher.capture_index("to"))
            else {
                continue;
            };
            for caps in found {
                let mut taint = Taint::default();
                for (_, n) in caps.iter().filter(|(i, _)| *i == from) {
                    let t = self.eval(*n, state, depth + 1);
                    taint.union(&t);
                }
                if taint.is_clean() {
                    continue;
                }
                for (_, n) in caps.iter().filter(|(i, _)| *i == to) {
                    let name = self.text(*n).to_string();
                    let mut t = state.get(&name).cloned().unwrap_or_default();
                    t.union(&self.step(&taint, node, &name));
                    state.insert(name, t);
                }
            }
        }
        for i in self.tables.sinks.candidates(kind) {
            let (matcher, mask) = &self.tables.sinks.items[i];
            let (matcher, mask) = (matcher.clone(), *mask);
            let found = matcher.captures_at(node, self.ctx);
            if found.is_empty() {
                continue;
            }
            let Some(sink) = matcher.capture_index("sink") else {
                continue;
            };
            let reported = matcher.capture_index("match");
            for caps in found {
                let at = reported
                    .and_then(|r| caps.iter().find(|(i, _)| *i == r))
                    .map_or(node, |(_, n)| *n);
                for (_, arg) in caps.iter().filter(|(i, _)| *i == sink) {
                    let taint = self.eval(*arg, state, depth + 1);
                    let hit_mask = taint.mask() & mask;
                    if hit_mask == 0 && taint.known & mask != 0 {
                        self.vouched.push((at.start_byte(), taint.known & mask));
                    }
                    for bit in 0..Mask::BITS {
                        let b: Mask = 1 << bit;
                        if hit_mask & b == 0 {
                            continue;
                        }
                        if !self
                            .seen
                            .insert((bit as usize, at.start_byte(), at.end_byte()))
                        {
                            continue;
                        }
                        let Some(trace) = taint.trace(b) else {
                            continue;
                        };
                        let sink_text = self.text(*arg);
                        let mut steps = collect_steps(trace);
                        let source_text = steps
                            .first()
                            .map(|s| self.ctx.source.get(s.start..s.end).unwrap_or(""))
                            .unwrap_or("")
                            .to_string();
                        steps.push(Step {
                            start: arg.start_byte(),
                            end: arg.end_byte(),
                            label: format!(
                                "reaches the sink as `{}`",
                                shorten(sink_text, LABEL_TEXT)
                            ),
                        });
                        self.hits.push(Hit {
                            rule: bit as usize,
                            start: at.start_byte(),
                            end: at.end_byte(),
                            source_text,
                            sink_text: sink_text.to_string(),
                            steps,
                        });
                    }
                }
            }
        }
    }

    /// The taint of the value of expression `node`.
    fn eval(&mut self, node: Node<'c>, state: &State, depth: usize) -> Taint {
        if depth > MAX_DEPTH {
            return Taint::default();
        }
        let kind_id = node.kind_id();
        if self.kinds.functions.contains(kind_id) {
            return Taint::default();
        }
        if self.kinds.clean.contains(kind_id) {
            return Taint::known();
        }
        if self.kinds.binary.contains(kind_id) {
            let op = self
                .kinds
                .field(node, "operator")
                .map(|o| self.text(o))
                .unwrap_or("");
            if self.shape.clean_operators.contains(&op) {
                return Taint::known();
            }
        }
        let mut sanitized: Mask = 0;
        for i in self.tables.sanitizers.candidates(kind_id) {
            let (matcher, bits) = &self.tables.sanitizers.items[i];
            if sanitized & bits == *bits {
                continue;
            }
            let (matcher, bits) = (matcher.clone(), *bits);
            if matcher.matches(node, self.ctx) {
                sanitized |= bits;
            }
        }
        if sanitized & self.all == self.all {
            return Taint::known();
        }
        let mut out = Taint::known();
        for i in self.tables.sources.candidates(kind_id) {
            let (matcher, bits) = &self.tables.sources.items[i];
            let (matcher, bits) = (matcher.clone(), *bits);
            if out.mask() & bits == bits {
                continue;
            }
            if matcher.matches(node, self.ctx) {
                let step = Step {
                    start: node.start_byte(),
                    end: node.end_byte(),
                    label: format!("request data: `{}`", shorten(self.text(node), LABEL_TEXT)),
                };
                out.union(&Taint::source(bits, step));
            }
        }
        let is_variable = self.kinds.variables.contains(kind_id);
        let known_path = self.kinds.paths.contains(kind_id) && state.contains_key(self.text(node));
        if is_variable || known_path {
            match state.get(self.text(node)) {
                Some(t) => out.union(t),
                None => out.known = 0,
            }
        } else {
            if self.shape.inline_format_args && node.kind() == "string_literal" {
                self.inline_args(node, state, &mut out);
            }
            if node.named_child_count() == 0 && !self.ctx.lang.constant_kinds.contains(&node.kind())
            {
                out.known = 0;
            }
            let test = self
                .kinds
                .conditional_tests
                .contains(kind_id)
                .then(|| node.named_child(1))
                .flatten();
            // A leaf has no children to list.
            if node.child_count() > 0 {
                for (child, _, field) in Children::of(node) {
                    let is_name = self.kinds.is_name_field(kind_id, field) || Some(child) == test;
                    if child.is_named() && !is_name {
                        let t = self.eval(child, state, depth + 1);
                        out.union(&t);
                    }
                }
            }
        }
        out.clear(sanitized);
        out.known |= sanitized;
        out
    }

    /// `format!("{name}")`: inline arguments read variables.
    fn inline_args(&self, literal: Node<'c>, state: &State, out: &mut Taint) {
        let in_macro = literal.parent().is_some_and(|p| p.kind() == "token_tree");
        if !in_macro {
            return;
        }
        let text = self.text(literal);
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            rest = &rest[open + 1..];
            if rest.starts_with('{') {
                rest = &rest[1..];
                continue;
            }
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let name = &rest[..end];
            if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
                match state.get(name) {
                    Some(t) => out.union(t),
                    None => out.known = 0,
                }
            }
        }
    }
}

/// The operators a guard can be combined with in a condition.
enum Connective {
    Not,
    Group,
    And,
    Or,
    Other,
}

fn clean(state: &mut State, guards: &Guarded) {
    for (name, mask) in guards {
        let entry = state.entry(name.clone()).or_default();
        entry.clear(*mask);
        entry.known |= mask;
    }
}

/// The value node of a binding: a field, or the first named child.
fn field_or_first<'t>(kinds: &ShapeKinds, node: Node<'t>, field: &str) -> Option<Node<'t>> {
    if field.is_empty() {
        node.named_child(0)
    } else {
        kinds.field(node, field)
    }
}

/// `d[k]` / `d[k]` / `v[i]`: the indexed container.
fn subscript_object<'t>(kinds: &ShapeKinds, node: Node<'t>) -> Option<Node<'t>> {
    match node.kind() {
        "subscript" => kinds.field(node, "value"),
        "subscript_expression" => kinds.field(node, "object"),
        "index_expression" => node.named_child(0),
        _ => None,
    }
}

/// The path from its source, capped at [`MAX_STEPS`] (source kept).
fn collect_steps(last: &Rc<TraceNode>) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut current = Some(last);
    while let Some(node) = current {
        steps.push(node.step.clone());
        current = node.prev.as_ref();
    }
    steps.reverse();
    steps.dedup();
    if steps.len() > MAX_STEPS {
        let tail = steps.split_off(steps.len() - (MAX_STEPS - 1));
        steps.truncate(1);
        steps.extend(tail);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::worth_executing;
    use crate::lang::Lang;
    use crate::taint::shape::shape_kinds;

    /// The kinds the pass acts on are always executed, and so are the
    /// start kinds it is given; a comment never is.
    #[test]
    fn executed_kinds_hold_what_the_pass_acts_on() {
        for lang in Lang::all() {
            let containment = lang.containment().expect("node-types.json reads");
            let grammar = (lang.info().grammar)();
            let acted_on = shape_kinds(lang).acted_on(&grammar);
            assert!(acted_on.len() >= 4, "{lang:?}: {acted_on:?}");
            let call = ["call", "call_expression"]
                .iter()
                .map(|name| grammar.id_for_node_kind(name, true))
                .find(|&id| id != 0)
                .expect("a call kind");
            let comment = ["comment", "line_comment"]
                .iter()
                .map(|name| grammar.id_for_node_kind(name, true))
                .find(|&id| id != 0)
                .expect("a comment kind");
            let bare = worth_executing(lang, containment, Vec::new());
            let with_calls = worth_executing(lang, containment, vec![call]);
            for &kind in &acted_on {
                assert!(
                    bare.contains(kind),
                    "{lang:?}: {}",
                    grammar.node_kind_for_id(kind).unwrap_or("?")
                );
            }
            assert!(with_calls.contains(call), "{lang:?}");
            assert!(!with_calls.contains(comment), "{lang:?}");
        }
    }
}
