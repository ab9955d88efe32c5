//! Typed queries: filters, ordering, paging, first/one/count, bound values.

mod support;

use support::engine::{either, is_postgres, unnumbered};

use eagerly::prelude::*;

#[derive(Entity, Debug)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub pages: i32,
    pub rating: Option<f64>,
    pub subtitle: Option<String>,
}

fn book(id: i64, title: &str, pages: i32, rating: Option<f64>, subtitle: Option<&str>) -> Book {
    Book {
        id,
        title: title.into(),
        pages,
        rating,
        subtitle: subtitle.map(Into::into),
    }
}

/// Five books; the statement log is reset afterwards.
fn seeded() -> Session {
    let mut session = support::engine::session();
    session.create_all(&[Book::META]).unwrap();
    for b in [
        book(1, "Alpha", 100, Some(4.5), None),
        book(2, "Beta", 200, None, Some("b")),
        book(3, "Gamma", 300, Some(3.0), Some("g")),
        book(4, "delta", 150, Some(5.0), None),
        book(5, "Epsilon", 250, None, None),
    ] {
        session.insert(b).unwrap();
    }
    session.reset_statements();
    session
}

fn ids(books: &[Handle<Book>]) -> Vec<i64> {
    books.iter().map(|b| b.id).collect()
}

/// Runs `filter` ordered by id and returns the ids; checks that exactly one
/// statement was sent and returns its SQL and parameter count too.
fn run(session: &mut Session, filter: Filter<Book>) -> (Vec<i64>, String, usize) {
    session.reset_statements();
    let found = session
        .query::<Book>()
        .filter(filter)
        .order_by(Book::ID)
        .all()
        .unwrap();
    assert_eq!(session.statement_count(), 1);
    let logged = session.statements()[0].clone();
    (ids(&found), unnumbered(&logged.sql), logged.params)
}

#[test]
fn comparisons() {
    let mut s = seeded();
    let (found, sql, params) = run(&mut s, Book::PAGES.eq(200));
    assert_eq!(found, [2]);
    assert!(sql.contains("WHERE \"pages\" = ?"), "{sql}");
    assert_eq!(params, 1);

    let (found, sql, _) = run(&mut s, Book::PAGES.ne(200));
    assert_eq!(found, [1, 3, 4, 5]);
    assert!(sql.contains("\"pages\" <> ?"), "{sql}");

    let (found, sql, _) = run(&mut s, Book::PAGES.lt(200));
    assert_eq!(found, [1, 4]);
    assert!(sql.contains("\"pages\" < ?"), "{sql}");

    let (found, sql, _) = run(&mut s, Book::PAGES.le(200));
    assert_eq!(found, [1, 2, 4]);
    assert!(sql.contains("\"pages\" <= ?"), "{sql}");

    let (found, sql, _) = run(&mut s, Book::PAGES.gt(200));
    assert_eq!(found, [3, 5]);
    assert!(sql.contains("\"pages\" > ?"), "{sql}");

    let (found, sql, _) = run(&mut s, Book::PAGES.ge(200));
    assert_eq!(found, [2, 3, 5]);
    assert!(sql.contains("\"pages\" >= ?"), "{sql}");

    let (found, _, _) = run(&mut s, Book::TITLE.eq("Gamma"));
    assert_eq!(found, [3]);
    let title = String::from("Beta");
    let (found, _, _) = run(&mut s, Book::TITLE.eq(&title));
    assert_eq!(found, [2]);
    let (found, _, _) = run(&mut s, Book::TITLE.eq(title));
    assert_eq!(found, [2]);
}

#[test]
fn comparisons_on_optional_columns() {
    let mut s = seeded();
    // A plain value compares with an Option column.
    let (found, _, params) = run(&mut s, Book::RATING.ge(4.5));
    assert_eq!(found, [1, 4]);
    assert_eq!(params, 1);
    let (found, _, _) = run(&mut s, Book::RATING.eq(Some(3.0)));
    assert_eq!(found, [3]);
    // SQL semantics: NULL rows never satisfy <>.
    let (found, _, _) = run(&mut s, Book::RATING.ne(3.0));
    assert_eq!(found, [1, 4]);
    let (found, _, _) = run(&mut s, Book::SUBTITLE.eq("g"));
    assert_eq!(found, [3]);
}

