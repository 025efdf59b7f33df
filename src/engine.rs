//! Lints one file's text: prefilter, parse, one traversal matching the
//! indexed rules, suppressions, fingerprints. Free of threading: callers
//! may run it on any thread; each thread keeps its own parsers.

use crate::diagnostic::{
    fingerprint, line_start_before, shorten, Finding, Fix, LineIndex, Notice, NoticeKind, TraceStep,
};
use crate::lang::kind_set::KindSet;
use crate::lang::preorder::Preorder;
use crate::lang::Lang;
use crate::matcher::{node_text, Ancestry, Captures, MatchContext};
use crate::query::ChildLists;
use crate::rule::compile::placeholder_regex;
use crate::rule::index::{LangIndex, Live, RuleSet};
use crate::rule::meta::{BLANKET_SUPPRESSION, UNUSED_SUPPRESSION};
use crate::rule::Category;
use crate::secrets::{self, ConfigKind};
use crate::suppress::Suppressions;
use crate::walk::FileKind;
use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};
use tree_sitter::{Node, ParseOptions, Parser, QueryCursor, Tree};

/// Time one file may take to parse and match before it is abandoned with a
/// notice, so a pathological file cannot hang a pre-commit hook or CI.
pub const DEFAULT_TIME_BUDGET: Duration = Duration::from_secs(10);

/// Longest captured text quoted in a message.
const MESSAGE_TEXT: usize = 60;

/// How many nodes the traversal visits between deadline checks.
const DEADLINE_CHECK_INTERVAL: u32 = 1024;

/// What linting one file produced.
#[derive(Debug, Default)]
pub struct FileOutcome {
    pub findings: Vec<Finding>,
    pub notices: Vec<Notice>,
    /// Whether the file was parsed (false when no rule could apply).
    pub parsed: bool,
}

thread_local! {
    static PARSERS: RefCell<HashMap<Lang, Parser>> = RefCell::new(HashMap::new());
    static CURSOR: RefCell<QueryCursor> = RefCell::new(QueryCursor::new());
}

/// Parses `source` with this thread's parser for `lang`.
pub fn parse(lang: Lang, source: &str) -> Option<Tree> {
    parse_until(lang, source, None)
}

/// Parses `source`, giving up (`None`) once `deadline` has passed.
pub fn parse_until(lang: Lang, source: &str, deadline: Option<Instant>) -> Option<Tree> {
    PARSERS.with(|parsers| {
        let mut parsers = parsers.borrow_mut();
        let parser = match parsers.entry(lang) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let mut parser = Parser::new();
                parser.set_language(&(lang.info().grammar)()).ok()?;
                e.insert(parser)
            }
        };
        parse_with(parser, source, deadline)
    })
}

/// Parses `source` with `parser`, giving up (`None`) once `deadline` has
/// passed.
pub fn parse_with(parser: &mut Parser, source: &str, deadline: Option<Instant>) -> Option<Tree> {
    let bytes = source.as_bytes();
    let mut read = |offset: usize, _| bytes.get(offset..).unwrap_or_default();
    let mut progress = |_: &tree_sitter::ParseState| match deadline {
        Some(d) if Instant::now() > d => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    };
    let options = ParseOptions::new().progress_callback(&mut progress);
    parser.parse_with_options(&mut read, None, Some(options))
}

/// Lints `source` (the text of `path`, displayed as given) as `lang`.
pub fn lint_source(rules: &RuleSet, lang: Lang, path: &str, source: &str) -> FileOutcome {
    lint_source_within(rules, lang, path, source, DEFAULT_TIME_BUDGET)
}

