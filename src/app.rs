//! The commands: each turns parsed arguments into an exit code.

use crate::cli::{CheckArgs, Cli, ColorChoice, Command, RuleSourceArgs};
use crate::fixture;
use crate::render::{render, RenderOptions};
use crate::rule::index::{RuleSet, Selection};
use crate::rule::load::{builtin_sources, compile_all, dir_sources};
use crate::rule::LoadedRule;
use crate::run::{check, check_text, CheckOptions, StdinSource};
use clap::Parser;
use miette::{GraphicalReportHandler, GraphicalTheme};
use std::io::{IsTerminal, Read, Write};

/// Exit codes.
pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// Runs backlint with the process arguments.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            };
        }
    };
    match cli.command {
        Command::Check(args) => cmd_check(args),
        Command::Rules(sources) => cmd_rules(&sources),
        Command::Explain { rule, sources } => cmd_explain(&rule, &sources),
        Command::Test { dirs, sources } => cmd_test(&dirs, &sources),
        Command::Tree { file } => cmd_tree(&file),
    }
}

fn print_error(e: &dyn miette::Diagnostic) {
    let theme = if std::io::stderr().is_terminal() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut text = String::new();
    if GraphicalReportHandler::new_themed(theme)
        .render_report(&mut text, e)
        .is_err()
    {
        text = e.to_string();
    }
    eprintln!("{text}");
}

/// Loads built-in and extra rules; prints every error and returns `None`
/// when any rule file is bad.
pub fn load_rules(sources: &RuleSourceArgs) -> Option<Vec<LoadedRule>> {
    let mut files = if sources.no_builtin {
        Vec::new()
    } else {
        builtin_sources()
    };
    for dir in &sources.rule_dirs {
        match dir_sources(dir) {
            Ok(more) => files.extend(more),
            Err(e) => {
                print_error(&e);
                return None;
            }
        }
    }
    match compile_all(&files) {
        Ok(rules) => Some(rules),
        Err(errors) => {
            for e in &errors {
                print_error(e);
            }
            eprintln!(
                "backlint: {} rule error(s); nothing was linted",
                errors.len()
            );
            None
        }
    }
}

fn build_set(sources: &RuleSourceArgs, selection: &Selection) -> Result<RuleSet, i32> {
    let loaded = load_rules(sources).ok_or(EXIT_ERROR)?;
    RuleSet::build(loaded, selection).map_err(|e| {
        eprintln!("backlint: {e}");
        EXIT_ERROR
    })
}

fn cmd_check(args: CheckArgs) -> i32 {
    let selection = Selection {
        select: args.select.clone(),
        ignore: args.ignore.clone(),
    };
    let rules = match build_set(&args.sources, &selection) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let report = match &args.stdin_filename {
        Some(name) => {
            let mut bytes = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
                eprintln!("backlint: cannot read stdin: {e}");
                return EXIT_ERROR;
            }
            let Some(text) = crate::source::text_from_bytes(bytes) else {
                eprintln!("backlint: stdin looks binary; nothing linted");
                return EXIT_CLEAN;
            };
            check_text(
                &rules,
                StdinSource {
                    name: name.clone(),
                    text,
                },
            )
        }
        None => check(
            &rules,
            &CheckOptions {
                paths: args.paths.clone(),
                jobs: args.jobs,
                max_file_size: args.max_file_size,
            },
        ),
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let options = RenderOptions {
        color,
        quiet: args.quiet,
    };
    let mut buffer = Vec::new();
    if let Err(e) = render(args.format, &report, &rules, options, &mut buffer) {
        eprintln!("backlint: cannot render report: {e}");
        return EXIT_ERROR;
    }
    let written = match &args.output {
        Some(path) => std::fs::write(path, &buffer)
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(&buffer).and_then(|_| out.flush()) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(format!("cannot write output: {e}")),
            }
        }
    };
    if let Err(e) = written {
        eprintln!("backlint: {e}");
        return EXIT_ERROR;
    }
    if args.output.is_some() && !args.quiet {
        eprintln!("{}", crate::render::summary_line(&report));
    }
    report.exit_code(args.fail_on)
}