#[test]
fn eq_none_is_null_and_ne_none_is_not_null() {
    let mut s = seeded();
    let (found, sql, params) = run(&mut s, Book::RATING.eq(None));
    assert_eq!(found, [2, 5]);
    assert!(sql.contains("\"rating\" IS NULL"), "{sql}");
    assert_eq!(params, 0);

    let (found, sql, params) = run(&mut s, Book::SUBTITLE.ne(None));
    assert_eq!(found, [2, 3]);
    assert!(sql.contains("\"subtitle\" IS NOT NULL"), "{sql}");
    assert_eq!(params, 0);
}

#[test]
fn is_null_and_is_not_null() {
    let mut s = seeded();
    let (found, sql, params) = run(&mut s, Book::SUBTITLE.is_null());
    assert_eq!(found, [1, 4, 5]);
    assert!(sql.contains("\"subtitle\" IS NULL"), "{sql}");
    assert_eq!(params, 0);
    let (found, sql, _) = run(&mut s, Book::RATING.is_not_null());
    assert_eq!(found, [1, 3, 4]);
    assert!(sql.contains("\"rating\" IS NOT NULL"), "{sql}");
}

#[test]
fn like_patterns() {
    let mut s = seeded();
    let (found, sql, params) = run(&mut s, Book::TITLE.like("%ta"));
    assert_eq!(found, [2, 4]);
    assert!(sql.contains("\"title\" LIKE ?"), "{sql}");
    assert_eq!(params, 1);
    // SQLite's LIKE is ASCII case-insensitive; PostgreSQL's is not.
    let (found, _, _) = run(&mut s, Book::TITLE.like("a%"));
    assert_eq!(found, either(vec![1], vec![]));
    let (found, _, _) = run(&mut s, Book::TITLE.like("A%"));
    assert_eq!(found, [1]);
    let (found, _, _) = run(&mut s, Book::TITLE.like("_amma"));
    assert_eq!(found, [3]);
    let (found, _, _) = run(&mut s, Book::SUBTITLE.like("%"));
    assert_eq!(found, [2, 3]);
}

#[test]
fn in_and_not_in() {
    let mut s = seeded();
    let (found, sql, params) = run(&mut s, Book::ID.in_([1, 3, 5, 99]));
    assert_eq!(found, [1, 3, 5]);
    assert!(sql.contains("\"id\" IN (?, ?, ?, ?)"), "{sql}");
    assert_eq!(params, 4);

    let (found, sql, params) = run(&mut s, Book::ID.not_in(vec![1, 3]));
    assert_eq!(found, [2, 4, 5]);
    assert!(sql.contains("\"id\" NOT IN (?, ?)"), "{sql}");
    assert_eq!(params, 2);

    let (found, _, _) = run(&mut s, Book::TITLE.in_(["Beta", "delta"]));
    assert_eq!(found, [2, 4]);
    let titles = vec!["Alpha".to_owned(), "Gamma".to_owned()];
    let (found, _, _) = run(&mut s, Book::TITLE.in_(&titles));
    assert_eq!(found, [1, 3]);
}

#[test]
fn empty_in_lists() {
    let mut s = seeded();
    let (found, _, params) = run(&mut s, Book::ID.in_(Vec::<i64>::new()));
    assert!(found.is_empty());
    assert_eq!(params, 0);
    let (found, _, params) = run(&mut s, Book::ID.not_in(Vec::<i64>::new()));
    assert_eq!(found, [1, 2, 3, 4, 5]);
    assert_eq!(params, 0);
    // Combined with other conditions.
    let (found, _, params) = run(
        &mut s,
        Book::ID.in_(Vec::<i64>::new()) | Book::PAGES.eq(300),
    );
    assert_eq!(found, [3]);
    assert_eq!(params, 1);
    let (found, _, _) = run(&mut s, !Book::ID.in_(Vec::<i64>::new()));
    assert_eq!(found, [1, 2, 3, 4, 5]);
    assert_eq!(
        s.query::<Book>()
            .filter(Book::ID.in_(Vec::<i64>::new()))
            .count()
            .unwrap(),
        0
    );
}