/// [`lint_source`] with an explicit time budget for the file.
pub fn lint_source_within(
    rules: &RuleSet,
    lang: Lang,
    path: &str,
    source: &str,
    budget: Duration,
) -> FileOutcome {
    let deadline = Instant::now().checked_add(budget);
    let mut outcome = FileOutcome::default();
    let timeout = |path: &str| Notice {
        path: path.to_string(),
        kind: NoticeKind::Timeout,
        message: format!(
            "not linted: it took longer than the {} ms budget",
            budget.as_millis()
        ),
    };
    let mut findings = Vec::new();
    if let Some(index) = rules.for_lang(lang) {
        let live = index.live(source.as_bytes());
        if live.any() {
            let Some(tree) = crate::lang::arena::parse(lang, source, deadline) else {
                outcome.notices.push(timeout(path));
                return outcome;
            };
            outcome.parsed = true;
            let root = tree.root_node();
            if root.has_error() {
                outcome.notices.push(Notice {
                    path: path.to_string(),
                    kind: NoticeKind::SyntaxError,
                    message: "the file has syntax errors; only the parts that parse were linted"
                        .into(),
                });
            }
            let traversed = CURSOR.with(|cursor| {
                let mut cursor = cursor.borrow_mut();
                let mut ctx = MatchContext {
                    source,
                    lang: lang.info(),
                    cursor: &mut cursor,
                    memo: FxHashMap::default(),
                    root,
                    ancestry: Ancestry::default(),
                    kids: ChildLists::default(),
                };
                let lines = LineIndex::new(source);
                // The data-flow pass needs the file's functions: the one
                // traversal collects them when that pass will run.
                let functions = live
                    .taint
                    .contains(&true)
                    .then(|| &crate::taint::shape::shape_kinds(lang).functions);
                let Traversed {
                    mut findings,
                    functions,
                } = traverse(rules, index, &live, &mut ctx, &lines, deadline, functions)?;
                let flows = taint_findings(
                    rules, index, &live, lang, &mut ctx, &lines, deadline, &findings, &functions,
                )?;
                merge_taint_findings(&mut findings, flows);
                Some(findings)
            });
            let Some(found) = traversed else {
                outcome.notices.push(timeout(path));
                return outcome;
            };
            findings = found;
        }
    }
    let meta = rules.has(UNUSED_SUPPRESSION) || rules.has(BLANKET_SUPPRESSION);
    if !findings.is_empty() || meta {
        let suppressions = Suppressions::new(source, lang.info().line_comment);
        findings.retain(|f| !suppressions.suppresses(f.span.start.line, &f.rule_id));
        if meta {
            findings.extend(suppression_findings(rules, &suppressions, source));
        }
    }
    findings.sort_by(|a, b| (a.span.start, &a.rule_id).cmp(&(b.span.start, &b.rule_id)));
    assign_fingerprints(&mut findings, path, source, rules);
    outcome.findings = findings;
    outcome
}

/// Lints a file of any kind: source code through the rules, config files
/// through the secret scanner (reported as [`secrets::RULE_ID`] when that
/// rule is selected).
pub fn lint_text(rules: &RuleSet, kind: FileKind, path: &str, source: &str) -> FileOutcome {
    match kind {
        FileKind::Code(lang) => lint_source(rules, lang, path, source),
        FileKind::Config(config) => lint_config(rules, config, path, source),
    }
}

fn lint_config(rules: &RuleSet, kind: ConfigKind, path: &str, source: &str) -> FileOutcome {
    let mut outcome = FileOutcome::default();
    let Some(rule) = rules.rule(secrets::RULE_ID) else {
        return outcome;
    };
    let lines = LineIndex::new(source);
    let mut findings: Vec<Finding> =
        secrets::scan_config_file(std::path::Path::new(path), kind, source)
            .into_iter()
            .map(|s| {
                let place = s
                    .key
                    .as_deref()
                    .map(|k| format!(" in `{k}`"))
                    .unwrap_or_default();
                Finding {
                    rule_id: rule.id.clone(),
                    severity: rule.severity,
                    message: format!(
                        "Hard-coded secret ({}){place}: `{}`",
                        s.detector, s.redacted
                    ),
                    span: lines.span(s.span.start, s.span.end),
                    fix: None,
                    fingerprint: String::new(),
                    trace: Vec::new(),
                }
            })
            .collect();
    if !findings.is_empty() {
        let suppressions = Suppressions::new(source, kind.line_comment());
        findings.retain(|f| !suppressions.suppresses(f.span.start.line, &f.rule_id));
    }
    assign_fingerprints(&mut findings, path, source, rules);
    outcome.findings = findings;
    outcome
}

