//! Baselines: record the fingerprints of today's findings so later runs
//! report only new ones — how a team adopts a linter on an old codebase.
//! Fingerprints ignore line numbers (see [`crate::diagnostic::fingerprint`]),
//! so a baseline survives code moving within a file.

use crate::run::Report;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use thiserror::Error;

/// The baseline file, version 1.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

/// One recorded finding; rule and path are kept for people reading the file.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule: String,
    pub path: String,
}

#[derive(Debug, Error)]
pub enum BaselineError {
    #[error("cannot read baseline {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("baseline {path} is not a backlint baseline: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("baseline {path} has version {version}; this backlint reads version 1")]
    Version { path: String, version: u32 },
    #[error("cannot write baseline {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

impl Baseline {
    /// The findings of `report`.
    pub fn from_report(report: &Report) -> Baseline {
        let mut findings: Vec<BaselineEntry> = report
            .findings()
            .map(|(file, f)| BaselineEntry {
                fingerprint: f.fingerprint.clone(),
                rule: f.rule_id.clone(),
                path: file.path.clone(),
            })
            .collect();
        findings.sort();
        Baseline {
            version: 1,
            findings,
        }
    }

    pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: display.clone(),
            source,
        })?;
        let baseline: Baseline =
            serde_json::from_str(&text).map_err(|source| BaselineError::Parse {
                path: display.clone(),
                source,
            })?;
        if baseline.version != 1 {
            return Err(BaselineError::Version {
                path: display,
                version: baseline.version,
            });
        }
        Ok(baseline)
    }

    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let write_err = |source| BaselineError::Write {
            path: path.display().to_string(),
            source,
        };
        let mut text =
            serde_json::to_string_pretty(self).map_err(|e| write_err(std::io::Error::other(e)))?;
        text.push('\n');
        std::fs::write(path, text).map_err(write_err)
    }

    /// Removes from `report` every finding the baseline records (each
    /// recorded entry hides one finding); returns how many were hidden.
    pub fn filter(&self, report: &mut Report) -> usize {
        let mut remaining: HashMap<&str, usize> = HashMap::new();
        for entry in &self.findings {
            *remaining.entry(entry.fingerprint.as_str()).or_default() += 1;
        }
        let mut hidden = 0;
        for file in &mut report.files {
            file.findings
                .retain(|f| match remaining.get_mut(f.fingerprint.as_str()) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        hidden += 1;
                        false
                    }
                    _ => true,
                });
        }
        report.files.retain(|f| !f.findings.is_empty());
        hidden
    }
}
