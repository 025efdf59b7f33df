//! Project configuration: `backlint.toml`, or `[tool.backlint]` in
//! `pyproject.toml`, found by walking up from each linted file (the nearest
//! wins) unless `--config` names one. Every key is checked: an unknown key,
//! a bad glob or an unknown rule id is a miette error pointing into the file.

use crate::diagnostic::Severity;
use globset::{Glob, GlobSet, GlobSetBuilder};
use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use thiserror::Error;
use toml::Spanned;

/// File names searched for, in order, in each directory.
pub const CONFIG_FILES: &[&str] = &["backlint.toml", "pyproject.toml"];

/// The keys of a configuration, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// Only files matching one of these globs are linted (relative to the
    /// config's directory).
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    /// Files matching these globs are not linted.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Rules or categories to run (default: all).
    #[serde(default)]
    pub select: Vec<Spanned<String>>,
    /// Rules or categories to skip.
    #[serde(default)]
    pub ignore: Vec<Spanned<String>>,
    /// Glob → rules or categories ignored in matching files.
    #[serde(default)]
    pub per_path_ignores: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    /// Rule id → severity override.
    #[serde(default)]
    pub severity: BTreeMap<Spanned<String>, Severity>,
    /// Extra rule directories (relative to the config's directory).
    #[serde(default)]
    pub rules_dirs: Vec<Spanned<String>>,
    /// Files larger than this many bytes are skipped.
    #[serde(default)]
    pub max_file_size: Option<u64>,
    /// Lowest severity that makes the exit code 1.
    #[serde(default)]
    pub fail_on: Option<Severity>,
    /// Allow-list for `hardcoded-secret`.
    #[serde(default)]
    pub secrets: SecretsConfig,
}

/// `[secrets]`: values that are known not to be secrets.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SecretsConfig {
    /// Files (globs) never reported for secrets, e.g. test fixtures.
    #[serde(default)]
    pub allow_paths: Vec<Spanned<String>>,
    /// Regexes matched against the secret value.
    #[serde(default)]
    pub allow_regexes: Vec<Spanned<String>>,
    /// Finding fingerprints (from JSON/SARIF output) to allow.
    #[serde(default)]
    pub allow_fingerprints: Vec<String>,
}

#[derive(Deserialize)]
struct Pyproject {
    #[serde(default)]
    tool: Option<PyprojectTool>,
}

#[derive(Deserialize)]
struct PyprojectTool {
    #[serde(default)]
    backlint: Option<ConfigFile>,
}

/// A configuration problem, shown with the file and a span.
#[derive(Debug, Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(backlint::config))]
pub struct ConfigError {
    pub message: String,
    #[source_code]
    pub source_code: NamedSource<String>,
    #[label("{label}")]
    pub span: SourceSpan,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

/// A loaded, checked configuration.
#[derive(Debug)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    /// Globs are relative to this directory.
    pub dir: PathBuf,
    text: String,
    raw: ConfigFile,
    include: Option<GlobSet>,
    exclude: GlobSet,
    per_path_ignores: Vec<(GlobSet, Vec<String>)>,
    secret_paths: GlobSet,
    secret_allow: std::sync::Arc<crate::run::SecretAllow>,
}

