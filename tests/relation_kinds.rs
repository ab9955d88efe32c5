//! Every relation kind under every loading strategy: many-to-one (required,
//! optional with NULL and dangling keys), one-to-many, one-to-one,
//! many-to-many (a duplicated association row loads once), self-referential
//! trees several levels deep, and composite keys through all of them.

mod support;

use eagerly::prelude::*;
use eagerly::{LoadState, Strategy};
use support::composite::composite;
use support::eager::library_mapping;
use support::graph::{counted, graph_of, load_graph};
use support::library::{category_tree, library, Author, Biography, Book, Category, Tag};
use support::matrix::{check, per_key, per_missing_key, per_parent, try_query_parents};

/// The strategies that load; `raise` and `noload` have their own file.
const LOADING: [Strategy; 4] = [
    Strategy::Select,
    Strategy::Selectin,
    Strategy::Joined,
    Strategy::Bulk,
];

library_mapping!(mod tree {
    books: "select",
    bio: "select",
    author: "select",
    editor: "select",
    tags: "select",
    tag_books: "select",
    parent: "select",
    children: "selectin",
});

/// Many-to-many through an association table without a primary key, so an
/// association row can be duplicated.
mod loose {
    use eagerly::prelude::*;
    use eagerly::Many;

    #[derive(Entity, Debug)]
    #[orm(table = "books")]
    pub struct Book {
        #[orm(primary_key)]
        pub id: i64,
        pub title: String,
        pub author_id: i64,
        pub editor_id: Option<i64>,
        #[relationship(
            secondary = "loose_tags",
            foreign_key = "book_id",
            target_foreign_key = "tag_id",
            order_by = "id"
        )]
        pub tags: Many<Tag>,
    }

    #[derive(Entity, Debug)]
    #[orm(table = "tags")]
    pub struct Tag {
        #[orm(primary_key)]
        pub id: i64,
        pub name: String,
        #[relationship(
            secondary = "loose_tags",
            foreign_key = "tag_id",
            target_foreign_key = "book_id",
            order_by = "id"
        )]
        pub books: Many<Book>,
    }
}

/// Loads `relation` of `parents` queried with `strategy` (then accessed).
fn loaded<P: Entity, T: Entity, F>(
    session: &mut Session,
    relation: eagerly::Relation<P, T, F>,
    strategy: Strategy,
    shape: support::matrix::Shape<P>,
) -> eagerly::Result<Vec<Handle<P>>>
where
    F: eagerly::relation::Loadable<T> + support::graph::Targets<T>,
{
    session.expunge_all();
    let parents = try_query_parents(session, relation, Some(strategy), shape, u64::MAX >> 1)?;
    for parent in &parents {
        session.load(relation, parent)?;
    }
    Ok(parents)
}

/// A library of 8 authors with foreign keys unenforced, to write dangling keys.
fn unenforced_library() -> Session {
    let mut session = library(8);
    support::engine::foreign_keys_off(&mut session);
    session
}

#[test]
fn many_to_one_shares_the_target_instance() {
    for strategy in LOADING {
        let mut session = library(8);
        let books = loaded(&mut session, Book::AUTHOR, strategy, |q| {
            q.order_by(Book::ID)
        })
        .unwrap();
        assert_eq!(books.len(), 12);
        let author = session.get::<Author>(3).unwrap().unwrap();
        for book in books.iter().filter(|b| b.author_id == 3) {
            assert!(
                Handle::ptr_eq(&book.author.get().unwrap().unwrap(), &author),
                "{strategy:?}"
            );
        }
        assert!(
            books
                .iter()
                .all(|b| b.author.get().unwrap().unwrap().id == b.author_id),
            "{strategy:?}"
        );
    }
}

#[test]
fn optional_many_to_one_null_reads_absent() {
    for strategy in LOADING {
        let mut session = library(8);
        let books = loaded(&mut session, Book::EDITOR, strategy, |q| {
            q.order_by(Book::ID)
        })
        .unwrap();
        for book in &books {
            assert_eq!(book.editor.state(), LoadState::Loaded);
            assert_eq!(
                book.editor.get().unwrap().map(|e| e.id),
                book.editor_id,
                "{strategy:?} book {}",
                book.id
            );
        }
    }
}

