//! Composite keys through every relation kind: shelves keyed by
//! (building, number), topics keyed by (lang, code), and a self-referential
//! node tree keyed by (tree, id). `composite_mapping!` maps the tables with
//! the strategy of every relation given; `base` maps them with `select`.

#![allow(dead_code)]

use eagerly::Session;

use super::library::{exec, IntoValue};

/// `composite_mapping!(mod name { items: "select", label: "select", topics:
/// "select", shelf: "select", label_shelf: "select", shelves: "select",
/// parent: "select", children: "select" })`.
#[allow(unused_macros)]
macro_rules! composite_mapping {
    ($vis:vis mod $m:ident {
        items: $items:tt,
        label: $label:tt,
        topics: $topics:tt,
        shelf: $shelf:tt,
        label_shelf: $label_shelf:tt,
        shelves: $shelves:tt,
        parent: $parent:tt,
        children: $children:tt
        $(, chunk_size: $chunk:tt)?
        $(,)?
    }) => {
        #[allow(dead_code)]
        $vis mod $m {
            use eagerly::prelude::*;
            use eagerly::{Many, One};

            /// Keyed by (building, number).
            #[derive(Entity, Debug)]
            #[orm(table = "shelves")]
            pub struct Shelf {
                #[orm(primary_key)]
                pub building: i64,
                #[orm(primary_key)]
                pub number: i64,
                pub name: String,
                /// One-to-many on a composite key.
                #[relationship(foreign_key = "building, shelf_number", order_by = "id", lazy = $items $(, chunk_size = $chunk)?)]
                pub items: Many<Item>,
                /// One-to-one on a composite key.
                #[relationship(foreign_key = "shelf_building, shelf_number", lazy = $label $(, chunk_size = $chunk)?)]
                pub label: One<Label>,
                /// Many-to-many from a composite key to a composite key.
                #[relationship(secondary = "shelf_topics", foreign_key = "shelf_building, shelf_number", target_foreign_key = "topic_lang, topic_code", order_by = "lang, code", lazy = $topics $(, chunk_size = $chunk)?)]
                pub topics: Many<Topic>,
            }

            #[derive(Entity, Debug)]
            #[orm(table = "items")]
            pub struct Item {
                #[orm(primary_key)]
                pub id: i64,
                pub building: i64,
                pub shelf_number: Option<i64>,
                pub name: String,
                /// Optional many-to-one on a composite key (NULL: unshelved).
                #[relationship(foreign_key = "building, shelf_number", lazy = $shelf $(, chunk_size = $chunk)?)]
                pub shelf: One<Shelf>,
            }

            #[derive(Entity, Debug)]
            #[orm(table = "labels")]
            pub struct Label {
                #[orm(primary_key)]
                pub id: i64,
                pub shelf_building: i64,
                pub shelf_number: i64,
                pub text: String,
                /// Required many-to-one on a composite key.
                #[relationship(foreign_key = "shelf_building, shelf_number", lazy = $label_shelf $(, chunk_size = $chunk)?)]
                pub shelf: One<Shelf>,
            }

            /// Keyed by (lang, code).
            #[derive(Entity, Debug)]
            #[orm(table = "topics")]
            pub struct Topic {
                #[orm(primary_key)]
                pub lang: String,
                #[orm(primary_key)]
                pub code: i64,
                #[relationship(secondary = "shelf_topics", foreign_key = "topic_lang, topic_code", target_foreign_key = "shelf_building, shelf_number", order_by = "building, number", lazy = $shelves $(, chunk_size = $chunk)?)]
                pub shelves: Many<Shelf>,
            }

            /// A tree per `tree`, keyed by (tree, id).
            #[derive(Entity, Debug)]
            #[orm(table = "nodes")]
            pub struct Node {
                #[orm(primary_key)]
                pub tree: i64,
                #[orm(primary_key)]
                pub id: i64,
                pub parent_id: Option<i64>,
                pub name: String,
                #[relationship(foreign_key = "tree, parent_id", lazy = $parent $(, chunk_size = $chunk)?)]
                pub parent: One<Node>,
                #[relationship(foreign_key = "tree, parent_id", order_by = "id", lazy = $children $(, chunk_size = $chunk)?)]
                pub children: Many<Node>,
            }
        }
    };
}

