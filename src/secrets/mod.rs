//! Hard-coded secrets: provider keys, private keys, tokens and passwords
//! written into source code and config files.
//!
//! Secrets are found two ways. Provider formats (`AKIA…`, `ghp_…`, PEM
//! blocks, JWTs, URLs with inline passwords) are recognisable anywhere, so
//! they are matched over the whole text. A generic value is a secret only
//! because of the name it is bound to (`DB_PASSWORD=…`), so config files are
//! parsed into `(key, value)` pairs ([`parse`]) and source-code literals are
//! checked with the name the caller found them under ([`scan_literal`]).
//! Placeholders and references (`changeme`, `${VAR}`, `process.env.X`) are
//! never reported, and a finding carries only a [`redact`]ed form of the
//! secret: backlint never prints one in full.
//!
//! The detectors are data, in `rules/secrets/detectors.toml`.

mod config_files;
pub mod detectors;
mod entropy;
mod keys;
pub mod parse;
mod placeholder;
mod redact;

use std::ops::Range;
use std::path::Path;

pub use config_files::{config_kind, is_example_file, is_secret_dotfile};
pub use entropy::shannon;
pub use keys::normalize as normalize_key;
pub use placeholder::is_placeholder;
pub use redact::{redact, MASK, MAX_PREFIX};

use detectors::{builtin, resolve_overlaps, Hit};

/// The rule id every secret finding is reported under.
pub const RULE_ID: &str = "hardcoded-secret";

/// The format of a config file, which decides how it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigKind {
    /// `.env`, `.env.*`, `*.env`.
    Env,
    /// YAML, including Compose files.
    Yaml,
    /// JSON and JSONC, including `.docker/config.json`.
    Json,
    /// TOML.
    Toml,
    /// INI/CFG/CONF, `.pypirc`, `.aws/credentials`.
    Ini,
    /// Java `.properties`.
    Properties,
    /// Dockerfile / Containerfile (`ENV`, `ARG`).
    Dockerfile,
    /// Terraform and HCL (`*.tf`, `*.tfvars`).
    Terraform,
    /// PEM key files (`*.pem`, `*.key`, `id_rsa`).
    Pem,
    /// `.npmrc` (`key=value`, keys may contain colons).
    Npmrc,
    /// `.netrc` (`machine … login … password …`).
    Netrc,
}

impl ConfigKind {
    /// Name for output.
    pub fn name(self) -> &'static str {
        match self {
            ConfigKind::Env => "env",
            ConfigKind::Yaml => "yaml",
            ConfigKind::Json => "json",
            ConfigKind::Toml => "toml",
            ConfigKind::Ini => "ini",
            ConfigKind::Properties => "properties",
            ConfigKind::Dockerfile => "dockerfile",
            ConfigKind::Terraform => "terraform",
            ConfigKind::Pem => "pem",
            ConfigKind::Npmrc => "npmrc",
            ConfigKind::Netrc => "netrc",
        }
    }

    /// Line-comment token for suppressions and fixture annotations. JSON
    /// has none; JSONC's `//` is used, and fixtures use a sidecar file.
    pub fn line_comment(self) -> &'static str {
        match self {
            ConfigKind::Json => "//",
            _ => "#",
        }
    }
}

/// A secret found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFinding {
    /// Byte range of the secret value in the text.
    pub span: Range<usize>,
    /// The detector that found it (`aws-access-key-id`, `generic-password`).
    pub detector: String,
    /// The config key or variable name the value is bound to, if known.
    pub key: Option<String>,
    /// A display form of the secret ([`redact`]); never the secret itself.
    pub redacted: String,
}

/// Secrets in the config file `text`, read as `kind`, sorted by position.
pub fn scan_config(kind: ConfigKind, text: &str) -> Vec<SecretFinding> {
    scan_config_with(kind, text, true)
}

/// Secrets in the config file at `path`, read as `kind`. In an example or
/// template ([`is_example_file`]) only provider formats are reported:
/// values bound to sensitive names there show what to fill in
/// (`API_TOKEN=abcd1234-…`), while a real provider key is still a leak.
pub fn scan_config_file(path: &Path, kind: ConfigKind, text: &str) -> Vec<SecretFinding> {
    scan_config_with(kind, text, !is_example_file(path))
}

/// `bound`: whether values are judged by the names they are bound to
/// (the generic detectors); the pairs name the key of every finding either way.
fn scan_config_with(kind: ConfigKind, text: &str, bound: bool) -> Vec<SecretFinding> {
    let detectors = builtin();
    let pairs = parse::pairs(kind, text);
    let mut hits = detectors.scan_text(text);
    for pair in pairs.iter().filter(|_| bound) {
        let (Some(key), Some(value)) = (&pair.key, text.get(pair.span.clone())) else {
            continue;
        };
        if let Some(hit) = detectors.scan_bound(key, value) {
            let start = pair.span.start;
            hits.push(Hit {
                detector: hit.detector,
                span: start + hit.span.start..start + hit.span.end,
            });
        }
    }
    resolve_overlaps(hits)
        .into_iter()
        .map(|hit| {
            let key = pairs
                .iter()
                .find(|p| p.span.start <= hit.span.start && hit.span.end <= p.span.end)
                .and_then(|p| p.key.clone());
            finding(text, hit, key)
        })
        .collect()
}

/// The secret in a string literal from source code, if any: provider
/// formats anywhere in `value`; generic high-entropy values only when
/// `key` (the variable, field or argument name the literal is bound to)
/// looks sensitive. Returns the detector id and the secret's byte range
/// within `value`.
pub fn scan_literal(key: Option<&str>, value: &str) -> Option<(String, Range<usize>)> {
    let detectors = builtin();
    let hit = detectors
        .scan_text(value)
        .into_iter()
        .next()
        .or_else(|| detectors.scan_bound(key?, value))?;
    let id = detectors.all().get(hit.detector)?.id.clone();
    Some((id, hit.span))
}

fn finding(text: &str, hit: Hit, key: Option<String>) -> SecretFinding {
    let detector = builtin()
        .all()
        .get(hit.detector)
        .map(|d| d.id.clone())
        .unwrap_or_default();
    SecretFinding {
        redacted: redact(text.get(hit.span.clone()).unwrap_or_default()),
        span: hit.span,
        detector,
        key,
    }
}
