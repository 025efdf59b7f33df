//! Line scanners for the line-based formats (.env, INI, .properties,
//! Dockerfile, Terraform, .netrc) and the fallbacks for YAML and JSON files
//! that do not parse.
//!
//! Each scanner finds `key <separator> value` on a line and reports the
//! value's exact byte range, without quotes and without trailing comments.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use super::{split_assignment, Pair};

/// Lines of `text` with the byte offset where each starts, without line breaks.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |raw| {
        let start = offset;
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        (start, line.strip_suffix('\r').unwrap_or(line))
    })
}

/// The value that starts at or after `from` in `line` (leading blanks
/// skipped): inside its quotes if quoted, else up to an inline comment
/// (one of `comments` after a blank) with trailing blanks trimmed.
fn value_in(line: &str, from: usize, comments: &[char]) -> Option<Range<usize>> {
    let rest = line.get(from..)?;
    let start = from + (rest.len() - rest.trim_start().len());
    let body = &line[start..];
    let quote = body.chars().next()?;
    if quote == '"' || quote == '\'' {
        let end = closing_quote(body, quote).unwrap_or(body.len());
        return (end > 1).then(|| start + 1..start + end);
    }
    let mut end = body.len();
    let bytes = body.as_bytes();
    for (i, c) in body.char_indices() {
        if comments.contains(&c) && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            end = i;
            break;
        }
    }
    let value = body[..end].trim_end();
    (!value.is_empty()).then(|| start..start + value.len())
}

