//! Command-line arguments (clap), unresolved.

use crate::diagnostic::Severity;
use crate::render::Format;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// backlint: a fast linter for backend code.
#[derive(Debug, Parser)]
#[command(name = "backlint", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint files and directories (default: the current directory).
    Check(Box<CheckArgs>),
    /// List the rules: id, languages, severity, category, summary.
    Rules(RuleSourceArgs),
    /// Show a rule's documentation.
    Explain {
        /// Rule id, e.g. `sql-injection`.
        rule: String,
        #[command(flatten)]
        sources: RuleSourceArgs,
    },
    /// Print a file's syntax tree (node kinds and field names), for rule authors.
    Tree {
        /// The file to parse.
        file: PathBuf,
    },
    /// Write a commented starter `backlint.toml` in the current directory.
    Init,
    /// Run the Language Server (LSP) over stdin/stdout, for editors.
    Lsp,
    /// Merge SARIF logs of sharded runs into one.
    MergeSarif {
        /// SARIF files to merge.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where to write the merged log (default: stdout).
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Run rules against their annotated fixtures (`expect:` / `ok:`).
    Test {
        /// Fixture directories or files.
        #[arg(default_value = "fixtures")]
        dirs: Vec<PathBuf>,
        #[command(flatten)]
        sources: RuleSourceArgs,
    },
}

/// Where rules come from.
#[derive(Debug, Args, Clone, Default)]
pub struct RuleSourceArgs {
    /// Extra rule directory (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rule_dirs: Vec<PathBuf>,
    /// Do not load the built-in rules.
    #[arg(long)]
    pub no_builtin: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to lint.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// SARIF analysis category (`automationDetails.id`): keeps several
    /// uploads for one commit apart in GitHub code scanning.
    #[arg(long, value_name = "NAME")]
    pub sarif_category: Option<String>,
    /// Only run these rules or categories (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',', value_name = "RULE|CATEGORY")]
    pub select: Vec<String>,
    /// Skip these rules or categories (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',', value_name = "RULE|CATEGORY")]
    pub ignore: Vec<String>,
    #[command(flatten)]
    pub sources: RuleSourceArgs,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Lint standard input as if it were the file NAME.
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,
    /// Lowest severity that makes the exit code 1 (default: config, else warning).
    #[arg(long, value_enum)]
    pub fail_on: Option<Severity>,
    /// Files larger than this many bytes are skipped with a notice (default: config, else 2 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Use this configuration file instead of discovering one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Lint only files changed against this git ref, plus untracked files.
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// Lint only shard I of N (1-based; stable partition by path).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<crate::shard::Shard>,
    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings in a baseline file and exit 0.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
    /// Apply the fixes of rules that have safe ones.
    #[arg(long)]
    pub fix: bool,
    /// With --fix or --diff, also apply fixes marked unsafe.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print what --fix would change as a unified diff; change nothing.
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,
    /// Report `backlint: ignore` comments that suppress nothing.
    #[arg(long)]
    pub report_unused_ignores: bool,
    /// Do not read or write the content cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Where the content cache lives (default: .backlint_cache).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Print how many findings each rule has instead of the findings
    /// (with the pretty or concise format).
    #[arg(long)]
    pub statistics: bool,
    /// Print findings only: no summary line or notices.
    #[arg(long, short)]
    pub quiet: bool,
    /// Colour: auto (when stdout is a terminal), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