#[test]
fn and_or_not_methods_and_operators() {
    let mut s = seeded();
    let (found, sql, params) = run(&mut s, Book::PAGES.gt(100).and(Book::PAGES.lt(300)));
    assert_eq!(found, [2, 4, 5]);
    assert!(sql.contains(" AND "), "{sql}");
    assert_eq!(params, 2);
    let (found2, _, _) = run(&mut s, Book::PAGES.gt(100) & Book::PAGES.lt(300));
    assert_eq!(found, found2);

    let (found, sql, _) = run(&mut s, Book::ID.eq(1).or(Book::ID.eq(5)));
    assert_eq!(found, [1, 5]);
    assert!(sql.contains(" OR "), "{sql}");
    let (found2, _, _) = run(&mut s, Book::ID.eq(1) | Book::ID.eq(5));
    assert_eq!(found, found2);

    let (found, sql, _) = run(&mut s, Book::PAGES.lt(200).not());
    assert_eq!(found, [2, 3, 5]);
    assert!(sql.contains("NOT ("), "{sql}");
    let (found2, _, _) = run(&mut s, !Book::PAGES.lt(200));
    assert_eq!(found, found2);

    // SQL NOT keeps NULL unknown: rows with a NULL rating match neither.
    let (found, _, _) = run(&mut s, !Book::RATING.gt(4.0));
    assert_eq!(found, [3]);

    // Precedence is explicit: (a OR b) AND c differs from a OR (b AND c).
    let (found, _, params) = run(
        &mut s,
        (Book::ID.eq(1) | Book::ID.eq(2)) & Book::PAGES.gt(150),
    );
    assert_eq!(found, [2]);
    assert_eq!(params, 3);
    let (found, _, _) = run(
        &mut s,
        Book::ID.eq(1) | (Book::ID.eq(2) & Book::PAGES.gt(150)),
    );
    assert_eq!(found, [1, 2]);
    let (found, _, _) = run(
        &mut s,
        !(Book::ID.eq(1) | Book::ID.eq(2)) & (Book::SUBTITLE.is_null() | Book::PAGES.eq(300)),
    );
    assert_eq!(found, [3, 4, 5]);

    // Long chains flatten but keep their meaning.
    let (found, _, params) = run(
        &mut s,
        Book::ID.eq(1) | Book::ID.eq(2) | Book::ID.eq(3) | Book::ID.eq(4),
    );
    assert_eq!(found, [1, 2, 3, 4]);
    assert_eq!(params, 4);

    // Filters can be reused.
    let big = Book::PAGES.ge(250);
    let (found, _, _) = run(&mut s, big.clone() & Book::RATING.is_null());
    assert_eq!(found, [5]);
    let (found, _, _) = run(&mut s, big);
    assert_eq!(found, [3, 5]);
}

#[test]
fn several_filter_calls_combine_with_and() {
    let mut s = seeded();
    let found = s
        .query::<Book>()
        .filter(Book::PAGES.ge(150))
        .filter(Book::ID.eq(1) | Book::ID.eq(2) | Book::ID.eq(4))
        .filter(Book::RATING.is_not_null())
        .all()
        .unwrap();
    assert_eq!(ids(&found), [4]);
    assert_eq!(s.statement_count(), 1);
    assert_eq!(s.statements()[0].params, 4);
}

#[test]
fn order_by_terms() {
    let mut s = seeded();
    s.insert(book(6, "Alpha", 50, None, None)).unwrap();
    s.reset_statements();

    let asc = s.query::<Book>().order_by(Book::PAGES).all().unwrap();
    assert_eq!(ids(&asc), [6, 1, 4, 2, 5, 3]);
    let asc2 = s.query::<Book>().order_by(Book::PAGES.asc()).all().unwrap();
    assert_eq!(ids(&asc2), ids(&asc));
    let desc = s
        .query::<Book>()
        .order_by(Book::PAGES.desc())
        .all()
        .unwrap();
    assert_eq!(ids(&desc), [3, 5, 2, 4, 1, 6]);
    assert!(unnumbered(&s.statements()[2].sql).ends_with("ORDER BY \"pages\" DESC"));

    let multi = s
        .query::<Book>()
        .order_by(Book::TITLE)
        .order_by(Book::ID.desc())
        .all()
        .unwrap();
    // "delta" sorts after upper-case titles with the default BINARY collation.
    assert_eq!(ids(&multi), [6, 1, 2, 5, 3, 4]);
    assert!(s.statements()[3]
        .sql
        .ends_with("ORDER BY \"title\", \"id\" DESC"));
    assert_eq!(s.statement_count(), 4);
}

