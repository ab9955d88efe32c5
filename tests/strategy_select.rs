//! `select`, the default strategy: a relation loads on first access of that
//! relation on that object, one statement per object (the N+1 problem),
//! except a many-to-one whose target is already in the identity map.

mod support;

use support::engine::numbered;

use eagerly::prelude::*;
use eagerly::{LoadState, Strategy};
use support::eager::{library_mapping, single_relation_mappings};
use support::graph::{counted, graph_of, load_graph};
use support::library::{category_tree, library, Author, Book, Category};
use support::matrix::{library_kind, mapped_kinds, Kind};

single_relation_mappings!(mod mapped, "select");

library_mapping!(mod eager_books {
    books: "selectin",
    bio: "select",
    author: "select",
    editor: "select",
    tags: "select",
    tag_books: "select",
    parent: "select",
    children: "select",
});

/// What the seed wrote: each author's book ids.
fn seeded_books(authors: i64) -> Vec<(i64, Vec<i64>)> {
    let mut next = 0;
    (1..=authors)
        .map(|a| {
            let books = (0..a % 4)
                .map(|_| {
                    next += 1;
                    next
                })
                .collect();
            (a, books)
        })
        .collect()
}

/// What the seed wrote: each book's tag ids, ordered by tag name.
fn seeded_tags(book: i64) -> Vec<i64> {
    let mut tags = vec![book % 3, (book + 1) % 5];
    tags.dedup();
    tags.sort();
    tags
}

#[test]
fn every_kind_sends_one_statement_per_parent() {
    for kind in [
        Kind::OneToMany,
        Kind::OneToOne,
        Kind::ManyToOne,
        Kind::OptionalManyToOne,
        Kind::ManyToMany,
        Kind::ManyToManyReverse,
        Kind::SelfChildren,
        Kind::SelfParent,
    ] {
        library_kind(kind, Strategy::Select);
    }
}

#[test]
fn mapping_default_select_matches_the_select_option_for_every_kind() {
    assert_eq!(mapped::AuthorBooks::BOOKS.meta().lazy(), Strategy::Select);
    mapped_kinds!(mapped, Strategy::Select);
}

#[test]
fn the_graph_is_the_seeded_one() {
    let mut session = library(40);
    category_tree(&mut session, 2, 3);
    let authors = session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap();
    assert_eq!(
        load_graph(&mut session, Author::BOOKS, &authors),
        seeded_books(40)
    );
    let bios = load_graph(&mut session, Author::BIO, &authors);
    for (author, bio) in bios {
        let expected: Vec<i64> = if author % 2 == 0 {
            vec![author]
        } else {
            vec![]
        };
        assert_eq!(bio, expected, "bio of author {author}");
    }
    let books = session.query::<Book>().order_by(Book::ID).all().unwrap();
    for (book, tags) in load_graph(&mut session, Book::TAGS, &books) {
        assert_eq!(tags, seeded_tags(book), "tags of book {book}");
    }
    for (book, editor) in load_graph(&mut session, Book::EDITOR, &books) {
        let expected: Vec<i64> = if book % 3 == 0 { vec![1] } else { vec![] };
        assert_eq!(editor, expected, "editor of book {book}");
    }
    let owners: Vec<(i64, Vec<i64>)> = seeded_books(40)
        .into_iter()
        .flat_map(|(a, books)| books.into_iter().map(move |b| (b, vec![a])))
        .collect();
    assert_eq!(load_graph(&mut session, Book::AUTHOR, &books), owners);
    let categories = session
        .query::<Category>()
        .order_by(Category::ID)
        .all()
        .unwrap();
    assert_eq!(
        load_graph(&mut session, Category::CHILDREN, &categories),
        vec![
            (1, vec![2, 3, 4]),
            (2, vec![5, 6, 7]),
            (3, vec![8, 9, 10]),
            (4, vec![11, 12, 13]),
            (5, vec![]),
            (6, vec![]),
            (7, vec![]),
            (8, vec![]),
            (9, vec![]),
            (10, vec![]),
            (11, vec![]),
            (12, vec![]),
            (13, vec![]),
        ]
    );
}

#[test]
fn loads_on_first_access_only() {
    let mut session = library(8);
    let author = session
        .query::<Author>()
        .filter(Author::ID.eq(3))
        .one()
        .unwrap();
    assert_eq!(author.books.state(), LoadState::Unloaded);
    assert!(matches!(
        author.books.get(),
        Err(Error::NotLoaded {
            entity: "Author",
            relation: "books"
        })
    ));

    let (books, statements) = counted(&mut session, |s| {
        s.load(Author::BOOKS, &author)
            .unwrap()
            .iter()
            .map(|b| b.id)
            .collect::<Vec<_>>()
    });
    assert_eq!(books, vec![4, 5, 6]);
    assert_eq!(statements, 1);
    assert_eq!(author.books.state(), LoadState::Loaded);

    let (again, statements) = counted(&mut session, |s| {
        s.load(Author::BOOKS, &author).unwrap().len()
    });
    assert_eq!(
        (again, statements),
        (3, 0),
        "a loaded relation is never queried again"
    );
    drop(session);
    assert_eq!(
        author.books.get().unwrap().len(),
        3,
        "reading a loaded relation needs no session"
    );
}