#[allow(unused_imports)]
pub(crate) use composite_mapping;

composite_mapping!(pub mod base {
    items: "select",
    label: "select",
    topics: "select",
    shelf: "select",
    label_shelf: "select",
    shelves: "select",
    parent: "select",
    children: "select",
});

/// The building and number of shelf `k` (0-based).
pub fn shelf_key(k: i64) -> (i64, i64) {
    (k / 10 + 1, k % 10 + 1)
}

/// A session with `shelves` shelves (shelf `k` holds `k % 3` items, every
/// fourth item is unshelved, even shelves have a label, each shelf has two
/// topics with one duplicated association-free pair) and two node trees of
/// `nodes` nodes each (node `i`'s parent is `i / 2`, node 1 is the root),
/// on the run's engine (`support::engine`).
pub fn composite(shelves: i64, nodes: i64) -> Session {
    composite_in(super::engine::session(), shelves, nodes)
}

/// [`composite`] on a session the caller made (PostgreSQL's too).
pub fn composite_in(mut session: Session, shelves: i64, nodes: i64) -> Session {
    use base::*;
    session
        .create_all(&[
            Shelf::META,
            Item::META,
            Label::META,
            Topic::META,
            Node::META,
        ])
        .expect("schema");
    session
        .transaction(|s| {
            for lang in ["en", "fr"] {
                for code in 1..=3i64 {
                    exec(s, "INSERT INTO topics (lang, code) VALUES (?, ?)", &[lang.to_string().into_value(), code.into_value()])?;
                }
            }
            let mut item = 0;
            for k in 0..shelves {
                let (building, number) = shelf_key(k);
                exec(
                    s,
                    "INSERT INTO shelves (building, number, name) VALUES (?, ?, ?)",
                    &[building.into_value(), number.into_value(), format!("shelf{k}").into_value()],
                )?;
                if k % 2 == 0 {
                    exec(
                        s,
                        "INSERT INTO labels (id, shelf_building, shelf_number, text) VALUES (?, ?, ?, ?)",
                        &[(k + 1).into_value(), building.into_value(), number.into_value(), format!("label{k}").into_value()],
                    )?;
                }
                for (lang, code) in [("en", k % 3 + 1), ("fr", k % 2 + 1)] {
                    exec(
                        s,
                        "INSERT INTO shelf_topics (shelf_building, shelf_number, topic_lang, topic_code) VALUES (?, ?, ?, ?)",
                        &[building.into_value(), number.into_value(), lang.to_string().into_value(), code.into_value()],
                    )?;
                }
                for _ in 0..(k % 3) {
                    item += 1;
                    let shelf = if item % 4 == 0 { eagerly::Value::Null } else { number.into_value() };
                    exec(
                        s,
                        "INSERT INTO items (id, building, shelf_number, name) VALUES (?, ?, ?, ?)",
                        &[item.into_value(), building.into_value(), shelf, format!("item{item}").into_value()],
                    )?;
                }
            }
            for tree in 1..=2i64 {
                for id in 1..=nodes {
                    let parent = if id == 1 { eagerly::Value::Null } else { (id / 2).into_value() };
                    exec(
                        s,
                        "INSERT INTO nodes (tree, id, parent_id, name) VALUES (?, ?, ?, ?)",
                        &[tree.into_value(), id.into_value(), parent, format!("n{tree}.{id}").into_value()],
                    )?;
                }
            }
            Ok(())
        })
        .expect("seed");
    session.expunge_all();
    session.reset_statements();
    session
}
