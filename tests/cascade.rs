//! Mapping-level eager defaults cascade along relations (Author.books
//! selectin, then Book.tags joined, ...) but never loop: a path never walks
//! back the relation it came from, and a reverse many-to-one is filled from
//! the identity map. Self-referential relations load one statement per
//! level (selectin) or `join_depth` levels per statement (joined).

mod support;

use eagerly::prelude::*;
use eagerly::LoadState;
use support::eager::library_mapping;
use support::engine::{either, in_lists};
use support::graph::{all_loaded, counted, graph_of, load_graph, sqls};
use support::library::{self, category_tree, library};
use support::matrix::{big_library, SIZES};

// Author.books selectin -> Book.tags joined; Author.bio joined; both sides
// of Author.books / Book.author and of Book.tags / Tag.books eager.
library_mapping!(mod chain {
    books: "selectin",
    bio: "joined",
    author: "selectin",
    editor: "select",
    tags: "joined",
    tag_books: "selectin",
    parent: "selectin",
    children: "selectin",
});

library_mapping!(mod all_joined {
    books: "joined",
    bio: "joined",
    author: "joined",
    editor: "joined",
    tags: "joined",
    tag_books: "joined",
    parent: "joined",
    children: "joined",
    join_depth: 1,
});

// Category.children joined with no join_depth.
library_mapping!(mod no_depth {
    books: "select",
    bio: "select",
    author: "select",
    editor: "select",
    tags: "select",
    tag_books: "select",
    parent: "select",
    children: "joined",
});

library_mapping!(mod deep_joined {
    books: "select",
    bio: "select",
    author: "select",
    editor: "select",
    tags: "select",
    tag_books: "select",
    parent: "select",
    children: "joined",
    join_depth: 3,
});

library_mapping!(mod depth_one {
    books: "select",
    bio: "select",
    author: "select",
    editor: "select",
    tags: "select",
    tag_books: "select",
    parent: "select",
    children: "joined",
    join_depth: 1,
});

library_mapping!(mod lazy_then_eager {
    books: "select",
    bio: "select",
    author: "select",
    editor: "select",
    tags: "joined",
    tag_books: "select",
    parent: "select",
    children: "select",
});

/// The `chain` pair spelt with qualified target paths (`self::Book`).
mod qualified {
    use eagerly::prelude::*;
    use eagerly::{Many, One};

    #[derive(Entity, Debug)]
    #[orm(table = "authors")]
    pub struct Author {
        #[orm(primary_key)]
        pub id: i64,
        pub name: String,
        #[relationship(foreign_key = "author_id", order_by = "id", lazy = "selectin")]
        pub books: Many<self::Book>,
    }

    #[derive(Entity, Debug)]
    #[orm(table = "books")]
    pub struct Book {
        #[orm(primary_key)]
        pub id: i64,
        pub title: String,
        pub author_id: i64,
        pub editor_id: Option<i64>,
        #[relationship(foreign_key = "author_id", lazy = "selectin")]
        pub author: One<self::Author>,
    }
}

fn books_of(authors: &[Handle<chain::Author>]) -> Vec<Handle<chain::Book>> {
    authors
        .iter()
        .flat_map(|a| a.books.get().unwrap().to_vec())
        .collect()
}

#[test]
fn defaults_cascade_along_relations() {
    let mut session = big_library();
    for n in SIZES {
        session.expunge_all();
        let (authors, statements) = counted(&mut session, |s| {
            s.query::<chain::Author>()
                .order_by(chain::Author::ID)
                .limit(n)
                .all()
                .unwrap()
        });
        // Authors with their bio joined; books with their tags joined, per
        // chunk (SQLite) or in one statement (PostgreSQL).
        assert_eq!(statements, 1 + in_lists(authors.len()), "{n} authors");
        let books = books_of(&authors);
        assert!(all_loaded(chain::Author::BIO, &authors) && all_loaded(chain::Book::TAGS, &books));

        // The same graph as select gives, level by level.
        let books_graph = graph_of(chain::Author::BOOKS, &authors);
        let tags_graph = graph_of(chain::Book::TAGS, &books);
        let bio_graph = graph_of(chain::Author::BIO, &authors);
        session.expunge_all();
        let base = session
            .query::<library::Author>()
            .order_by(library::Author::ID)
            .limit(n)
            .all()
            .unwrap();
        assert_eq!(
            load_graph(&mut session, library::Author::BOOKS, &base),
            books_graph
        );
        assert_eq!(
            load_graph(&mut session, library::Author::BIO, &base),
            bio_graph
        );
        let base_books: Vec<_> = base
            .iter()
            .flat_map(|a| a.books.get().unwrap().to_vec())
            .collect();
        assert_eq!(
            load_graph(&mut session, library::Book::TAGS, &base_books),
            tags_graph
        );
    }
}