/// Index of the quote that closes the string opened at `body[0]`.
fn closing_quote(body: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices().skip(1) {
        match c {
            '\\' if quote == '"' && !escaped => escaped = true,
            c if c == quote && !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

fn pair(key: &str, line_start: usize, value: Range<usize>) -> Pair {
    Pair {
        key: Some(key.trim().trim_matches(['"', '\'']).to_string()),
        span: line_start + value.start..line_start + value.end,
    }
}

/// `.env`: `KEY=value`, `export KEY="value"`, `# comments`.
pub fn env(text: &str) -> Vec<Pair> {
    let mut out = Vec::new();
    for (start, line) in lines(text) {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let (skip, body) = match trimmed.strip_prefix("export ") {
            Some(b) => (indent + 7, b),
            None => (indent, trimmed),
        };
        let Some(eq) = body.find('=') else { continue };
        let key = body[..eq].trim();
        if key.is_empty() || key.starts_with('#') || key.contains(char::is_whitespace) {
            continue;
        }
        if let Some(v) = value_in(line, skip + eq + 1, &['#']) {
            out.push(pair(key, start, v));
        }
    }
    out
}

/// `key = value` / `key: value` lines with `[sections]` and `;`/`#`
/// comments: INI, CFG, `.pypirc`, `.aws/credentials`, and a TOML fallback.
pub fn ini(text: &str) -> Vec<Pair> {
    separated(text, &['=', ':'], &[';', '#'], &[';', '#', '['])
}

/// `.npmrc`: `key=value` only, because keys such as
/// `//registry.npmjs.org/:_authToken` contain colons.
pub fn npmrc(text: &str) -> Vec<Pair> {
    separated(text, &['='], &[';', '#'], &[';', '#'])
}

fn separated(text: &str, seps: &[char], comments: &[char], skip: &[char]) -> Vec<Pair> {
    let mut out = Vec::new();
    for (start, line) in lines(text) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with(skip) {
            continue;
        }
        let Some(sep) = line.find(seps) else { continue };
        let key = line[..sep].trim();
        if key.is_empty() {
            continue;
        }
        if let Some(v) = value_in(line, sep + 1, comments) {
            out.push(pair(key, start, v));
        }
    }
    out
}

/// Java `.properties`: `key=value`, `key: value` or `key value`; `#`/`!`
/// comment lines; no inline comments.
pub fn properties(text: &str) -> Vec<Pair> {
    let mut out = Vec::new();
    for (start, line) in lines(text) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with(['#', '!']) {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let Some(sep) = trimmed.find(['=', ':', ' ', '\t']) else {
            continue;
        };
        let key = &trimmed[..sep];
        let after = trimmed[sep..].trim_start_matches([' ', '\t']);
        let after = after.strip_prefix(['=', ':']).unwrap_or(after);
        let from = indent + trimmed.len() - after.len();
        let value = after.trim();
        if key.is_empty() || value.is_empty() {
            continue;
        }
        let lead = after.len() - after.trim_start().len();
        let v = from + lead..from + lead + value.len();
        out.push(pair(key, start, v));
    }
    out
}

/// Dockerfile `ENV`/`ARG`: `ENV A=1 B="two words"`, the legacy `ENV KEY value`,
/// and `\` continuation lines.
pub fn dockerfile(text: &str) -> Vec<Pair> {
    let mut out = Vec::new();
    // Whether the previous line ended with `\`, and whether that logical
    // line is an ENV/ARG instruction.
    let (mut continued, mut in_env) = (false, false);
    for (start, line) in lines(text) {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let word_end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        let word = &trimmed[..word_end];
        let is_env =
            !continued && (word.eq_ignore_ascii_case("ENV") || word.eq_ignore_ascii_case("ARG"));
        if !continued {
            in_env = is_env;
        }
        continued = trimmed.ends_with('\\');
        let from = match (is_env, in_env) {
            (true, _) => indent + word_end,
            (false, true) => indent,
            (false, false) => continue,
        };
        let body = &line[from..];
        let first = body.split_whitespace().next().unwrap_or("");
        if is_env && !first.contains('=') {
            // Legacy `ENV KEY value with spaces`.
            let key_at = from + body.find(first).unwrap_or(0);
            if let Some(v) = value_in(line, key_at + first.len(), &[]) {
                let v = trim_continuation(line, v);
                out.push(pair(first, start, v));
            }
            continue;
        }
        assignments(line, from, start, &mut out);
    }
    out
}

/// `A=1 B="x y"` from `from` to the end of `line`.
fn assignments(line: &str, mut at: usize, line_start: usize, out: &mut Vec<Pair>) {
    loop {
        let rest = &line[at..];
        let skipped = rest.len() - rest.trim_start().len();
        at += skipped;
        let rest = &line[at..];
        if rest.is_empty() || rest.starts_with('\\') {
            return;
        }
        let Some(eq) = rest.find('=') else { return };
        let key = &rest[..eq];
        if key.is_empty() || key.contains(char::is_whitespace) {
            return;
        }
        let value_start = at + eq + 1;
        let body = &line[value_start..];
        let (v, next) = match body.chars().next() {
            Some(q @ ('"' | '\'')) => match closing_quote(body, q) {
                Some(end) => (value_start + 1..value_start + end, value_start + end + 1),
                None => return,
            },
            Some(_) => {
                let end = body.find(char::is_whitespace).unwrap_or(body.len());
                (value_start..value_start + end, value_start + end)
            }
            None => return,
        };
        if !v.is_empty() {
            out.push(pair(key, line_start, v));
        }
        at = next;
    }
}

fn trim_continuation(line: &str, v: Range<usize>) -> Range<usize> {
    let value = &line[v.clone()];
    match value.strip_suffix('\\') {
        Some(rest) => v.start..v.start + rest.trim_end().len(),
        None => v,
    }
}

/// Terraform/HCL: `name = "value"` (quoted strings only; unquoted values are
/// expressions), with `default = "…"` inside `variable "name" {}` bound to
/// the variable's name.
pub fn terraform(text: &str) -> Vec<Pair> {
    static ASSIGN: OnceLock<Regex> = OnceLock::new();
    static VARIABLE: OnceLock<Regex> = OnceLock::new();
    let assign = ASSIGN.get_or_init(|| compile(r#"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*""#));
    let variable = VARIABLE.get_or_init(|| compile(r#"^\s*variable\s+"([^"]+)""#));
    let mut out = Vec::new();
    let mut current_variable: Option<String> = None;
    for (start, line) in lines(text) {
        if let Some(c) = variable.captures(line) {
            current_variable = c.get(1).map(|m| m.as_str().to_string());
            continue;
        }
        let Some(c) = assign.captures(line) else {
            continue;
        };
        let (Some(whole), Some(key)) = (c.get(0), c.get(1)) else {
            continue;
        };
        let key = match (key.as_str(), &current_variable) {
            ("default", Some(var)) => var.as_str(),
            (k, _) => k,
        };
        if let Some(v) = value_in(line, whole.end() - 1, &[]) {
            out.push(pair(key, start, v));
        }
    }
    out
}

/// `.netrc`: whitespace-separated tokens; the one after `password` is the
/// secret.
pub fn netrc(text: &str) -> Vec<Pair> {
    let mut out = Vec::new();
    let mut tokens = text
        .split_ascii_whitespace()
        .map(|t| (t.as_ptr() as usize - text.as_ptr() as usize, t));
    while let Some((_, token)) = tokens.next() {
        if token == "password" || token == "passwd" {
            if let Some((at, value)) = tokens.next() {
                out.push(Pair {
                    key: Some("password".to_string()),
                    span: at..at + value.len(),
                });
            }
        }
    }
    out
}

/// YAML that does not parse: `key: value` and `- NAME=value` lines.
pub fn yaml(text: &str) -> Vec<Pair> {
    static KEY: OnceLock<Regex> = OnceLock::new();
    let key_re =
        KEY.get_or_init(|| compile(r#"^\s*(?:-\s+)?["']?([^\s:#"'][^:#"']*)["']?\s*:(?:\s|$)"#));
    let mut out = Vec::new();
    for (start, line) in lines(text) {
        if let Some(c) = key_re.captures(line) {
            if let (Some(whole), Some(key)) = (c.get(0), c.get(1)) {
                if let Some(v) = value_in(line, whole.end(), &['#']) {
                    out.push(pair(key.as_str(), start, v));
                }
            }
            continue;
        }
        let trimmed = line.trim_start();
        if let Some(item) = trimmed.strip_prefix("- ") {
            let at = line.len() - item.len();
            if let Some(v) = value_in(line, at, &['#']) {
                if let Some((name, inner)) = split_assignment(&line[v.clone()]) {
                    out.push(pair(
                        name,
                        start,
                        v.start + inner.start..v.start + inner.end,
                    ));
                }
            }
        }
    }
    out
}

/// JSON that does not parse: `"key": "value"` anywhere.
pub fn json(text: &str) -> Vec<Pair> {
    static PAIR: OnceLock<Regex> = OnceLock::new();
    let re = PAIR.get_or_init(|| compile(r#""((?:[^"\\\n]|\\.)*)"\s*:\s*"((?:[^"\\\n]|\\.)*)""#));
    re.captures_iter(text)
        .filter_map(|c| {
            let (key, value) = (c.get(1)?, c.get(2)?);
            Some(Pair {
                key: Some(key.as_str().to_string()),
                span: value.range(),
            })
        })
        .collect()
}

/// Compiles one of the fixed patterns above.
fn compile(pattern: &str) -> Regex {
    // The patterns are constants of this module, exercised by its tests.
    Regex::new(pattern).unwrap_or_else(|e| panic!("invalid built-in pattern {pattern}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn got(pairs: Vec<Pair>, text: &str) -> Vec<(String, String)> {
        pairs
            .into_iter()
            .map(|p| (p.key.unwrap_or_default(), text[p.span].to_string()))
            .collect()
    }

    fn kv(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn env_handles_export_quotes_and_comments() {
        let text = "# c\nA=1\nexport B=\"two # x\"\r\nC='3' # note\nD=4 # note\nE=\n";
        assert_eq!(
            got(env(text), text),
            kv(&[("A", "1"), ("B", "two # x"), ("C", "3"), ("D", "4")])
        );
    }

    #[test]
    fn ini_skips_sections_and_comments() {
        let text = "[default]\n; c\naws_secret_access_key = s1 ; note\nuser: u1\n";
        assert_eq!(
            got(ini(text), text),
            kv(&[("aws_secret_access_key", "s1"), ("user", "u1")])
        );
    }

    #[test]
    fn npmrc_keys_keep_their_colons() {
        let text = "//registry.npmjs.org/:_authToken=t1\n";
        assert_eq!(
            got(npmrc(text), text),
            kv(&[("//registry.npmjs.org/:_authToken", "t1")])
        );
    }

    #[test]
    fn properties_accept_all_separators() {
        let text = "! c\na=1\nb : 2\nc 3\nd=x # not a comment\n";
        assert_eq!(
            got(properties(text), text),
            kv(&[
                ("a", "1"),
                ("b", "2"),
                ("c", "3"),
                ("d", "x # not a comment")
            ])
        );
    }

    #[test]
    fn dockerfile_env_forms() {
        let text = "FROM x\nENV A=1 B=\"two words\" \\\n    C=3\nENV LEGACY some value\nARG D=4\nRUN E=5\n";
        assert_eq!(
            got(dockerfile(text), text),
            kv(&[
                ("A", "1"),
                ("B", "two words"),
                ("C", "3"),
                ("LEGACY", "some value"),
                ("D", "4")
            ])
        );
    }

    #[test]
    fn terraform_binds_defaults_to_variable_names() {
        let text = "variable \"db_password\" {\n  default = \"p1\"\n}\nresource \"x\" \"y\" {\n  token = \"t1\"\n  other = var.z\n}\n";
        assert_eq!(
            got(terraform(text), text),
            kv(&[("db_password", "p1"), ("token", "t1")])
        );
    }

    #[test]
    fn netrc_takes_the_token_after_password() {
        let text = "machine h login u\n  password p1\nmachine g login v password p2";
        assert_eq!(
            got(netrc(text), text),
            kv(&[("password", "p1"), ("password", "p2")])
        );
    }

    #[test]
    fn yaml_and_json_fallbacks() {
        let text = "a: 1\n  - B=2\n  bad: [\n";
        assert_eq!(
            got(yaml(text), text),
            kv(&[("a", "1"), ("B", "2"), ("bad", "[")])
        );
        let text = "{\"k\": \"v\", \"broken\": ";
        assert_eq!(got(json(text), text), kv(&[("k", "v")]));
    }
}
