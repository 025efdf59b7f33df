//! JSON (and JSONC) through jsonc-parser, whose AST carries byte ranges.

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{parse_to_ast, CollectOptions, ParseOptions};

use super::{unquote, Pair};

/// String values of `text` with their property names; `None` if the text
/// is not JSON.
pub fn pairs(text: &str) -> Option<Vec<Pair>> {
    let parsed = parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default()).ok()?;
    let mut out = Vec::new();
    if let Some(value) = &parsed.value {
        walk(text, value, None, &mut out);
    }
    Some(out)
}

fn walk(text: &str, value: &Value<'_>, key: Option<&str>, out: &mut Vec<Pair>) {
    match value {
        Value::StringLit(s) => out.push(Pair {
            key: key.map(str::to_string),
            span: unquote(text, s.range.start..s.range.end),
        }),
        Value::Array(a) => {
            for element in &a.elements {
                walk(text, element, key, out);
            }
        }
        Value::Object(o) => {
            for prop in &o.properties {
                let name = match &prop.name {
                    ObjectPropName::String(s) => s.value.as_ref(),
                    ObjectPropName::Word(w) => w.value,
                };
                walk(text, &prop.value, Some(name), out);
            }
        }
        Value::NumberLit(_) | Value::BooleanLit(_) | Value::NullKeyword(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::pairs;

    #[test]
    fn nested_values_keep_their_innermost_key() {
        let text = r#"{"db": {"password": "pw1"}, "tokens": ["t1", "t2"], "n": 3}"#;
        let got: Vec<_> = pairs(text)
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.key.unwrap_or_default(), &text[p.span]))
            .collect();
        assert_eq!(
            got,
            [
                ("password".to_string(), "pw1"),
                ("tokens".to_string(), "t1"),
                ("tokens".to_string(), "t2")
            ]
        );
    }

    #[test]
    fn invalid_json_is_rejected() {
        assert!(pairs("{\"a\": ").is_none());
    }
}
