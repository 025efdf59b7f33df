//! Rules about suppression comments themselves. They are computed by the
//! engine, not matched by queries, and run only when selected by id.

use super::schema::{Category, FixSafety, Precision, References};
use super::{LoadedRule, Rule};
use crate::diagnostic::Severity;
use crate::lang::Lang;

/// A `backlint: ignore` that suppressed nothing.
pub const UNUSED_SUPPRESSION: &str = "unused-suppression";
/// A `backlint: ignore` without rule ids.
pub const BLANKET_SUPPRESSION: &str = "blanket-suppression";

fn meta_rule(id: &str, summary: &str, message: &str, docs: &str) -> LoadedRule {
    LoadedRule {
        rule: Rule {
            id: id.into(),
            summary: summary.into(),
            severity: Severity::Note,
            category: Category::Reliability,
            message: message.into(),
            docs: docs.into(),
            references: References::default(),
            precision: Precision::VeryHigh,
            fix: None,
            fix_safety: FixSafety::Unsafe,
            opt_in: true,
            languages: Lang::all().collect(),
            origin: "(built into the engine)".into(),
            taint_severity: None,
            taint_languages: Vec::new(),
        },
        matchers: Vec::new(),
        taint: Vec::new(),
    }
}

/// The suppression rules, for every language.
pub fn suppression_rules() -> Vec<LoadedRule> {
    vec![
        meta_rule(
            UNUSED_SUPPRESSION,
            "A `backlint: ignore` comment that no longer suppresses anything.",
            "unused suppression",
            "A suppression that matches no finding is noise at best; at worst it \
             will silently hide a new finding on that line later.\n\n\
             **Fix**: delete the comment, or narrow it to the rules that still fire.\n\n\
             Opt-in: select it with `--select unused-suppression` or `--report-unused-ignores`.",
        ),
        meta_rule(
            BLANKET_SUPPRESSION,
            "A `backlint: ignore` comment without rule ids suppresses every rule.",
            "suppression without rule ids hides every rule on this line",
            "`# backlint: ignore` without `[rule-id]` hides every present and future \
             rule on the line.\n\n**Fix**: name the rules: `# backlint: ignore[sql-injection] -- reason`.\n\n\
             Opt-in: select it with `--select blanket-suppression`.",
        ),
    ]
}
