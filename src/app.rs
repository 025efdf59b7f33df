//! The commands: each turns parsed arguments into an exit code.

use crate::cli::{CheckArgs, Cli, ColorChoice, Command, RuleSourceArgs};
use crate::config::{Config, ConfigResolver};
use crate::fixture;
use crate::render::{render, Format, RenderOptions};
use crate::rule::index::{RuleSet, Selection};
use crate::rule::load::{builtin_sources, compile_for, dir_sources};
use crate::rule::LoadedRule;
use crate::run::{check_text, lint_targets_cached, LintSettings, Policy, StdinSource, Target};
use crate::walk::SourceFile;
use clap::Parser;
use miette::{GraphicalReportHandler, GraphicalTheme};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Exit codes.
pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// Runs backlint with the process arguments.
pub fn main() -> i32 {
    crate::heap::tune();
    crate::lang::arena::install();
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
        Command::Check(args) => cmd_check(*args),
        Command::Rules(sources) => cmd_rules(&sources),
        Command::Explain { rule, sources } => cmd_explain(&rule, &sources),
        Command::Test { dirs, sources } => cmd_test(&dirs, &sources),
        Command::Tree { file } => cmd_tree(&file),
        Command::Init => cmd_init(),
        Command::Lsp => crate::lsp::run(),
        Command::MergeSarif { files, output } => cmd_merge_sarif(&files, output.as_deref()),
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
/// Built-in rules compile their matchers on first use unless `eager`.
pub fn load_rules(sources: &RuleSourceArgs, eager: bool) -> Option<Vec<LoadedRule>> {
    load_rules_for(sources, None, eager)
}

/// [`load_rules`], compiling matchers only for the languages in `only`.
pub fn load_rules_for(
    sources: &RuleSourceArgs,
    only: Option<&[crate::lang::Lang]>,
    eager: bool,
) -> Option<Vec<LoadedRule>> {
    let mut files = if sources.no_builtin {
        Vec::new()
    } else {
        builtin_sources()
    };
    if eager {
        files.iter_mut().for_each(|f| f.lazy = false);
    }
    for dir in &sources.rule_dirs {
        match dir_sources(dir) {
            Ok(more) => files.extend(more),
            Err(e) => {
                print_error(&e);
                return None;
            }
        }
    }
    match compile_for(&files, only) {
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

fn build_set(sources: &RuleSourceArgs, selection: &Selection, eager: bool) -> Result<RuleSet, i32> {
    let loaded = load_rules(sources, eager).ok_or(EXIT_ERROR)?;
    RuleSet::build(loaded, selection).map_err(|e| {
        eprintln!("backlint: {e}");
        EXIT_ERROR
    })
}

fn cmd_check(args: CheckArgs) -> i32 {
    match check_command(&args) {
        Ok(code) => code,
        Err(code) => code,
    }
}

/// Reports a failure and yields the usage/config error exit code.
fn fail(message: impl std::fmt::Display) -> i32 {
    eprintln!("backlint: {message}");
    EXIT_ERROR
}

/// The `check` pipeline: discover → configure → filter (changed, shard) →
/// load rules → lint → baseline → fix → render.
fn check_command(args: &CheckArgs) -> Result<i32, i32> {
    let started = std::time::Instant::now();
    if args.statistics && !matches!(args.format, Format::Pretty | Format::Concise) {
        return Err(fail(
            "--statistics prints a table for people: use it with --format pretty or concise",
        ));
    }
    let (files, mut notices, stdin) = match &args.stdin_filename {
        Some(name) => (Vec::new(), Vec::new(), Some(read_stdin(name)?)),
        None => {
            let (files, notices) = crate::walk::discover_with(&args.paths, args.jobs.unwrap_or(0));
            (files, notices, None)
        }
    };

    // Configuration: explicit, or the nearest one of each file.
    let mut resolver = match &args.config {
        Some(path) => match Config::load(path) {
            Ok(Some(config)) => ConfigResolver::fixed(config),
            Ok(None) => {
                return Err(fail(format!(
                    "{} has no [tool.backlint] table",
                    path.display()
                )))
            }
            Err(e) => {
                print_error(e.as_ref());
                return Err(EXIT_ERROR);
            }
        },
        None => ConfigResolver::default(),
    };
    let anchor_path = stdin.as_ref().map(|s| PathBuf::from(&s.name));
    let mut governed: Vec<(SourceFile, Option<usize>)> = Vec::new();
    // A set: pre-commit names thousands of files, each compared with all.
    let named: std::collections::HashSet<&Path> = args.paths.iter().map(PathBuf::as_path).collect();
    for file in files.into_iter().chain(anchor_path.iter().filter_map(|p| {
        crate::walk::FileKind::of(p).map(|kind| SourceFile {
            path: p.clone(),
            kind,
        })
    })) {
        let config = resolver.resolve(&file.path).map_err(|e| {
            print_error(e.as_ref());
            EXIT_ERROR
        })?;
        let admitted = config.is_none_or(|i| resolver.configs[i].admits(&file.path));
        // A file named explicitly or piped in is linted even when excluded.
        let explicit = stdin.is_some() || named.contains(file.path.as_path());
        if admitted || explicit {
            governed.push((file, config));
        }
    }
    let configs = &resolver.configs;

    if let Some(reference) = &args.changed_since {
        let changed = crate::changed::changed_files(Path::new("."), reference).map_err(fail)?;
        governed.retain(|(f, _)| crate::changed::is_changed(&changed, &f.path));
    }
    if let Some(shard) = args.shard {
        governed.retain(|(f, _)| shard.contains(&display_path(&f.path)));
    }

    // Rules: built-in, --rules, every configuration's rules-dirs, engine rules.
    let mut sources = args.sources.clone();
    for config in configs {
        for dir in config.rules_dirs() {
            if !sources.rule_dirs.contains(&dir) {
                sources.rule_dirs.push(dir);
            }
        }
    }
    let mut needed: Vec<crate::lang::Lang> =
        governed.iter().filter_map(|(f, _)| f.lang()).collect();
    needed.sort();
    needed.dedup();
    let cache_dir = args
        .cache_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(crate::cache::DEFAULT_DIR));
    // Rule files from outside are checked by tree-sitter's query compiler;
    // with the cache on, its acceptance is remembered between runs.
    let use_cache = !(args.no_cache || args.fix || args.diff);
    if use_cache && !sources.rule_dirs.is_empty() {
        if let Some(checks) = crate::cache::QueryChecks::open(&cache_dir) {
            crate::rule::compile::remember_query_checks(checks);
        }
    }
    let mut loaded = load_rules_for(&sources, Some(&needed), false).ok_or(EXIT_ERROR)?;
    loaded.extend(crate::rule::meta::suppression_rules());
    let known = |name: &str| {
        crate::rule::Category::parse(name).is_some() || loaded.iter().any(|r| r.rule.id == name)
    };
    for config in configs {
        if let Err(e) = config.validate(&known) {
            print_error(e.as_ref());
            return Err(EXIT_ERROR);
        }
    }
    let single = (configs.len() == 1).then(|| &configs[0]);
    let mut selection = Selection {
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        enable: Vec::new(),
    };
    if let Some(config) = single {
        if selection.select.is_empty() {
            selection.select = config.select();
        }
        selection.ignore.extend(config.ignore());
    }
    if args.report_unused_ignores {
        selection
            .enable
            .push(crate::rule::meta::UNUSED_SUPPRESSION.to_string());
    }
    let rules = RuleSet::build(loaded, &selection).map_err(fail)?;
    let cache = if !use_cache {
        None
    } else {
        let digest = rules_digest(&sources, &selection);
        crate::cache::Cache::open(&cache_dir, &digest)
    };

    // Per-file policies from the configurations. Files are sorted, so the
    // files of one configuration come together and share one policy: a
    // copy per file made the heap grow with the number of files.
    let mut last_policy: Option<Arc<Policy>> = None;
    let targets: Vec<Target> = governed
        .into_iter()
        .map(|(file, config)| {
            let policy = match config.map(|i| &configs[i]) {
                Some(config) => {
                    let mut ignore = config.ignore();
                    ignore.extend(config.ignored_for(&file.path));
                    ignore.extend(args.ignore.iter().cloned());
                    Policy {
                        select: if args.select.is_empty() {
                            config.select()
                        } else {
                            args.select.clone()
                        },
                        ignore,
                        severity: config.severity_overrides().into_iter().collect(),
                        secret_allow: config.secret_allow(),
                    }
                }
                None => Policy::default(),
            };
            let policy = match last_policy.take() {
                Some(last) if *last == policy => last,
                _ => Arc::new(policy),
            };
            last_policy = Some(policy.clone());
            Target { file, policy }
        })
        .collect();
    let max_file_size = args
        .max_file_size
        .or_else(|| configs.iter().find_map(Config::max_file_size))
        .unwrap_or(crate::source::DEFAULT_MAX_FILE_SIZE);
    let fail_on = args
        .fail_on
        .or_else(|| configs.iter().filter_map(Config::fail_on).min())
        .unwrap_or(crate::diagnostic::Severity::Warning);

    let lint = |notices: Vec<crate::diagnostic::Notice>| match &stdin {
        Some(input) => {
            let policy = targets
                .first()
                .map(|t| t.policy.as_ref().clone())
                .unwrap_or_default();
            check_text(&rules, input.clone(), &policy)
        }
        None => lint_targets_cached(
            &rules,
            &targets,
            LintSettings {
                jobs: args.jobs,
                max_file_size,
                // Snippets (pretty output) and fixes need the texts; the
                // machine formats do not.
                keep_sources: (args.format == Format::Pretty && !args.statistics)
                    || args.fix
                    || args.diff,
                progress: crate::progress::wanted(args.quiet),
            },
            notices,
            started,
            cache.as_ref(),
        ),
    };
    let mut report = lint(std::mem::take(&mut notices));

    if let Some(path) = &args.write_baseline {
        let baseline = crate::baseline::Baseline::from_report(&report);
        baseline.write(path).map_err(fail)?;
        eprintln!(
            "backlint: recorded {} findings in {}",
            baseline.findings.len(),
            path.display()
        );
        return Ok(EXIT_CLEAN);
    }
    let fix_options = crate::fix::FixOptions {
        unsafe_fixes: args.unsafe_fixes,
    };
    if args.diff {
        let diff = crate::fix::diff(&report, fix_options);
        print!("{diff}");
        return Ok(if diff.is_empty() {
            EXIT_CLEAN
        } else {
            EXIT_FINDINGS
        });
    }
    if args.fix && stdin.is_none() {
        let outcomes = crate::fix::apply(&report, fix_options);
        report_fixes(&outcomes);
        if outcomes
            .iter()
            .any(|o| matches!(o, crate::fix::FileFix::Fixed { .. }))
        {
            // Lint again so the report shows what remains.
            report = lint(report.notices.clone());
        }
    }
    if let Some(path) = &args.baseline {
        let baseline = crate::baseline::Baseline::read(path).map_err(fail)?;
        let hidden = baseline.filter(&mut report);
        if !args.quiet {
            eprintln!(
                "backlint: {hidden} findings hidden by baseline {}",
                path.display()
            );
        }
    }
    write_report(args, &report, &rules)?;
    Ok(report.exit_code(fail_on))
}

/// Digest of everything about the rules that decides a file's findings.
fn rules_digest(sources: &RuleSourceArgs, selection: &Selection) -> String {
    let mut texts: Vec<String> = if sources.no_builtin {
        Vec::new()
    } else {
        builtin_sources().into_iter().map(|s| s.text).collect()
    };
    for dir in &sources.rule_dirs {
        texts.extend(
            dir_sources(dir)
                .into_iter()
                .flatten()
                .map(|s| s.origin + "\0" + &s.text),
        );
    }
    texts.push(format!("{selection:?}"));
    crate::cache::digest_of(texts.iter().map(String::as_str))
}

fn read_stdin(name: &str) -> Result<StdinSource, i32> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read stdin: {e}")))?;
    let text = crate::source::text_from_bytes(bytes)
        .ok_or_else(|| fail("stdin looks binary; nothing linted"))?;
    Ok(StdinSource {
        name: name.to_string(),
        text,
    })
}

fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn report_fixes(outcomes: &[crate::fix::FileFix]) {
    use crate::fix::FileFix;
    let (mut fixed, mut files, mut deferred) = (0, 0, 0);
    for outcome in outcomes {
        match outcome {
            FileFix::Fixed {
                path,
                applied,
                deferred: d,
            } => {
                eprintln!("fixed {applied} finding(s) in {path}");
                fixed += applied;
                files += 1;
                deferred += d;
            }
            FileFix::Changed { path } => eprintln!("not fixed: {path} changed since it was read"),
            FileFix::Failed { path, error } => eprintln!("not fixed: {path}: {error}"),
        }
    }
    if fixed > 0 || deferred > 0 {
        eprintln!("backlint: applied {fixed} fixes in {files} files; {deferred} overlapping fixes deferred to the next run");
    }
}

fn write_report(args: &CheckArgs, report: &crate::run::Report, rules: &RuleSet) -> Result<(), i32> {
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let options = RenderOptions {
        color,
        quiet: args.quiet,
        sarif_category: args.sarif_category.clone(),
    };
    let mut buffer = Vec::new();
    if args.statistics {
        crate::render::statistics::render(report, rules, options, &mut buffer)
    } else {
        render(args.format, report, rules, options, &mut buffer)
    }
    .map_err(|e| fail(format!("cannot render report: {e}")))?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, &buffer)
                .map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
            if !args.quiet {
                eprintln!("{}", crate::render::summary_line(report));
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(&buffer).and_then(|_| out.flush()) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(fail(format!("cannot write output: {e}"))),
            }
        }
    }
    Ok(())
}