#[test]
fn optional_many_to_one_dangling_key_reads_absent() {
    for strategy in LOADING {
        let mut session = unenforced_library();
        session.execute("INSERT INTO books (id, title, author_id, editor_id) VALUES (100, 'orphan', 1, 999)", &[]).unwrap();
        let books = loaded(&mut session, Book::EDITOR, strategy, |q| {
            q.filter(Book::ID.ge(99))
        })
        .unwrap();
        assert_eq!(books.len(), 1);
        assert_eq!(books[0].editor.state(), LoadState::Loaded, "{strategy:?}");
        assert!(books[0].editor.get().unwrap().is_none(), "{strategy:?}");
    }
}

#[test]
fn required_many_to_one_dangling_key_is_an_error() {
    for strategy in [Strategy::Select, Strategy::Selectin, Strategy::Bulk] {
        let mut session = unenforced_library();
        session
            .execute(
                "INSERT INTO books (id, title, author_id) VALUES (100, 'orphan', 999)",
                &[],
            )
            .unwrap();
        let error = loaded(&mut session, Book::AUTHOR, strategy, |q| {
            q.filter(Book::ID.ge(99))
        })
        .unwrap_err();
        match error {
            Error::MissingRelated {
                entity,
                relation,
                key,
            } => {
                assert_eq!(
                    (entity, relation, key.as_str()),
                    ("Book", "author", "999"),
                    "{strategy:?}"
                );
            }
            other => panic!("{strategy:?}: expected MissingRelated, got {other}"),
        }
        // The session stays usable.
        assert_eq!(session.query::<Book>().count().unwrap(), 13);
    }
}

#[test]
fn required_many_to_one_dangling_key_is_an_error_when_joined() {
    let mut session = unenforced_library();
    session
        .execute(
            "INSERT INTO books (id, title, author_id) VALUES (100, 'orphan', 999)",
            &[],
        )
        .unwrap();
    let result = session
        .query::<Book>()
        .options(joined(Book::AUTHOR))
        .filter(Book::ID.eq(100))
        .all();
    assert!(
        matches!(
            result,
            Err(Error::MissingRelated {
                entity: "Book",
                relation: "author",
                ..
            })
        ),
        "{result:?}"
    );
}

#[test]
fn one_to_many_empty_collections_are_loaded_and_empty() {
    for strategy in LOADING {
        let mut session = library(8);
        let authors = loaded(&mut session, Author::BOOKS, strategy, |q| {
            q.order_by(Author::ID)
        })
        .unwrap();
        let graph = graph_of(Author::BOOKS, &authors);
        assert_eq!(graph[3], (4, vec![]), "{strategy:?}");
        assert_eq!(graph[7], (8, vec![]), "{strategy:?}");
        assert_eq!(graph[6], (7, vec![10, 11, 12]), "{strategy:?}");
        for book in authors.iter().flat_map(|a| a.books.get().unwrap().to_vec()) {
            assert!(Handle::ptr_eq(
                &book,
                &session.get::<Book>(book.id).unwrap().unwrap()
            ));
        }
    }
}

#[test]
fn one_to_one_present_and_absent() {
    for strategy in LOADING {
        let mut session = library(8);
        let authors = loaded(&mut session, Author::BIO, strategy, |q| {
            q.order_by(Author::ID)
        })
        .unwrap();
        for author in &authors {
            let bio: Option<Handle<Biography>> = author.bio.get().unwrap();
            match bio {
                Some(bio) => {
                    assert_eq!(author.id % 2, 0, "{strategy:?}");
                    assert_eq!(
                        (bio.author_id, bio.text.as_str()),
                        (author.id, format!("bio of {}", author.id).as_str())
                    );
                }
                None => assert_eq!(author.id % 2, 1, "{strategy:?}"),
            }
        }
    }
}

