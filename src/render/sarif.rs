//! SARIF 2.1.0, built with serde-sarif's types, shaped for GitHub code
//! scanning: rules with help and tags, relative URIs under `%SRCROOT%`,
//! full regions, content-based `partialFingerprints`, fixes, notices as
//! tool execution notifications, the analysis category
//! (`automationDetails.id`), the git commit (`versionControlProvenance`)
//! and GitHub's upload limits (see [`limits`]).

mod limits;
mod provenance;

use crate::diagnostic::{Finding, Notice, Severity, Span};
use crate::rule::index::RuleSet;
use crate::rule::schema::Category;
use crate::rule::Rule;
use crate::run::{FileReport, Report};
use serde_json::json;
use serde_sarif::sarif;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

pub use limits::{MAX_GZIP_BYTES, MAX_LOCATIONS, MAX_RESULTS, MAX_TAGS};

/// Base id that result URIs are relative to.
pub const SRCROOT: &str = "%SRCROOT%";
/// Key of backlint's own fingerprint in `partialFingerprints`. GitHub
/// reads only `primaryLocationLineHash`, which its upload action computes
/// from the checked-out file (docs/ci.md).
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

/// What a SARIF log says beyond the report itself.
#[derive(Clone, Debug, Default)]
pub struct SarifOptions {
    /// Analysis category: becomes `automationDetails.id` (`NAME/`), which
    /// GitHub uses to keep several analyses of one commit apart.
    pub category: Option<String>,
}

/// Writes the SARIF log of `report`, within GitHub's upload limits.
pub fn render(
    report: &Report,
    rules: &RuleSet,
    options: &SarifOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let bytes = to_bytes(report, rules, options, limits::MAX_GZIP_BYTES)?;
    out.write_all(&bytes)
}

/// Serialises the log, dropping the least severe results until it
/// compresses to at most `max_gzip` bytes.
fn to_bytes(
    report: &Report,
    rules: &RuleSet,
    options: &SarifOptions,
    max_gzip: usize,
) -> io::Result<Vec<u8>> {
    let context = Context::detect();
    let mut budget = limits::MAX_RESULTS;
    loop {
        let log = build_with(report, rules, options, &context, budget);
        let mut bytes = serde_json::to_vec_pretty(&log)?;
        bytes.push(b'\n');
        let size = limits::gzipped_len(&bytes);
        let results = log.runs[0].results.as_ref().map_or(0, Vec::len);
        if size <= max_gzip || results == 0 {
            return Ok(bytes);
        }
        budget = limits::shrink(results, size, max_gzip);
    }
}

/// The SARIF log for a report, as [`render`] writes it.
pub fn build(report: &Report, rules: &RuleSet, options: &SarifOptions) -> sarif::Sarif {
    build_with(
        report,
        rules,
        options,
        &Context::detect(),
        limits::MAX_RESULTS,
    )
}

/// Where the run happened: the directory URIs are relative to and its
/// git provenance, looked up once per render.
struct Context {
    cwd: Option<std::path::PathBuf>,
    provenance: Option<sarif::VersionControlDetails>,
}

impl Context {
    fn detect() -> Context {
        let cwd = std::env::current_dir().ok();
        let provenance = cwd.as_deref().and_then(provenance::detect);
        Context { cwd, provenance }
    }
}

