//! TOML through `toml::de::DeTable`, which keeps every value's byte span.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::Pair;

/// String values of `text` with their keys; `None` if the text is not TOML.
pub fn pairs(text: &str) -> Option<Vec<Pair>> {
    let table = DeTable::parse(text).ok()?;
    let mut out = Vec::new();
    walk_table(text, table.get_ref(), &mut out);
    Some(out)
}

fn walk_table(text: &str, table: &DeTable<'_>, out: &mut Vec<Pair>) {
    for (key, value) in table.iter() {
        walk_value(text, value, key.get_ref(), out);
    }
}

/// Tables and arrays of package requirements and feature lists (Cargo's
/// `[features]` and `[*dependencies]`, `pyproject.toml`'s dependencies and
/// extras): their values name packages and features, never credentials,
/// while their keys often look sensitive (`auth = ["dep:base64"]`).
const PACKAGE_LISTS: &[&str] = &[
    "features",
    "dependencies",
    "dev-dependencies",
    "build-dependencies",
    "optional-dependencies",
    "dependency-groups",
    "extras",
];

fn walk_value(text: &str, value: &Spanned<DeValue<'_>>, key: &str, out: &mut Vec<Pair>) {
    if PACKAGE_LISTS.contains(&key) {
        return;
    }
    match value.get_ref() {
        DeValue::String(_) => {
            if let Some(span) = string_body(text, value.span()) {
                out.push(Pair {
                    key: Some(key.to_string()),
                    span,
                });
            }
        }
        DeValue::Array(items) => {
            for item in items {
                walk_value(text, item, key, out);
            }
        }
        DeValue::Table(table) => walk_table(text, table, out),
        _ => {}
    }
}

/// The inside of a TOML string token: without its quotes and, for
/// multi-line strings, without the newline that follows the opening quotes.
fn string_body(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let raw = text.get(span.clone())?;
    let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        3
    } else {
        1
    };
    if raw.len() < 2 * quote {
        return None;
    }
    let mut start = span.start + quote;
    let end = span.end - quote;
    if quote == 3 {
        let body = &text[start..end];
        if body.starts_with("\r\n") {
            start += 2;
        } else if body.starts_with('\n') {
            start += 1;
        }
    }
    Some(start..end)
}

#[cfg(test)]
mod tests {
    use super::pairs;

    #[test]
    fn strings_in_tables_arrays_and_multiline_form() {
        let text =
            "a = \"x1\"\n[db]\npassword = 'p1'\nlist = [\"l1\"]\nml = \"\"\"\nm1\"\"\"\nn = 3\n";
        let mut got: Vec<_> = pairs(text)
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.key.unwrap_or_default(), &text[p.span]))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("a".to_string(), "x1"),
                ("list".to_string(), "l1"),
                ("ml".to_string(), "m1"),
                ("password".to_string(), "p1")
            ]
        );
    }

    #[test]
    fn package_lists_are_not_read() {
        let text = "[features]\nauth = [\"dep:base64\"]\n[dependencies]\ntoken-auth = \"1.2\"\n\
                    [target.'cfg(unix)'.dev-dependencies]\nsecret-service = { version = \"4\" }\n\
                    [project]\ndependencies = [\"pyjwt>=2\"]\n[project.optional-dependencies]\n\
                    auth = [\"authlib\"]\n[secrets]\ntoken = \"t1\"\n";
        let got: Vec<_> = pairs(text)
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.key.unwrap_or_default(), &text[p.span]))
            .collect();
        assert_eq!(got, [("token".to_string(), "t1")]);
    }

    #[test]
    fn invalid_toml_is_rejected() {
        assert!(pairs("a = \n").is_none());
    }
}
