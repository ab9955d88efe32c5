//! A filter on a loader option (SQLAlchemy's `selectinload(R.and_(...))`):
//! a collection loaded with only the targets the filter matches, for this
//! query, by `selectin`, `joined` and a lazy `select`; marked partial so a
//! load of the whole relation replaces it.

mod support;

use support::engine::either;

use eagerly::prelude::*;
use support::graph::{assert_misuse, counted, sqls};
use support::library::{library, Author, Book};

/// Book ids of each author, by author.
fn books_by_author(authors: &[Handle<Author>]) -> Vec<(i64, Vec<i64>)> {
    authors
        .iter()
        .map(|a| (a.id, a.books.get().unwrap().iter().map(|b| b.id).collect()))
        .collect()
}

/// Each author's books whose title matches `keep`, from a whole load.
fn expected(authors: i64, keep: impl Fn(&Book) -> bool) -> Vec<(i64, Vec<i64>)> {
    let mut session = library(authors);
    session
        .query::<Author>()
        .order_by(Author::ID)
        .options(selectin(Author::BOOKS))
        .all()
        .unwrap()
        .iter()
        .map(|a| {
            let books = a.books.get().unwrap();
            (
                a.id,
                books.iter().filter(|b| keep(b)).map(|b| b.id).collect(),
            )
        })
        .collect()
}

fn odd_title(book: &Book) -> bool {
    book.id % 2 == 1
}

#[test]
fn each_strategy_loads_only_the_matching_targets() {
    let want = expected(12, odd_title);
    assert!(want.iter().any(|(_, b)| !b.is_empty()));
    assert!(want.iter().any(|(_, b)| b.is_empty()));
    for (label, statements) in [("selectin", 2), ("joined", 1), ("select", 1 + 12)] {
        let mut session = library(12);
        let filter = Book::ID.in_([
            1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33,
        ]);
        let (authors, sent) = counted(&mut session, |s| {
            let query = s.query::<Author>().order_by(Author::ID);
            let query = match label {
                "selectin" => query.options(selectin(Author::BOOKS).filter(filter)),
                "joined" => query.options(joined(Author::BOOKS).filter(filter)),
                _ => query.options(select(Author::BOOKS).filter(filter)),
            };
            let authors = query.all().unwrap();
            for author in &authors {
                s.load(Author::BOOKS, author).unwrap();
            }
            authors
        });
        assert_eq!(sent, statements, "{label}");
        assert_eq!(books_by_author(&authors), want, "{label}");
        assert!(authors.iter().all(|a| a.books.is_partial()), "{label}");
    }
}

#[test]
fn the_filter_is_bound_and_typed_by_the_target() {
    let want = expected(8, |b| b.title.contains('3'));
    let mut session = library(8);
    let authors = session
        .query::<Author>()
        .order_by(Author::ID)
        .filter(Author::ID.gt(0))
        .options(selectin(Author::BOOKS).filter(Book::TITLE.like("%3%")))
        .all()
        .unwrap();
    assert_eq!(books_by_author(&authors), want);
    let logged = session.statements();
    assert!(
        logged[1].sql.contains(either(
            r#"("title" LIKE ?) AND "author_id" IN ("#,
            r#"("title" LIKE $1) AND "author_id" = ANY($2)"#
        )),
        "{}",
        logged[1].sql
    );

    // Joined: in the join's ON clause, after the root's own parameter.
    let mut session = library(8);
    let authors = session
        .query::<Author>()
        .order_by(Author::ID)
        .filter(Author::ID.gt(0))
        .options(joined(Author::BOOKS).filter(Book::TITLE.like("%3%")))
        .all()
        .unwrap();
    assert_eq!(books_by_author(&authors), want);
    let sql = &sqls(&session)[0];
    assert!(
        sql.contains(either(
            r#" AND (j1."title" LIKE ?)"#,
            r#" AND (j1."title" LIKE $2)"#
        )),
        "{sql}"
    );
    assert_eq!(session.statements()[0].params, 2);
}

#[test]
fn two_filters_and_a_limit_combine() {
    let want: Vec<(i64, Vec<i64>)> = expected(12, |b| b.id > 3 && odd_title(b))
        .into_iter()
        .map(|(a, books)| (a, books.into_iter().take(1).collect()))
        .collect();
    let mut session = library(12);
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .order_by(Author::ID)
            .options(
                selectin(Author::BOOKS)
                    .filter(Book::ID.gt(3))
                    .filter(Book::ID.in_([5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33]))
                    .limit_per_parent(1),
            )
            .all()
            .unwrap()
    });
    assert_eq!(statements, 2);
    assert_eq!(books_by_author(&authors), want);
}

#[test]
fn a_later_plain_query_does_not_take_the_filtered_collection_for_the_whole() {
    let whole = expected(12, |_| true);
    let mut session = library(12);
    let filtered = session
        .query::<Author>()
        .order_by(Author::ID)
        .options(joined(Author::BOOKS).filter(Book::ID.eq(1)))
        .all()
        .unwrap();
    assert!(filtered.iter().all(|a| a.books.is_partial()));
    let (again, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .order_by(Author::ID)
            .options(selectin(Author::BOOKS))
            .all()
            .unwrap()
    });
    assert_eq!(statements, 2, "the books load again, whole");
    assert_eq!(books_by_author(&again), whole);
    assert!(again.iter().all(|a| !a.books.is_partial()));
    // A filtered query afterwards keeps the whole collections.
    let (kept, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .order_by(Author::ID)
            .options(selectin(Author::BOOKS).filter(Book::ID.eq(1)))
            .all()
            .unwrap()
    });
    assert_eq!(statements, 1);
    assert_eq!(books_by_author(&kept), whole);
}

#[test]
fn a_filter_only_on_a_collection_with_an_eager_or_select_option() {
    let mut session = library(4);
    let to_one = session
        .query::<Book>()
        .options(selectin(Book::AUTHOR).filter(Author::ID.eq(1)))
        .all();
    let bulk_filter = session
        .query::<Author>()
        .options(bulk(Author::BOOKS).filter(Book::ID.eq(1)))
        .all();
    assert_eq!(
        session.statement_count(),
        0,
        "refused before anything is sent"
    );
    assert_misuse(to_one, "a filter on Book.author: only a collection");
    assert_misuse(
        bulk_filter,
        "a filter on Author.books: only a selectin, joined or select option",
    );
}