/// Findings of the opt-in suppression rules: directives that suppressed
/// nothing (when every rule they name is running, so a rule switched off by
/// configuration does not make its suppressions look unused), and
/// directives without rule ids.
fn suppression_findings(
    rules: &RuleSet,
    suppressions: &Suppressions,
    source: &str,
) -> Vec<Finding> {
    let lines = LineIndex::new(source);
    let mut out = Vec::new();
    for d in &suppressions.directives {
        let span = lines.span(d.offset, d.offset + d.len);
        let mut report = |id: &str, message: String| {
            if let Some(rule) = rules.rule(id) {
                out.push(Finding {
                    rule_id: id.to_string(),
                    severity: rule.severity,
                    message,
                    span,
                    fix: None,
                    fingerprint: String::new(),
                    trace: Vec::new(),
                });
            }
        };
        if d.rules.is_none() {
            report(
                BLANKET_SUPPRESSION,
                "suppression without rule ids hides every rule here".into(),
            );
        }
        let all_running = d
            .rules
            .as_ref()
            .is_none_or(|ids| ids.iter().all(|id| rules.has(id)));
        if !d.is_used() && all_running {
            let what = match &d.rules {
                Some(ids) => format!("`{}`", ids.join("`, `")),
                None => "any rule".into(),
            };
            report(
                UNUSED_SUPPRESSION,
                format!("unused suppression: no finding of {what} here"),
            );
        }
    }
    out
}

/// Findings of the rules' taint sections (the data-flow pass); `None` when
/// the deadline passed.
#[allow(clippy::too_many_arguments)]
fn taint_findings<'t>(
    rules: &RuleSet,
    index: &LangIndex,
    live: &Live,
    lang: Lang,
    ctx: &mut MatchContext<'t>,
    lines: &LineIndex<'_>,
    deadline: Option<Instant>,
    pattern_findings: &[Finding],
    functions: &[Node<'t>],
) -> Option<TaintOutcome> {
    let entries: Vec<_> = index
        .taint
        .iter()
        .zip(&live.taint)
        .filter(|(_, live)| **live)
        .filter_map(|(entry, _)| Some((entry.rule, entry.spec.get()?)))
        .collect();
    if entries.is_empty() {
        return Some(TaintOutcome::default());
    }
    let specs: Vec<_> = entries.iter().map(|(_, spec)| *spec).collect();
    let taint_ids: HashSet<&str> = entries
        .iter()
        .map(|(rule, _)| rules.rules[*rule].id.as_str())
        .collect();
    let watched: Vec<(usize, usize)> = pattern_findings
        .iter()
        .filter(|f| taint_ids.contains(f.rule_id.as_str()))
        .map(|f| (f.span.start.offset, f.span.end.offset))
        .collect();
    let source = ctx.source;
    let file = crate::taint::analyze::FileFacts {
        anchor_occurs: &|word| index.occurs(live, word, source),
        value_source_anchors: index.taint_value_source_anchors(),
        functions,
        watched: &watched,
        containment: index.containment(),
    };
    let root = ctx.root;
    let analysis = crate::taint::analyze::analyze(lang, &specs, root, ctx, deadline, &file)?;
    let mut vouched = HashSet::new();
    for (offset, mask) in &analysis.vouched {
        let line = lines.position(*offset).line;
        for (bit, entry) in entries.iter().enumerate().take(64) {
            if mask & (1u64 << bit) != 0 {
                vouched.insert((rules.rules[entry.0].id.clone(), line));
            }
        }
    }
    Some(TaintOutcome {
        vouched,
        flows: analysis
            .hits
            .into_iter()
            .filter_map(|hit| {
                let entry = entries.get(hit.rule)?;
                let (rule, spec) = (&rules.rules[entry.0], entry.1);
                let message = placeholder_regex()
                    .replace_all(&spec.message, |c: &regex::Captures<'_>| match &c[1] {
                        "source" => shorten(&hit.source_text, MESSAGE_TEXT),
                        _ => shorten(&hit.sink_text, MESSAGE_TEXT),
                    })
                    .into_owned();
                Some(Finding {
                    rule_id: rule.id.clone(),
                    severity: spec.severity,
                    message,
                    span: lines.span(hit.start, hit.end),
                    fix: None,
                    fingerprint: String::new(),
                    trace: hit
                        .steps
                        .into_iter()
                        .map(|s| TraceStep {
                            span: lines.span(s.start, s.end),
                            label: s.label,
                        })
                        .collect(),
                })
            })
            .collect(),
    })
}

