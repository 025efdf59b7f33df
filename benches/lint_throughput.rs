//! Lint throughput of the built-in rule set on realistic input: the bundled
//! examples and fixtures, repeated to a sizeable file per language, plus a
//! parse-only baseline so the matching cost is visible as a ratio; and how
//! the cost grows with the number of rules (the rule set copied under new
//! ids, as `benches/compare.sh` does on the corpora).

use backlint::engine::{lint_source, parse};
use backlint::lang::Lang;
use backlint::rule::index::{RuleSet, Selection};
use backlint::rule::load::{builtin_sources, compile_all, RuleSource};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::path::Path;

/// Concatenates every example and fixture file of a language, repeated to
/// roughly `target` bytes.
fn corpus(lang: Lang, target: usize) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (files, _) = backlint::walk::discover(&[root.join("examples"), root.join("fixtures")]);
    let mut unit = String::new();
    for f in files.iter().filter(|f| f.lang() == Some(lang)) {
        if let Ok(text) = std::fs::read_to_string(&f.path) {
            unit.push_str(&text);
            unit.push('\n');
        }
    }
    if unit.is_empty() {
        return unit;
    }
    let mut text = String::with_capacity(target + unit.len());
    while text.len() < target {
        text.push_str(&unit);
    }
    text
}

/// One input of about `target` bytes per language that has examples.
fn inputs(target: usize) -> Vec<(Lang, String)> {
    [Lang::Python, Lang::TypeScript, Lang::JavaScript, Lang::Rust]
        .into_iter()
        .map(|lang| (lang, corpus(lang, target)))
        .filter(|(_, text)| !text.is_empty())
        .collect()
}

fn rules() -> RuleSet {
    rule_set(builtin_sources())
}

fn rule_set(sources: Vec<RuleSource>) -> RuleSet {
    let loaded = compile_all(&sources).unwrap_or_else(|_| panic!("rules compile"));
    RuleSet::build(loaded, &Selection::default()).expect("rule set")
}

/// The built-in rules copied `copies` times, each copy's ids suffixed
/// `-copyN` (the same length for every copy, as in `benches/compare.sh`);
/// taint libraries are shared by name, so they are kept once.
fn copied_rules(copies: usize) -> RuleSet {
    let mut sources = Vec::new();
    for copy in 1..=copies {
        for source in builtin_sources() {
            let library = source.text.lines().any(|l| l.starts_with("library:"));
            if library && copy > 1 {
                continue;
            }
            let text = source
                .text
                .lines()
                .map(|line| match line.strip_prefix("id: ") {
                    Some(id) => format!("id: {id}-copy{copy}\n"),
                    None => format!("{line}\n"),
                })
                .collect();
            sources.push(RuleSource {
                origin: format!("copy{copy}/{}", source.origin),
                text,
                lazy: source.lazy,
            });
        }
    }
    rule_set(sources)
}

fn throughput(c: &mut Criterion) {
    let rules = rules();
    let mut group = c.benchmark_group("lint");
    group.sample_size(20);
    for (lang, text) in inputs(512 * 1024) {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("parse-only", lang.name()),
            &text,
            |b, text| b.iter(|| parse(lang, text).map(|t| t.root_node().child_count())),
        );
        group.bench_with_input(
            BenchmarkId::new("all-rules", lang.name()),
            &text,
            |b, text| b.iter(|| lint_source(&rules, lang, "bench", text).findings.len()),
        );
    }
    group.finish();
}

/// Rule-count scaling: the same file linted with the rule set ×1, ×2 and
/// ×5 (issue 9 asks ×5 to cost at most 1.3× the plain set).
fn rule_scaling(c: &mut Criterion) {
    let sets: Vec<(usize, RuleSet)> = [1, 2, 5]
        .into_iter()
        .map(|n| (n, copied_rules(n)))
        .collect();
    let mut group = c.benchmark_group("rule-scaling");
    group.sample_size(10);
    for (lang, text) in inputs(128 * 1024) {
        group.throughput(Throughput::Bytes(text.len() as u64));
        for (copies, rules) in &sets {
            group.bench_with_input(
                BenchmarkId::new(format!("x{copies}"), lang.name()),
                &text,
                |b, text| b.iter(|| lint_source(rules, lang, "bench", text).findings.len()),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, throughput, rule_scaling);
criterion_main!(benches);