#[test]
fn both_sides_eager_never_loop() {
    let mut session = library(40);
    // From the authors: Book.author is the way back, filled from the map.
    // Ordered: without ORDER BY, PostgreSQL's hash join returns any order.
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<chain::Author>()
            .order_by(chain::Author::ID)
            .all()
            .unwrap()
    });
    assert_eq!(statements, 2);
    for book in books_of(&authors) {
        assert_eq!(book.author.state(), LoadState::Loaded);
        assert!(Handle::ptr_eq(
            &book.author.get().unwrap().unwrap(),
            &authors[book.author_id as usize - 1]
        ));
        // Tag.books is the way back of Book.tags: a collection stays lazy.
        assert!(book
            .tags
            .get()
            .unwrap()
            .iter()
            .all(|t| t.books.state() == LoadState::Unloaded));
    }

    // From the books: authors load once; Author.books is the way back.
    session.expunge_all();
    let (books, statements) = counted(&mut session, |s| s.query::<chain::Book>().all().unwrap());
    assert_eq!(statements, 2, "books with tags joined, then their authors");
    for book in &books {
        let author = book.author.get().unwrap().unwrap();
        assert_eq!(author.id, book.author_id);
        assert_eq!(author.books.state(), LoadState::Unloaded);
        assert!(
            author.bio.is_loaded(),
            "Author.bio is no way back: it cascades"
        );
    }

    // From the tags: Tag.books selectin, Book.tags is the way back.
    session.expunge_all();
    let (tags, statements) = counted(&mut session, |s| s.query::<chain::Tag>().all().unwrap());
    let books: Vec<_> = tags
        .iter()
        .flat_map(|t| t.books.get().unwrap().to_vec())
        .collect();
    assert!(books
        .iter()
        .all(|b| b.tags.state() == LoadState::Unloaded && b.author.is_loaded()));
    // tags, books, their authors (with bio joined); then the authors'
    // books are the way back: none.
    assert_eq!(statements, 3);
}

#[test]
fn all_joined_both_ways_is_one_finite_statement() {
    use all_joined::*;
    let mut session = library(40);
    category_tree(&mut session, 2, 3);
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>().order_by(Author::ID).all().unwrap()
    });
    assert_eq!((authors.len(), statements), (40, 1));
    let (books, statements) = counted(&mut session, |s| s.query::<Book>().all().unwrap());
    assert_eq!((books.len(), statements), (60, 1));
    assert!(books
        .iter()
        .all(|b| b.author.is_loaded() && b.tags.is_loaded() && b.editor.is_loaded()));
    let (tags, statements) = counted(&mut session, |s| s.query::<Tag>().all().unwrap());
    assert_eq!((tags.len(), statements), (5, 1));
    session.expunge_all();
    let (categories, statements) = counted(&mut session, |s| {
        s.query::<Category>().order_by(Category::ID).all().unwrap()
    });
    assert_eq!((categories.len(), statements), (13, 1));
    for category in &categories {
        assert_eq!(
            category.parent.get().unwrap().map(|p| p.id),
            category.parent_id
        );
        assert!(category.children.is_loaded());
    }
    let sql = &sqls(&session)[0];
    assert_eq!(
        sql.matches(r#"LEFT OUTER JOIN "categories""#).count(),
        2,
        "children and parent, one level each: {sql}"
    );
}

