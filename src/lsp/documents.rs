//! The documents the editor has open: their text, version and language.
//!
//! The editor owns these texts while they are open; the files on disk may
//! be older. Full-document sync is negotiated, but ranged changes are
//! applied too (with clamped positions) so a client that sends them anyway
//! still gets correct diagnostics.

use super::position::{Encoding, LineTable};
use crate::lang::Lang;
use lsp_types::{TextDocumentContentChangeEvent, Url};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

/// One open document.
#[derive(Debug)]
pub struct Document {
    pub text: String,
    pub version: i32,
    /// `None` when backlint does not lint this kind of file.
    pub lang: Option<Lang>,
    /// The file behind a `file:` URI.
    pub path: Option<PathBuf>,
    /// When a debounced lint is due, if one is pending.
    pub due: Option<Instant>,
}

/// Open documents by URI.
#[derive(Debug, Default)]
pub struct Documents {
    docs: HashMap<Url, Document>,
}

/// The language of a document: by the URI's extension, else by the
/// editor's `languageId`.
pub fn language_of(uri: &Url, language_id: &str) -> Option<Lang> {
    let by_path = std::path::Path::new(uri.path());
    Lang::from_path(by_path).or(match language_id {
        "python" => Some(Lang::Python),
        "javascript" | "javascriptreact" => Some(Lang::JavaScript),
        "typescript" => Some(Lang::TypeScript),
        "typescriptreact" => Some(Lang::Tsx),
        "rust" => Some(Lang::Rust),
        _ => None,
    })
}

impl Documents {
    pub fn open(&mut self, uri: Url, language_id: &str, version: i32, text: String) {
        let lang = language_of(&uri, language_id);
        let path = file_path(&uri);
        self.docs.insert(
            uri,
            Document {
                text,
                version,
                lang,
                path,
                due: None,
            },
        );
    }

    /// Applies content changes in order. Unknown URIs are ignored.
    pub fn change(
        &mut self,
        uri: &Url,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
        encoding: Encoding,
    ) -> bool {
        let Some(doc) = self.docs.get_mut(uri) else {
            return false;
        };
        for change in changes {
            match change.range {
                None => doc.text = change.text,
                Some(range) => {
                    let bytes = LineTable::new(&doc.text, encoding).byte_range(range);
                    doc.text.replace_range(bytes, &change.text);
                }
            }
        }
        doc.version = version;
        true
    }

    pub fn close(&mut self, uri: &Url) -> Option<Document> {
        self.docs.remove(uri)
    }

    pub fn get(&self, uri: &Url) -> Option<&Document> {
        self.docs.get(uri)
    }

    pub fn get_mut(&mut self, uri: &Url) -> Option<&mut Document> {
        self.docs.get_mut(uri)
    }

    pub fn uris(&self) -> Vec<Url> {
        self.docs.keys().cloned().collect()
    }

    /// The URI of an open document backed by `path`, if any.
    pub fn uri_of_path(&self, path: &std::path::Path) -> Option<&Url> {
        self.docs
            .iter()
            .find(|(_, d)| d.path.as_deref() == Some(path))
            .map(|(u, _)| u)
    }

    /// The earliest pending lint deadline.
    pub fn next_due(&self) -> Option<Instant> {
        self.docs.values().filter_map(|d| d.due).min()
    }

    /// URIs whose debounced lint is due at `now`.
    pub fn take_due(&mut self, now: Instant) -> Vec<Url> {
        let mut due = Vec::new();
        for (uri, doc) in &mut self.docs {
            if doc.due.is_some_and(|d| d <= now) {
                doc.due = None;
                due.push(uri.clone());
            }
        }
        due
    }
}

/// The local path of a `file:` URI.
pub fn file_path(uri: &Url) -> Option<PathBuf> {
    (uri.scheme() == "file")
        .then(|| uri.to_file_path().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::{Position, Range};

    #[test]
    fn ranged_changes_with_bad_positions_do_not_panic() {
        let uri = Url::parse("file:///tmp/a.py").expect("valid URI");
        let mut docs = Documents::default();
        docs.open(uri.clone(), "python", 1, "a😀b\n".into());
        let far = Position {
            line: 40,
            character: 7,
        };
        let mid_pair = Position {
            line: 0,
            character: 2,
        };
        let change = |start, end, text: &str| TextDocumentContentChangeEvent {
            range: Some(Range { start, end }),
            range_length: None,
            text: text.into(),
        };
        assert!(docs.change(
            &uri,
            2,
            vec![change(far, mid_pair, "X"), change(far, far, "!")],
            Encoding::Utf16
        ));
        let doc = docs.get(&uri).map(|d| d.text.clone());
        assert_eq!(doc.as_deref(), Some("aX!"));
        assert_eq!(docs.get(&uri).map(|d| d.lang), Some(Some(Lang::Python)));
    }
}
