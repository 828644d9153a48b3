//! A tool's INPUT record, as the runner reads it before its first request: the first byte
//! picks the tool, the rest is the record.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    apifyforge::reliability::bad_input::fuzz_input(data);
});