fn build_with(
    report: &Report,
    rules: &RuleSet,
    options: &SarifOptions,
    context: &Context,
    max_results: usize,
) -> sarif::Sarif {
    let cwd = context.cwd.as_deref();
    let mut truncations = Vec::new();
    let (kept, dropped) = limits::most_severe(report.findings().collect(), max_results);
    if dropped > 0 {
        truncations.push(truncation(
            "results-truncated",
            format!(
                "{dropped} of {} results left out to stay within GitHub's limits \
                 ({} results per run, {} MB compressed); the most severe are kept. \
                 Run with --format json for the full list.",
                report.total(),
                limits::MAX_RESULTS,
                limits::MAX_GZIP_BYTES / 1_000_000
            ),
        ));
    }
    let mut results: Vec<sarif::Result> = kept
        .into_iter()
        .map(|(file, f)| result(f, file, cwd, rules))
        .collect();
    let over_locations = results
        .iter_mut()
        .map(truncate_locations)
        .filter(|cut| *cut)
        .count();
    if over_locations > 0 {
        truncations.push(truncation(
            "locations-truncated",
            format!(
                "{over_locations} results had more than {} locations; the rest were left out",
                limits::MAX_LOCATIONS
            ),
        ));
    }
    let descriptors: Vec<sarif::ReportingDescriptor> = rules.rules.iter().map(descriptor).collect();
    let over_tags: Vec<&str> = rules
        .rules
        .iter()
        .filter(|r| tags(r).len() > limits::MAX_TAGS)
        .map(|r| r.id.as_str())
        .collect();
    if !over_tags.is_empty() {
        truncations.push(truncation(
            "tags-truncated",
            format!(
                "tags beyond the first {} left out for rules: {}",
                limits::MAX_TAGS,
                over_tags.join(", ")
            ),
        ));
    }
    let mut notifications: Vec<sarif::Notification> = report
        .notices
        .iter()
        .take(limits::MAX_NOTIFICATIONS)
        .map(|n| notification(n, cwd))
        .collect();
    if report.notices.len() > limits::MAX_NOTIFICATIONS {
        truncations.push(truncation(
            "notifications-truncated",
            format!(
                "{} more file notices left out",
                report.notices.len() - limits::MAX_NOTIFICATIONS
            ),
        ));
    }
    notifications.extend(truncations);
    let mut driver = sarif::ToolComponent::builder()
        .name("backlint")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(descriptors)
        .build();
    driver.information_uri = information_uri();
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
    if let Some(root) = cwd.and_then(|c| url::Url::from_directory_path(c).ok()) {
        let base = sarif::ArtifactLocation::builder()
            .uri(root.to_string())
            .build();
        run.original_uri_base_ids = Some(BTreeMap::from([(SRCROOT.to_string(), base)]));
    }
    if let Some(id) = options.category.as_deref().and_then(automation_id) {
        run.automation_details = Some(sarif::RunAutomationDetails::builder().id(id).build());
    }
    run.version_control_provenance = context.provenance.clone().map(|p| vec![p]);
    sarif::Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json")
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// `automationDetails.id` for a category: GitHub takes everything up to
/// the last `/` as the category, so a bare name gets a trailing slash
/// (as the upload action does for its `category` input).
fn automation_id(category: &str) -> Option<String> {
    let category = category.trim();
    if category.is_empty() {
        None
    } else if category.ends_with('/') {
        Some(category.to_string())
    } else {
        Some(format!("{category}/"))
    }
}

/// The project's home page, when the package declares one.
fn information_uri() -> Option<String> {
    [
        option_env!("CARGO_PKG_HOMEPAGE"),
        option_env!("CARGO_PKG_REPOSITORY"),
    ]
    .into_iter()
    .flatten()
    .find(|u| !u.is_empty())
    .map(str::to_string)
}

/// A warning notification about something left out of the log.
fn truncation(id: &str, text: String) -> sarif::Notification {
    sarif::Notification::builder()
        .level(json!("warning"))
        .descriptor(
            sarif::ReportingDescriptorReference::builder()
                .id(id)
                .build(),
        )
        .message(sarif::Message::builder().text(text).build())
        .build()
}

/// Cuts a result's locations to GitHub's limit; `true` when it did.
fn truncate_locations(result: &mut sarif::Result) -> bool {
    let mut cut = false;
    for list in [&mut result.locations, &mut result.related_locations]
        .into_iter()
        .flatten()
    {
        if list.len() > limits::MAX_LOCATIONS {
            list.truncate(limits::MAX_LOCATIONS);
            cut = true;
        }
    }
    cut
}

/// A rule's tags, most useful first: category, `security`, CWE, OWASP.
fn tags(rule: &Rule) -> Vec<String> {
    let mut tags = vec![rule.category.as_str().to_string()];
    if rule.category == Category::Secrets {
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
    tags
}

/// `fullDescription`: the first paragraph of the docs that is prose (not a
/// heading or code), on one line; the summary when there is none.
fn full_description(rule: &Rule) -> String {
    rule.docs
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#') && !p.starts_with("```"))
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| rule.summary.clone())
}

/// `help.markdown`: the docs plus a references section with links.
fn help_markdown(rule: &Rule) -> String {
    let mut refs: Vec<String> = rule
        .references
        .cwe
        .iter()
        .map(|n| format!("- [CWE-{n}](https://cwe.mitre.org/data/definitions/{n}.html)"))
        .collect();
    refs.extend(
        rule.references
            .owasp
            .iter()
            .map(|o| format!("- OWASP Top 10 {o}")),
    );
    refs.extend(rule.references.links.iter().map(|l| format!("- <{l}>")));
    let mut text = rule.docs.trim_end().to_string();
    if !refs.is_empty() {
        text.push_str("\n\n## References\n\n");
        text.push_str(&refs.join("\n"));
    }
    text.push('\n');
    text
}

/// `name`: the id in PascalCase (`sql-injection` → `SqlInjection`). SARIF
/// wants `name` to differ from the opaque `id`.
fn rule_name(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or(String::new(), |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn descriptor(rule: &Rule) -> sarif::ReportingDescriptor {
    let mut tags = tags(rule);
    tags.truncate(limits::MAX_TAGS);
    let mut properties = BTreeMap::new();
    properties.insert("precision".to_string(), json!(rule.precision.as_str()));
    if matches!(rule.category, Category::Security | Category::Secrets) {
        properties.insert(
            "security-severity".to_string(),
            // A rule whose data-flow findings are errors rates as one.
            json!(security_severity(
                rule.taint_severity
                    .map_or(rule.severity, |t| t.max(rule.severity))
            )),
        );
    }
    let mut descriptor = sarif::ReportingDescriptor::builder()
        .id(rule.id.clone())
        .name(rule_name(&rule.id))
        .short_description(
            sarif::MultiformatMessageString::builder()
                .text(rule.summary.clone())
                .build(),
        )
        .full_description(
            sarif::MultiformatMessageString::builder()
                .text(full_description(rule))
                .build(),
        )
        .help(
            sarif::MultiformatMessageString::builder()
                .text(rule.docs.clone())
                .markdown(help_markdown(rule))
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

fn result(f: &Finding, file: &FileReport, cwd: Option<&Path>, rules: &RuleSet) -> sarif::Result {
    let path = file.path.as_str();
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
    if !f.trace.is_empty() {
        result.code_flows = Some(vec![code_flow(f, path, cwd)]);
    }
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

/// The path of a data-flow finding, source first, sink last, as one
/// thread flow (GitHub shows it under "Show paths").
fn code_flow(f: &Finding, path: &str, cwd: Option<&Path>) -> sarif::CodeFlow {
    let locations: Vec<sarif::ThreadFlowLocation> = f
        .trace
        .iter()
        .take(limits::MAX_LOCATIONS)
        .enumerate()
        .map(|(i, step)| {
            let location = sarif::Location::builder()
                .physical_location(
                    sarif::PhysicalLocation::builder()
                        .artifact_location(artifact(path, cwd))
                        .region(region(step.span))
                        .build(),
                )
                .message(sarif::Message::builder().text(step.label.clone()).build())
                .build();
            sarif::ThreadFlowLocation::builder()
                .location(location)
                .execution_order(i as i64 + 1)
                .build()
        })
        .collect();
    sarif::CodeFlow::builder()
        .message(
            sarif::Message::builder()
                .text(format!(
                    "request data flows from line {} to line {}",
                    f.trace
                        .first()
                        .map_or(f.span.start.line, |s| s.span.start.line),
                    f.span.start.line
                ))
                .build(),
        )
        .thread_flows(vec![sarif::ThreadFlow::builder()
            .locations(locations)
            .build()])
        .build()
}

fn notification(n: &Notice, cwd: Option<&Path>) -> sarif::Notification {
    let location = sarif::Location::builder()
        .physical_location(
            sarif::PhysicalLocation::builder()
                .artifact_location(artifact(&n.path, cwd))
                .build(),
        )
        .build();
    let kind = serde_json::to_value(n.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "notice".to_string());
    sarif::Notification::builder()
        .descriptor(
            sarif::ReportingDescriptorReference::builder()
                .id(kind)
                .build(),
        )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{fingerprint, Position};
    use crate::lang::Lang;
    use crate::rule::index::Selection;
    use crate::rule::load::{builtin_sources, compile_all};
    use crate::walk::FileKind;

    fn builtin() -> RuleSet {
        let loaded = compile_all(&builtin_sources()).unwrap_or_default();
        RuleSet::build(loaded, &Selection::default()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A report with `n` findings of `rule` in one file, distinct messages
    /// so that they do not compress to nothing.
    fn report_with(rule: &str, n: usize) -> Report {
        let findings = (1..=n)
            .map(|line| {
                let at = Position {
                    line,
                    column: 1,
                    offset: 0,
                };
                Finding {
                    rule_id: rule.to_string(),
                    severity: Severity::Error,
                    message: format!("finding number {line} ({})", line * 7919 % 10007),
                    span: Span { start: at, end: at },
                    fix: None,
                    fingerprint: fingerprint(rule, "app.py", &line.to_string(), 0),
                    trace: Vec::new(),
                }
            })
            .collect();
        Report {
            files: vec![FileReport {
                path: "app.py".into(),
                kind: FileKind::Code(Lang::Python),
                source: String::new(),
                findings,
            }],
            ..Report::default()
        }
    }

    fn parse(bytes: &[u8]) -> serde_json::Value {
        serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("not JSON: {e}"))
    }

    #[test]
    fn oversized_logs_lose_results_and_say_so() {
        let rules = builtin();
        let report = report_with("tls-verification-disabled", 600);
        let options = SarifOptions::default();
        let full = to_bytes(&report, &rules, &options, usize::MAX).unwrap_or_default();
        let full_size = limits::gzipped_len(&full);
        // The rules' documentation is a fixed cost; halve the rest.
        let empty = to_bytes(&Report::default(), &rules, &options, usize::MAX).unwrap_or_default();
        let fixed = limits::gzipped_len(&empty);
        assert!(full_size > fixed);
        let limit = fixed + (full_size - fixed) / 2;
        let cut = to_bytes(&report, &rules, &options, limit).unwrap_or_default();
        assert!(limits::gzipped_len(&cut) <= limit);
        let log = parse(&cut);
        let kept = log["runs"][0]["results"].as_array().map_or(0, Vec::len);
        assert!(kept > 0 && kept < 600, "{kept}");
        let notes = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"];
        let note = notes
            .as_array()
            .and_then(|n| {
                n.iter()
                    .find(|n| n["descriptor"]["id"] == "results-truncated")
            })
            .unwrap_or_else(|| panic!("no truncation notice: {notes}"));
        let text = note["message"]["text"].as_str().unwrap_or_default();
        assert!(
            text.starts_with(&format!("{} of 600", 600 - kept)),
            "{text}"
        );
    }

    #[test]
    fn category_becomes_an_automation_id_with_a_slash() {
        assert_eq!(automation_id("backend").as_deref(), Some("backend/"));
        assert_eq!(automation_id("ci/backend/").as_deref(), Some("ci/backend/"));
        assert_eq!(automation_id("  "), None);
    }

    #[test]
    fn rule_names_differ_from_ids() {
        assert_eq!(
            rule_name("tls-verification-disabled"),
            "TlsVerificationDisabled"
        );
        assert_eq!(rule_name("n-plus-one-query"), "NPlusOneQuery");
    }

    #[test]
    fn full_description_skips_headings() {
        let rules = builtin();
        for rule in &rules.rules {
            let text = full_description(rule);
            assert!(
                !text.starts_with('#') && !text.is_empty(),
                "{}: {text}",
                rule.id
            );
        }
    }
}