impl Config {
    /// Reads `path`; `Ok(None)` for a `pyproject.toml` without
    /// `[tool.backlint]`.
    pub fn load(path: &Path) -> Result<Option<Config>, Box<ConfigError>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Box::new(ConfigError {
                message: format!("cannot read {}: {e}", path.display()),
                source_code: NamedSource::new(path.display().to_string(), String::new()),
                span: (0, 0).into(),
                label: "here".into(),
                help: None,
            })
        })?;
        Self::parse(path, text)
    }

    /// Parses configuration text that was read from `path`.
    pub fn parse(path: &Path, text: String) -> Result<Option<Config>, Box<ConfigError>> {
        let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
        let parsed = if is_pyproject {
            toml::from_str::<Pyproject>(&text).map(|p| p.tool.and_then(|t| t.backlint))
        } else {
            toml::from_str::<ConfigFile>(&text).map(Some)
        };
        let raw = match parsed {
            Ok(Some(raw)) => raw,
            Ok(None) => return Ok(None),
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                return Err(error(
                    path,
                    &text,
                    span,
                    e.message().to_string(),
                    "here",
                    None,
                ));
            }
        };
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        let glob_set = |globs: &[Spanned<String>]| -> Result<GlobSet, Box<ConfigError>> {
            let mut builder = GlobSetBuilder::new();
            for g in globs {
                let glob = Glob::new(g.get_ref()).map_err(|e| {
                    error(
                        path,
                        &text,
                        g.span(),
                        format!("invalid glob: {}", e.kind()),
                        "this glob",
                        None,
                    )
                })?;
                builder.add(glob);
            }
            builder
                .build()
                .map_err(|e| error(path, &text, 0..0, e.to_string(), "here", None))
        };
        let include = if raw.include.is_empty() {
            None
        } else {
            Some(glob_set(&raw.include)?)
        };
        let exclude = glob_set(&raw.exclude)?;
        let mut per_path_ignores = Vec::new();
        for (glob, rules) in &raw.per_path_ignores {
            let set = glob_set(std::slice::from_ref(glob))?;
            per_path_ignores.push((set, rules.iter().map(|r| r.get_ref().clone()).collect()));
        }
        let secret_paths = glob_set(&raw.secrets.allow_paths)?;
        let mut regexes = Vec::new();
        for r in &raw.secrets.allow_regexes {
            let compiled = regex::Regex::new(r.get_ref()).map_err(|e| {
                let last = e.to_string().lines().last().unwrap_or("").to_string();
                error(
                    path,
                    &text,
                    r.span(),
                    format!("invalid regex: {last}"),
                    "this regex",
                    None,
                )
            })?;
            regexes.push(compiled);
        }
        let secret_allow = std::sync::Arc::new(crate::run::SecretAllow {
            fingerprints: raw.secrets.allow_fingerprints.clone(),
            regexes,
        });
        Ok(Some(Config {
            path: path.to_path_buf(),
            dir,
            text,
            raw,
            include,
            exclude,
            per_path_ignores,
            secret_paths,
            secret_allow,
        }))
    }

    /// Checks rule ids and categories against the loaded rules.
    pub fn validate(&self, is_known: &dyn Fn(&str) -> bool) -> Result<(), Box<ConfigError>> {
        let names = self
            .raw
            .select
            .iter()
            .chain(&self.raw.ignore)
            .chain(self.raw.per_path_ignores.values().flatten());
        for name in names {
            if !is_known(name.get_ref()) {
                return Err(self.unknown_rule(name.get_ref(), name.span()));
            }
        }
        for id in self.raw.severity.keys() {
            if !is_known(id.get_ref()) {
                return Err(self.unknown_rule(id.get_ref(), id.span()));
            }
        }
        Ok(())
    }

    fn unknown_rule(&self, name: &str, span: std::ops::Range<usize>) -> Box<ConfigError> {
        error(
            &self.path,
            &self.text,
            span,
            format!("unknown rule or category `{name}`"),
            "not a rule id or category",
            Some("`backlint rules` lists the rule ids; categories: security, performance, reliability, secrets".into()),
        )
    }

    /// Path of `file` relative to the config's directory, if it is below.
    fn relative(&self, file: &Path) -> Option<PathBuf> {
        let absolute = absolute(file)?;
        absolute.strip_prefix(&self.dir).ok().map(Path::to_path_buf)
    }

    /// Whether `include`/`exclude` let `file` be linted.
    pub fn admits(&self, file: &Path) -> bool {
        let Some(rel) = self.relative(file) else {
            return true;
        };
        if self.exclude.is_match(&rel) {
            return false;
        }
        self.include.as_ref().is_none_or(|inc| inc.is_match(&rel))
    }

    pub fn select(&self) -> Vec<String> {
        self.raw
            .select
            .iter()
            .map(|s| s.get_ref().clone())
            .collect()
    }

    pub fn ignore(&self) -> Vec<String> {
        self.raw
            .ignore
            .iter()
            .map(|s| s.get_ref().clone())
            .collect()
    }

    /// Rules or categories ignored for `file` by `[per-path-ignores]`.
    pub fn ignored_for(&self, file: &Path) -> Vec<String> {
        let Some(rel) = self.relative(file) else {
            return Vec::new();
        };
        let mut ignored: Vec<String> = self
            .per_path_ignores
            .iter()
            .filter(|(set, _)| set.is_match(&rel))
            .flat_map(|(_, rules)| rules.iter().cloned())
            .collect();
        // `[secrets] allow-paths`: no secret findings in these files.
        if self.secret_paths.is_match(&rel) {
            ignored.push(crate::secrets::RULE_ID.to_string());
        }
        ignored
    }

    /// The `[secrets]` value allow-list, if it has entries.
    pub fn secret_allow(&self) -> Option<std::sync::Arc<crate::run::SecretAllow>> {
        let a = &self.secret_allow;
        (!a.fingerprints.is_empty() || !a.regexes.is_empty()).then(|| a.clone())
    }

    pub fn severity_overrides(&self) -> HashMap<String, Severity> {
        self.raw
            .severity
            .iter()
            .map(|(k, v)| (k.get_ref().clone(), *v))
            .collect()
    }

    pub fn rules_dirs(&self) -> Vec<PathBuf> {
        self.raw
            .rules_dirs
            .iter()
            .map(|d| self.dir.join(d.get_ref()))
            .collect()
    }

    pub fn max_file_size(&self) -> Option<u64> {
        self.raw.max_file_size
    }

    pub fn fail_on(&self) -> Option<Severity> {
        self.raw.fail_on
    }
}

