//! A CI-sized run of the fuzz entry points: mutated fixtures and examples
//! (byte flips, truncations, splices, nesting bombs) through parse+match in
//! every language, and mutated rule files through the rule loader. The long
//! runs use cargo-fuzz (`scripts/fuzz.sh`); this only keeps them honest.

mod common;

use backlint::fuzzing::{lint_bytes, load_rule_bytes};
use backlint::lang::Lang;
use common::repo;
use std::time::{Duration, Instant};

const BUDGET: Duration = Duration::from_secs(3);

fn seeds(dir: &str, exts: &[&str]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![repo().join(dir)];
    while let Some(p) = stack.pop() {
        for entry in std::fs::read_dir(&p).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| exts.contains(&e))
            {
                out.push(std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    out.push(Vec::new());
    out
}

fn mutate(rng: &mut fastrand::Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.usize(..seeds.len())].clone();
    for _ in 0..rng.usize(1..8) {
        match rng.u8(..6) {
            0 if !data.is_empty() => {
                let i = rng.usize(..data.len());
                data[i] = rng.u8(..);
            }
            1 if !data.is_empty() => data.truncate(rng.usize(..data.len())),
            2 => {
                let other = &seeds[rng.usize(..seeds.len())];
                if !other.is_empty() {
                    let a = rng.usize(..other.len());
                    let b = rng.usize(a..=other.len());
                    let at = rng.usize(..=data.len());
                    data.splice(at..at, other[a..b].iter().copied());
                }
            }
            3 => {
                let at = rng.usize(..=data.len());
                let bomb: Vec<u8> =
                    std::iter::repeat_n(b"([{"[rng.usize(..3)], rng.usize(..2000)).collect();
                data.splice(at..at, bomb);
            }
            4 => data.extend_from_slice(b"\0\xff\xfe\r\r\n"),
            _ => {}
        }
    }
    data
}

fn run(lang: Lang, exts: &[&str]) {
    let mut seeds = seeds("fixtures", exts);
    seeds.extend(seeds_from_examples(exts));
    let mut rng = fastrand::Rng::with_seed(0x6261_636b);
    // Compile the rule set before the clock starts.
    lint_bytes(lang, b"");
    let started = Instant::now();
    let mut runs = 0;
    while started.elapsed() < BUDGET {
        lint_bytes(lang, &mutate(&mut rng, &seeds));
        runs += 1;
    }
    assert!(runs > 0, "no input ran in {BUDGET:?}");
}

fn seeds_from_examples(exts: &[&str]) -> Vec<Vec<u8>> {
    seeds("examples", exts)
}

#[test]
fn python_parse_and_match() {
    run(Lang::Python, &["py"]);
}

#[test]
fn javascript_parse_and_match() {
    run(Lang::JavaScript, &["js"]);
}

#[test]
fn typescript_parse_and_match() {
    run(Lang::TypeScript, &["ts", "tsx"]);
    run(Lang::Tsx, &["ts", "tsx"]);
}

#[test]
fn rust_parse_and_match() {
    run(Lang::Rust, &["rs"]);
}

#[test]
fn rule_loading() {
    let seeds = seeds("rules", &["yaml"]);
    let mut rng = fastrand::Rng::with_seed(7);
    let started = Instant::now();
    while started.elapsed() < BUDGET {
        load_rule_bytes(&mutate(&mut rng, &seeds));
    }
    for seed in &seeds[..seeds.len() - 1] {
        assert!(load_rule_bytes(seed), "a built-in rule file fails to load");
    }
}

#[test]
fn lsp_messages() {
    let mut seeds: Vec<Vec<u8>> = vec![
        b"Content-Length: 52\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}"
            .to_vec(),
        b"Content-Length: 9999999999\r\n\r\n{".to_vec(),
        b"Content-Type: x\r\n\r\n".to_vec(),
    ];
    seeds.extend(seeds_from_examples(&["py", "ts"]));
    let mut rng = fastrand::Rng::with_seed(11);
    let started = Instant::now();
    while started.elapsed() < BUDGET {
        backlint::fuzzing::lsp_bytes(&mutate(&mut rng, &seeds));
    }
}

/// Inputs the long fuzz runs found, kept so they stay harmless. The first
/// made tree-sitter's query parser leak 20 bytes (LeakSanitizer, upstream C
/// code); loading it must still just fail or succeed, never panic.
#[test]
fn fuzz_regressions() {
    let dir = repo().join("tests/data/fuzz-regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        load_rule_bytes(&bytes);
        for lang in [Lang::Python, Lang::JavaScript, Lang::TypeScript, Lang::Rust] {
            lint_bytes(lang, &bytes);
        }
        seen += 1;
    }
    assert!(seen >= 1, "regression inputs missing");
}
