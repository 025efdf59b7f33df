//! YAML through the event parser that serde-saphyr re-exports
//! (`granit_parser`), whose events carry byte spans.

use std::ops::Range;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use super::{split_assignment, Pair};

/// Where the parser is: inside a mapping (waiting for a key or a value) or
/// a sequence (whose items inherit the key the sequence is bound to).
enum Frame {
    Map { key: Option<String>, want_key: bool },
    Seq { key: Option<String> },
}

/// Scalar values of `text` with their keys; `None` if the text is not YAML.
pub fn pairs(text: &str) -> Option<Vec<Pair>> {
    let mut out = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.ok()?;
        match event {
            Event::Scalar(value, style, ..) => {
                if let Some(Frame::Map { key, want_key }) = stack.last_mut() {
                    if *want_key {
                        *key = Some(value.into_owned());
                        *want_key = false;
                        continue;
                    }
                }
                if let Some(range) = span.byte_range() {
                    emit(text, &stack, body(text, range, style), &mut out);
                }
                value_done(&mut stack);
            }
            Event::Alias(_) => {
                if let Some(Frame::Map { key, want_key }) = stack.last_mut() {
                    if *want_key {
                        *key = None;
                        *want_key = false;
                        continue;
                    }
                }
                value_done(&mut stack);
            }
            Event::MappingStart(..) => stack.push(Frame::Map {
                key: None,
                want_key: true,
            }),
            Event::SequenceStart(..) => {
                let key = bound_key(&stack).map(str::to_string);
                stack.push(Frame::Seq { key });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                match stack.last_mut() {
                    // The collection was a (complex) mapping key.
                    Some(Frame::Map { key, want_key }) if *want_key => {
                        *key = None;
                        *want_key = false;
                    }
                    _ => value_done(&mut stack),
                }
            }
            _ => {}
        }
    }
    Some(out)
}

/// After a value in a mapping, the next node is a key again.
fn value_done(stack: &mut [Frame]) {
    if let Some(Frame::Map { want_key, .. }) = stack.last_mut() {
        *want_key = true;
    }
}

/// The key a value at the top of `stack` is bound to.
fn bound_key(stack: &[Frame]) -> Option<&str> {
    match stack.last()? {
        Frame::Map { key, .. } | Frame::Seq { key } => key.as_deref(),
    }
}

fn emit(text: &str, stack: &[Frame], span: Range<usize>, out: &mut Vec<Pair>) {
    let in_sequence = matches!(stack.last(), Some(Frame::Seq { .. }));
    if in_sequence {
        // Compose `environment: ["DB_PASSWORD=…"]`.
        if let Some((name, value)) = split_assignment(&text[span.clone()]) {
            out.push(Pair {
                key: Some(name.to_string()),
                span: span.start + value.start..span.start + value.end,
            });
            return;
        }
    }
    out.push(Pair {
        key: bound_key(stack).map(str::to_string),
        span,
    });
}

/// The raw text of a scalar without quotes and trailing line breaks.
fn body(text: &str, range: Range<usize>, style: ScalarStyle) -> Range<usize> {
    let range = match style {
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => super::unquote(text, range),
        _ => range,
    };
    let trimmed = text[range.clone()].trim_end().len();
    range.start..range.start + trimmed
}

#[cfg(test)]
mod tests {
    use super::pairs;

    fn got(text: &str) -> Vec<(String, &str)> {
        pairs(text)
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.key.unwrap_or_default(), &text[p.span]))
            .collect()
    }

    #[test]
    fn keys_follow_nesting_and_sequences() {
        let text = "db:\n  password: \"p1\"\n  hosts: [h1, 'h2']\nenv:\n  - TOKEN=t1\n  - plain\nafter: a1\n";
        assert_eq!(
            got(text),
            [
                ("password".to_string(), "p1"),
                ("hosts".to_string(), "h1"),
                ("hosts".to_string(), "h2"),
                ("TOKEN".to_string(), "t1"),
                ("env".to_string(), "plain"),
                ("after".to_string(), "a1"),
            ]
        );
    }

    #[test]
    fn block_scalars_and_documents() {
        let text = "key: |\n  l1\n  l2\n---\nother: o1\n";
        assert_eq!(
            got(text),
            [("key".to_string(), "l1\n  l2"), ("other".to_string(), "o1")]
        );
    }

    #[test]
    fn complex_keys_do_not_leak_into_values() {
        let text = "? [a, b]\n: v1\nk: v2\n";
        let all = got(text);
        assert!(all.contains(&("k".to_string(), "v2")), "{all:?}");
    }

    #[test]
    fn invalid_yaml_is_rejected() {
        assert!(pairs("a: [\n").is_none());
    }
}
