//! The parse floor of a corpus: the wall time to discover, read and parse
//! every source file under the given paths with backlint's own walker,
//! reader and tree-sitter parsers, and nothing else (no rule matching, no
//! output). A tree-sitter linter cannot be faster than this on a cold run,
//! so `benches/compare.sh` reports `backlint check` as a ratio to it.
//!
//! With `--visit` it also walks every node of each tree with a cursor,
//! which is the least a one-traversal linter adds to the parse. With
//! `--arena` it parses as `backlint check` does, each tree in its thread's
//! arena (`src/lang/arena.rs`), instead of with the C allocator as any
//! other tree-sitter program would.
//!
//! Usage: `cargo bench --bench parse_floor -- [--jobs N] [--visit] [--arena] PATH...`
//! Prints one line: `files=… lines=… bytes=… parse_errors=… wall_ms=…`.

use backlint::engine::parse;
use backlint::source::{is_minified_code, read_source, DEFAULT_MAX_FILE_SIZE};
use backlint::walk::discover;
use rayon::prelude::*;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// What parsing a set of files added up to.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    files: u64,
    lines: u64,
    bytes: u64,
    /// Files whose tree has an error node, or that did not parse at all.
    parse_errors: u64,
}

impl Totals {
    fn add(self, other: Totals) -> Totals {
        Totals {
            files: self.files + other.files,
            lines: self.lines + other.lines,
            bytes: self.bytes + other.bytes,
            parse_errors: self.parse_errors + other.parse_errors,
        }
    }
}

/// Command-line arguments: `--jobs N`, `--visit` and paths. `cargo bench` adds a
/// `--bench` flag of its own, which is ignored.
fn parse_args() -> Result<(Option<usize>, Options, Vec<PathBuf>), String> {
    let mut jobs = None;
    let mut options = Options::default();
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bench" => {}
            "--visit" => options.visit = true,
            "--arena" => options.arena = true,
            "-j" | "--jobs" => {
                let n = args.next().ok_or("--jobs needs a number")?;
                jobs = Some(
                    n.parse()
                        .map_err(|_| format!("--jobs: not a number: {n}"))?,
                );
            }
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    if paths.is_empty() {
        return Err("usage: parse_floor [--jobs N] [--visit] [--arena] PATH...".into());
    }
    Ok((jobs, options, paths))
}

/// What the floor does besides reading and parsing.
#[derive(Debug, Default, Clone, Copy)]
struct Options {
    /// Visit every node with a cursor.
    visit: bool,
    /// Parse into the per-thread arena, as `backlint check` does.
    arena: bool,
}

/// Visits every node of `tree` with a cursor, as backlint's one traversal
/// does, and only reads each node's kind.
fn visit_every_node(root: tree_sitter::Node<'_>) -> u64 {
    let mut cursor = root.walk();
    let mut sum = 0u64;
    loop {
        sum = sum.wrapping_add(u64::from(cursor.node().kind_id()));
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return sum;
            }
        }
    }
}

/// Reads and parses one file (and with `visit`, walks its tree); `None` for files that are not source code or
/// that `backlint check` skips (binary, too large, minified JavaScript).
fn parse_one(file: &backlint::walk::SourceFile, options: Options) -> Option<Totals> {
    let lang = file.lang()?;
    let text = read_source(&file.path, "", DEFAULT_MAX_FILE_SIZE).ok()?;
    if is_minified_code(Some(lang), &file.path, &text) {
        return None;
    }
    let broken = if options.arena {
        let tree = backlint::lang::arena::parse(lang, &text, None);
        tree.is_none_or(|tree| examine(tree.root_node(), options))
    } else {
        let tree = parse(lang, &text);
        tree.is_none_or(|tree| examine(tree.root_node(), options))
    };
    Some(Totals {
        files: 1,
        lines: text.lines().count() as u64,
        bytes: text.len() as u64,
        parse_errors: u64::from(broken),
    })
}

/// Visits the tree if asked; says whether it has a syntax error.
fn examine(root: tree_sitter::Node<'_>, options: Options) -> bool {
    if options.visit {
        std::hint::black_box(visit_every_node(root));
    }
    root.has_error()
}

fn main() -> ExitCode {
    // The allocator set up as backlint sets it (no fastbins), so the floor
    // is what the parser costs under the same conditions.
    backlint::heap::tune();
    let (jobs, options, paths) = match parse_args() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("parse_floor: {message}");
            return ExitCode::from(2);
        }
    };
    if options.arena {
        backlint::lang::arena::install();
    }
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = jobs {
        pool = pool.num_threads(n);
    }
    let pool = match pool.build() {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("parse_floor: cannot start threads: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let (files, _) = discover(&paths);
    let totals = pool.install(|| {
        files
            .par_iter()
            // One file per task, as backlint schedules them (src/run.rs):
            // the floor must not be slowed by a worker left idle.
            .with_max_len(1)
            .filter_map(|file| parse_one(file, options))
            .reduce(Totals::default, Totals::add)
    });
    let wall = started.elapsed();
    println!(
        "files={} lines={} bytes={} parse_errors={} wall_ms={:.1}",
        totals.files,
        totals.lines,
        totals.bytes,
        totals.parse_errors,
        wall.as_secs_f64() * 1000.0
    );
    ExitCode::SUCCESS
}