#[test]
fn one_object_at_a_time_with_a_single_key_statement() {
    let mut session = library(8);
    let authors = session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap();
    session.reset_statements();
    for author in &authors {
        session.load(Author::BOOKS, author).unwrap();
    }
    assert_eq!(session.statement_count(), 8);
    for statement in session.statements() {
        assert_eq!(statement.params, 1);
        assert_eq!(
            statement.sql,
            numbered(
                r#"SELECT "id", "title", "author_id", "editor_id" FROM "books" WHERE "author_id" IN (?) ORDER BY "id""#
            )
        );
    }
    // Loading one object's relation leaves the others alone.
    let mut session = library(8);
    let authors = session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap();
    session.load(Author::BOOKS, &authors[2]).unwrap();
    assert!(authors
        .iter()
        .enumerate()
        .all(|(i, a)| a.books.is_loaded() == (i == 2)));
}

#[test]
fn many_to_one_in_the_identity_map_costs_no_statement() {
    let mut session = library(8);
    let author = session.get::<Author>(3).unwrap().unwrap();
    let books = session
        .query::<Book>()
        .filter(Book::AUTHOR_ID.eq(3))
        .order_by(Book::ID)
        .all()
        .unwrap();
    let (same, statements) = counted(&mut session, |s| {
        books
            .iter()
            .all(|b| Handle::ptr_eq(&s.load(Book::AUTHOR, b).unwrap().unwrap(), &author))
    });
    assert!(same);
    assert_eq!(statements, 0);

    // A target loaded by an earlier lazy load serves the next ones.
    let mut session = library(8);
    let books = session
        .query::<Book>()
        .filter(Book::AUTHOR_ID.eq(3))
        .order_by(Book::ID)
        .all()
        .unwrap();
    let (_, statements) = counted(&mut session, |s| load_graph(s, Book::AUTHOR, &books));
    assert_eq!(statements, 1, "three books of one author: one statement");
}

#[test]
fn a_null_foreign_key_reads_as_absent_without_a_statement() {
    let mut session = library(8);
    let book = session.get::<Book>(1).unwrap().unwrap();
    assert_eq!(book.editor_id, None);
    let (editor, statements) = counted(&mut session, |s| s.load(Book::EDITOR, &book).unwrap());
    assert!(editor.is_none());
    assert_eq!(statements, 0);
    assert_eq!(book.editor.state(), LoadState::Loaded);
    assert!(book.editor.get().unwrap().is_none());
}

#[test]
fn select_option_overrides_an_eager_mapping_for_that_query_only() {
    let mut session = library(8);
    let lazy = session
        .query::<eager_books::Author>()
        .options(select(eager_books::Author::BOOKS))
        .order_by(eager_books::Author::ID)
        .limit(4)
        .all()
        .unwrap();
    assert_eq!(
        session.statement_count(),
        1,
        "the selectin default did not run"
    );
    assert!(lazy.iter().all(|a| a.books.state() == LoadState::Unloaded));
    let (graph, statements) = counted(&mut session, |s| {
        load_graph(s, eager_books::Author::BOOKS, &lazy)
    });
    assert_eq!(statements, 4, "one statement per author, like select");
    assert_eq!(graph, seeded_books(4));

    // The next query without the option uses the mapping again.
    let (eager, statements) = counted(&mut session, |s| {
        s.query::<eager_books::Author>()
            .filter(eager_books::Author::ID.gt(4))
            .order_by(eager_books::Author::ID)
            .all()
            .unwrap()
    });
    assert_eq!(statements, 2, "parents, then one IN statement");
    assert_eq!(
        graph_of(eager_books::Author::BOOKS, &eager),
        seeded_books(8)[4..].to_vec()
    );
}

#[test]
fn load_returns_the_relation_shape() {
    let mut session = library(8);
    let book = session.get::<Book>(4).unwrap().unwrap();
    let author: Option<Handle<Author>> = session.load(Book::AUTHOR, &book).unwrap();
    assert_eq!(author.map(|a| a.id), Some(3));
    let tags: &[Handle<support::library::Tag>] = &session.load(Book::TAGS, &book).unwrap();
    assert_eq!(
        tags.iter().map(|t| t.id).collect::<Vec<_>>(),
        seeded_tags(4)
    );
}