#[test]
fn reverse_many_to_one_is_filled_from_the_identity_map() {
    // Book.author eager (selectin): filled as the books arrive.
    let mut session = library(20);
    let authors = session.query::<chain::Author>().all().unwrap();
    let (_, statements) = counted(&mut session, |s| {
        for book in books_of(&authors) {
            assert!(book.author.is_loaded());
            s.load(chain::Book::AUTHOR, &book).unwrap();
        }
    });
    assert_eq!(statements, 0);

    // Book.author lazy (select): loaded on access, still from the map.
    let authors = session
        .query::<library::Author>()
        .options(selectin(library::Author::BOOKS))
        .all()
        .unwrap();
    let books: Vec<_> = authors
        .iter()
        .flat_map(|a| a.books.get().unwrap().to_vec())
        .collect();
    assert!(books
        .iter()
        .all(|b| b.author.state() == LoadState::Unloaded));
    let (_, statements) = counted(&mut session, |s| {
        for book in &books {
            assert!(Handle::ptr_eq(
                &s.load(library::Book::AUTHOR, book).unwrap().unwrap(),
                &authors[book.author_id as usize - 1]
            ));
        }
    });
    assert_eq!(statements, 0);

    // Self-referential: the children's parent is filled from the map.
    let mut session = library(0);
    category_tree(&mut session, 3, 2);
    let root = session
        .query::<chain::Category>()
        .filter(chain::Category::ID.eq(1))
        .one()
        .unwrap();
    let child = root.children.get().unwrap()[0].clone();
    assert!(Handle::ptr_eq(&child.parent.get().unwrap().unwrap(), &root));
}

#[test]
fn self_referential_selectin_is_one_statement_per_level() {
    let mut session = library(0);
    // Root, 30 children, 900 grandchildren: the leaves' IN list is two chunks.
    category_tree(&mut session, 2, 30);
    let (root, statements) = counted(&mut session, |s| {
        s.query::<chain::Category>()
            .filter(chain::Category::ID.eq(1))
            .one()
            .unwrap()
    });
    assert_eq!(
        statements,
        either(1 + 1 + 1 + 2, 1 + 1 + 1 + 1),
        "root; its children; theirs; the leaves' (none) in two chunks (SQLite) or one array (PostgreSQL)"
    );
    let params: Vec<usize> = session.statements().iter().map(|s| s.params).collect();
    assert_eq!(
        params,
        either(vec![2, 1, 30, 500, 400], vec![2, 1, 1, 1]),
        "one() binds its filter and LIMIT 2"
    );
    let grandchildren: Vec<_> = root
        .children
        .get()
        .unwrap()
        .iter()
        .flat_map(|c| c.children.get().unwrap().to_vec())
        .collect();
    assert_eq!(grandchildren.len(), 900);
    assert!(grandchildren
        .iter()
        .all(|g| g.children.get().unwrap().is_empty()));

    // From a leaf upwards: Category.parent selectin climbs one statement per level.
    session.expunge_all();
    let (leaf, statements) = counted(&mut session, |s| {
        s.query::<chain::Category>()
            .filter(chain::Category::ID.eq(931))
            .one()
            .unwrap()
    });
    let parent = leaf.parent.get().unwrap().unwrap().clone();
    let root = parent.parent.get().unwrap().unwrap().clone();
    assert_eq!((parent.id, root.id), (31, 1));
    assert!(root.parent.get().unwrap().is_none());
    // The leaf, its children (none), its parent, the root. Climbing up,
    // Category.children is the way back: it stays lazy.
    assert_eq!(statements, 4);
    assert_eq!(leaf.children.get().unwrap().len(), 0);
    assert_eq!(parent.children.state(), LoadState::Unloaded);
    assert_eq!(root.children.state(), LoadState::Unloaded);
}

