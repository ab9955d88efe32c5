//! Expansion tests, the diesel_derives way: the derive is a function on
//! `proc_macro2`, so representative structs are expanded here and compared
//! with reviewed snapshots in `orm-derive/tests/snapshots/NAME.rs`.
//!
//! A snapshot that differs fails with a line diff. After an intended change,
//! `EAGERLY_SNAPSHOTS=overwrite cargo test -p orm-derive` rewrites them; review
//! the diff (`git diff orm-derive/tests/snapshots`) like any code.

use std::path::PathBuf;

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

use crate::expand::derive_entity;

/// Formats items as Rust source.
fn pretty(tokens: TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        // Not items: keep the raw tokens, so the test still shows something.
        Err(_) => tokens.to_string(),
    }
}

fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.rs"))
}

/// The snapshot text: the input as a comment, then its expansion.
fn render(input: &TokenStream) -> String {
    let mut text = String::from(
        "// Expansion of #[derive(Entity)] for the struct below, checked by\n\
         // orm-derive/src/tests.rs. After an intended change, rewrite with\n\
         // EAGERLY_SNAPSHOTS=overwrite cargo test -p orm-derive\n\
         // and review the diff.\n//\n",
    );
    for line in pretty(input.clone()).lines() {
        text.push_str(if line.is_empty() { "//" } else { "// " });
        text.push_str(line);
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&pretty(derive_entity(input.clone())));
    text
}

/// Compares the expansion of `input` with snapshot `name`, or rewrites the
/// snapshot when `EAGERLY_SNAPSHOTS=overwrite`.
fn check_snapshot(name: &str, input: TokenStream) {
    let actual = render(&input);
    let path = snapshot_path(name);
    if std::env::var("EAGERLY_SNAPSHOTS").as_deref() == Ok("overwrite") {
        std::fs::create_dir_all(path.parent().expect("snapshots folder"))
            .expect("create the snapshots folder");
        std::fs::write(&path, &actual).expect("write the snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run EAGERLY_SNAPSHOTS=overwrite cargo test -p orm-derive, then review it",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "the expansion differs from snapshot {} (- snapshot, + now):\n{}\n\
             If the change is intended: EAGERLY_SNAPSHOTS=overwrite cargo test -p orm-derive, then review the diff.",
            path.display(),
            line_diff(&expected, &actual)
        );
    }
}

/// The changed lines of `old` -> `new` with two lines of context, from a
/// longest-common-subsequence alignment (the files are small).
fn line_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // lcs[i][j]: length of the LCS of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut lines: Vec<(char, usize, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            lines.push((' ', i + 1, a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            lines.push(('-', i + 1, a[i]));
            i += 1;
        } else {
            lines.push(('+', j + 1, b[j]));
            j += 1;
        }
    }
    let changed: Vec<usize> = (0..lines.len()).filter(|&k| lines[k].0 != ' ').collect();
    let near = |k: usize| changed.iter().any(|&c| c.abs_diff(k) <= 2);
    let mut out = String::new();
    let mut skipped = false;
    for (k, (mark, number, line)) in lines.iter().enumerate() {
        if near(k) {
            if skipped {
                out.push_str("   ...\n");
                skipped = false;
            }
            out.push_str(&format!("{mark}{number:>4} {line}\n"));
        } else {
            skipped = true;
        }
    }
    out
}

/// The messages of the `compile_error!` invocations in `tokens`.
fn error_messages(tokens: TokenStream) -> Vec<String> {
    let mut messages = Vec::new();
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (k, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) if ident == "compile_error" => {
                if let Some(TokenTree::Group(group)) = trees.get(k + 2) {
                    if let Ok(message) = syn::parse2::<syn::LitStr>(group.stream()) {
                        messages.push(message.value());
                    }
                }
            }
            TokenTree::Group(group) => messages.extend(error_messages(group.stream())),
            _ => {}
        }
    }
    messages
}

#[test]
fn plain_entity_with_auto_key() {
    check_snapshot(
        "plain_auto_key",
        quote! {
            #[derive(Entity)]
            #[orm(table = "authors")]
            pub struct Author {
                #[orm(primary_key)]
                pub id: i64,
                pub name: String,
                #[orm(column = "birth_year")]
                pub born: Option<i32>,
            }
        },
    );
}

#[test]
fn schema_attributes() {
    check_snapshot(
        "schema_attributes",
        quote! {
            #[derive(Entity)]
            #[orm(table = "books")]
            pub struct Book {
                #[orm(primary_key)]
                pub id: i64,
                #[orm(unique)]
                pub isbn: String,
                #[orm(unique = "uq_books_shelf_slot", column = "shelf_no")]
                pub shelf: i64,
                #[orm(unique = "uq_books_shelf_slot")]
                pub slot: i64,
                #[orm(index, default = "'draft'")]
                pub status: String,
                #[orm(check = "price > 0")]
                pub price: f64,
            }
        },
    );
}