fn error(
    path: &Path,
    text: &str,
    span: std::ops::Range<usize>,
    message: String,
    label: &str,
    help: Option<String>,
) -> Box<ConfigError> {
    Box::new(ConfigError {
        message,
        source_code: NamedSource::new(path.display().to_string(), text.to_string())
            .with_language("toml"),
        span: (span.start, span.end.saturating_sub(span.start)).into(),
        label: label.into(),
        help,
    })
}

/// `std::path::absolute`, with the working directory read once: it is
/// asked for every file of a run, and backlint never changes directory.
fn absolute(file: &Path) -> Option<PathBuf> {
    if file.is_absolute() {
        return std::path::absolute(file).ok();
    }
    static CWD: OnceLock<Option<PathBuf>> = OnceLock::new();
    let cwd = CWD.get_or_init(|| std::env::current_dir().ok()).as_ref()?;
    std::path::absolute(cwd.join(file)).ok()
}

/// Finds and caches the nearest configuration of each directory.
#[derive(Default)]
pub struct ConfigResolver {
    by_dir: HashMap<PathBuf, Option<usize>>,
    /// Every configuration found, in discovery order.
    pub configs: Vec<Config>,
}

impl ConfigResolver {
    /// A resolver that always answers with `config`.
    pub fn fixed(config: Config) -> Self {
        ConfigResolver {
            by_dir: HashMap::new(),
            configs: vec![config],
        }
    }

    /// Index into [`Self::configs`] of the configuration governing `file`.
    pub fn resolve(&mut self, file: &Path) -> Result<Option<usize>, Box<ConfigError>> {
        if self.by_dir.is_empty() && self.configs.len() == 1 {
            return Ok(Some(0));
        }
        let start = absolute(file)
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let mut visited = Vec::new();
        let mut dir = Some(start.as_path());
        let mut found = None;
        while let Some(d) = dir {
            if let Some(hit) = self.by_dir.get(d) {
                found = *hit;
                break;
            }
            visited.push(d.to_path_buf());
            if let Some(index) = self.load_in(d)? {
                found = Some(index);
                break;
            }
            dir = d.parent();
        }
        for d in visited {
            self.by_dir.insert(d, found);
        }
        Ok(found)
    }

    fn load_in(&mut self, dir: &Path) -> Result<Option<usize>, Box<ConfigError>> {
        for name in CONFIG_FILES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                if let Some(config) = Config::load(&candidate)? {
                    self.configs.push(config);
                    return Ok(Some(self.configs.len() - 1));
                }
            }
        }
        Ok(None)
    }
}

/// Text of a commented starter configuration (`backlint init`).
pub const STARTER: &str = r#"# backlint configuration. Paths and globs are relative to this file.
# Every key is optional; unknown keys are errors.

# Only lint files matching these globs (default: everything).
# include = ["src/**", "app/**"]

# Never lint files matching these globs.
exclude = ["**/migrations/**", "**/node_modules/**", "**/vendor/**"]

# Run only these rules or categories (security, performance, reliability, secrets).
# select = ["security", "n-plus-one-query"]

# Skip these rules or categories.
# ignore = ["weak-random"]

# Lowest severity that fails the run (note, warning, error).
fail-on = "warning"

# Files above this size in bytes are skipped with a notice.
# max-file-size = 2097152

# Extra rule directories.
# rules-dirs = ["lint-rules"]

# Rules ignored for some paths.
[per-path-ignores]
# "tests/**" = ["weak-random", "debug-enabled"]

# Severity overrides per rule.
[severity]
# unbounded-query = "error"

# Values that are not secrets (test keys, public sandbox tokens).
[secrets]
# allow-paths = ["tests/fixtures/**"]
# allow-regexes = ["^pk_test_"]
# allow-fingerprints = ["<fingerprint from the JSON or SARIF output>"]
"#;
