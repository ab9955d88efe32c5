//! Arbitrary bytes -> SQLite values of every storage class written by raw
//! SQL, decoded into every column type eagerly maps (as fields, as a
//! composite key, through every loader) and bound into filters. The
//! harness is shared with the normal suite: tests/support/reliability_fuzz.rs.

#![no_main]

#[path = "../../tests/support/reliability_fuzz.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::run(data);
});