#[test]
fn limit_and_offset() {
    let mut s = seeded();
    let page = s.query::<Book>().order_by(Book::ID).limit(2).all().unwrap();
    assert_eq!(ids(&page), [1, 2]);
    let logged = s.statements()[0].clone();
    assert!(
        unnumbered(&logged.sql).ends_with("LIMIT ?"),
        "{}",
        unnumbered(&logged.sql)
    );
    assert_eq!(logged.params, 1);

    let page = s
        .query::<Book>()
        .order_by(Book::ID)
        .limit(2)
        .offset(2)
        .all()
        .unwrap();
    assert_eq!(ids(&page), [3, 4]);
    let logged = s.statements()[1].clone();
    assert!(
        unnumbered(&logged.sql).ends_with("LIMIT ? OFFSET ?"),
        "{}",
        unnumbered(&logged.sql)
    );
    assert_eq!(logged.params, 2);

    let page = s
        .query::<Book>()
        .order_by(Book::ID)
        .offset(3)
        .all()
        .unwrap();
    assert_eq!(ids(&page), [4, 5]);
    // SQLite needs a LIMIT before OFFSET (bound as -1); PostgreSQL does not.
    assert_eq!(s.statements()[2].params, either(2, 1));

    let page = s
        .query::<Book>()
        .order_by(Book::ID)
        .offset(10)
        .all()
        .unwrap();
    assert!(page.is_empty());
    let none = s.query::<Book>().limit(0).all().unwrap();
    assert!(none.is_empty());
    let huge = s.query::<Book>().limit(u64::MAX).offset(1).all().unwrap();
    assert_eq!(huge.len(), 4);

    let filtered = s
        .query::<Book>()
        .filter(Book::PAGES.gt(100))
        .order_by(Book::PAGES.desc())
        .limit(2)
        .offset(1)
        .all()
        .unwrap();
    assert_eq!(ids(&filtered), [5, 2]);
    assert_eq!(s.statement_count(), 7);
}

#[test]
fn first() {
    let mut s = seeded();
    let top = s
        .query::<Book>()
        .order_by(Book::PAGES.desc())
        .first()
        .unwrap()
        .unwrap();
    assert_eq!(top.id, 3);
    assert!(unnumbered(&s.statements()[0].sql).ends_with("LIMIT ?"));
    let none = s
        .query::<Book>()
        .filter(Book::PAGES.gt(1000))
        .first()
        .unwrap();
    assert!(none.is_none());
    let second = s
        .query::<Book>()
        .order_by(Book::ID)
        .offset(1)
        .first()
        .unwrap()
        .unwrap();
    assert_eq!(second.id, 2);
    assert_eq!(s.statement_count(), 3);
}

