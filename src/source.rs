//! Reading a file into text the engine can lint.
//!
//! Binary files (a NUL byte near the start) and files above the size limit
//! are skipped with a notice. Invalid UTF-8 bytes are replaced one-for-one
//! by `?`, so byte offsets stay those of the file on disk.

use crate::diagnostic::{Notice, NoticeKind};
use crate::lang::Lang;
use std::path::Path;

/// Files larger than this are skipped (bytes).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

/// Reads `path` for linting, or says why not.
pub fn read_source(path: &Path, display: &str, max_size: u64) -> Result<String, Notice> {
    read_source_sized(path, display, max_size, None)
}

/// [`read_source`] for a caller that has just asked the file system about
/// the file: `size` is its length if it is a regular file (`None`: not
/// known, asked here).
pub fn read_source_sized(
    path: &Path,
    display: &str,
    max_size: u64,
    size: Option<u64>,
) -> Result<String, Notice> {
    let notice = |kind, message: String| Notice {
        path: display.to_string(),
        kind,
        message,
    };
    let len = match size {
        Some(len) => len,
        None => {
            let meta = std::fs::metadata(path)
                .map_err(|e| notice(NoticeKind::Unreadable, format!("cannot read: {e}")))?;
            if !meta.is_file() {
                return Err(notice(NoticeKind::Unreadable, "not a regular file".into()));
            }
            meta.len()
        }
    };
    let too_large = |len: u64| {
        notice(
            NoticeKind::TooLarge,
            format!("skipped: {len} bytes is above the {max_size}-byte limit"),
        )
    };
    if len > max_size {
        return Err(too_large(len));
    }
    let bytes = read_sized(path, usize::try_from(len).unwrap_or(0), max_size)
        .map_err(|e| notice(NoticeKind::Unreadable, format!("cannot read: {e}")))?;
    // The size may be the schedule's, taken before the run: the file may
    // have grown since.
    if bytes.len() as u64 > max_size {
        return Err(too_large(bytes.len() as u64));
    }
    text_from_bytes(bytes).ok_or_else(|| {
        notice(
            NoticeKind::Binary,
            "skipped: binary file (NUL bytes)".into(),
        )
    })
}

