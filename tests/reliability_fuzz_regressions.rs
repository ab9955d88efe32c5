//! The fuzz target of fuzz/ (values bound into queries, rows decoded from
//! arbitrary SQLite values: see tests/support/reliability_fuzz.rs) run in
//! the normal suite: the inputs the fuzzer kept and hand-picked edge cases
//! as regression tests, and the same target over random bytes with
//! proptest (256 cases by default; PROPTEST_CASES=100000 for a longer run),
//! so CI exercises it without cargo-fuzz. See fuzz/README.md.

#[path = "support/reliability_fuzz.rs"]
mod harness;

use proptest::prelude::*;

// Inputs are read column by column (a_i32, a_i64, a_u32, a_f64, a_bool,
// a_string, a_bytes, then their Option twins, then the composite key's
// name and n): a first byte below 192 asks for a value that fits the
// column, 192 and above for any value by tag (0 NULL, 1 INTEGER of 8 bytes,
// 2 small INTEGER, 3 REAL of 8 bytes, 4 UTF-8 TEXT, 5 raw TEXT, 6 BLOB,
// 7 INTEGER 0..2). Missing bytes read as 0.

/// A value that fits its column: `choice` below 192, then its bytes.
fn fit(choice: u8, bytes: &[u8]) -> Vec<u8> {
    assert!(choice < 192);
    [&[choice][..], bytes].concat()
}

/// Any value: tag, then its bytes.
fn any_value(tag: u8, bytes: &[u8]) -> Vec<u8> {
    [&[0xC0, tag][..], bytes].concat()
}

/// Fitting values for the first `n` columns (non-zero, odd choice: Option
/// columns get Some, f64 a REAL).
fn fitting(n: usize) -> Vec<u8> {
    (0..n).flat_map(|_| fit(1, &[0; 8])).collect()
}

/// The inputs kept: hand-picked edge cases, and what fuzzing found (none
/// so far broke the contract; see fuzz/README.md).
fn regressions() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty: NULL options, zeros", Vec::new()),
        ("i64::MIN into i32", any_value(1, &i64::MIN.to_le_bytes())),
        (
            "NaN into f64: refused, nothing written",
            [fitting(3), any_value(3, &f64::NAN.to_le_bytes())].concat(),
        ),
        (
            "-0.0 into f64",
            [fitting(3), fit(1, &(-0.0f64).to_le_bytes())].concat(),
        ),
        (
            "+infinity into Option<f64>",
            [fitting(10), fit(1, &f64::INFINITY.to_le_bytes())].concat(),
        ),
        (
            "invalid UTF-8 TEXT into String",
            [fitting(5), any_value(5, &[1, 0xFF])].concat(),
        ),
        ("BLOB into i32", any_value(6, &[3, 1, 2, 3])),
        ("2 into bool", [fitting(4), any_value(7, &[2])].concat()),
        (
            "u32::MAX + 1 into u32",
            [fitting(2), any_value(1, &(1i64 << 32).to_le_bytes())].concat(),
        ),
        (
            "TEXT into Vec<u8>",
            [fitting(6), any_value(4, &[2, b'h', b'i'])].concat(),
        ),
        (
            "NUL and quotes in a String and in a key",
            [
                fitting(5),
                fit(1, &[4, 0, b'\'', 0, b'"']),
                fitting(8),
                fit(1, &[3, b'a', 0, b'b']),
            ]
            .concat(),
        ),
        ("NULL key name", [fitting(14), any_value(0, &[])].concat()),
        (
            "negative u32 key",
            [fitting(15), any_value(2, &[0xFF])].concat(),
        ),
        (
            "REAL key half",
            [fitting(15), any_value(3, &1.5f64.to_le_bytes())].concat(),
        ),
    ]
}

#[test]
fn kept_inputs() {
    for (label, input) in regressions() {
        let result = std::panic::catch_unwind(|| harness::run(&input));
        assert!(result.is_ok(), "{label}: {input:?}");
    }
}

/// The fuzzer's minimized corpus (fuzz/regressions/decode_values.hex, one
/// input per line in hex), and any crash artifacts of a local run.
#[test]
fn fuzz_corpus() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let hex = std::fs::read_to_string(root.join("regressions/decode_values.hex")).unwrap();
    let mut ran = 0;
    for line in hex.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let bytes: Vec<u8> = (0..line.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&line[i..i + 2], 16).unwrap())
            .collect();
        harness::run(&bytes);
        ran += 1;
    }
    assert!(ran >= 300, "{ran} corpus inputs");
    if let Ok(entries) = std::fs::read_dir(root.join("artifacts/decode_values")) {
        for entry in entries.flatten() {
            harness::run(&std::fs::read(entry.path()).unwrap());
        }
    }
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// The fuzz target over random bytes.
    #[test]
    fn decode_arbitrary_values(data in prop::collection::vec(any::<u8>(), 0..256)) {
        harness::run(&data);
    }

    /// Biased towards the interesting tags and lengths: short inputs of tag
    /// bytes followed by extreme values.
    #[test]
    fn decode_structured_values(
        values in prop::collection::vec(
            (0u8..8, prop_oneof![
                Just(vec![0u8; 8]),
                Just(vec![0xFF; 8]),
                Just(i64::MIN.to_le_bytes().to_vec()),
                Just(f64::NAN.to_le_bytes().to_vec()),
                Just(f64::INFINITY.to_le_bytes().to_vec()),
                Just((-0.0f64).to_le_bytes().to_vec()),
                Just(u32::MAX.to_le_bytes().to_vec()),
                prop::collection::vec(any::<u8>(), 0..10),
            ]),
            0..18,
        )
    ) {
        let mut data = Vec::new();
        for (tag, bytes) in values {
            data.push(tag);
            if matches!(tag, 4..=6) {
                data.push(bytes.len() as u8);
            }
            data.extend(bytes);
        }
        harness::run(&data);
    }
}
