//! Two schema texts (split at the first "\n---\n") through the schema engine's lint and diff.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    apifyforge::reliability::bad_input::fuzz_schema(data);
});