fn cmd_init() -> i32 {
    let path = Path::new(crate::config::CONFIG_FILES[0]);
    if path.exists() {
        return fail(format!(
            "{} already exists; not overwritten",
            path.display()
        ));
    }
    match std::fs::write(path, crate::config::STARTER) {
        Ok(()) => {
            println!("wrote {}", path.display());
            EXIT_CLEAN
        }
        Err(e) => fail(format!("cannot write {}: {e}", path.display())),
    }
}

fn cmd_merge_sarif(files: &[PathBuf], output: Option<&Path>) -> i32 {
    let merged = match crate::sarif_merge::merge_files(files) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let text = match serde_json::to_string_pretty(&merged) {
        Ok(t) => t + "\n",
        Err(e) => return fail(e),
    };
    let written = match output {
        Some(path) => std::fs::write(path, text),
        None => std::io::stdout().write_all(text.as_bytes()),
    };
    match written {
        Ok(()) => EXIT_CLEAN,
        Err(e) => fail(format!("cannot write merged SARIF: {e}")),
    }
}

fn cmd_rules(sources: &RuleSourceArgs) -> i32 {
    let rules = match build_set(sources, &Selection::default(), false) {
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
    let rules = match build_set(sources, &Selection::default(), false) {
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
    // Every matcher is compiled up front: the command that checks rules
    // reports a broken one with its span, even if no fixture reaches it.
    let rules = match build_set(sources, &Selection::default(), true) {
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
    // A cursor knows each node's field name in its parent.
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
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                let _ = std::io::stdout().write_all(out.as_bytes());
                return EXIT_CLEAN;
            }
            depth -= 1;
        }
    }
}
