//! `bulk` (SQLAlchemy-bulk-lazy-loader): on first access, the relation loads
//! for every object of that type in the session whose relation is not loaded
//! yet, one `IN` statement per chunk, keys de-duplicated and sorted.

mod support;

use support::engine::either;

use eagerly::prelude::*;
use eagerly::{LoadState, Strategy};
use support::eager::{library_mapping, single_relation_mappings};
use support::graph::{counted, graph_of, param_counts};
use support::library::{library, library_in, Author, Book};
use support::matrix::{
    big_library, check_chunked, library_kind, mapped_kinds, per_key, per_parent, Kind,
};
use support::recorder::{ints, recording_session};

single_relation_mappings!(mod mapped, "bulk");
single_relation_mappings!(mod chunked, "bulk", chunk_size: 7);

library_mapping!(mod bulk_tags {
    books: "selectin",
    bio: "select",
    author: "select",
    editor: "select",
    tags: "bulk",
    tag_books: "select",
    parent: "select",
    children: "select",
});

#[test]
fn one_to_many() {
    library_kind(Kind::OneToMany, Strategy::Bulk);
}

#[test]
fn one_to_one() {
    library_kind(Kind::OneToOne, Strategy::Bulk);
}

#[test]
fn many_to_one() {
    library_kind(Kind::ManyToOne, Strategy::Bulk);
}

#[test]
fn optional_many_to_one() {
    library_kind(Kind::OptionalManyToOne, Strategy::Bulk);
}

#[test]
fn many_to_many() {
    library_kind(Kind::ManyToMany, Strategy::Bulk);
}

#[test]
fn many_to_many_other_side() {
    library_kind(Kind::ManyToManyReverse, Strategy::Bulk);
}

#[test]
fn self_referential_children() {
    library_kind(Kind::SelfChildren, Strategy::Bulk);
}

#[test]
fn self_referential_parent() {
    library_kind(Kind::SelfParent, Strategy::Bulk);
}

#[test]
fn mapping_default_bulk_for_every_kind() {
    assert_eq!(mapped::AuthorBooks::BOOKS.meta().lazy(), Strategy::Bulk);
    mapped_kinds!(mapped, Strategy::Bulk);
}

#[test]
fn nothing_loads_before_first_access() {
    let mut session = library(8);
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<mapped::AuthorBooks>().all().unwrap()
    });
    assert_eq!(statements, 1);
    assert!(authors
        .iter()
        .all(|a| a.books.state() == LoadState::Unloaded));
    // Then one access loads them all; the others cost nothing.
    let (_, statements) = counted(&mut session, |s| {
        for author in authors.iter().rev() {
            s.load(mapped::AuthorBooks::BOOKS, author).unwrap();
        }
    });
    assert_eq!(statements, 1);
}

#[test]
fn keys_are_de_duplicated_and_sorted() {
    let (session, queries) = recording_session();
    let mut session = library_in(session, 20);
    let books = session
        .query::<Book>()
        .options(bulk(Book::AUTHOR))
        .order_by(Book::ID.desc())
        .all()
        .unwrap();
    queries.lock().unwrap().clear();
    // Access from the middle: still every book, each author once, in order.
    session.load(Book::AUTHOR, &books[13]).unwrap();
    let recorded = queries.lock().unwrap().clone();
    assert_eq!(recorded.len(), 1);
    let authors_with_books: Vec<i64> = (1..=20).filter(|a| a % 4 != 0).collect();
    assert_eq!(ints(&recorded[0].1), authors_with_books);
    assert!(books
        .iter()
        .all(|b| b.author.get().unwrap().unwrap().id == b.author_id));

    let authors = session
        .query::<Author>()
        .options(bulk(Author::BOOKS))
        .order_by(Author::ID.desc())
        .all()
        .unwrap();
    queries.lock().unwrap().clear();
    session.load(Author::BOOKS, &authors[5]).unwrap();
    let recorded = queries.lock().unwrap().clone();
    assert_eq!(ints(&recorded[0].1), (1..=20).collect::<Vec<_>>());
    assert!(
        recorded[0].0.contains(either(
            r#"WHERE "author_id" IN (?, ?, ?"#,
            r#"WHERE "author_id" = ANY($1)"#
        )),
        "{}",
        recorded[0].0
    );
}