#[test]
fn many_to_many_both_sides_agree() {
    for strategy in LOADING {
        let mut session = library(12);
        let books = loaded(&mut session, Book::TAGS, strategy, |q| q.order_by(Book::ID)).unwrap();
        let tags = loaded(&mut session, Tag::BOOKS, strategy, |q| q.order_by(Tag::ID)).unwrap();
        let mut pairs_from_books: Vec<(i64, i64)> = graph_of(Book::TAGS, &books)
            .into_iter()
            .flat_map(|(b, ts)| ts.into_iter().map(move |t| (b, t)))
            .collect();
        let mut pairs_from_tags: Vec<(i64, i64)> = graph_of(Tag::BOOKS, &tags)
            .into_iter()
            .flat_map(|(t, bs)| bs.into_iter().map(move |b| (b, t)))
            .collect();
        pairs_from_books.sort();
        pairs_from_tags.sort();
        assert_eq!(pairs_from_books, pairs_from_tags, "{strategy:?}");
        let seeded: usize = (1..=18i64)
            .map(|b| if b % 3 == (b + 1) % 5 { 1 } else { 2 })
            .sum();
        assert_eq!(pairs_from_books.len(), seeded, "{strategy:?}");
    }
}

#[test]
fn many_to_many_duplicated_association_row_loads_once() {
    for strategy in LOADING {
        let mut session = library(4);
        session
            .execute(
                "CREATE TABLE loose_tags (book_id INTEGER NOT NULL, tag_id INTEGER NOT NULL)",
                &[],
            )
            .unwrap();
        for (book, tag) in [(1, 2), (1, 2), (1, 3), (2, 2), (2, 2), (2, 2), (3, 4)] {
            session
                .execute(
                    &format!("INSERT INTO loose_tags VALUES ({book}, {tag})"),
                    &[],
                )
                .unwrap();
        }
        let books = loaded(&mut session, loose::Book::TAGS, strategy, |q| {
            q.order_by(loose::Book::ID)
        })
        .unwrap();
        assert_eq!(
            graph_of(loose::Book::TAGS, &books),
            vec![
                (1, vec![2, 3]),
                (2, vec![2]),
                (3, vec![4]),
                (4, vec![]),
                (5, vec![]),
                (6, vec![])
            ],
            "{strategy:?}"
        );
        let tags = loaded(&mut session, loose::Tag::BOOKS, strategy, |q| {
            q.order_by(loose::Tag::ID)
        })
        .unwrap();
        assert_eq!(
            graph_of(loose::Tag::BOOKS, &tags),
            vec![
                (0, vec![]),
                (1, vec![]),
                (2, vec![1, 2]),
                (3, vec![1]),
                (4, vec![3])
            ],
            "{strategy:?}"
        );
    }
}

#[test]
fn self_referential_tree_several_levels_deep() {
    // Depth 4, fanout 3: 1 + 3 + 9 + 27 + 81 = 121 categories.
    let mut session = library(0);
    assert_eq!(category_tree(&mut session, 4, 3), 121);
    let (root, statements) = counted(&mut session, |s| {
        s.query::<tree::Category>()
            .filter(tree::Category::PARENT_ID.is_null())
            .one()
            .unwrap()
    });
    assert_eq!(
        statements,
        1 + 5,
        "the root, then one statement per level below it"
    );
    // Walk down: every node has the expected children, the leaves none.
    let mut level = vec![root.clone()];
    let mut depth = 0;
    let mut seen = 1;
    while !level.is_empty() {
        let mut below = Vec::new();
        for node in &level {
            let children = node.children.get().unwrap();
            assert_eq!(children.len(), if depth < 4 { 3 } else { 0 });
            assert!(children.iter().all(|c| c.parent_id == Some(node.id)));
            below.extend(children.iter().cloned());
        }
        seen += below.len();
        level = below;
        depth += 1;
    }
    assert_eq!((depth, seen), (5, 121));
    // Walk up from a leaf by lazy select: every parent is in the map already.
    let leaf = session.get::<tree::Category>(121).unwrap().unwrap();
    let (path, statements) = counted(&mut session, |s| {
        let mut path = vec![leaf.id];
        let mut node = leaf.clone();
        while let Some(parent) = s.load(tree::Category::PARENT, &node).unwrap() {
            path.push(parent.id);
            node = parent;
        }
        path
    });
    assert_eq!(path, vec![121, 40, 13, 4, 1]);
    assert_eq!(statements, 0);

    // The same tree by lazy select in a fresh session: one statement per node.
    let mut session = library(0);
    category_tree(&mut session, 4, 3);
    let all = session
        .query::<Category>()
        .order_by(Category::ID)
        .all()
        .unwrap();
    let (graph, statements) = counted(&mut session, |s| load_graph(s, Category::CHILDREN, &all));
    assert_eq!(statements, 121);
    assert_eq!(graph[0], (1, vec![2, 3, 4]));
    assert_eq!(graph[39], (40, vec![119, 120, 121]));
}

