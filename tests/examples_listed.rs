//! The example programs are a package of their own (examples/Cargo.toml),
//! which lists each file by hand: Cargo looks for examples of that package
//! in `examples/examples/`, so an unlisted file would never be built.

use std::path::Path;

#[test]
fn every_example_file_is_listed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("examples/Cargo.toml");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("examples/ exists") {
        let name = entry.expect("readable entry").file_name();
        let name = name.into_string().expect("UTF-8 file name");
        if let Some(stem) = name.strip_suffix(".rs") {
            let entry = format!("[[example]]\nname = \"{stem}\"\npath = \"{name}\"\n");
            assert!(
                manifest.contains(&entry),
                "examples/{name} is not listed in examples/Cargo.toml"
            );
            files.push(stem.to_owned());
        }
    }
    files.sort();
    assert_eq!(
        files,
        [
            "async_service",
            "blog",
            "blog_write",
            "library",
            "pool",
            "quickstart",
            "school",
            "service"
        ]
    );
}
