#![no_main]
//! Parse + match arbitrary bytes as python with every built-in rule.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    backlint::fuzzing::lint_bytes(backlint::lang::Lang::Python, data);
});