/// The data-flow pass's findings, and the (rule, line) pairs where it
/// proved the values safe.
#[derive(Default)]
struct TaintOutcome {
    flows: Vec<Finding>,
    vouched: HashSet<(String, usize)>,
}

/// Adds data-flow findings, dropping the same rule's pattern findings on
/// the lines of their paths (one problem, reported once, with its path) and
/// on lines where the pass proved the values safe.
fn merge_taint_findings(findings: &mut Vec<Finding>, outcome: TaintOutcome) {
    let TaintOutcome { flows, vouched } = outcome;
    findings.retain(|f| !vouched.contains(&(f.rule_id.clone(), f.span.start.line)));
    if flows.is_empty() {
        return;
    }
    let covered: HashSet<(&str, usize)> = flows
        .iter()
        .flat_map(|f| {
            std::iter::once(f.span.start.line)
                .chain(f.trace.iter().map(|s| s.span.start.line))
                .map(move |line| (f.rule_id.as_str(), line))
        })
        .collect();
    findings.retain(|f| {
        !f.trace.is_empty() || !covered.contains(&(f.rule_id.as_str(), f.span.start.line))
    });
    findings.extend(flows);
}

/// What the main traversal found.
struct Traversed<'t> {
    findings: Vec<Finding>,
    /// The nodes of the kinds asked for (the data-flow pass's functions),
    /// in document order.
    functions: Vec<Node<'t>>,
}

/// One depth-first pass over the tree with an explicit cursor, which also
/// collects the nodes of the `functions` kinds; `None` when the deadline
/// passed.
fn traverse<'t>(
    rules: &RuleSet,
    index: &LangIndex,
    live: &Live,
    ctx: &mut MatchContext<'t>,
    lines: &LineIndex<'_>,
    deadline: Option<Instant>,
    functions: Option<&KindSet>,
) -> Option<Traversed<'t>> {
    let (literals, occurrences) = (index.literals(), &live.occurrences);
    let root = ctx.root;
    let mut findings = Vec::new();
    let mut function_nodes = Vec::new();
    let mut seen: FxHashSet<(usize, usize, usize)> = FxHashSet::default();
    // Subtrees that can hold no candidate are not entered (mechanism 24):
    // the walk does not list them.
    let entered = index.entered(ctx.source.len());
    let mut walk = Preorder::entering(root, entered);
    // Punctuation and keywords are a third of a tree's nodes or more, and
    // no entry starts at one unless this says so.
    if !index.has_anonymous_candidates() {
        walk = walk.without_anonymous_leaves();
    }
    let mut visited: u32 = 0;
    // Captures of the groups of identically written matchers at this node.
    let mut shared: Vec<(u32, Vec<Captures<'_>>)> = Vec::new();
    loop {
        let node = walk.node();
        shared.clear();
        visited = visited.wrapping_add(1);
        if visited.is_multiple_of(DEADLINE_CHECK_INTERVAL)
            && deadline.is_some_and(|d| Instant::now() > d)
        {
            return None;
        }
        let kind = walk.kind_id();
        if functions.is_some_and(|f| f.contains(kind)) {
            function_nodes.push(node);
        }
        // Asked of the tree once per node, when an entry needs it.
        let mut range = None;
        for i in index.candidates(kind) {
            if !live.entries[i as usize] {
                continue;
            }
            let entry = &index.entries[i as usize];
            // Indexed entries have their required literals checked here,
            // so the query does not search the node's text again.
            let checked = literals.covers(i as usize);
            if checked
                && !literals.may_match(
                    i as usize,
                    kind,
                    range.get_or_insert_with(|| node.byte_range()).clone(),
                    occurrences,
                    ctx.source.as_bytes(),
                )
            {
                continue;
            }
            let Some(matcher) = entry.matcher.compiled() else {
                continue;
            };
            let run = |ctx: &mut MatchContext<'t>| {
                matcher.matcher.match_captures_checked(node, ctx, checked)
            };
            let found = match index.same_group(i) {
                Some(group) => match shared.iter().find(|(g, _)| *g == group) {
                    Some((_, found)) => found.clone(),
                    None => {
                        let found = run(ctx);
                        shared.push((group, found.clone()));
                        found
                    }
                },
                None => run(ctx),
            };
            for captures in found {
                let rule = &rules.rules[entry.rule];
                let names = &matcher.capture_names;
                let reported = capture(&captures, names, "match").unwrap_or(node);
                let range = reported.byte_range();
                if !seen.insert((entry.rule, range.start, range.end)) {
                    continue;
                }
                let span = lines.span(range.start, range.end);
                let templates: Vec<&String> = if matcher.fix.is_empty() {
                    rule.fix.iter().collect()
                } else {
                    matcher.fix.iter().collect()
                };
                let fix = templates
                    .into_iter()
                    .find(|t| all_captured(t, &captures, names))
                    .map(|template| Fix {
                        span,
                        replacement: interpolate(template, &captures, names, ctx.source, false),
                        safe: rule.fix_safety == crate::rule::FixSafety::Safe,
                    });
                findings.push(Finding {
                    rule_id: rule.id.clone(),
                    severity: rule.severity,
                    message: {
                        let message =
                            interpolate(&rule.message, &captures, names, ctx.source, true);
                        if rule.category == Category::Secrets {
                            // Captured text may be the secret: show it redacted.
                            interpolate_redacted(&rule.message, &captures, names, ctx.source)
                        } else {
                            message
                        }
                    },
                    span,
                    fix,
                    fingerprint: String::new(),
                    trace: Vec::new(),
                });
            }
        }
        if !walk.next(true) {
            return Some(Traversed {
                findings,
                functions: function_nodes,
            });
        }
    }
}

