//! GitHub code scanning rejects a SARIF upload that exceeds its limits
//! (results per run, tags per rule, locations per result, compressed
//! size). backlint never writes such a file: it keeps the most severe
//! results, truncates the rest and says so in a tool notification, so the
//! upload succeeds and the omission is visible on the tool status page.

use crate::diagnostic::Finding;
use crate::run::FileReport;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;

/// Results GitHub accepts in one run.
pub const MAX_RESULTS: usize = 25_000;
/// Tags GitHub accepts on one rule.
pub const MAX_TAGS: usize = 20;
/// Locations GitHub accepts on one result.
pub const MAX_LOCATIONS: usize = 1_000;
/// Upload size limit: 10 MB of gzip-compressed SARIF (decimal megabytes,
/// the stricter reading).
pub const MAX_GZIP_BYTES: usize = 10_000_000;
/// Tool notifications kept (not a GitHub limit; bounds the file when a
/// run skips very many files).
pub const MAX_NOTIFICATIONS: usize = 1_000;

/// Keeps at most `max` findings, the most severe first (ties: report
/// order), and returns them in report order with the number dropped.
pub fn most_severe<'a>(
    findings: Vec<(&'a FileReport, &'a Finding)>,
    max: usize,
) -> (Vec<(&'a FileReport, &'a Finding)>, usize) {
    if findings.len() <= max {
        return (findings, 0);
    }
    let dropped = findings.len() - max;
    let mut order: Vec<usize> = (0..findings.len()).collect();
    // Stable: equal severities keep report order.
    order.sort_by_key(|&i| std::cmp::Reverse(findings[i].1.severity));
    let mut keep = vec![false; findings.len()];
    for &i in &order[..max] {
        keep[i] = true;
    }
    let kept = findings
        .into_iter()
        .zip(keep)
        .filter_map(|(f, k)| k.then_some(f))
        .collect();
    (kept, dropped)
}

/// Size of `bytes` once gzip-compressed, as GitHub measures the upload.
pub fn gzipped_len(bytes: &[u8]) -> usize {
    let mut encoder = GzEncoder::new(CountingSink(0), Compression::default());
    // Writing into a counter cannot fail.
    if encoder.write_all(bytes).is_err() {
        return usize::MAX;
    }
    encoder.finish().map_or(usize::MAX, |sink| sink.0)
}

/// A writer that only counts bytes.
struct CountingSink(usize);

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The next result budget when a log with `results` results compressed to
/// `size` bytes is over `limit`: proportionally fewer, with a 10 % margin,
/// and always strictly fewer so the search ends.
pub fn shrink(results: usize, size: usize, limit: usize) -> usize {
    let scaled = (results as u128 * limit as u128 * 9 / (size.max(1) as u128 * 10)) as usize;
    scaled.min(results.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Position, Severity, Span};
    use crate::lang::Lang;
    use crate::walk::FileKind;

    fn finding(severity: Severity, line: usize) -> Finding {
        let at = Position {
            line,
            column: 1,
            offset: 0,
        };
        Finding {
            rule_id: "r".into(),
            severity,
            message: "m".into(),
            span: Span { start: at, end: at },
            fix: None,
            fingerprint: String::new(),
            trace: Vec::new(),
        }
    }

    #[test]
    fn keeps_the_most_severe_in_report_order() {
        let file = FileReport {
            path: "a.py".into(),
            kind: FileKind::Code(Lang::Python),
            source: String::new(),
            findings: vec![
                finding(Severity::Note, 1),
                finding(Severity::Error, 2),
                finding(Severity::Warning, 3),
                finding(Severity::Error, 4),
                finding(Severity::Warning, 5),
            ],
        };
        let all: Vec<_> = file.findings.iter().map(|f| (&file, f)).collect();
        let (kept, dropped) = most_severe(all, 3);
        assert_eq!(dropped, 2);
        let lines: Vec<usize> = kept.iter().map(|(_, f)| f.span.start.line).collect();
        assert_eq!(lines, vec![2, 3, 4]);
    }

    #[test]
    fn gzip_size_is_measured() {
        let repetitive = vec![b'a'; 100_000];
        let len = gzipped_len(&repetitive);
        assert!(len > 0 && len < 1_000, "{len}");
    }

    #[test]
    fn shrink_always_makes_progress() {
        assert_eq!(shrink(100, 200, 100), 45);
        assert_eq!(shrink(10, 11, 10), 8);
        assert_eq!(shrink(1, 2, 1_000_000), 0);
    }
}
