//! Lint throughput of the built-in rule set on realistic input: the bundled
//! examples and fixtures, repeated to a sizeable file per language, plus a
//! parse-only baseline so the matching cost is visible as a ratio.

use backlint::engine::{lint_source, parse};
use backlint::lang::Lang;
use backlint::rule::index::{RuleSet, Selection};
use backlint::rule::load::{builtin_sources, compile_all};
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

fn rules() -> RuleSet {
    let loaded =
        compile_all(&builtin_sources()).unwrap_or_else(|_| panic!("built-in rules compile"));
    RuleSet::build(loaded, &Selection::default()).expect("rule set")
}

fn throughput(c: &mut Criterion) {
    let rules = rules();
    let mut group = c.benchmark_group("lint");
    group.sample_size(20);
    for lang in [Lang::Python, Lang::TypeScript, Lang::JavaScript, Lang::Rust] {
        let text = corpus(lang, 512 * 1024);
        if text.is_empty() {
            continue;
        }
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

criterion_group!(benches, throughput);
criterion_main!(benches);
