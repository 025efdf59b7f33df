//! Code actions for a finding: apply the rule's fix, or silence the rule on
//! that line with a `backlint: ignore[rule]` comment on the line above.
//!
//! Actions are computed from the server's own findings for the current text
//! (not from diagnostics echoed back by the client), so an edit always
//! matches the document the user sees.

use super::position::LineTable;
use crate::diagnostic::{line_start_before, Finding};
use lsp_types::{CodeAction, CodeActionKind, Diagnostic, TextEdit, Url, WorkspaceEdit};
use std::collections::HashMap;

/// The actions for one finding, with the diagnostic they resolve.
pub fn for_finding(
    uri: &Url,
    text: &str,
    comment_token: &str,
    finding: &Finding,
    diagnostic: Diagnostic,
    lines: &LineTable<'_>,
) -> Vec<CodeAction> {
    let mut actions = Vec::new();
    if let Some(fix) = &finding.fix {
        let title = if fix.safe {
            format!("Fix `{}`", finding.rule_id)
        } else {
            format!("Fix `{}` (unsafe: may change behaviour)", finding.rule_id)
        };
        let edit = TextEdit {
            range: lines.range(fix.span.start.offset, fix.span.end.offset),
            new_text: fix.replacement.clone(),
        };
        actions.push(action(title, uri, edit, &diagnostic, fix.safe));
    }
    let edit = ignore_comment(
        text,
        comment_token,
        &finding.rule_id,
        finding.span.start.offset,
    );
    let edit = TextEdit {
        range: lines.range(edit.0, edit.0),
        new_text: edit.1,
    };
    let title = format!("Ignore `{}` on this line", finding.rule_id);
    actions.push(action(title, uri, edit, &diagnostic, false));
    actions
}

fn action(
    title: String,
    uri: &Url,
    edit: TextEdit,
    diagnostic: &Diagnostic,
    preferred: bool,
) -> CodeAction {
    CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
            ..WorkspaceEdit::default()
        }),
        command: None,
        is_preferred: preferred.then_some(true),
        disabled: None,
        data: None,
    }
}

/// Where and what to insert to suppress `rule_id` on the line holding byte
/// `offset`: a comment line above it with the same indentation and the
/// document's own line ending.
pub fn ignore_comment(text: &str, token: &str, rule_id: &str, offset: usize) -> (usize, String) {
    let start = line_start_before(text, offset);
    let indent: String = text[start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let newline = if text.contains("\r\n") {
        "\r\n"
    } else if text.contains('\n') || !text.contains('\r') {
        "\n"
    } else {
        "\r"
    };
    (
        start,
        format!("{indent}{token} backlint: ignore[{rule_id}]{newline}"),
    )
}

#[cfg(test)]
mod tests {
    use super::ignore_comment;

    #[test]
    fn ignore_comment_matches_indentation_and_line_endings() {
        let text = "def f():\r\n    x = eval(s)\r\n";
        let at = text.find("eval").unwrap_or_default();
        let (offset, insert) = ignore_comment(text, "#", "rule-a", at);
        assert_eq!(offset, text.find("    x").unwrap_or_default());
        assert_eq!(insert, "    # backlint: ignore[rule-a]\r\n");
        let (offset, insert) = ignore_comment("\tfoo()", "//", "r", 3);
        assert_eq!((offset, insert.as_str()), (0, "\t// backlint: ignore[r]\n"));
    }
}