#[test]
fn composite_key() {
    check_snapshot(
        "composite_key",
        quote! {
            #[derive(Entity)]
            pub struct BookTag {
                #[orm(primary_key)]
                pub book_id: i64,
                #[orm(primary_key)]
                pub tag_id: i64,
                pub weight: f64,
            }
        },
    );
}

#[test]
fn composite_foreign_key() {
    check_snapshot(
        "composite_foreign_key",
        quote! {
            #[derive(Entity)]
            pub struct Edition {
                #[orm(primary_key)]
                pub book_id: i64,
                #[orm(primary_key)]
                pub number: i32,
                #[relationship(foreign_key = "edition_book_id, edition_number", order_by = "id")]
                pub printings: Many<Printing>,
            }
        },
    );
}

#[test]
fn many_to_one_optional() {
    check_snapshot(
        "many_to_one_optional",
        quote! {
            #[derive(Entity)]
            #[orm(table = "books")]
            pub struct Book {
                #[orm(primary_key)]
                pub id: i64,
                pub title: String,
                pub author_id: Option<i64>,
                #[relationship(foreign_key = "author_id", lazy = "bulk")]
                pub author: One<Author>,
            }
        },
    );
}

#[test]
fn one_to_many_with_order_by() {
    check_snapshot(
        "one_to_many_order_by",
        quote! {
            #[derive(Entity)]
            #[orm(table = "authors")]
            pub struct Author {
                #[orm(primary_key)]
                pub id: i64,
                #[relationship(foreign_key = "author_id", lazy = "selectin", order_by = "title desc, id", chunk_size = 100)]
                pub books: Many<Book>,
            }
        },
    );
}

#[test]
fn many_to_many_secondary() {
    check_snapshot(
        "many_to_many_secondary",
        quote! {
            #[derive(Entity)]
            #[orm(table = "books")]
            pub struct Book {
                #[orm(primary_key)]
                pub id: i64,
                #[relationship(secondary = "book_tags", lazy = "joined", innerjoin = true)]
                pub tags: Many<Tag>,
            }
        },
    );
}

#[test]
fn self_referential_with_join_depth() {
    check_snapshot(
        "self_referential_join_depth",
        quote! {
            #[derive(Entity)]
            pub struct Node {
                #[orm(primary_key)]
                pub id: i64,
                pub parent_id: Option<i64>,
                #[relationship(foreign_key = "parent_id")]
                pub parent: One<Node>,
                #[relationship(foreign_key = "parent_id", lazy = "joined", join_depth = 3)]
                pub children: Many<Node>,
            }
        },
    );
}

#[test]
fn dynamic_relation() {
    check_snapshot(
        "dynamic_relation",
        quote! {
            #[derive(Entity)]
            #[orm(table = "authors")]
            pub struct Author {
                #[orm(primary_key)]
                pub id: i64,
                #[relationship(foreign_key = "author_id")]
                pub book_query: Dynamic<Book>,
            }
        },
    );
}

/// Every mistake is reported in one expansion, each once, and the impl is
/// still emitted beside them so that uses of the struct add no errors.
#[test]
fn several_mistakes_are_all_reported() {
    let output = derive_entity(quote! {
        #[derive(Entity)]
        #[orm(tabel = "authors")]
        pub struct Author {
            #[orm(primary_key, primary_key)]
            pub id: i64,
            #[orm(column = 5)]
            pub name: String,
            #[relationship(foreign_key = "author_id", lazy = "eager", chunk_size = 0)]
            pub books: Many<Book>,
            #[relationship(foreign_key = "editor id")]
            pub editor: One<Editor>,
        }
    });
    let messages = error_messages(output.clone());
    let expected = [
        "unknown struct attribute `tabel`",
        "duplicate `primary_key` attribute",
        "`column` expects a string literal",
        "unknown strategy `eager`",
        "`chunk_size` must be an integer of at least 1",
        "`editor id` is not a field name",
    ];
    assert_eq!(
        messages.len(),
        expected.len(),
        "one error per mistake, got: {messages:#?}"
    );
    for (message, start) in messages.iter().zip(expected) {
        assert!(
            message.starts_with(start),
            "expected an error starting with {start:?}, got {message:?}"
        );
    }
    let text = output.to_string();
    assert!(
        text.contains("impl :: eagerly :: Entity for Author"),
        "the impl is emitted next to the errors"
    );
    assert!(
        text.contains("pub const BOOKS"),
        "and so are the relation constants"
    );
    assert!(
        text.contains("pub const EDITOR"),
        "even the one whose link is invalid"
    );
}

/// A struct the derive cannot map at all gives one error and nothing else.
#[test]
fn unsupported_item_gives_one_error() {
    let output = derive_entity(quote! {
        #[derive(Entity)]
        pub enum Shape { Circle, Square }
    });
    assert_eq!(error_messages(output.clone()).len(), 1);
    assert!(!output.to_string().contains("impl"));
}

#[test]
fn line_diff_marks_changes_with_context() {
    let diff = line_diff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nD\ne\nf\ng\n");
    assert_eq!(
        diff, "   ...\n    2 b\n    3 c\n-   4 d\n+   4 D\n    5 e\n    6 f\n",
        "{diff}"
    );
}
