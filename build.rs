//! Embeds every YAML file under `rules/` into the binary, so an installed
//! backlint needs no files beside it, and compiles the pre-order pass over
//! tree-sitter's trees (`src/lang/flatten.c`) against the headers of the
//! tree-sitter sources the `tree-sitter` crate builds.

use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
}

/// The pre-order pass reads tree-sitter's node layout, so it is built
/// with that library's own internal headers, which sit beside the public
/// ones the `tree-sitter` crate announces (`links = "tree-sitter"`).
fn compile_flatten() {
    let include = PathBuf::from(
        std::env::var("DEP_TREE_SITTER_INCLUDE").expect("the tree-sitter crate names its headers"),
    );
    let internal = include.join("..").join("src");
    println!("cargo:rerun-if-changed=src/lang/flatten.c");
    cc::Build::new()
        .std("c11")
        .include(&internal)
        .include(&include)
        .warnings(false)
        .file("src/lang/flatten.c")
        .compile("backlint-flatten");
}

fn main() {
    compile_flatten();
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let rules = root.join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    collect(&rules, &mut files);
    files.sort();
    let mut code = String::from("/// Built-in rule files: (path relative to the repository, contents).\npub static BUILTIN_RULES: &[(&str, &str)] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let rel = file.strip_prefix(&root).expect("under the manifest dir");
        let rel = rel.to_string_lossy().replace('\\', "/");
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            file.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_rules.rs");
    fs::write(out, code).expect("write builtin_rules.rs");
}
