//! The per-thread tree arena (`src/lang/arena.rs`), in a test process of its
//! own: installing it changes tree-sitter's allocator for the whole process.

use backlint::engine::lint_source;
use backlint::lang::{arena, Lang};
use backlint::rule::index::{RuleSet, Selection};
use backlint::rule::load::{builtin_sources, compile_all};
use backlint::walk::discover;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Every source file of the fixtures, with its language and text.
fn fixture_files() -> Vec<(Lang, String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let (files, _) = discover(&[root]);
    let mut files: Vec<_> = files
        .iter()
        .filter_map(|f| {
            let lang = f.lang()?;
            let text = std::fs::read_to_string(&f.path).ok()?;
            Some((lang, f.path.display().to_string(), text))
        })
        .collect();
    assert!(files.len() > 100, "found {} fixture files", files.len());
    files.extend(token_soups());
    files
}

/// Broken files: error recovery frees much of what it builds, so these
/// exercise the arena's reuse of freed blocks.
fn token_soups() -> Vec<(Lang, String, String)> {
    const TOKENS: [&str; 16] = [
        "(", ")", "{", "}", "[", "]", ",", ":", "=", "\n", "if", "x", "\"s\"", "+", "=>", ";",
    ];
    let mut state = 12345u32;
    let mut soup = String::new();
    for _ in 0..20_000 {
        // A fixed linear congruential sequence: the same soup every run.
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        soup.push_str(TOKENS[(state >> 16) as usize % TOKENS.len()]);
        soup.push(' ');
    }
    [Lang::Python, Lang::JavaScript, Lang::TypeScript, Lang::Rust]
        .into_iter()
        .map(|lang| (lang, format!("soup.{lang:?}"), soup.clone()))
        .collect()
}

fn outcomes(rules: &RuleSet, files: &[(Lang, String, String)]) -> Vec<String> {
    files
        .iter()
        .map(|(lang, path, text)| {
            let outcome = lint_source(rules, *lang, path, text);
            format!("{:?} {:?}", outcome.findings, outcome.notices)
        })
        .collect()
}

fn python_module(functions: usize) -> String {
    (0..functions)
        .map(|i| format!("def f{i}(x):\n    return db.execute('SELECT ' + x)\n"))
        .collect()
}

// One test: the steps must run in this order in this process.
#[test]
fn trees_parsed_into_the_arena_lint_as_before() {
    let rules = RuleSet::build(
        compile_all(&builtin_sources()).expect("built-in rules compile"),
        &Selection::default(),
    )
    .expect("rule set");
    let files = fixture_files();
    let tree = arena::parse(Lang::Python, "x = 1\n", None).expect("parses");
    assert!(!tree.in_arena(), "not installed yet: the C allocator's");
    drop(tree);
    let before = outcomes(&rules, &files);

    arena::install();
    let tree = arena::parse(Lang::Python, "x = 1\n", None).expect("parses");
    assert!(tree.in_arena());
    drop(tree);

    // The same findings, on three threads at once, twice over (the second
    // time every thread reuses its chunks).
    for _ in 0..2 {
        let per_thread: Vec<Vec<String>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..3)
                .map(|k| {
                    let (rules, files) = (&rules, &files);
                    s.spawn(move || {
                        let mine: Vec<_> = files.iter().skip(k).step_by(3).cloned().collect();
                        outcomes(rules, &mine)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("no panic"))
                .collect()
        });
        for (k, found) in per_thread.iter().enumerate() {
            let expected: Vec<_> = before.iter().skip(k).step_by(3).cloned().collect();
            assert_eq!(found, &expected);
        }
    }

    // Trees alive together: ending the first must not free the second's
    // nodes for the third to overwrite.
    let first = arena::parse(Lang::Python, &python_module(50), None).expect("parses");
    let second = arena::parse(Lang::Rust, "fn main() { let x = 1; }\n", None).expect("parses");
    let shape = second.root_node().to_sexp();
    drop(first);
    let third = arena::parse(Lang::JavaScript, &"f(a, b);\n".repeat(20_000), None).expect("parses");
    assert!(second.in_arena() && third.in_arena());
    assert_eq!(second.root_node().to_sexp(), shape);
    drop(second);
    drop(third);

    // A parse past its deadline gives nothing and leaves the arena usable.
    let late = Instant::now().checked_sub(Duration::from_secs(1));
    assert_eq!(arena::live_trees(), 0);
    assert!(arena::parse(Lang::Python, &python_module(20_000), late).is_none());
    assert_eq!(arena::live_trees(), 0, "the abandoned parse holds no place");
    let tree = arena::parse(Lang::Python, &python_module(3), None).expect("parses");
    assert!(tree.in_arena() && !tree.root_node().has_error());
    assert_eq!(arena::live_trees(), 1);
    drop(tree);
    assert_eq!(arena::live_trees(), 0);
}