#[test]
fn same_keys_same_sql_whatever_the_order_of_access() {
    let statements_for = |descending: bool, accessed: usize| {
        let mut session = library(30);
        let order = if descending {
            Author::ID.desc()
        } else {
            Author::ID.asc()
        };
        let authors = session
            .query::<Author>()
            .options(bulk(Author::BOOKS))
            .order_by(order)
            .all()
            .unwrap();
        session.reset_statements();
        session.load(Author::BOOKS, &authors[accessed]).unwrap();
        session.statements().to_vec()
    };
    let reference = statements_for(false, 0);
    assert_eq!(reference.len(), 1);
    assert_eq!(statements_for(true, 0), reference);
    assert_eq!(statements_for(true, 17), reference);
}

#[test]
fn loads_every_similar_object_of_the_session_across_queries() {
    let (session, queries) = recording_session();
    let mut session = library_in(session, 20);
    let first = session
        .query::<Author>()
        .options(bulk(Author::BOOKS))
        .filter(Author::ID.le(3))
        .all()
        .unwrap();
    let second = session
        .query::<Author>()
        .options(bulk(Author::BOOKS))
        .filter(Author::ID.ge(18))
        .all()
        .unwrap();
    queries.lock().unwrap().clear();
    let (_, statements) = counted(&mut session, |s| {
        s.load(Author::BOOKS, &second[0]).unwrap().len()
    });
    assert_eq!(statements, 1);
    assert_eq!(
        ints(&queries.lock().unwrap()[0].1),
        vec![1, 2, 3, 18, 19, 20]
    );
    assert_eq!(
        graph_of(Author::BOOKS, &first),
        vec![(1, vec![1]), (2, vec![2, 3]), (3, vec![4, 5, 6])]
    );
    assert_eq!(
        graph_of(Author::BOOKS, &second),
        vec![(18, vec![26, 27]), (19, vec![28, 29, 30]), (20, vec![])]
    );
}

#[test]
fn objects_already_loaded_are_left_out() {
    let (session, queries) = recording_session();
    let mut session = library_in(session, 8);
    let second = session
        .query::<Author>()
        .options(selectin(Author::BOOKS))
        .filter(Author::ID.eq(2))
        .one()
        .unwrap();
    let authors = session
        .query::<Author>()
        .options(bulk(Author::BOOKS))
        .filter(Author::ID.le(5))
        .order_by(Author::ID)
        .all()
        .unwrap();
    assert!(Handle::ptr_eq(&authors[1], &second));
    queries.lock().unwrap().clear();
    session.load(Author::BOOKS, &authors[0]).unwrap();
    assert_eq!(ints(&queries.lock().unwrap()[0].1), vec![1, 3, 4, 5]);
    assert_eq!(graph_of(Author::BOOKS, &authors)[1], (2, vec![2, 3]));
}

#[test]
fn objects_of_another_strategy_or_dropped_are_left_out() {
    let (session, queries) = recording_session();
    let mut session = library_in(session, 12);
    let bulk_loaded = session
        .query::<Author>()
        .options(bulk(Author::BOOKS))
        .filter(Author::ID.le(6))
        .order_by(Author::ID)
        .all()
        .unwrap();
    let lazy = session
        .query::<Author>()
        .filter(Author::ID.ge(7))
        .all()
        .unwrap();
    // Dropped objects leave the (weak) identity map, so bulk cannot see them.
    let kept: Vec<_> = bulk_loaded[..3].to_vec();
    drop(bulk_loaded);
    queries.lock().unwrap().clear();
    session.load(Author::BOOKS, &kept[0]).unwrap();
    assert_eq!(ints(&queries.lock().unwrap()[0].1), vec![1, 2, 3]);
    assert!(
        lazy.iter().all(|a| a.books.state() == LoadState::Unloaded),
        "select objects wait for their own access"
    );
}

