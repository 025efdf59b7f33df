//! SARIF 2.1.0, built with serde-sarif's types, shaped for GitHub code
//! scanning: rules with help and tags, relative URIs under `%SRCROOT%`,
//! full regions, content-based `partialFingerprints`, fixes, notices as
//! tool execution notifications.

use crate::diagnostic::{Finding, Notice, Severity, Span};
use crate::rule::index::RuleSet;
use crate::rule::schema::Category;
use crate::rule::Rule;
use crate::run::Report;
use serde_json::json;
use serde_sarif::sarif;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

/// Base id that result URIs are relative to.
pub const SRCROOT: &str = "%SRCROOT%";
/// Key of backlint's own fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "backlint/v1";

/// GitHub's `security-severity` by rule severity (documented in README):
/// error → 8.0 (high), warning → 5.0 (medium), note → 2.0 (low).
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
        Severity::Note => "2.0",
    }
}

fn level(severity: Severity) -> &'static str {
    severity.as_str()
}

pub fn render(report: &Report, rules: &RuleSet, out: &mut dyn Write) -> io::Result<()> {
    let log = build(report, rules);
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

/// The SARIF log for a report.
pub fn build(report: &Report, rules: &RuleSet) -> sarif::Sarif {
    let cwd = std::env::current_dir().ok();
    let results: Vec<sarif::Result> = report
        .findings()
        .map(|(file, f)| result(f, &file.path, cwd.as_deref(), rules))
        .collect();
    let notifications: Vec<sarif::Notification> = report
        .notices
        .iter()
        .map(|n| notification(n, cwd.as_deref()))
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("backlint")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(rules.rules.iter().map(descriptor).collect::<Vec<_>>())
        .build();
    let invocation = sarif::Invocation::builder()
        .execution_successful(!report.notices.iter().any(|n| n.kind.is_failure()))
        .tool_execution_notifications(notifications)
        .build();
    let mut run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .column_kind(json!("unicodeCodePoints"))
        .build();
    if let Some(root) = cwd
        .as_deref()
        .and_then(|c| url::Url::from_directory_path(c).ok())
    {
        let base = sarif::ArtifactLocation::builder()
            .uri(root.to_string())
            .build();
        run.original_uri_base_ids = Some(BTreeMap::from([(SRCROOT.to_string(), base)]));
    }
    sarif::Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json")
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

fn descriptor(rule: &Rule) -> sarif::ReportingDescriptor {
    let mut tags = vec![rule.category.as_str().to_string()];
    let is_security = matches!(rule.category, Category::Security | Category::Secrets);
    if is_security && rule.category != Category::Security {
        tags.push("security".into());
    }
    tags.extend(
        rule.references
            .cwe
            .iter()
            .map(|n| format!("external/cwe/cwe-{n}")),
    );
    tags.extend(
        rule.references
            .owasp
            .iter()
            .map(|o| format!("external/owasp/{}", o.to_lowercase().replace(':', "-"))),
    );
    tags.truncate(20);
    let mut properties = BTreeMap::new();
    properties.insert("precision".to_string(), json!(rule.precision.as_str()));
    if is_security {
        properties.insert(
            "security-severity".to_string(),
            json!(security_severity(rule.severity)),
        );
    }
    let full = rule
        .docs
        .split("\n\n")
        .next()
        .unwrap_or(&rule.summary)
        .trim()
        .to_string();
    let mut descriptor = sarif::ReportingDescriptor::builder()
        .id(rule.id.clone())
        .name(rule.id.clone())
        .short_description(
            sarif::MultiformatMessageString::builder()
                .text(rule.summary.clone())
                .build(),
        )
        .full_description(
            sarif::MultiformatMessageString::builder()
                .text(full)
                .build(),
        )
        .help(
            sarif::MultiformatMessageString::builder()
                .text(rule.docs.clone())
                .markdown(rule.docs.clone())
                .build(),
        )
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(json!(level(rule.severity)))
                .build(),
        )
        .properties(
            sarif::PropertyBag::builder()
                .tags(tags)
                .additional_properties(properties)
                .build(),
        )
        .build();
    descriptor.help_uri = rule.help_uri();
    descriptor
}

fn artifact(path: &str, cwd: Option<&Path>) -> sarif::ArtifactLocation {
    let p = Path::new(path);
    let relative = if p.is_absolute() {
        cwd.and_then(|c| p.strip_prefix(c).ok())
            .map(Path::to_path_buf)
    } else {
        Some(p.to_path_buf())
    };
    match relative {
        Some(rel) => {
            let encoded: Vec<String> = rel
                .components()
                .map(|c| percent_encode(&c.as_os_str().to_string_lossy()))
                .collect();
            sarif::ArtifactLocation::builder()
                .uri(encoded.join("/"))
                .uri_base_id(SRCROOT)
                .build()
        }
        None => {
            let uri = url::Url::from_file_path(p)
                .map(|u| u.to_string())
                .unwrap_or_else(|_| path.to_string());
            sarif::ArtifactLocation::builder().uri(uri).build()
        }
    }
}

/// Percent-encodes one path segment for a URI reference.
fn percent_encode(segment: &str) -> String {
    let mut base = url::Url::parse("file:///").expect("static url");
    base.path_segments_mut()
        .map(|mut s| {
            s.push(segment);
        })
        .ok();
    base.path().trim_start_matches('/').to_string()
}

fn region(span: Span) -> sarif::Region {
    sarif::Region::builder()
        .start_line(span.start.line as i64)
        .start_column(span.start.column as i64)
        .end_line(span.end.line as i64)
        .end_column(span.end.column as i64)
        .build()
}

fn result(f: &Finding, path: &str, cwd: Option<&Path>, rules: &RuleSet) -> sarif::Result {
    let location = sarif::Location::builder()
        .physical_location(
            sarif::PhysicalLocation::builder()
                .artifact_location(artifact(path, cwd))
                .region(region(f.span))
                .build(),
        )
        .build();
    let mut result = sarif::Result::builder()
        .rule_id(f.rule_id.clone())
        .level(
            serde_json::from_value::<sarif::ResultLevel>(json!(level(f.severity)))
                .unwrap_or(sarif::ResultLevel::Warning),
        )
        .message(sarif::Message::builder().text(f.message.clone()).build())
        .locations(vec![location])
        .partial_fingerprints(BTreeMap::from([(
            FINGERPRINT_KEY.to_string(),
            f.fingerprint.clone(),
        )]))
        .build();
    result.rule_index = rules.rule_index(&f.rule_id).map(|i| i as i64);
    if let Some(fix) = &f.fix {
        let replacement = sarif::Replacement::builder()
            .deleted_region(region(fix.span))
            .inserted_content(
                sarif::ArtifactContent::builder()
                    .text(fix.replacement.clone())
                    .build(),
            )
            .build();
        let change = sarif::ArtifactChange::builder()
            .artifact_location(artifact(path, cwd))
            .replacements(vec![replacement])
            .build();
        result.fixes = Some(vec![sarif::Fix::builder()
            .description(
                sarif::Message::builder()
                    .text(format!("Replace with `{}`", fix.replacement))
                    .build(),
            )
            .artifact_changes(vec![change])
            .build()]);
    }
    result
}

fn notification(n: &Notice, cwd: Option<&Path>) -> sarif::Notification {
    let location = sarif::Location::builder()
        .physical_location(
            sarif::PhysicalLocation::builder()
                .artifact_location(artifact(&n.path, cwd))
                .build(),
        )
        .build();
    sarif::Notification::builder()
        .level(json!(if n.kind.is_failure() {
            "error"
        } else {
            "warning"
        }))
        .message(
            sarif::Message::builder()
                .text(format!("{}: {}", n.path, n.message))
                .build(),
        )
        .locations(vec![location])
        .build()
}
