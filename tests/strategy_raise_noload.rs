//! `raise`: the relation never loads; access is an error naming entity and
//! relation. `noload`: the relation never loads and reads as empty. Both
//! cost no statement, as mapping defaults and as per-query options.

mod support;

use eagerly::prelude::*;
use eagerly::LoadState;
use support::eager::single_relation_mappings;
use support::graph::{counted, graph_of};
use support::library::{library, Author, Book};
use support::matrix::{big_library, query_parents, SIZES};

single_relation_mappings!(mod raising, "raise");
single_relation_mappings!(mod empty, "noload");

fn refused<T>(result: eagerly::Result<T>) -> (&'static str, &'static str) {
    match result {
        Err(Error::RelationRefused { entity, relation }) => (entity, relation),
        Err(other) => panic!("expected RelationRefused, got {other}"),
        Ok(_) => panic!("expected RelationRefused, got a value"),
    }
}

#[test]
fn raise_option_refuses_access_naming_the_relation() {
    let mut session = library(8);
    let authors = session
        .query::<Author>()
        .options(raise(Author::BOOKS))
        .order_by(Author::ID)
        .all()
        .unwrap();
    let author = &authors[2];
    assert_eq!(author.books.state(), LoadState::Refused);
    assert_eq!(refused(author.books.get()), ("Author", "books"));
    let (result, statements) = counted(&mut session, |s| {
        s.load(Author::BOOKS, author).map(|b| b.len())
    });
    assert_eq!(statements, 0);
    let error = result.unwrap_err();
    assert!(matches!(
        error,
        Error::RelationRefused {
            entity: "Author",
            relation: "books"
        }
    ));
    let message = error.to_string();
    assert!(
        message.contains("Author.books") && message.contains("raise"),
        "{message}"
    );
    // Other relations of the same objects are untouched.
    assert_eq!(author.bio.state(), LoadState::Unloaded);
    assert!(session.load(Author::BIO, author).is_ok());
}

#[test]
fn raise_refuses_a_many_to_one_even_when_the_target_is_in_the_map() {
    let mut session = library(8);
    let _author = session.get::<Author>(3).unwrap().unwrap();
    let book = session
        .query::<Book>()
        .options(raise(Book::AUTHOR))
        .filter(Book::ID.eq(4))
        .one()
        .unwrap();
    let (result, statements) = counted(&mut session, |s| {
        s.load(Book::AUTHOR, &book).map(|a| a.is_some())
    });
    assert_eq!(refused(result), ("Book", "author"));
    assert_eq!(statements, 0);
    assert_eq!(refused(book.author.get()), ("Book", "author"));
}

#[test]
fn raise_mapping_refuses_every_kind_at_no_cost() {
    use raising::*;
    let mut session = big_library();
    macro_rules! refuses {
        ($relation:expr, $order:expr, $entity:literal, $name:literal) => {
            for n in SIZES {
                session.expunge_all();
                let (parents, statements) = counted(&mut session, |s| {
                    query_parents(s, $relation, None, |q| q.order_by($order), n)
                });
                assert_eq!(statements, 1);
                for parent in &parents {
                    assert_eq!($relation.field(parent).state(), LoadState::Refused);
                    assert_eq!(refused($relation.field(parent).get()), ($entity, $name));
                    assert_eq!(
                        refused(session.load($relation, parent).map(|_| ())),
                        ($entity, $name)
                    );
                }
                assert_eq!(session.statement_count(), 1);
            }
        };
    }
    refuses!(AuthorBooks::BOOKS, AuthorBooks::ID, "AuthorBooks", "books");
    refuses!(AuthorBio::BIO, AuthorBio::ID, "AuthorBio", "bio");
    refuses!(BookAuthor::AUTHOR, BookAuthor::ID, "BookAuthor", "author");
    refuses!(BookEditor::EDITOR, BookEditor::ID, "BookEditor", "editor");
    refuses!(BookTags::TAGS, BookTags::ID, "BookTags", "tags");
    refuses!(TagBooks::BOOKS, TagBooks::ID, "TagBooks", "books");
    refuses!(
        CategoryChildren::CHILDREN,
        CategoryChildren::ID,
        "CategoryChildren",
        "children"
    );
    refuses!(
        CategoryParent::PARENT,
        CategoryParent::ID,
        "CategoryParent",
        "parent"
    );
}

#[test]
fn noload_mapping_reads_empty_for_every_kind_at_no_cost() {
    use empty::*;
    let mut session = big_library();
    macro_rules! empty {
        ($relation:expr, $order:expr) => {
            for n in SIZES {
                session.expunge_all();
                let (parents, statements) = counted(&mut session, |s| {
                    query_parents(s, $relation, None, |q| q.order_by($order), n)
                });
                assert_eq!(statements, 1);
                for parent in &parents {
                    assert_eq!($relation.field(parent).state(), LoadState::Empty);
                    assert!(session.load($relation, parent).unwrap().is_empty());
                }
                assert!(graph_of($relation, &parents)
                    .iter()
                    .all(|(_, targets)| targets.is_empty()));
                assert_eq!(session.statement_count(), 1);
            }
        };
    }
    empty!(AuthorBooks::BOOKS, AuthorBooks::ID);
    empty!(BookTags::TAGS, BookTags::ID);
    empty!(TagBooks::BOOKS, TagBooks::ID);
    empty!(CategoryChildren::CHILDREN, CategoryChildren::ID);
    // To-one relations read as absent.
    macro_rules! absent {
        ($relation:expr, $order:expr) => {
            for n in SIZES {
                session.expunge_all();
                let (parents, statements) = counted(&mut session, |s| {
                    query_parents(s, $relation, None, |q| q.order_by($order), n)
                });
                assert_eq!(statements, 1);
                for parent in &parents {
                    assert_eq!($relation.field(parent).state(), LoadState::Empty);
                    assert!($relation.field(parent).get().unwrap().is_none());
                    assert!(session.load($relation, parent).unwrap().is_none());
                }
                assert_eq!(session.statement_count(), 1);
            }
        };
    }
    absent!(AuthorBio::BIO, AuthorBio::ID);
    absent!(BookAuthor::AUTHOR, BookAuthor::ID);
    absent!(BookEditor::EDITOR, BookEditor::ID);
    absent!(CategoryParent::PARENT, CategoryParent::ID);
}

