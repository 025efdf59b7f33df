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
    Check(CheckArgs),
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
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = Severity::Warning)]
    pub fail_on: Severity,
    /// Files larger than this many bytes are skipped with a notice.
    #[arg(long, value_name = "BYTES", default_value_t = crate::source::DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
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