fn cmd_rules(sources: &RuleSourceArgs) -> i32 {
    let rules = match build_set(sources, &Selection::default()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let width = rules.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in &rules.rules {
        out.push_str(&format!(
            "{:width$}  {:38}  {:7}  {:11}  {}\n",
            r.id,
            r.language_names().join(","),
            r.severity.as_str(),
            r.category.as_str(),
            r.summary
        ));
    }
    out.push_str(&format!("{} rules\n", rules.rules.len()));
    let _ = std::io::stdout().write_all(out.as_bytes());
    EXIT_CLEAN
}

fn cmd_explain(id: &str, sources: &RuleSourceArgs) -> i32 {
    let rules = match build_set(sources, &Selection::default()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let Some(rule) = rules.rule(id) else {
        eprintln!("backlint: no rule `{id}` (see `backlint rules`)");
        return EXIT_ERROR;
    };
    let mut out = format!(
        "# {}\n\n{}\n\nseverity: {} · category: {} · precision: {} · languages: {}\n\n{}\n",
        rule.id,
        rule.summary,
        rule.severity,
        rule.category.as_str(),
        rule.precision.as_str(),
        rule.language_names().join(", "),
        rule.docs.trim_end()
    );
    let refs = &rule.references;
    if !refs.cwe.is_empty() || !refs.owasp.is_empty() || !refs.links.is_empty() {
        out.push_str("\n## References\n");
        for n in &refs.cwe {
            out.push_str(&format!(
                "- CWE-{n}: https://cwe.mitre.org/data/definitions/{n}.html\n"
            ));
        }
        for o in &refs.owasp {
            out.push_str(&format!("- OWASP Top 10 {o}\n"));
        }
        for l in &refs.links {
            out.push_str(&format!("- {l}\n"));
        }
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    EXIT_CLEAN
}

fn cmd_test(dirs: &[std::path::PathBuf], sources: &RuleSourceArgs) -> i32 {
    let rules = match build_set(sources, &Selection::default()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let outcome = fixture::run(&rules, dirs);
    for failure in &outcome.failures {
        println!("{failure}");
    }
    let failed = outcome.failures.len();
    println!(
        "backlint test: {} rules, {} fixture files, {} annotations checked",
        outcome.rules, outcome.files, outcome.expectations
    );
    println!(
        "{} passed, {} failed",
        outcome.expectations.saturating_sub(failed),
        failed
    );
    if failed == 0 {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    }
}

fn cmd_tree(path: &std::path::Path) -> i32 {
    let Some(lang) = crate::lang::Lang::from_path(path) else {
        eprintln!("backlint: unknown language for {}", path.display());
        return EXIT_ERROR;
    };
    let text = match crate::source::read_source(path, &path.display().to_string(), u64::MAX) {
        Ok(t) => t,
        Err(n) => {
            eprintln!("backlint: {}: {}", n.path, n.message);
            return EXIT_ERROR;
        }
    };
    let Some(tree) = crate::engine::parse(lang, &text) else {
        eprintln!("backlint: the parser gave up on {}", path.display());
        return EXIT_ERROR;
    };
    let mut out = String::new();
    let mut cursor = tree.walk();
    let mut depth = 0usize;
    loop {
        let node = cursor.node();
        if node.is_named() {
            let field = cursor
                .field_name()
                .map(|f| format!("{f}: "))
                .unwrap_or_default();
            let pos = node.start_position();
            let leaf = if node.named_child_count() == 0 {
                format!(
                    "  `{}`",
                    crate::matcher::node_text(node, &text)
                        .lines()
                        .next()
                        .unwrap_or("")
                )
            } else {
                String::new()
            };
            out.push_str(&format!(
                "{:indent$}{field}({}) {}:{}{leaf}\n",
                "",
                node.kind(),
                pos.row + 1,
                pos.column + 1,
                indent = depth * 2
            ));
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                let _ = std::io::stdout().write_all(out.as_bytes());
                return EXIT_CLEAN;
            }
            depth -= 1;
        }
    }
}