#[test]
fn composite_keys_one_to_many() {
    use support::composite::base::*;
    check(
        &mut composite(1200, 600),
        Shelf::ITEMS,
        Strategy::Selectin,
        true,
        |q| q.order_by(Shelf::BUILDING).order_by(Shelf::NUMBER),
        per_parent,
    );
    for strategy in LOADING {
        check(
            &mut composite(40, 10),
            Shelf::ITEMS,
            strategy,
            true,
            |q| q.order_by(Shelf::BUILDING).order_by(Shelf::NUMBER),
            per_parent,
        );
    }
}

#[test]
fn composite_keys_one_to_one() {
    use support::composite::base::*;
    for strategy in LOADING {
        check(
            &mut composite(1200, 10),
            Shelf::LABEL,
            strategy,
            true,
            |q| q.order_by(Shelf::BUILDING).order_by(Shelf::NUMBER),
            per_parent,
        );
    }
}

#[test]
fn composite_keys_many_to_many_both_sides() {
    use support::composite::base::*;
    for strategy in LOADING {
        let mut session = composite(1200, 10);
        check(
            &mut session,
            Shelf::TOPICS,
            strategy,
            true,
            |q| q.order_by(Shelf::BUILDING).order_by(Shelf::NUMBER),
            per_parent,
        );
        check(
            &mut session,
            Topic::SHELVES,
            strategy,
            true,
            |q| q.order_by(Topic::LANG).order_by(Topic::CODE),
            per_parent,
        );
    }
}

#[test]
fn composite_keys_many_to_one_required_and_optional() {
    use support::composite::base::*;
    for strategy in LOADING {
        let mut session = composite(1200, 10);
        check(
            &mut session,
            Item::SHELF,
            strategy,
            true,
            |q| q.order_by(Item::ID),
            per_key,
        );
        check(
            &mut session,
            Label::SHELF,
            strategy,
            true,
            |q| q.order_by(Label::ID),
            per_key,
        );
    }
    // Unshelved items (NULL in part of the key) read as absent.
    let mut session = composite(40, 10);
    let items = session
        .query::<Item>()
        .options(selectin(Item::SHELF))
        .order_by(Item::ID)
        .all()
        .unwrap();
    for item in &items {
        let shelf = item.shelf.get().unwrap();
        assert_eq!(
            shelf.map(|s| (s.building, s.number)),
            item.shelf_number.map(|n| (item.building, n))
        );
    }
    assert!(items.iter().any(|i| i.shelf_number.is_none()));
}

#[test]
fn composite_keys_self_referential() {
    use support::composite::base::*;
    for strategy in LOADING {
        let mut session = composite(10, 600);
        check(
            &mut session,
            Node::CHILDREN,
            strategy,
            true,
            |q| q.order_by(Node::TREE).order_by(Node::ID),
            per_parent,
        );
        check(
            &mut session,
            Node::PARENT,
            strategy,
            true,
            |q| q.order_by(Node::TREE.desc()).order_by(Node::ID.desc()),
            per_missing_key,
        );
    }
    // The two trees do not mix: node (2, 3) is the child of (2, 1), not (1, 1).
    let mut session = composite(1, 7);
    let node = session.get::<Node>((2, 3)).unwrap().unwrap();
    let parent = session.load(Node::PARENT, &node).unwrap().unwrap().clone();
    assert_eq!((parent.tree, parent.id), (2, 1));
    let children = session.load(Node::CHILDREN, &parent).unwrap();
    assert_eq!(
        children.iter().map(|c| (c.tree, c.id)).collect::<Vec<_>>(),
        vec![(2, 2), (2, 3)]
    );
}
