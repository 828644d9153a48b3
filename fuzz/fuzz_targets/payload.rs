//! A fixture, an API object or a SNAPSHOT record (the first byte picks which) through the
//! code that reads it.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    apifyforge::reliability::bad_input::fuzz_payload(data);
});
