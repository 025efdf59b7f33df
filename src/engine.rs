//! Lints one file's text: prefilter, parse, one traversal matching the
//! indexed rules, suppressions, fingerprints. Free of threading: callers
//! may run it on any thread; each thread keeps its own parsers.

use crate::diagnostic::{fingerprint, Finding, Fix, Notice, NoticeKind, Span};
use crate::lang::Lang;
use crate::matcher::{node_text, Captures, MatchContext};
use crate::rule::compile::placeholder_regex;
use crate::rule::index::{LangIndex, RuleSet};
use crate::suppress::Suppressions;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use tree_sitter::{Node, Parser, QueryCursor, Tree};

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
        parser.parse(source, None)
    })
}

/// Lints `source` (the text of `path`, displayed as given) as `lang`.
pub fn lint_source(rules: &RuleSet, lang: Lang, path: &str, source: &str) -> FileOutcome {
    let mut outcome = FileOutcome::default();
    let Some(index) = rules.for_lang(lang) else {
        return outcome;
    };
    let live = index.live_entries(source.as_bytes());
    if !live.iter().any(|l| *l) {
        return outcome;
    }
    let Some(tree) = parse(lang, source) else {
        outcome.notices.push(Notice {
            path: path.to_string(),
            kind: NoticeKind::SyntaxError,
            message: "the parser gave up on this file; it was not linted".into(),
        });
        return outcome;
    };
    outcome.parsed = true;
    let root = tree.root_node();
    if root.has_error() {
        outcome.notices.push(Notice {
            path: path.to_string(),
            kind: NoticeKind::SyntaxError,
            message: "the file has syntax errors; only the parts that parse were linted".into(),
        });
    }
    let mut findings = CURSOR.with(|cursor| {
        let mut cursor = cursor.borrow_mut();
        let mut ctx = MatchContext {
            source,
            lang: lang.info(),
            cursor: &mut cursor,
        };
        traverse(rules, index, &live, root, &mut ctx)
    });
    if !findings.is_empty() {
        let suppressions = Suppressions::new(source, lang.info().line_comment);
        findings.retain(|f| !suppressions.suppresses(f.span.start.line, &f.rule_id));
    }
    findings.sort_by(|a, b| (a.span.start, &a.rule_id).cmp(&(b.span.start, &b.rule_id)));
    assign_fingerprints(&mut findings, path, source);
    outcome.findings = findings;
    outcome
}

/// One depth-first pass over the tree with an explicit cursor.
fn traverse(
    rules: &RuleSet,
    index: &LangIndex,
    live: &[bool],
    root: Node<'_>,
    ctx: &mut MatchContext<'_>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut seen: HashSet<(usize, usize, usize)> = HashSet::new();
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        for i in index.candidates(node.kind_id()) {
            if !live[i as usize] {
                continue;
            }
            let entry = &index.entries[i as usize];
            for captures in entry.matcher.matcher.match_captures(node, ctx) {
                let rule = &rules.rules[entry.rule];
                let names = &entry.matcher.capture_names;
                let reported = capture(&captures, names, "match").unwrap_or(node);
                let range = reported.byte_range();
                if !seen.insert((entry.rule, range.start, range.end)) {
                    continue;
                }
                let span = Span::from_range(ctx.source, range.start, range.end);
                let fix = rule.fix.as_ref().map(|template| Fix {
                    span,
                    replacement: interpolate(template, &captures, names, ctx.source, false),
                });
                findings.push(Finding {
                    rule_id: rule.id.clone(),
                    severity: rule.severity,
                    message: interpolate(&rule.message, &captures, names, ctx.source, true),
                    span,
                    fix,
                    fingerprint: String::new(),
                });
            }
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return findings;
            }
        }
    }
}

fn capture<'t>(captures: &Captures<'t>, names: &[String], name: &str) -> Option<Node<'t>> {
    let index = names.iter().position(|n| n == name)? as u32;
    captures.iter().find(|(i, _)| *i == index).map(|(_, n)| *n)
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
                shorten(text)
            } else {
                text.to_string()
            }
        })
        .into_owned()
}

fn shorten(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 60 || line.len() < text.len() {
        let cut: String = line.chars().take(57).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}

/// Fingerprints from rule, path, line text and occurrence count.
fn assign_fingerprints(findings: &mut [Finding], path: &str, source: &str) {
    let mut occurrences: HashMap<(String, String), usize> = HashMap::new();
    for f in findings.iter_mut() {
        let start = f.span.start.offset.min(source.len());
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line = source[line_start..].lines().next().unwrap_or("");
        let key = (
            f.rule_id.clone(),
            line.split_whitespace().collect::<Vec<_>>().join(" "),
        );
        let n = occurrences.entry(key).or_insert(0);
        f.fingerprint = fingerprint(&f.rule_id, path, line, *n);
        *n += 1;
    }
}
