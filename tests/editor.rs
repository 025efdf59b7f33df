//! `backlint lsp` in a real editor: headless Neovim (installed by the
//! script when missing) attaches the server to a file, and we check the
//! diagnostics Neovim itself received.

mod common;

use serde_json::Value;
use std::process::Command;

#[test]
fn neovim_receives_diagnostics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("client.py");
    // Line 2: missing-timeout; line 3: tls-verification-disabled + timeout.
    std::fs::write(
        &file,
        "import requests\n\
         resp = requests.get(url)\n\
         requests.post(url, verify=False)\n",
    )
    .expect("write file");
    let out = dir.path().join("result.json");
    let script = common::repo().join("tests/editor/neovim.sh");
    let status = Command::new("bash")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_backlint"))
        .arg(&file)
        .arg(&out)
        .current_dir(dir.path())
        .status()
        .expect("run tests/editor/neovim.sh");
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(status.success(), "neovim.sh failed ({status}): {text}");
    let result: Value = serde_json::from_str(&text).expect("JSON from Neovim");
    assert_eq!(result["opened_in_time"], true, "{result:#}");
    let opened = result["opened"].as_array().cloned().unwrap_or_default();
    let find = |list: &[Value], code: &str, lnum: u64| {
        list.iter()
            .find(|d| d["code"] == code && d["lnum"] == lnum)
            .cloned()
    };
    let timeout = find(&opened, "missing-timeout", 1)
        .unwrap_or_else(|| panic!("no missing-timeout on line 2: {result:#}"));
    assert_eq!(timeout["col"], "resp = ".len() as u64, "{timeout}");
    assert_eq!(timeout["source"], "backlint");
    assert_eq!(timeout["severity"], 2, "warning: {timeout}");
    let tls = find(&opened, "tls-verification-disabled", 2)
        .unwrap_or_else(|| panic!("no tls-verification-disabled on line 3: {result:#}"));
    assert_eq!(tls["severity"], 1, "error: {tls}");

    // After deleting line 3 in the buffer, its findings are gone.
    assert_eq!(result["changed_in_time"], true, "{result:#}");
    let changed = result["changed"].as_array().cloned().unwrap_or_default();
    assert!(
        find(&changed, "tls-verification-disabled", 2).is_none(),
        "{result:#}"
    );
    assert!(find(&changed, "missing-timeout", 1).is_some(), "{result:#}");
    assert_eq!(result["stopped"], true, "graceful shutdown: {result:#}");
}