#[test]
fn joined_self_referential_join_depth() {
    let mut session = library(0);
    category_tree(&mut session, 4, 2);
    let (root, statements) = counted(&mut session, |s| {
        s.query::<deep_joined::Category>()
            .filter(deep_joined::Category::ID.eq(1))
            .one()
            .unwrap()
    });
    assert_eq!(statements, 1, "three levels in one statement");
    assert_eq!(
        sqls(&session)[0]
            .matches(r#"LEFT OUTER JOIN "categories""#)
            .count(),
        3
    );
    let level3: Vec<_> = root
        .children
        .get()
        .unwrap()
        .iter()
        .flat_map(|c| c.children.get().unwrap().to_vec())
        .flat_map(|c| c.children.get().unwrap().to_vec())
        .collect();
    assert_eq!(
        level3.iter().map(|c| c.id).collect::<Vec<_>>(),
        (8..=15).collect::<Vec<_>>()
    );
    assert!(
        level3
            .iter()
            .all(|c| c.children.state() == LoadState::Unloaded),
        "past join_depth: lazy"
    );
    // A lazy load of a deeper level counts afresh, its own level first: its
    // statement joins the two levels below it (SQLAlchemy starts the lazy
    // load's path at the relation).
    let (below, statements) = counted(&mut session, |s| {
        s.load(deep_joined::Category::CHILDREN, &level3[0])
            .unwrap()
            .len()
    });
    assert_eq!((below, statements), (2, 1));
    assert_eq!(
        sqls(&session)
            .last()
            .unwrap()
            .matches(r#"LEFT OUTER JOIN "categories""#)
            .count(),
        2
    );

    // Without join_depth the mapping's joined is not followed into the
    // entity's own level (SQLAlchemy's test_no_depth): the relation loads
    // on access, one statement per level, and no statement joins it.
    session.expunge_all();
    session.reset_statements();
    let (root, statements) = counted(&mut session, |s| {
        s.query::<no_depth::Category>()
            .filter(no_depth::Category::ID.eq(1))
            .one()
            .unwrap()
    });
    assert_eq!(statements, 1);
    assert_eq!(root.children.state(), LoadState::Unloaded);
    let (children, statements) = counted(&mut session, |s| {
        s.load(no_depth::Category::CHILDREN, &root)
            .unwrap()
            .to_vec()
    });
    assert_eq!((children.len(), statements), (2, 1));
    assert!(children
        .iter()
        .all(|c| c.children.state() == LoadState::Unloaded));
    assert!(sqls(&session).iter().all(|sql| !sql.contains("JOIN")));
    // An explicit option is followed all the same.
    session.expunge_all();
    let (root, statements) = counted(&mut session, |s| {
        s.query::<no_depth::Category>()
            .filter(no_depth::Category::ID.eq(1))
            .options(joined(no_depth::Category::CHILDREN))
            .one()
            .unwrap()
    });
    assert_eq!(statements, 1);
    assert_eq!(root.children.get().unwrap().len(), 2);
}

/// SQLAlchemy's test_lazy_fallback_doesnt_affect_eager: with join_depth 1
/// and the whole table queried, a category past the depth as a child is
/// also a root, whose own rows carry its children.
#[test]
fn joined_past_its_depth_as_a_child_is_loaded_as_a_root() {
    use depth_one::*;
    let mut session = library(0);
    category_tree(&mut session, 3, 2);
    let (all, statements) = counted(&mut session, |s| {
        s.query::<Category>().order_by(Category::ID).all().unwrap()
    });
    assert_eq!(statements, 1);
    assert_eq!(all.len(), 15);
    for category in &all {
        let children: Vec<i64> = category
            .children
            .get()
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
        let expected: Vec<i64> = if category.id < 8 {
            vec![category.id * 2, category.id * 2 + 1]
        } else {
            Vec::new()
        };
        assert_eq!(children, expected, "children of {}", category.id);
    }
}

#[test]
fn a_lazy_load_cascades_into_eager_defaults() {
    use lazy_then_eager::*;
    let mut session = library(20);
    let authors = session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap();
    let (books, statements) = counted(&mut session, |s| {
        s.load(Author::BOOKS, &authors[2]).unwrap().to_vec()
    });
    assert_eq!(statements, 1, "the books with their tags joined");
    assert!(all_loaded(Book::TAGS, &books));
    // A bulk load cascades the same way.
    let authors = session
        .query::<Author>()
        .options(bulk(Author::BOOKS))
        .filter(Author::ID.gt(3))
        .all()
        .unwrap();
    let (_, statements) = counted(&mut session, |s| {
        s.load(Author::BOOKS, &authors[0]).unwrap().len()
    });
    assert_eq!(statements, 1);
    let books: Vec<_> = authors
        .iter()
        .flat_map(|a| a.books.get().unwrap().to_vec())
        .collect();
    assert_eq!(books.len(), 24);
    assert!(all_loaded(Book::TAGS, &books));
}

#[test]
fn the_way_back_does_not_depend_on_how_the_target_is_spelt() {
    let mut session = library(8);
    let (books, statements) = counted(&mut session, |s| {
        s.query::<qualified::Book>().all().unwrap()
    });
    assert_eq!(
        statements, 2,
        "books, then their authors; Author.books is the way back"
    );
    assert_eq!(
        books[0].author.get().unwrap().unwrap().books.state(),
        LoadState::Unloaded
    );
    assert_eq!(qualified::Author::BOOKS.meta().target(), "Book");
}