#[test]
fn reads_keys_from_the_objects_without_refreshing_them() {
    let mut session = library(50);
    let books = session
        .query::<Book>()
        .options(bulk(Book::AUTHOR))
        .all()
        .unwrap();
    let (_, statements) = counted(&mut session, |s| {
        s.load(Book::AUTHOR, &books[0]).unwrap().is_some()
    });
    assert_eq!(statements, 1);
    assert!(session.statements()[0].sql.starts_with(either(
        r#"SELECT "id", "name" FROM "authors" WHERE "id" IN ("#,
        r#"SELECT "id", "name" FROM "authors" WHERE "id" = ANY($1)"#
    )));
}

#[test]
fn many_to_one_targets_in_the_map_cost_nothing() {
    let (session, queries) = recording_session();
    let mut session = library_in(session, 8);
    let held = session
        .query::<Author>()
        .filter(Author::ID.le(3))
        .all()
        .unwrap();
    let books = session
        .query::<Book>()
        .options(bulk(Book::AUTHOR))
        .order_by(Book::ID)
        .all()
        .unwrap();
    queries.lock().unwrap().clear();
    session.load(Book::AUTHOR, &books[0]).unwrap();
    assert_eq!(ints(&queries.lock().unwrap()[0].1), vec![5, 6, 7]);
    assert!(Handle::ptr_eq(
        &books[0].author.get().unwrap().unwrap(),
        &held[0]
    ));

    // Only targets in the map: no statement.
    let books = session
        .query::<Book>()
        .options(bulk(Book::AUTHOR))
        .filter(Book::AUTHOR_ID.le(3))
        .all()
        .unwrap();
    let (_, statements) = counted(&mut session, |s| {
        s.load(Book::AUTHOR, &books[0]).unwrap().is_some()
    });
    assert_eq!(statements, 0);
}

#[test]
fn chunk_size_changes_the_chunking() {
    use chunked::*;
    let s = &mut big_library();
    check_chunked(
        s,
        AuthorBooks::BOOKS,
        Strategy::Bulk,
        false,
        |q| q.order_by(AuthorBooks::ID),
        per_parent,
        7,
    );
    check_chunked(
        s,
        BookAuthor::AUTHOR,
        Strategy::Bulk,
        false,
        |q| q.order_by(BookAuthor::ID),
        per_key,
        7,
    );
    s.expunge_all();
    let authors = s.query::<AuthorBooks>().limit(15).all().unwrap();
    let (_, statements) = counted(s, |s| {
        s.load(AuthorBooks::BOOKS, &authors[0]).unwrap().len()
    });
    assert_eq!(statements, 3);
    // PostgreSQL binds each chunk's keys as one array parameter.
    assert_eq!(param_counts(s), either(vec![7, 7, 1], vec![1, 1, 1]));
}

#[test]
fn default_chunks_hold_500_keys() {
    let mut session = library(1200);
    let authors = session
        .query::<Author>()
        .options(bulk(Author::BOOKS))
        .all()
        .unwrap();
    session.reset_statements();
    session.load(Author::BOOKS, &authors[0]).unwrap();
    // SQLite: 500 placeholders per statement; PostgreSQL: one array of 1200.
    assert_eq!(param_counts(&session), either(vec![500, 500, 200], vec![1]));
}

#[test]
fn objects_loaded_through_relations_take_part() {
    use bulk_tags::*;
    let mut session = library(20);
    let authors = session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap();
    let books: Vec<Handle<Book>> = authors
        .iter()
        .flat_map(|a| a.books.get().unwrap().to_vec())
        .collect();
    assert_eq!(books.len(), 30);
    let (_, statements) = counted(&mut session, |s| {
        s.load(Book::TAGS, &books[7]).unwrap().len()
    });
    assert_eq!(
        statements, 1,
        "every book the session holds, whichever path loaded it"
    );
    // 30 keys: 30 placeholders on SQLite, one array on PostgreSQL.
    assert_eq!(session.statements()[0].params, either(30, 1));
    assert!(books.iter().all(|b| b.tags.is_loaded()));
}
