#![no_main]
//! The LSP server's message reader and position conversion on arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    backlint::fuzzing::lsp_bytes(data);
});