/// A file's bytes, with room for the `size` it had when last asked,
/// without asking the file system for its size again as `fs::read` does
/// (a `statx` per call). Read to the end whatever the size: the file may
/// have changed since, and some file systems report no size at all; but
/// not beyond one byte over `limit`, which tells it was exceeded.
fn read_sized(path: &Path, size: usize, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(size);
    // Through `take`, `read_to_end` does not look the size up either.
    std::fs::File::open(path)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A small file's bytes (a cache entry), usually in one read: a read that
/// leaves room in the buffer has reached the end of a regular file, so no
/// read is spent on finding the end. Should a read come back short before
/// the end, the bytes are cut short, which a reader that parses them
/// notices.
pub fn read_small(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    const FIRST_READ: usize = 16 * 1024;
    let mut file = std::fs::File::open(path)?;
    let mut bytes = vec![0; FIRST_READ];
    let read = loop {
        match file.read(&mut bytes) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => break other?,
        }
    };
    bytes.truncate(read);
    if read == FIRST_READ {
        file.read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

/// Whether `backlint check` skips this source file as minified or bundled
/// code: a JavaScript/TypeScript file that [`looks_minified`].
pub fn is_minified_code(lang: Option<Lang>, path: &Path, text: &str) -> bool {
    matches!(lang, Some(Lang::JavaScript | Lang::TypeScript | Lang::Tsx))
        && looks_minified(path, text)
}

/// Whether a JavaScript/TypeScript file is minified or bundled output:
/// a `.min.` name, lines far longer than people write (lines over 1,000
/// characters making up most of the file, or any line over 64 KiB, which
/// only bundlers and generators write), or minifier output that breaks
/// lines at statements (over 100 characters a line on average, and fewer
/// than 1 line in 20 indented).
pub fn looks_minified(path: &Path, text: &str) -> bool {
    const GENERATED_LINE: usize = 64 * 1024;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.contains(".min.") || name.ends_with(".bundle.js") {
        return true;
    }
    if text.len() <= 4096 {
        return false;
    }
    let (mut lines, mut indented, mut long) = (0usize, 0usize, 0usize);
    for line in text.lines() {
        lines += 1;
        if line.starts_with([' ', '\t']) {
            indented += 1;
        }
        if line.len() > 1000 {
            long += line.len();
        }
        if line.len() > GENERATED_LINE {
            return true;
        }
    }
    long * 2 > text.len() || (text.len() / lines.max(1) > 100 && indented * 20 < lines)
}

/// Text from bytes: `None` for binary data, lossy one-byte replacement of
/// invalid UTF-8 otherwise.
pub fn text_from_bytes(bytes: Vec<u8>) -> Option<String> {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return None;
    }
    match String::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(err) => {
            let bytes = err.into_bytes();
            let mut out = String::with_capacity(bytes.len());
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                match std::str::from_utf8(rest) {
                    Ok(valid) => {
                        out.push_str(valid);
                        break;
                    }
                    Err(e) => {
                        let (valid, after) = rest.split_at(e.valid_up_to());
                        out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                        let bad = e.error_len().unwrap_or(after.len());
                        out.extend(std::iter::repeat_n('?', bad));
                        rest = &after[bad..];
                    }
                }
            }
            Some(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small and large files come back whole; a known size reads that
    /// many bytes and reports sizes over the limit without reading.
    #[test]
    fn reads_give_the_whole_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        for len in [0, 10, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 40_000] {
            let path = dir.path().join(format!("f{len}.py"));
            let text: String = (0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            std::fs::write(&path, &text).expect("write");
            assert_eq!(read_small(&path).expect("read"), text.as_bytes(), "{len}");
            let known = read_source_sized(&path, "f", u64::MAX, Some(len as u64));
            assert_eq!(known.expect("read"), text, "{len}");
            assert_eq!(read_source(&path, "f", u64::MAX).expect("read"), text);
        }
        let path = dir.path().join("f10.py");
        let too_large = read_source_sized(&path, "f", 5, Some(10)).expect_err("limit");
        assert_eq!(too_large.kind, NoticeKind::TooLarge);
        // A file that grew since its size was taken is read whole, and
        // checked against the limit again.
        let grown = dir.path().join("f40000.py");
        let whole = read_source_sized(&grown, "f", u64::MAX, Some(0)).expect("read");
        assert_eq!(whole.len(), 40_000);
        let over = read_source_sized(&grown, "f", 100, Some(10)).expect_err("limit");
        assert_eq!(over.kind, NoticeKind::TooLarge);
        let missing = read_source_sized(&dir.path().join("none"), "f", 5, None);
        assert_eq!(missing.expect_err("absent").kind, NoticeKind::Unreadable);
    }

    #[test]
    fn invalid_utf8_keeps_byte_offsets() {
        let bytes = b"a\xffb\xe2\x82c".to_vec();
        let text = text_from_bytes(bytes.clone()).expect("not binary");
        assert_eq!(text.len(), bytes.len());
        assert_eq!(text, "a?b??c");
    }

    #[test]
    fn minified_code_is_recognised() {
        let bundle = format!("!function(){{{}}}();\n", "var a=1;".repeat(1000));
        assert!(looks_minified(Path::new("dist/app.js"), &bundle));
        assert!(looks_minified(
            Path::new("vendor/jquery.min.js"),
            "var a = 1;\n"
        ));
        let normal = "const a = 1;\n".repeat(2000);
        assert!(!looks_minified(Path::new("src/app.js"), &normal));
        // Minifier output broken at statements: long, unindented lines.
        let broken = format!("var e=function(t,r){{{}}}\n", "t[r]=r+1;".repeat(20)).repeat(100);
        assert!(looks_minified(Path::new("assets/vendor-1a2b.js"), &broken));
        let wide = format!("  {}\n", "x".repeat(150)).repeat(100);
        assert!(!looks_minified(Path::new("src/wide.js"), &wide));
        // A bundler's output: readable code around one enormous line.
        let mixed = format!(
            "{}{}\n{}",
            "  f(x);\n".repeat(20_000),
            "g(1),".repeat(14_000),
            "  h(y);\n".repeat(20_000)
        );
        assert!(looks_minified(Path::new("assets/chunk-1a2b.js"), &mixed));
        let long_but_human = format!("{}{}\n", "  f(x);\n".repeat(20_000), "g(1),".repeat(12_000));
        assert!(!looks_minified(Path::new("src/table.js"), &long_but_human));
    }

    #[test]
    fn nul_bytes_mean_binary() {
        assert!(text_from_bytes(b"ab\0cd".to_vec()).is_none());
        assert_eq!(text_from_bytes(Vec::new()).as_deref(), Some(""));
    }
}