#[test]
fn one_and_its_errors() {
    let mut s = seeded();
    let gamma = s
        .query::<Book>()
        .filter(Book::TITLE.eq("Gamma"))
        .one()
        .unwrap();
    assert_eq!(gamma.id, 3);

    match s.query::<Book>().filter(Book::PAGES.gt(1000)).one() {
        Err(Error::NotFound { table }) => assert_eq!(table, "books"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    match s.query::<Book>().filter(Book::PAGES.gt(100)).one() {
        Err(Error::MultipleRows { table }) => assert_eq!(table, "books"),
        other => panic!("expected MultipleRows, got {other:?}"),
    }
    // A limit of one makes a single row out of many.
    let one = s.query::<Book>().order_by(Book::ID).limit(1).one().unwrap();
    assert_eq!(one.id, 1);
    assert_eq!(s.statement_count(), 4);
    // The session stays usable after these errors.
    assert_eq!(s.query::<Book>().count().unwrap(), 5);
}

#[test]
fn count() {
    let mut s = seeded();
    assert_eq!(s.query::<Book>().count().unwrap(), 5);
    assert_eq!(
        unnumbered(&s.statements()[0].sql),
        "SELECT COUNT(*) FROM \"books\""
    );
    assert_eq!(s.statements()[0].params, 0);

    assert_eq!(
        s.query::<Book>()
            .filter(Book::RATING.is_null() | Book::PAGES.eq(300))
            .count()
            .unwrap(),
        3
    );
    assert_eq!(s.statements()[1].params, 1);

    assert_eq!(s.query::<Book>().limit(3).count().unwrap(), 3);
    assert_eq!(s.query::<Book>().limit(10).count().unwrap(), 5);
    assert_eq!(s.query::<Book>().offset(4).count().unwrap(), 1);
    assert_eq!(s.query::<Book>().limit(2).offset(4).count().unwrap(), 1);
    assert_eq!(
        s.query::<Book>()
            .filter(Book::PAGES.ge(150))
            .order_by(Book::PAGES)
            .limit(2)
            .offset(1)
            .count()
            .unwrap(),
        2
    );
    assert_eq!(s.statements()[6].params, 3);
    assert_eq!(
        s.query::<Book>()
            .filter(Book::PAGES.gt(1000))
            .order_by(Book::TITLE.desc())
            .count()
            .unwrap(),
        0
    );
    assert_eq!(
        s.query::<Book>()
            .filter(Book::PAGES.gt(1000))
            .count()
            .unwrap(),
        0
    );
    assert_eq!(s.statement_count(), 9);
    // count builds no objects.
    assert_eq!(s.identity_map_len(), 0);
}

#[test]
fn every_value_is_a_bound_parameter() {
    let mut s = seeded();
    let found = s
        .query::<Book>()
        .filter(
            Book::TITLE.eq("Gamma")
                | Book::TITLE.like("Zeta%")
                | Book::PAGES.in_([12345, 23456])
                | Book::RATING.gt(9.75),
        )
        .order_by(Book::ID)
        .limit(7)
        .offset(0)
        .all()
        .unwrap();
    assert_eq!(ids(&found), [3]);
    let logged = &s.statements()[0];
    for literal in ["Gamma", "Zeta", "12345", "23456", "9.75", "7"] {
        assert!(
            !unnumbered(&logged.sql).contains(literal),
            "{literal} inlined in {}",
            unnumbered(&logged.sql)
        );
    }
    assert_eq!(unnumbered(&logged.sql).matches('?').count(), 7);
    assert_eq!(logged.params, 7);

    s.reset_statements();
    s.get::<Book>(4).unwrap();
    let logged = &s.statements()[0];
    assert!(
        unnumbered(&logged.sql).ends_with("WHERE \"id\" = ?"),
        "{}",
        unnumbered(&logged.sql)
    );
    assert_eq!(logged.params, 1);
}

#[test]
fn injection_looking_strings_round_trip() {
    let mut s = seeded();
    let nasty = [
        "Robert'); DROP TABLE books; --",
        "\" OR 1=1 --",
        "' OR '1'='1",
        "%_\\",
        "?",
        "?1 :name @x $y",
        "\0",
    ];
    // PostgreSQL's text cannot hold NUL: the insert is refused, nothing
    // is written, and the rest round-trip.
    let nasty = if is_postgres() {
        let refused = s.insert(book(99, "\0", 1, None, None));
        assert!(matches!(refused, Err(Error::Database(_))), "{refused:?}");
        &nasty[..nasty.len() - 1]
    } else {
        &nasty[..]
    };
    for (i, title) in nasty.iter().enumerate() {
        s.insert(book(100 + i as i64, title, 1, None, Some(title)))
            .unwrap();
    }
    s.expunge_all();
    for (i, title) in nasty.iter().enumerate() {
        let found = s
            .query::<Book>()
            .filter(Book::TITLE.eq(*title))
            .one()
            .unwrap();
        assert_eq!(found.id, 100 + i as i64);
        assert_eq!(found.title, *title);
        assert_eq!(found.subtitle.as_deref(), Some(*title));
        let via_in = s.query::<Book>().filter(Book::TITLE.in_([*title])).count();
        assert_eq!(via_in.unwrap(), 1);
    }
    // The table survived.
    assert_eq!(s.query::<Book>().count().unwrap(), 5 + nasty.len() as u64);
    // A LIKE pattern is a bound value too: its wildcards work, nothing else.
    assert_eq!(
        s.query::<Book>()
            .filter(Book::TITLE.like("%DROP TABLE%"))
            .count()
            .unwrap(),
        1
    );
}

#[test]
fn queries_reuse_identity_map_instances() {
    let mut s = seeded();
    let all = s.query::<Book>().order_by(Book::ID).all().unwrap();
    let filtered = s
        .query::<Book>()
        .filter(Book::PAGES.gt(200))
        .order_by(Book::ID)
        .all()
        .unwrap();
    assert!(Handle::ptr_eq(&filtered[0], &all[2]));
    assert!(Handle::ptr_eq(&filtered[1], &all[4]));
    let first = s
        .query::<Book>()
        .order_by(Book::ID)
        .first()
        .unwrap()
        .unwrap();
    assert!(Handle::ptr_eq(&first, &all[0]));
}
