//! `path:line:col: severity[rule-id] message`, one finding per line.

use super::RenderOptions;
use crate::run::Report;
use std::io::{self, Write};

pub fn render(report: &Report, options: RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    for (file, f) in report.findings() {
        writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            file.path, f.span.start.line, f.span.start.column, f.severity, f.rule_id, f.message
        )?;
    }
    if !options.quiet {
        for n in &report.notices {
            writeln!(
                out,
                "{}: notice[{}] {}",
                n.path,
                serde_kind(n.kind),
                n.message
            )?;
        }
    }
    Ok(())
}

pub(super) fn serde_kind(kind: crate::diagnostic::NoticeKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
