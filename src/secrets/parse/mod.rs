//! From a config file to `(key, value span)` pairs.
//!
//! Provider formats (`ghp_…`, PEM blocks) are found anywhere in the text,
//! but a generic secret is only a secret because of the name it is bound to
//! (`password: …`). Each parser here recovers those bindings with exact byte
//! spans, using a real parser where the project has one with locations (YAML
//! through serde-saphyr's event parser, JSON through jsonc-parser, TOML
//! through `toml::de::DeTable`) and careful line scanners for the formats
//! that are line-based anyway. A structured parser that rejects the file
//! falls back to the line scanners, so a broken file is still scanned.

mod json;
mod lines;
mod toml;
mod yaml;

use std::ops::Range;

use super::ConfigKind;

/// A value in a config file and the key it is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// The innermost key (`password` for `db: {password: …}`), if any.
    pub key: Option<String>,
    /// Byte range of the raw value in the file, without quotes.
    pub span: Range<usize>,
}

/// Every bound value in `text`, read as a `kind` file.
pub fn pairs(kind: ConfigKind, text: &str) -> Vec<Pair> {
    match kind {
        ConfigKind::Env => lines::env(text),
        ConfigKind::Yaml => yaml::pairs(text).unwrap_or_else(|| lines::yaml(text)),
        ConfigKind::Json => json::pairs(text).unwrap_or_else(|| lines::json(text)),
        ConfigKind::Toml => toml::pairs(text).unwrap_or_else(|| lines::ini(text)),
        ConfigKind::Ini => lines::ini(text),
        ConfigKind::Npmrc => lines::npmrc(text),
        ConfigKind::Properties => lines::properties(text),
        ConfigKind::Dockerfile => lines::dockerfile(text),
        ConfigKind::Terraform => lines::terraform(text),
        ConfigKind::Netrc => lines::netrc(text),
        ConfigKind::Pem => Vec::new(),
    }
}

/// `NAME=value` inside a single string (Compose `environment:` lists,
/// Dockerfile `ENV`): the name and the value's range within `s`.
pub(crate) fn split_assignment(s: &str) -> Option<(&str, Range<usize>)> {
    let eq = s.find('=')?;
    let name = &s[..eq];
    let mut chars = name.chars();
    let first = chars.next()?;
    let ident = (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    (ident && eq + 1 < s.len()).then(|| (name, eq + 1..s.len()))
}

/// Range of the inside of a quoted token at `span` (`"x"` → `x`), or
/// `span` itself when it is not quoted.
pub(crate) fn unquote(text: &str, span: Range<usize>) -> Range<usize> {
    let raw = &text[span.clone()];
    let quoted = raw.len() >= 2
        && ((raw.starts_with('"') && raw.ends_with('"'))
            || (raw.starts_with('\'') && raw.ends_with('\'')));
    if quoted {
        span.start + 1..span.end - 1
    } else {
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_split_on_the_first_equals_sign() {
        assert_eq!(split_assignment("DB_PASS=a=b"), Some(("DB_PASS", 8..11)));
        assert_eq!(split_assignment("=x"), None);
        assert_eq!(split_assignment("KEY="), None);
        assert_eq!(split_assignment("not a name=x"), None);
    }

    #[test]
    fn unquote_strips_matching_quotes_only() {
        assert_eq!(unquote(r#"a "x" b"#, 2..5), 3..4);
        assert_eq!(unquote("a 'x\" b", 2..5), 2..5);
        assert_eq!(unquote("\"", 0..1), 0..1);
    }
}
