#![no_main]
//! Rule-file loading of arbitrary YAML.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    backlint::fuzzing::load_rule_bytes(data);
});