fn capture<'t>(captures: &Captures<'t>, names: &[String], name: &str) -> Option<Node<'t>> {
    let index = names.iter().position(|n| n == name)? as u32;
    captures.iter().find(|(i, _)| *i == index).map(|(_, n)| *n)
}

/// Like [`interpolate`] for messages, with every captured text redacted.
fn interpolate_redacted(
    template: &str,
    captures: &Captures<'_>,
    names: &[String],
    source: &str,
) -> String {
    placeholder_regex()
        .replace_all(template, |c: &regex::Captures<'_>| {
            let text = capture(captures, names, &c[1]).map_or("", |n| node_text(n, source));
            secrets::redact(text)
        })
        .into_owned()
}

/// Whether every placeholder of `template` names a capture of this match.
fn all_captured(template: &str, captures: &Captures<'_>, names: &[String]) -> bool {
    placeholder_regex()
        .captures_iter(template)
        .all(|c| capture(captures, names, &c[1]).is_some())
}

/// Replaces `{{name}}` with the captured text. In messages the text is cut
/// to one line of at most 60 characters.
fn interpolate(
    template: &str,
    captures: &Captures<'_>,
    names: &[String],
    source: &str,
    short: bool,
) -> String {
    placeholder_regex()
        .replace_all(template, |c: &regex::Captures<'_>| {
            let text = capture(captures, names, &c[1]).map_or("", |n| node_text(n, source));
            if short {
                shorten(text, MESSAGE_TEXT)
            } else {
                text.to_string()
            }
        })
        .into_owned()
}

/// Fingerprints from rule, path, line text and occurrence count. For
/// secrets the secret itself is masked first, so a fingerprint cannot be
/// brute-forced back into a weak password.
fn assign_fingerprints(findings: &mut [Finding], path: &str, source: &str, rules: &RuleSet) {
    let mut occurrences: HashMap<(String, String), usize> = HashMap::new();
    for f in findings.iter_mut() {
        let line_start = line_start_before(source, f.span.start.offset);
        let rest = &source[line_start..];
        let raw = &rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())];
        let is_secret = rules
            .rule(&f.rule_id)
            .is_some_and(|r| r.category == Category::Secrets);
        let masked;
        let line = if is_secret {
            let from = f.span.start.offset - line_start;
            let to = (f.span.end.offset - line_start).min(raw.len());
            masked = format!(
                "{}{}{}",
                &raw[..from.min(raw.len())],
                secrets::MASK,
                raw.get(to..).unwrap_or("")
            );
            masked.as_str()
        } else {
            raw
        };
        let key = (
            f.rule_id.clone(),
            line.split_whitespace().collect::<Vec<_>>().join(" "),
        );
        let n = occurrences.entry(key).or_insert(0);
        f.fingerprint = fingerprint(&f.rule_id, path, line, *n);
        *n += 1;
    }
}
