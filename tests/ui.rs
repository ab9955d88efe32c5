//! Compile-time diagnostics of `#[derive(Entity)]`, checked with trybuild.
//!
//! Each folder under `tests/ui/` holds one category of mistakes: a `.rs`
//! file that must fail to build and the `.stderr` it must print. Mappings in
//! `tests/ui/pass/` must build. Run `TRYBUILD=overwrite cargo test --test ui`
//! to refresh the expected output after an intended change.

/// The compile-fail categories, one folder each.
const COMPILE_FAIL: &[&str] = &[
    "accumulated",
    "collection-misuse",
    "conflict",
    "duplicate-attribute",
    "dynamic-misuse",
    "loader-option-path",
    "malformed-value",
    "missing-primary-key",
    "relationship-attribute",
    "relationship-conflict",
    "relationship-foreign-key",
    "relationship-strategy",
    "relationship-target",
    "sealed",
    "typed-filter",
    "unknown-attribute",
    "unsupported-item",
    "unsupported-type",
];

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    for category in COMPILE_FAIL {
        t.compile_fail(format!("tests/ui/{category}/*.rs"));
    }
}

/// A new folder must be added to `COMPILE_FAIL`, or its cases never run.
#[test]
fn every_category_is_run() {
    for entry in std::fs::read_dir("tests/ui").expect("tests/ui exists") {
        let entry = entry.expect("readable entry");
        if !entry.file_type().expect("file type").is_dir() {
            continue;
        }
        let name = entry.file_name().into_string().expect("UTF-8 folder name");
        if name == "pass" {
            continue;
        }
        assert!(
            COMPILE_FAIL.contains(&name.as_str()),
            "tests/ui/{name} is not listed in COMPILE_FAIL in tests/ui.rs"
        );
    }
}