#[test]
fn noload_option_reads_empty_even_with_the_target_in_the_map() {
    let mut session = library(8);
    let author = session.get::<Author>(3).unwrap().unwrap();
    let books = session
        .query::<Book>()
        .options(noload(Book::AUTHOR))
        .filter(Book::AUTHOR_ID.eq(3))
        .all()
        .unwrap();
    let authors = session
        .query::<Author>()
        .options(noload(Author::BOOKS))
        .all()
        .unwrap();
    let (_, statements) = counted(&mut session, |s| {
        for book in &books {
            assert_eq!(book.author.state(), LoadState::Empty);
            assert!(s.load(Book::AUTHOR, book).unwrap().is_none());
        }
        for author in &authors {
            assert!(s.load(Author::BOOKS, author).unwrap().is_empty());
        }
    });
    assert_eq!(statements, 0);
    assert!(author.books.get().unwrap().is_empty());
}

#[test]
fn options_override_raise_and_noload_mappings() {
    let mut session = library(8);
    let authors = session
        .query::<raising::AuthorBooks>()
        .options(selectin(raising::AuthorBooks::BOOKS))
        .order_by(raising::AuthorBooks::ID)
        .all()
        .unwrap();
    assert_eq!(
        graph_of(raising::AuthorBooks::BOOKS, &authors)[2],
        (3, vec![4, 5, 6])
    );
    session.expunge_all();
    let authors = session
        .query::<empty::AuthorBooks>()
        .options(select(empty::AuthorBooks::BOOKS))
        .order_by(empty::AuthorBooks::ID)
        .all()
        .unwrap();
    assert_eq!(authors[2].books.state(), LoadState::Unloaded);
    let (books, statements) = counted(&mut session, |s| {
        s.load(empty::AuthorBooks::BOOKS, &authors[2])
            .unwrap()
            .len()
    });
    assert_eq!((books, statements), (3, 1));
    session.expunge_all();
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<raising::AuthorBooks>()
            .options(joined(raising::AuthorBooks::BOOKS))
            .order_by(raising::AuthorBooks::ID)
            .all()
            .unwrap()
    });
    assert_eq!(statements, 1);
    assert_eq!(authors[1].books.get().unwrap().len(), 2);
}

#[test]
fn raise_and_noload_options_last_for_their_query_only() {
    let mut session = library(8);
    let refused_authors = session
        .query::<Author>()
        .options(raise(Author::BOOKS))
        .filter(Author::ID.le(4))
        .all()
        .unwrap();
    let lazy_authors = session
        .query::<Author>()
        .filter(Author::ID.gt(4))
        .all()
        .unwrap();
    assert!(refused_authors
        .iter()
        .all(|a| a.books.state() == LoadState::Refused));
    assert!(lazy_authors
        .iter()
        .all(|a| a.books.state() == LoadState::Unloaded));
    assert_eq!(
        session.load(Author::BOOKS, &lazy_authors[0]).unwrap().len(),
        1
    );

    let mut session = library(8);
    let empty_authors = session
        .query::<Author>()
        .options(noload(Author::BOOKS))
        .filter(Author::ID.le(4))
        .all()
        .unwrap();
    let lazy_authors = session
        .query::<Author>()
        .filter(Author::ID.gt(4))
        .all()
        .unwrap();
    assert!(empty_authors
        .iter()
        .all(|a| a.books.state() == LoadState::Empty));
    assert!(lazy_authors
        .iter()
        .all(|a| a.books.state() == LoadState::Unloaded));
}

#[test]
fn nested_raise_and_noload_options() {
    let mut session = library(8);
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .options(
                selectin(Author::BOOKS)
                    .then(raise(Book::TAGS))
                    .then(noload(Book::AUTHOR)),
            )
            .order_by(Author::ID)
            .all()
            .unwrap()
    });
    assert_eq!(statements, 2);
    let books: Vec<Handle<Book>> = authors
        .iter()
        .flat_map(|a| a.books.get().unwrap().to_vec())
        .collect();
    assert_eq!(books.len(), 12);
    for book in &books {
        assert_eq!(refused(book.tags.get()), ("Book", "tags"));
        assert_eq!(book.author.state(), LoadState::Empty);
        assert!(book.author.get().unwrap().is_none());
    }
    assert_eq!(
        refused(session.load(Book::TAGS, &books[0]).map(|t| t.len())),
        ("Book", "tags")
    );
}
