//! The PostgreSQL cases (see `tests/postgres.rs`).

use crate::support::eager::library_mapping;
use crate::support::graph::{chunks, counted, sqls};
use crate::support::library::{Author, Biography, Book, Category, Tag};
use crate::support::pg;
use eagerly::prelude::*;
use eagerly::{DatabaseErrorKind, Error, Value};

// ----- fixture --------------------------------------------------------------

/// The library fixture of `support::library`, written with literal
/// multi-row INSERTs so the same statements seed either engine: author `a`
/// has `a % 4` books, book `b` tags `b % 3` and `(b + 1) % 5`, every third
/// book editor 1, every even author a biography.
fn seed(session: &mut Session, authors: i64) {
    session
        .create_all(&[
            Author::META,
            Book::META,
            Tag::META,
            Biography::META,
            Category::META,
        ])
        .expect("schema");
    let mut rows: Vec<(&str, String)> = Vec::new();
    for id in 0..5 {
        rows.push(("tags (id, name)", format!("({id}, 'tag{id}')")));
    }
    let mut book = 0;
    for a in 1..=authors {
        rows.push(("authors (id, name)", format!("({a}, 'author{a}')")));
        if a % 2 == 0 {
            rows.push((
                "biographies (id, author_id, text)",
                format!("({a}, {a}, 'bio of {a}')"),
            ));
        }
        for _ in 0..(a % 4) {
            book += 1;
            let editor = if book % 3 == 0 { "1" } else { "NULL" };
            rows.push((
                "books (id, title, author_id, editor_id)",
                format!("({book}, 'book{book}', {a}, {editor})"),
            ));
            let mut tags = vec![book % 3, (book + 1) % 5];
            tags.dedup();
            for tag in tags {
                rows.push(("book_tags (book_id, tag_id)", format!("({book}, {tag})")));
            }
        }
    }
    // Referenced rows first: tags, authors, biographies, books, book_tags.
    for table in [
        "tags (id, name)",
        "authors (id, name)",
        "biographies (id, author_id, text)",
        "books (id, title, author_id, editor_id)",
        "book_tags (book_id, tag_id)",
    ] {
        let values: Vec<&String> = rows.iter().filter(|r| r.0 == table).map(|r| &r.1).collect();
        for chunk in values.chunks(500) {
            let list: Vec<&str> = chunk.iter().map(|s| s.as_str()).collect();
            session
                .execute(
                    &format!("INSERT INTO {table} VALUES {}", list.join(", ")),
                    &[],
                )
                .expect("seed");
        }
    }
    session.expunge_all();
    session.reset_statements();
}

/// SQLite and PostgreSQL sessions over the same library of `authors`
/// authors; `None` when PostgreSQL tests are skipped.
fn both(test: &str, authors: i64) -> Option<(Session, pg::PgSession)> {
    let mut pg = pg::session(test)?;
    let mut sqlite = Session::in_memory().unwrap();
    seed(&mut sqlite, authors);
    seed(&mut pg, authors);
    Some((sqlite, pg))
}

/// Each author's key and name, its books' keys and titles and each book's
/// tag names (empty when the tags are not loaded).
type Graph = Vec<(i64, String, Vec<(i64, String, Vec<String>)>)>;

fn graph(authors: &[Handle<Author>]) -> Graph {
    authors
        .iter()
        .map(|a| {
            let books = a.books.get().expect("books loaded");
            let books = books
                .iter()
                .map(|b| {
                    let tags = b
                        .tags
                        .get()
                        .map(|t| t.iter().map(|t| t.name.clone()).collect());
                    (b.id, b.title.clone(), tags.unwrap_or_default())
                })
                .collect();
            (a.id, a.name.clone(), books)
        })
        .collect()
}

/// Books with their authors' keys (read from the loaded relation).
fn book_authors(books: &[Handle<Book>]) -> Vec<(i64, i64)> {
    books
        .iter()
        .map(|b| {
            let author = b.author.get().expect("author loaded").expect("present");
            (b.id, author.id)
        })
        .collect()
}

fn author(id: i64, name: &str) -> Author {
    Author {
        id,
        name: name.into(),
        books: Many::new(),
        bio: One::new(),
        book_query: Dynamic::new(),
    }
}

/// The catalog rows of `sql` (one text column), read over a plain client.
fn catalog(pg: &pg::PgSession, sql: &str) -> Vec<String> {
    let mut client = pg.client();
    client
        .query(sql, &[&pg.schema()])
        .expect("catalog query")
        .iter()
        .map(|row| row.get::<_, String>(0))
        .collect()
}

// ----- schema ----------------------------------------------------------------

#[test]
fn create_all_makes_tables_foreign_keys_and_indexes() {
    let Some(mut pg) = pg::session("create_all_makes_tables_foreign_keys_and_indexes") else {
        return;
    };
    // Children before parents: create_all sends referenced tables first.
    pg.create_all(&[
        Book::META,
        Biography::META,
        Category::META,
        Tag::META,
        Author::META,
    ])
    .unwrap();
    let ddl = sqls(&pg);
    // The 5 entity tables, books after authors; the association table
    // (once per side, IF NOT EXISTS: the two sides list its columns in
    // their own order); then the 6 indexes, each sent once though both
    // ends of a relation name it.
    assert_eq!(ddl.len(), 13, "{ddl:#?}");
    let table = |sql: &str| sql.split('"').nth(1).unwrap_or("").to_owned();
    assert_eq!(
        ddl[..7].iter().map(|s| table(s)).collect::<Vec<_>>(),
        [
            "biographies",
            "categories",
            "tags",
            "authors",
            "books",
            "book_tags",
            "book_tags"
        ]
    );
    assert!(ddl[..7]
        .iter()
        .all(|s| s.starts_with("CREATE TABLE IF NOT EXISTS")));
    // The one-to-one's foreign key (Author.bio) gets a unique index in
    // place of the plain one.
    assert!(ddl[7..]
        .iter()
        .all(|s| s.starts_with("CREATE INDEX IF NOT EXISTS")
            || s.starts_with("CREATE UNIQUE INDEX IF NOT EXISTS \"uq_biographies_author_id\"")));
    assert_eq!(
        ddl[7..]
            .iter()
            .filter(|s| s.starts_with("CREATE UNIQUE INDEX"))
            .count(),
        1
    );
    assert_eq!(
        ddl[3],
        "CREATE TABLE IF NOT EXISTS \"authors\" (\"id\" BIGINT GENERATED BY DEFAULT AS IDENTITY \
         PRIMARY KEY NOT NULL, \"name\" TEXT NOT NULL)"
    );
    assert_eq!(
        ddl[4],
        "CREATE TABLE IF NOT EXISTS \"books\" (\"id\" BIGINT GENERATED BY DEFAULT AS IDENTITY \
         PRIMARY KEY NOT NULL, \"title\" TEXT NOT NULL, \"author_id\" BIGINT NOT NULL, \
         \"editor_id\" BIGINT, FOREIGN KEY (\"author_id\") REFERENCES \"authors\" (\"id\"), \
         FOREIGN KEY (\"editor_id\") REFERENCES \"authors\" (\"id\"))"
    );
    let tables = catalog(
        &pg,
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
    );
    assert_eq!(
        tables,
        [
            "authors",
            "biographies",
            "book_tags",
            "books",
            "categories",
            "tags"
        ]
    );
    let foreign_keys = catalog(
        &pg,
        "SELECT tc.table_name || '.' || kcu.column_name || ' -> ' || ccu.table_name \
         FROM information_schema.table_constraints tc \
         JOIN information_schema.key_column_usage kcu \
           ON kcu.constraint_name = tc.constraint_name AND kcu.constraint_schema = tc.constraint_schema \
         JOIN information_schema.constraint_column_usage ccu \
           ON ccu.constraint_name = tc.constraint_name AND ccu.constraint_schema = tc.constraint_schema \
         WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = $1 ORDER BY 1",
    );
    assert_eq!(
        foreign_keys,
        [
            "book_tags.book_id -> books",
            "book_tags.tag_id -> tags",
            "books.author_id -> authors",
            "books.editor_id -> authors",
            "categories.parent_id -> categories",
        ]
    );
    let indexes = catalog(
        &pg,
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'ix_%' ORDER BY 1",
    );
    assert_eq!(
        indexes,
        [
            "ix_book_tags_book_id",
            "ix_book_tags_tag_id",
            "ix_books_author_id",
            "ix_books_editor_id",
            "ix_categories_parent_id",
        ]
    );
    let unique = catalog(
        &pg,
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'uq_%' ORDER BY 1",
    );
    assert_eq!(unique, ["uq_biographies_author_id"]);
    // Idempotent.
    pg.create_all(&[Author::META, Book::META]).unwrap();
}

// ----- writes ----------------------------------------------------------------

#[test]
fn insert_with_assigned_key_get_update_delete() {
    let Some(mut pg) = pg::session("insert_with_assigned_key_get_update_delete") else {
        return;
    };
    pg.create_all(&[Author::META, Book::META, Tag::META])
        .unwrap();
    pg.reset_statements();
    let ann = pg.insert(author(0, "Ann")).unwrap();
    assert_eq!(ann.id, 1);
    assert_eq!(
        sqls(&pg),
        ["INSERT INTO \"authors\" (\"name\") VALUES ($1) RETURNING \"id\""]
    );
    let bob = pg.insert(author(0, "Bob")).unwrap();
    assert_eq!(bob.id, 2);
    assert_eq!(pg.statement_count(), 2);

    // In the identity map: no SQL.
    let (found, statements) = counted(&mut pg, |s| s.get::<Author>(1).unwrap().unwrap());
    assert!(Handle::ptr_eq(&found, &ann));
    assert_eq!(statements, 0);
    pg.expunge_all();
    let (found, statements) = counted(&mut pg, |s| s.get::<Author>(2).unwrap().unwrap());
    assert_eq!((found.id, found.name.as_str()), (2, "Bob"));
    assert_eq!(statements, 1);
    assert_eq!(
        sqls(&pg),
        ["SELECT \"id\", \"name\" FROM \"authors\" WHERE \"id\" = $1"]
    );

    let (renamed, statements) = counted(&mut pg, |s| s.update(author(2, "Bobby")).unwrap());
    assert_eq!(renamed.name, "Bobby");
    assert_eq!(statements, 1);
    assert_eq!(
        sqls(&pg),
        ["UPDATE \"authors\" SET \"name\" = $1 WHERE \"id\" = $2"]
    );
    pg.expunge_all();
    assert_eq!(pg.get::<Author>(2).unwrap().unwrap().name, "Bobby");

    let (_, statements) = counted(&mut pg, |s| s.delete_by_key::<Author>(1).unwrap());
    assert_eq!(statements, 1);
    assert!(pg.get::<Author>(1).unwrap().is_none());
    assert!(matches!(
        pg.delete_by_key::<Author>(1),
        Err(Error::NotFound { table: "authors" })
    ));
    // An explicit key is written as given.
    let (carl, _) = counted(&mut pg, |s| s.insert(author(10, "Carl")).unwrap());
    assert_eq!(carl.id, 10);
    assert_eq!(
        sqls(&pg),
        ["INSERT INTO \"authors\" (\"id\", \"name\") VALUES ($1, $2)"]
    );
}

// ----- queries ---------------------------------------------------------------

#[test]
fn filters_over_32_values_bind_one_array() {
    let Some((mut sqlite, mut pg)) = both("filters_over_32_values_bind_one_array", 60) else {
        return;
    };
    let run = |s: &mut Session| {
        let inside = s
            .query::<Author>()
            .filter(Author::ID.in_(5..=45))
            .order_by(Author::ID)
            .all()
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect::<Vec<_>>();
        let outside = s
            .query::<Author>()
            .filter(Author::ID.not_in(1..=50))
            .order_by(Author::ID)
            .all()
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect::<Vec<_>>();
        let names = s
            .query::<Author>()
            .filter(Author::NAME.in_((1..=40).map(|i| format!("author{i}"))))
            .count()
            .unwrap();
        (inside, outside, names)
    };
    let expected = run(&mut sqlite);
    assert_eq!(expected.0, (5..=45).collect::<Vec<_>>());
    assert_eq!(expected.1, (51..=60).collect::<Vec<_>>());
    assert_eq!(expected.2, 40);
    pg.reset_statements();
    assert_eq!(run(&mut pg), expected);
    let statements = pg.statements();
    assert_eq!(statements.len(), 3);
    assert_eq!(
        statements[0].sql,
        "SELECT \"id\", \"name\" FROM \"authors\" WHERE \"id\" = ANY($1) ORDER BY \"id\""
    );
    assert_eq!(
        statements[1].sql,
        "SELECT \"id\", \"name\" FROM \"authors\" WHERE \"id\" <> ALL($1) ORDER BY \"id\""
    );
    assert_eq!(
        statements[2].sql,
        "SELECT COUNT(*) FROM \"authors\" WHERE \"name\" = ANY($1)"
    );
    assert!(statements.iter().all(|s| s.params == 1));
}

#[test]
fn limit_offset_and_offset_alone() {
    let Some((mut sqlite, mut pg)) = both("limit_offset_and_offset_alone", 20) else {
        return;
    };
    let run = |s: &mut Session| {
        let ids = |authors: Vec<Handle<Author>>| authors.iter().map(|a| a.id).collect::<Vec<_>>();
        let page = ids(s
            .query::<Author>()
            .order_by(Author::ID)
            .limit(3)
            .offset(2)
            .all()
            .unwrap());
        let tail = ids(s
            .query::<Author>()
            .order_by(Author::ID)
            .offset(17)
            .all()
            .unwrap());
        let counted_page = s.query::<Author>().limit(5).offset(18).count().unwrap();
        (page, tail, counted_page)
    };
    let expected = run(&mut sqlite);
    assert_eq!(expected, (vec![3, 4, 5], vec![18, 19, 20], 2));
    pg.reset_statements();
    assert_eq!(run(&mut pg), expected);
    let logged = pg.statements();
    assert_eq!(
        logged[0].sql,
        "SELECT \"id\", \"name\" FROM \"authors\" ORDER BY \"id\" LIMIT $1 OFFSET $2"
    );
    // OFFSET alone: PostgreSQL takes it without a LIMIT (SQLite binds LIMIT -1).
    assert_eq!(
        logged[1].sql,
        "SELECT \"id\", \"name\" FROM \"authors\" ORDER BY \"id\" OFFSET $1"
    );
    assert_eq!(logged[1].params, 1);
    assert_eq!(
        logged[2].sql,
        "SELECT COUNT(*) FROM (SELECT 1 FROM \"authors\" LIMIT $1 OFFSET $2) AS counted"
    );
}

// ----- strategies -------------------------------------------------------------

#[test]
fn select_loads_one_statement_per_object() {
    let Some((mut sqlite, mut pg)) = both("select_loads_one_statement_per_object", 30) else {
        return;
    };
    let run = |s: &mut Session| {
        let (authors, statements) = counted(s, |s| {
            let authors = s.query::<Author>().order_by(Author::ID).all().unwrap();
            for a in &authors {
                let books = s.load(Author::BOOKS, a).unwrap();
                for b in books.iter() {
                    s.load(Book::TAGS, b).unwrap();
                }
            }
            authors
        });
        (graph(&authors), statements)
    };
    let expected = run(&mut sqlite);
    let books: usize = expected.0.iter().map(|a| a.2.len()).sum();
    assert_eq!(books, 45);
    // N + 1, and one more per book for its tags.
    assert_eq!(expected.1, 1 + 30 + 45);
    assert_eq!(run(&mut pg), expected);
}

#[test]
fn joined_is_one_statement_with_many_to_many_and_limit() {
    let Some((mut sqlite, mut pg)) =
        both("joined_is_one_statement_with_many_to_many_and_limit", 40)
    else {
        return;
    };
    let run = |s: &mut Session| {
        let (all, statements) = counted(s, |s| {
            s.query::<Author>()
                .order_by(Author::ID)
                .options(joined(Author::BOOKS).then(joined(Book::TAGS)))
                .all()
                .unwrap()
        });
        assert_eq!(statements, 1);
        s.expunge_all();
        let (page, statements) = counted(s, |s| {
            s.query::<Author>()
                .order_by(Author::ID)
                .limit(4)
                .offset(5)
                .options(joined(Author::BOOKS).then(joined(Book::TAGS)))
                .all()
                .unwrap()
        });
        assert_eq!(statements, 1);
        (graph(&all), graph(&page))
    };
    let expected = run(&mut sqlite);
    assert_eq!(expected.0.len(), 40);
    // The limit counts authors, not joined rows.
    assert_eq!(
        expected.1.iter().map(|a| a.0).collect::<Vec<_>>(),
        [6, 7, 8, 9]
    );
    assert_eq!(run(&mut pg), expected);
}

#[test]
fn selectin_is_one_statement_per_level_over_1200_parents() {
    let Some((mut sqlite, mut pg)) = both(
        "selectin_is_one_statement_per_level_over_1200_parents",
        1200,
    ) else {
        return;
    };
    let run = |s: &mut Session| {
        let (authors, statements) = counted(s, |s| {
            s.query::<Author>()
                .order_by(Author::ID)
                .options(selectin(Author::BOOKS).then(selectin(Book::TAGS)))
                .all()
                .unwrap()
        });
        (graph(&authors), statements)
    };
    let expected = run(&mut sqlite);
    let books: usize = expected.0.iter().map(|a| a.2.len()).sum();
    assert_eq!((expected.0.len(), books), (1200, 1800));
    // SQLite: the parents, ceil(1200 / 500) and ceil(1800 / 500) lists.
    assert_eq!(expected.1, 1 + chunks(1200, 500) + chunks(1800, 500));
    assert_eq!(expected.1, 8);
    pg.reset_statements();
    let (graph_pg, statements) = run(&mut pg);
    assert_eq!(graph_pg, expected.0);
    // PostgreSQL: the parents and one statement per level.
    assert_eq!(statements, 3);
    let logged = pg.statements();
    assert_eq!(
        logged[1].sql,
        "SELECT \"id\", \"title\", \"author_id\", \"editor_id\" FROM \"books\" \
         WHERE \"author_id\" = ANY($1) ORDER BY \"id\""
    );
    assert_eq!(logged[1].params, 1);
    assert!(
        logged[2].sql.contains("WHERE s.\"book_id\" = ANY($1)"),
        "{}",
        logged[2].sql
    );
    assert_eq!(logged[2].params, 1);

    // Many-to-one: one statement for every distinct author of 1800 books.
    pg.expunge_all();
    let (books, statements) = counted(&mut pg, |s| {
        s.query::<Book>()
            .order_by(Book::ID)
            .options(selectin(Book::AUTHOR))
            .all()
            .unwrap()
    });
    assert_eq!(statements, 2);
    assert!(book_authors(&books)
        .iter()
        .all(|&(b, a)| { books.iter().find(|x| x.id == b).unwrap().author_id == a }));
}

#[test]
fn selectin_inside_joined_and_joined_inside_selectin() {
    let Some((mut sqlite, mut pg)) = both("selectin_inside_joined_and_joined_inside_selectin", 700)
    else {
        return;
    };
    let run = |s: &mut Session| {
        let (nested, statements) = counted(s, |s| {
            s.query::<Author>()
                .order_by(Author::ID)
                .options(selectin(Author::BOOKS).then(joined(Book::TAGS)))
                .all()
                .unwrap()
        });
        (graph(&nested), statements)
    };
    let expected = run(&mut sqlite);
    assert_eq!(expected.1, 1 + chunks(700, 500));
    let (graph_pg, statements) = run(&mut pg);
    assert_eq!(graph_pg, expected.0);
    assert_eq!(statements, 2);
}

#[test]
fn bulk_is_one_statement_over_every_unloaded_object() {
    let Some((mut sqlite, mut pg)) = both("bulk_is_one_statement_over_every_unloaded_object", 1200)
    else {
        return;
    };
    let run = |s: &mut Session| {
        let books = s
            .query::<Book>()
            .order_by(Book::ID)
            .options(bulk(Book::AUTHOR))
            .all()
            .unwrap();
        let (_, to_one) = counted(s, |s| s.load(Book::AUTHOR, &books[900]).unwrap());
        let pairs = book_authors(&books);
        s.expunge_all();
        let authors = s
            .query::<Author>()
            .order_by(Author::ID)
            .options(bulk(Author::BOOKS))
            .all()
            .unwrap();
        let (_, to_many) = counted(s, |s| s.load(Author::BOOKS, &authors[7]).unwrap());
        (pairs, graph(&authors), to_one, to_many)
    };
    let expected = run(&mut sqlite);
    assert_eq!(expected.0.len(), 1800);
    // SQLite: 900 distinct authors have books, 1200 authors: lists of 500.
    assert_eq!(
        (expected.2, expected.3),
        (chunks(900, 500), chunks(1200, 500))
    );
    let got = run(&mut pg);
    assert_eq!((&got.0, &got.1), (&expected.0, &expected.1));
    assert_eq!((got.2, got.3), (1, 1));
}

mod chunked {
    use super::library_mapping;
    library_mapping!(pub mod mapped {
        books: "selectin",
        bio: "select",
        author: "select",
        editor: "select",
        tags: "select",
        tag_books: "select",
        parent: "select",
        children: "select",
        chunk_size: 100,
    });
}

#[test]
fn an_explicit_chunk_size_still_chunks() {
    let Some((mut sqlite, mut pg)) = both("an_explicit_chunk_size_still_chunks", 1200) else {
        return;
    };
    use chunked::mapped::Author as Chunked;
    let run = |s: &mut Session| {
        let (authors, statements) = counted(s, |s| {
            s.query::<Chunked>().order_by(Chunked::ID).all().unwrap()
        });
        let books: usize = authors.iter().map(|a| a.books.get().unwrap().len()).sum();
        (books, statements)
    };
    let expected = run(&mut sqlite);
    assert_eq!(expected, (1800, 1 + 12));
    pg.reset_statements();
    assert_eq!(run(&mut pg), expected);
    // Chunks of 100 keys, each chunk bound as one array.
    assert_eq!(pg.statements()[1].params, 1);
    assert!(pg.statements()[1].sql.contains("\"author_id\" = ANY($1)"));
}

#[test]
fn dynamic_is_one_statement_per_query() {
    let Some((mut sqlite, mut pg)) = both("dynamic_is_one_statement_per_query", 12) else {
        return;
    };
    let run = |s: &mut Session| {
        let third = s.get::<Author>(3).unwrap().unwrap();
        let (titles, statements) = counted(s, |s| {
            s.dynamic(Author::BOOK_QUERY, &third)
                .filter(Book::TITLE.ne("none"))
                .order_by(Book::ID.desc())
                .limit(2)
                .all()
                .unwrap()
                .iter()
                .map(|b| b.title.clone())
                .collect::<Vec<_>>()
        });
        assert_eq!(statements, 1);
        let (count, statements) = counted(s, |s| {
            s.dynamic(Author::BOOK_QUERY, &third)
                .offset(1)
                .count()
                .unwrap()
        });
        assert_eq!(statements, 1);
        (titles, count)
    };
    let expected = run(&mut sqlite);
    assert_eq!(expected.0.len(), 2);
    assert_eq!(expected.1, 2);
    assert_eq!(run(&mut pg), expected);
}

// ----- types ---------------------------------------------------------------

#[derive(Entity, Debug)]
#[orm(table = "measures")]
pub struct Measure {
    #[orm(primary_key)]
    pub id: i32,
    pub small: i32,
    pub maybe: Option<i32>,
    pub flag: bool,
    pub ratio: f64,
    pub data: Vec<u8>,
    pub unsigned: u32,
    pub note: Option<String>,
}

#[test]
fn i32_bool_float_bytes_round_trip() {
    let Some(mut pg) = pg::session("i32_bool_float_bytes_round_trip") else {
        return;
    };
    pg.create_all(&[Measure::META]).unwrap();
    assert_eq!(
        pg.statements()[0].sql,
        "CREATE TABLE IF NOT EXISTS \"measures\" (\"id\" INTEGER GENERATED BY DEFAULT AS IDENTITY \
         PRIMARY KEY NOT NULL, \"small\" INTEGER NOT NULL, \"maybe\" INTEGER, \"flag\" BOOLEAN NOT NULL, \
         \"ratio\" DOUBLE PRECISION NOT NULL, \"data\" BYTEA NOT NULL, \"unsigned\" BIGINT NOT NULL, \
         \"note\" TEXT)"
    );
    let measure = |small, maybe, flag| Measure {
        id: 0,
        small,
        maybe,
        flag,
        ratio: 0.25,
        data: vec![0, 255, 7],
        unsigned: u32::MAX,
        note: Some("héllo".into()),
    };
    let first = pg.insert(measure(i32::MIN, Some(i32::MAX), true)).unwrap();
    let second = pg.insert(measure(7, None, false)).unwrap();
    assert_eq!((first.id, second.id), (1, 2));
    pg.expunge_all();
    let all = pg.query::<Measure>().order_by(Measure::ID).all().unwrap();
    let read: Vec<_> = all
        .iter()
        .map(|m| {
            (
                m.id,
                m.small,
                m.maybe,
                m.flag,
                m.ratio,
                m.data.clone(),
                m.unsigned,
                m.note.clone(),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            (
                1,
                i32::MIN,
                Some(i32::MAX),
                true,
                0.25,
                vec![0, 255, 7],
                u32::MAX,
                Some("héllo".to_owned())
            ),
            (
                2,
                7,
                None,
                false,
                0.25,
                vec![0, 255, 7],
                u32::MAX,
                Some("héllo".to_owned())
            ),
        ]
    );
    // Filters bind as int4 and bool.
    let flagged = pg
        .query::<Measure>()
        .filter(Measure::FLAG.eq(true).and(Measure::SMALL.eq(i32::MIN)))
        .all()
        .unwrap();
    assert_eq!(flagged.len(), 1);
    assert!(Handle::ptr_eq(&flagged[0], &all[0]));
    assert_eq!(
        pg.query::<Measure>()
            .filter(Measure::MAYBE.is_null())
            .count()
            .unwrap(),
        1
    );
    // An i64 that does not fit an int4 parameter is refused before it is sent.
    let before = pg.query::<Measure>().count().unwrap();
    let error = pg
        .execute("UPDATE measures SET small = $1", &[Value::Integer(1 << 40)])
        .unwrap_err();
    let Error::Database(db) = &error else {
        panic!("expected a database error, got {error:?}")
    };
    assert_eq!(db.kind(), DatabaseErrorKind::Other);
    assert!(
        error.to_string().contains("out of range for type int4"),
        "{error}"
    );
    assert_eq!(pg.query::<Measure>().count().unwrap(), before);
    pg.expunge_all();
    assert_eq!(pg.get::<Measure>(2).unwrap().unwrap().small, 7);
}

// ----- errors ---------------------------------------------------------------

#[derive(Entity, Debug)]
#[orm(table = "owners")]
pub struct Owner {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Entity, Debug)]
#[orm(table = "accounts")]
pub struct Account {
    #[orm(primary_key)]
    pub id: i64,
    pub email: Option<String>,
    pub balance: i64,
    pub owner_id: i64,
}

/// Owners and accounts with named constraints, and owner 1.
fn accounts(test: &str) -> Option<pg::PgSession> {
    let mut pg = pg::session(test)?;
    pg.execute(
        "CREATE TABLE owners (id BIGINT PRIMARY KEY, name TEXT NOT NULL)",
        &[],
    )
    .unwrap();
    pg.execute(
        "CREATE TABLE accounts (id BIGINT PRIMARY KEY, \
         email TEXT NOT NULL CONSTRAINT accounts_email_key UNIQUE, \
         balance BIGINT NOT NULL CONSTRAINT accounts_balance_check CHECK (balance >= 0), \
         owner_id BIGINT NOT NULL CONSTRAINT accounts_owner_fk REFERENCES owners (id))",
        &[],
    )
    .unwrap();
    pg.insert(Owner {
        id: 1,
        name: "Ann".into(),
    })
    .unwrap();
    pg.insert(account(1, Some("ann@example.com"), 10, 1))
        .unwrap();
    pg.reset_statements();
    Some(pg)
}

fn account(id: i64, email: Option<&str>, balance: i64, owner_id: i64) -> Account {
    Account {
        id,
        email: email.map(str::to_owned),
        balance,
        owner_id,
    }
}

fn database_error<T: std::fmt::Debug>(result: eagerly::Result<T>) -> eagerly::DatabaseError {
    match result {
        Err(Error::Database(db)) => db,
        other => panic!("expected a database error, got {other:?}"),
    }
}

#[test]
fn constraint_violations_by_kind_with_their_names() {
    let Some(mut pg) = accounts("constraint_violations_by_kind_with_their_names") else {
        return;
    };
    let unique = database_error(pg.insert(account(2, Some("ann@example.com"), 0, 1)));
    assert_eq!(unique.kind(), DatabaseErrorKind::UniqueViolation);
    assert_eq!(unique.code(), Some("23505"));
    assert_eq!(unique.constraint(), Some("accounts_email_key"));
    assert_eq!(unique.table(), Some("accounts"));
    assert_eq!(unique.columns(), ["email"]);
    assert_eq!(
        unique.to_string(),
        "database error: unique violation on accounts.email: duplicate key value violates \
         unique constraint \"accounts_email_key\""
    );

    let primary = database_error(pg.insert(account(1, Some("other@example.com"), 0, 1)));
    assert_eq!(primary.kind(), DatabaseErrorKind::UniqueViolation);
    assert_eq!(primary.constraint(), Some("accounts_pkey"));
    assert_eq!(primary.columns(), ["id"]);

    let foreign = database_error(pg.insert(account(3, Some("x@example.com"), 0, 99)));
    assert_eq!(foreign.kind(), DatabaseErrorKind::ForeignKeyViolation);
    assert_eq!(foreign.code(), Some("23503"));
    assert_eq!(foreign.constraint(), Some("accounts_owner_fk"));
    assert_eq!(foreign.table(), Some("accounts"));
    assert_eq!(foreign.columns(), ["owner_id"]);

    // Deleting a referenced row: the referencing table, no columns.
    let referenced = database_error(pg.delete_by_key::<Owner>(1));
    assert_eq!(referenced.kind(), DatabaseErrorKind::ForeignKeyViolation);
    assert_eq!(referenced.constraint(), Some("accounts_owner_fk"));
    assert_eq!(referenced.table(), Some("accounts"));
    assert!(referenced.columns().is_empty());

    let not_null = database_error(pg.insert(account(4, None, 0, 1)));
    assert_eq!(not_null.kind(), DatabaseErrorKind::NotNullViolation);
    assert_eq!(not_null.code(), Some("23502"));
    assert_eq!(not_null.table(), Some("accounts"));
    assert_eq!(not_null.columns(), ["email"]);

    let check = database_error(pg.insert(account(5, Some("y@example.com"), -1, 1)));
    assert_eq!(check.kind(), DatabaseErrorKind::CheckViolation);
    assert_eq!(check.code(), Some("23514"));
    assert_eq!(check.constraint(), Some("accounts_balance_check"));
    assert_eq!(check.table(), Some("accounts"));

    // Nothing of it landed; the session goes on (no transaction was open).
    assert_eq!(pg.query::<Account>().count().unwrap(), 1);
    assert_eq!(pg.statement_count(), 7);
}

#[test]
fn a_failed_statement_aborts_the_transaction_until_rollback() {
    let Some(mut pg) = accounts("a_failed_statement_aborts_the_transaction_until_rollback") else {
        return;
    };
    pg.begin().unwrap();
    pg.insert(Owner {
        id: 2,
        name: "Bob".into(),
    })
    .unwrap();
    let unique = database_error(pg.insert(account(2, Some("ann@example.com"), 0, 2)));
    assert_eq!(unique.kind(), DatabaseErrorKind::UniqueViolation);
    assert!(pg.in_transaction());
    assert!(pg.transaction_failed());
    // Refused without a statement: PostgreSQL would answer 25P02.
    let sent = pg.statement_count();
    assert!(matches!(
        pg.query::<Owner>().all(),
        Err(Error::TransactionAborted { .. })
    ));
    assert_eq!(pg.statement_count(), sent);
    assert!(pg.commit().is_err());
    pg.rollback().unwrap();
    assert!(!pg.in_transaction());
    assert_eq!(sqls(&pg).last().map(String::as_str), Some("ROLLBACK"));
    // Bob was rolled back; the session is usable.
    assert_eq!(pg.query::<Owner>().count().unwrap(), 1);
    pg.insert(Owner {
        id: 3,
        name: "Cy".into(),
    })
    .unwrap();

    // A failure in a savepoint rolls back to it; the outer transaction
    // goes on and commits.
    pg.transaction(|s| {
        s.insert(Owner {
            id: 4,
            name: "Di".into(),
        })?;
        let inner = s.transaction(|s| s.insert(account(5, None, 0, 4)));
        assert_eq!(
            database_error(inner).kind(),
            DatabaseErrorKind::NotNullViolation
        );
        assert!(!s.transaction_failed());
        s.insert(account(6, Some("di@example.com"), 5, 4))?;
        Ok(())
    })
    .unwrap();
    assert!(!pg.in_transaction());
    let mut other = pg.another();
    assert_eq!(other.query::<Owner>().count().unwrap(), 3);
    assert_eq!(other.query::<Account>().count().unwrap(), 2);

    // The closure form: a failed statement fails the whole transaction.
    let result = pg.transaction(|s| {
        s.insert(Owner {
            id: 7,
            name: "Ed".into(),
        })?;
        s.insert(account(8, Some("ann@example.com"), 0, 7))
    });
    assert_eq!(
        database_error(result).kind(),
        DatabaseErrorKind::UniqueViolation
    );
    assert!(!pg.in_transaction());
    assert!(other.get::<Owner>(7).unwrap().is_none());
    assert!(pg.get::<Owner>(7).unwrap().is_none());
}

// ----- composite keys -------------------------------------------------------

mod composite_eager {
    use crate::support::composite::composite_mapping;
    composite_mapping!(pub mod mapped {
        items: "selectin",
        label: "selectin",
        topics: "selectin",
        shelf: "select",
        label_shelf: "select",
        shelves: "select",
        parent: "select",
        children: "select",
    });
}

/// Composite keys keep row-value lists, chunked as on SQLite (500 keys a
/// statement), spelt `("a", "b") IN (($1, $2), ...)` without SQLite's
/// `VALUES`: a single array parameter holds one column only.
#[test]
fn composite_keys_load_through_row_value_lists() {
    use crate::support::composite::{base, composite, composite_in};
    use composite_eager::mapped::{Item, Shelf, Topic};
    let Some(pg) = pg::session("composite_keys_load_through_row_value_lists") else {
        return;
    };
    let mut pg = pg.with(|s| composite_in(s, 60, 40));
    let mut sqlite = composite(60, 40);
    /// Each shelf's items, label and topics.
    type ShelfGraph = Vec<((i64, i64), Vec<i64>, Option<i64>, Vec<(String, i64)>)>;
    /// Each node's children.
    type NodeGraph = Vec<((i64, i64), Vec<(i64, i64)>)>;
    /// The graphs, items with "has a shelf", and the shelves' statements.
    type Run = (ShelfGraph, NodeGraph, Vec<(i64, bool)>, u64);
    let run = |s: &mut Session| -> Run {
        let (shelves, statements) = counted(s, |s| {
            s.query::<Shelf>()
                .order_by(Shelf::BUILDING)
                .order_by(Shelf::NUMBER)
                .all()
                .unwrap()
        });
        let shelves = shelves
            .iter()
            .map(|sh| {
                (
                    (sh.building, sh.number),
                    sh.items.get().unwrap().iter().map(|i| i.id).collect(),
                    sh.label.get().unwrap().map(|l| l.id),
                    sh.topics
                        .get()
                        .unwrap()
                        .iter()
                        .map(|t: &Handle<Topic>| (t.lang.clone(), t.code))
                        .collect(),
                )
            })
            .collect();
        let nodes = s
            .query::<base::Node>()
            .order_by(base::Node::TREE)
            .order_by(base::Node::ID)
            .options(selectin(base::Node::CHILDREN))
            .all()
            .unwrap()
            .iter()
            .map(|n| {
                let children = n.children.get().unwrap();
                (
                    (n.tree, n.id),
                    children.iter().map(|c| (c.tree, c.id)).collect(),
                )
            })
            .collect();
        let items = s
            .query::<Item>()
            .order_by(Item::ID)
            .options(selectin(Item::SHELF))
            .all()
            .unwrap()
            .iter()
            .map(|i| (i.id, i.shelf.get().unwrap().is_some()))
            .collect();
        (shelves, nodes, items, statements)
    };
    let expected = run(&mut sqlite);
    assert_eq!(expected.0.len(), 60);
    assert_eq!(expected.1.len(), 80);
    // Shelves, then their items, labels and topics: one list each.
    assert_eq!(expected.3, 4);
    pg.reset_statements();
    assert_eq!(run(&mut pg), expected);
    let items = &pg.statements()[1];
    assert!(
        items
            .sql
            .contains("(\"building\", \"shelf_number\") IN (($1, $2), ($3, $4)"),
        "{}",
        items.sql
    );
    assert_eq!(items.params, 120);
}

// ----- concurrency errors -----------------------------------------------------

#[test]
fn serialization_failure_and_deadlock_by_kind() {
    let Some(pg) = accounts("serialization_failure_and_deadlock_by_kind") else {
        return;
    };
    // 40001: a repeatable-read transaction writes a row another one changed
    // since its snapshot.
    let mut a = pg.another();
    let mut b = pg.another();
    a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ", &[])
        .unwrap();
    a.execute("SELECT balance FROM accounts WHERE id = 1", &[])
        .unwrap();
    b.execute(
        "UPDATE accounts SET balance = balance + 1 WHERE id = 1",
        &[],
    )
    .unwrap();
    let failure = database_error(a.execute(
        "UPDATE accounts SET balance = balance + 2 WHERE id = 1",
        &[],
    ));
    assert_eq!(failure.kind(), DatabaseErrorKind::SerializationFailure);
    assert_eq!(failure.code(), Some("40001"));
    assert_eq!(failure.hint(), Some("retry the whole transaction"));
    a.execute("ROLLBACK", &[]).unwrap();

    // 40P01: two transactions take two row locks in opposite orders.
    a.execute("BEGIN", &[]).unwrap();
    b.execute("BEGIN", &[]).unwrap();
    a.execute("UPDATE owners SET name = 'a' WHERE id = 1", &[])
        .unwrap();
    b.execute("UPDATE accounts SET balance = 1 WHERE id = 1", &[])
        .unwrap();
    let waiting = std::thread::spawn(move || {
        let result = a.execute("UPDATE accounts SET balance = 2 WHERE id = 1", &[]);
        (a, result)
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    let second = b.execute("UPDATE owners SET name = 'b' WHERE id = 1", &[]);
    let (mut a, first) = waiting.join().unwrap();
    // The server picks one victim; the other goes on.
    let kinds: Vec<_> = [&first, &second]
        .iter()
        .map(|r| match r {
            Ok(_) => None,
            Err(Error::Database(db)) => Some((db.kind(), db.code().map(str::to_owned))),
            Err(other) => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(kinds.iter().filter(|k| k.is_some()).count(), 1, "{kinds:?}");
    assert!(kinds.contains(&Some((
        DatabaseErrorKind::Deadlock,
        Some("40P01".to_owned())
    ))));
    a.execute("ROLLBACK", &[]).unwrap();
    b.execute("ROLLBACK", &[]).unwrap();
}

// ----- bad rows and changed tables ------------------------------------------

#[test]
fn a_decode_error_mid_stream_leaves_the_connection_usable() {
    let Some(mut pg) = pg::session("a_decode_error_mid_stream_leaves_the_connection_usable") else {
        return;
    };
    // `owners.name` maps to a String, but this table lets it be NULL.
    pg.execute(
        "CREATE TABLE owners (id BIGINT PRIMARY KEY, name TEXT)",
        &[],
    )
    .unwrap();
    pg.execute(
        "INSERT INTO owners SELECT g, CASE WHEN g = 500 THEN NULL ELSE 'o' || g END \
         FROM generate_series(1, 1000) AS g",
        &[],
    )
    .unwrap();
    let error = pg.query::<Owner>().order_by(Owner::ID).all().unwrap_err();
    assert!(
        matches!(
            error,
            Error::Decode {
                table: "owners",
                column: "name",
                ..
            }
        ),
        "{error:?}"
    );
    // The rest of the stream was dropped; the next statements run.
    assert_eq!(
        pg.query::<Owner>()
            .filter(Owner::ID.ne(500))
            .count()
            .unwrap(),
        999
    );
    let last = pg.get::<Owner>(1000).unwrap().unwrap();
    assert_eq!(last.name, "o1000");
}

#[test]
fn statements_prepared_before_a_table_changes_are_prepared_again() {
    let Some(mut pg) = pg::session("statements_prepared_before_a_table_changes_are_prepared_again")
    else {
        return;
    };
    pg.create_all(&[Author::META, Book::META, Tag::META])
        .unwrap();
    pg.insert(author(0, "Ann")).unwrap();
    pg.expunge_all();
    assert_eq!(pg.get::<Author>(1).unwrap().unwrap().name, "Ann");
    // The column's type changes: the prepared SELECT's result type is stale.
    pg.execute(
        "ALTER TABLE authors ALTER COLUMN name TYPE VARCHAR(40)",
        &[],
    )
    .unwrap();
    pg.expunge_all();
    assert_eq!(pg.get::<Author>(1).unwrap().unwrap().name, "Ann");
}

// ----- the behaviour tests' fixture --------------------------------------------

/// `support::library`'s fixture (the one the behaviour tests use) seeds
/// PostgreSQL too: its `?` placeholders are numbered there, and the
/// identity sequences are moved past the keys it wrote, so loads and writes
/// after it give the same results and statement counts on both engines.
#[test]
fn the_behaviour_fixture_runs_on_postgres() {
    use crate::support::library::{category_tree, library, library_in};
    let Some(pg) = pg::session("the_behaviour_fixture_runs_on_postgres") else {
        return;
    };
    let mut pg = pg.with(|s| library_in(s, 30));
    let mut sqlite = library(30);
    let run = |s: &mut Session| {
        let (result, statements) = counted(s, |s| {
            let ann = s.get::<Author>(6).unwrap().unwrap();
            let books = s.load(Author::BOOKS, &ann).unwrap();
            let first = books.first().cloned().unwrap();
            let tags: Vec<String> = s
                .load(Book::TAGS, &first)
                .unwrap()
                .iter()
                .map(|t| t.name.clone())
                .collect();
            let tag = s.get::<Tag>(1).unwrap().unwrap();
            let tag_books = s.load(Tag::BOOKS, &tag).unwrap().len();
            let bio = s.load(Author::BIO, &ann).unwrap().map(|b| b.text.clone());
            let inserted = s.insert(author(0, "new")).unwrap();
            s.update(author(inserted.id, "renamed")).unwrap();
            let renamed = s
                .query::<Author>()
                .filter(Author::NAME.eq("renamed"))
                .one()
                .unwrap()
                .id;
            s.delete_by_key::<Author>(renamed).unwrap();
            let gone = s.get::<Author>(renamed).unwrap().is_none();
            (books.len(), tags, tag_books, bio, renamed, gone)
        });
        let nodes = category_tree(s, 3, 3);
        let (tree, tree_statements) = counted(s, |s| {
            s.query::<Category>()
                .order_by(Category::ID)
                .options(selectin(Category::CHILDREN))
                .all()
                .unwrap()
                .iter()
                .map(|c| {
                    let children = c.children.get().unwrap();
                    (c.id, children.iter().map(|k| k.id).collect::<Vec<_>>())
                })
                .collect::<Vec<_>>()
        });
        (result, statements, nodes, tree, tree_statements)
    };
    let expected = run(&mut sqlite);
    // The new author follows the fixture's 30.
    assert_eq!(expected.0 .4, 31);
    assert!(expected.0 .5);
    assert_eq!(expected.2, 40);
    assert_eq!(expected.4, 2);
    assert_eq!(run(&mut pg), expected);
}

/// NaN: PostgreSQL stores it and reads it back; SQLite would store NULL, so
/// its backend refuses to bind it (tests/reliability_hostile_values.rs).
#[test]
fn nan_round_trips_on_postgres() {
    let Some(mut pg) = pg::session("nan_round_trips_on_postgres") else {
        return;
    };
    pg.create_all(&[Measure::META]).unwrap();
    let stored = pg
        .insert(Measure {
            id: 0,
            small: 1,
            maybe: None,
            flag: false,
            ratio: f64::NAN,
            data: Vec::new(),
            unsigned: 0,
            note: None,
        })
        .unwrap();
    pg.expunge_all();
    let read = pg.get::<Measure>(stored.id).unwrap().unwrap();
    assert!(read.ratio.is_nan());
    assert!(read.data.is_empty());

    let mut sqlite = Session::in_memory().unwrap();
    sqlite.create_all(&[Measure::META]).unwrap();
    let refused = sqlite.insert(Measure {
        id: 0,
        small: 1,
        maybe: None,
        flag: false,
        ratio: f64::NAN,
        data: Vec::new(),
        unsigned: 0,
        note: None,
    });
    assert!(matches!(refused, Err(Error::Database(_))), "{refused:?}");
}

#[test]
fn limit_per_parent_and_recursion_match_sqlite() {
    let Some((mut sqlite, mut pg)) = both("limit_per_parent_and_recursion_match_sqlite", 700)
    else {
        return;
    };
    let limited = |s: &mut Session| {
        let (authors, statements) = counted(s, |s| {
            s.query::<Author>()
                .order_by(Author::ID)
                .options(
                    selectin(Author::BOOKS)
                        .limit_per_parent(2)
                        .then(selectin(Book::TAGS).limit_per_parent(1)),
                )
                .all()
                .unwrap()
        });
        (graph(&authors), statements)
    };
    let expected = limited(&mut sqlite);
    // SQLite: the parents, ceil(700 / 500) author lists, and the kept
    // books (at most 2 of each author's) in lists of 500.
    let kept: usize = expected.0.iter().map(|a| a.2.len()).sum();
    assert!(expected
        .0
        .iter()
        .all(|a| a.2.len() <= 2 && a.2.iter().all(|b| b.2.len() <= 1)));
    assert_eq!(expected.1, 1 + chunks(700, 500) + chunks(kept, 500));
    pg.reset_statements();
    let (graph_pg, statements) = limited(&mut pg);
    assert_eq!(graph_pg, expected.0);
    // PostgreSQL: one statement per level, each one array parameter.
    assert_eq!(statements, 3);
    assert!(
        pg.statements()[1].sql.contains(
            "ROW_NUMBER() OVER (PARTITION BY \"author_id\" ORDER BY \"id\") AS \"__rank\" \
             FROM \"books\" WHERE \"author_id\" = ANY($1)"
        ),
        "{}",
        pg.statements()[1].sql
    );

    // A tree, loaded to the end by one recursive option: one statement per
    // level on both engines.
    for session in [&mut sqlite, &mut pg] {
        let mut values = vec!["(1, NULL, 'root')".to_string()];
        for id in 2..=15 {
            values.push(format!("({id}, {}, 'c{id}')", id / 2));
        }
        session
            .execute(
                &format!(
                    "INSERT INTO categories (id, parent_id, name) VALUES {}",
                    values.join(", ")
                ),
                &[],
            )
            .unwrap();
        let (roots, statements) = counted(session, |s| {
            s.query::<Category>()
                .filter(Category::ID.eq(1))
                .options(selectin_recursive(Category::CHILDREN, None))
                .all()
                .unwrap()
        });
        // The root, three levels, and the leaves' empty level.
        assert_eq!(statements, 1 + 4);
        let level3: Vec<i64> = roots[0]
            .children
            .get()
            .unwrap()
            .iter()
            .flat_map(|c| c.children.get().unwrap().to_vec())
            .flat_map(|c| {
                c.children
                    .get()
                    .unwrap()
                    .iter()
                    .map(|c| c.id)
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(level3, (8..=15).collect::<Vec<_>>());
    }
}

#[test]
fn filtered_collections_number_their_parameters_in_order() {
    let Some((mut sqlite, mut pg)) =
        both("filtered_collections_number_their_parameters_in_order", 600)
    else {
        return;
    };
    for shape in ["selectin", "joined", "joined below selectin"] {
        let run = |s: &mut Session| {
            let query = Query::<Author>::new()
                .order_by(Author::ID)
                .filter(Author::ID.gt(1));
            let query = match shape {
                "selectin" => query.options(
                    selectin(Author::BOOKS)
                        .filter(Book::TITLE.like("%3%"))
                        .then(selectin(Book::TAGS).filter(Tag::NAME.ne("tag1"))),
                ),
                "joined" => query.options(
                    joined(Author::BOOKS)
                        .filter(Book::TITLE.like("%3%"))
                        .then(joined(Book::TAGS).filter(Tag::NAME.ne("tag1"))),
                ),
                _ => query.options(
                    selectin(Author::BOOKS)
                        .filter(Book::TITLE.like("%3%"))
                        .then(joined(Book::TAGS).filter(Tag::NAME.ne("tag1"))),
                ),
            };
            let (authors, statements) = counted(s, |s| query.all(s).unwrap());
            (graph(&authors), statements)
        };
        sqlite.expunge_all();
        let expected = run(&mut sqlite);
        assert!(expected.0.iter().any(|a| !a.2.is_empty()), "{shape}");
        assert!(expected
            .0
            .iter()
            .flat_map(|a| &a.2)
            .all(|b| b.1.contains('3') && !b.2.contains(&"tag1".to_string())));
        pg.reset_statements();
        let (graph_pg, statements) = run(&mut pg);
        assert_eq!(graph_pg, expected.0, "{shape}");
        let logged = pg.statements();
        match shape {
            "selectin" => {
                assert_eq!(statements, 3);
                assert!(
                    logged[1]
                        .sql
                        .contains("(\"title\" LIKE $1) AND \"author_id\" = ANY($2)"),
                    "{}",
                    logged[1].sql
                );
            }
            "joined" => {
                assert_eq!(statements, 1);
                assert!(
                    logged[0].sql.contains("AND (j1.\"title\" LIKE $2)"),
                    "{}",
                    logged[0].sql
                );
                assert!(
                    logged[0].sql.contains("AND (j2.\"name\" <> $3)"),
                    "{}",
                    logged[0].sql
                );
                assert_eq!(logged[0].params, 3);
            }
            _ => {
                assert_eq!(statements, 2);
                assert!(
                    logged[1].sql.contains("AND (j1.\"name\" <> $3)"),
                    "{}",
                    logged[1].sql
                );
            }
        }
        pg.expunge_all();
    }
}

// ----- explain ---------------------------------------------------------------

#[test]
fn explain_lists_the_sql_that_runs() {
    let Some(mut pg) = pg::session("explain_lists_the_sql_that_runs") else {
        return;
    };
    seed(&mut pg, 8);
    let query = || {
        Query::<Author>::new()
            .filter(Author::ID.gt(0))
            .options(selectin(Author::BOOKS).then(joined(Book::TAGS)))
    };
    let explained = query().explain(&pg).unwrap();
    assert_eq!(pg.statement_count(), 0, "explain sent SQL");
    let sending: Vec<&eagerly::PlannedStep> = explained.sending().collect();
    assert_eq!(sending.len(), 2, "{explained}");
    // One array for any number of keys: the template is what is sent.
    let books = sending[1];
    assert!(
        books.sql.as_deref().unwrap().contains("= ANY($1)"),
        "{explained}"
    );
    assert_eq!(books.sql_for(8), books.sql);
    let expected = vec![sending[0].sql.clone().unwrap(), books.sql.clone().unwrap()];
    let (authors, sent) = counted(&mut pg, |s| query().all(s).unwrap());
    assert_eq!(authors.len(), 8);
    assert_eq!(sqls(&pg), expected, "{explained}");
    assert_eq!(
        sent as usize,
        sending[0].cost.statements(0) + books.cost.statements(8)
    );
}

// ----- partial and set-based writes ----------------------------------------

/// Books as the database holds them (id, title, author, editor) and the
/// authors (id, name), read after the session forgot everything.
type Contents = (Vec<(i64, String, i64, Option<i64>)>, Vec<(i64, String)>);

fn contents(session: &mut Session) -> Contents {
    session.expunge_all();
    let books = session
        .query::<Book>()
        .order_by(Book::ID)
        .all()
        .unwrap()
        .iter()
        .map(|b| (b.id, b.title.clone(), b.author_id, b.editor_id))
        .collect();
    let authors = session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap()
        .iter()
        .map(|a| (a.id, a.name.clone()))
        .collect();
    (books, authors)
}

/// `update_columns`, `query.update`, `query.delete` and `upsert` on one
/// engine: the SQL of each write, the rows it reported, and what the
/// database held after each.
fn partial_writes(s: &mut Session) -> (Vec<String>, Vec<u64>, Vec<Contents>) {
    let mut sql = Vec::new();
    let mut changed = Vec::new();
    let mut after = Vec::new();
    let last = |s: &Session| s.statements().last().unwrap().sql.clone();

    // One row, two columns; the identity map serves the new values.
    let book = s.get::<Book>(2).unwrap().unwrap();
    s.reset_statements();
    let updated = s
        .update_columns(
            &book,
            Changes::new()
                .set(Book::TITLE, "x")
                .set(Book::EDITOR_ID, Some(1)),
        )
        .unwrap();
    assert_eq!(s.statement_count(), 1);
    sql.push(last(s));
    assert!(Handle::ptr_eq(
        &s.get::<Book>(2).unwrap().unwrap(),
        &updated
    ));
    assert_eq!((updated.title.as_str(), updated.editor_id), ("x", Some(1)));
    after.push(contents(s));

    // By filter across a relation; loaded relations to books expire.
    let three = s.get::<Author>(3).unwrap().unwrap();
    s.load(Author::BOOKS, &three).unwrap();
    s.reset_statements();
    changed.push(
        s.query::<Book>()
            .filter(Book::AUTHOR.has(Author::NAME.eq("author3")))
            .update(Changes::new().set(Book::TITLE, "three"))
            .unwrap(),
    );
    assert_eq!(s.statement_count(), 1);
    sql.push(last(s));
    assert!(!three.books.is_loaded());
    let reloaded = s.load(Author::BOOKS, &three).unwrap();
    assert!(reloaded.iter().all(|b| b.title == "three"));
    after.push(contents(s));

    // Delete by filter (their tag links first: the foreign key holds).
    let three = s.get::<Author>(3).unwrap().unwrap();
    s.load(Author::BOOKS, &three).unwrap();
    s.execute("DELETE FROM book_tags WHERE book_id IN (4, 5, 6)", &[])
        .unwrap();
    s.reset_statements();
    changed.push(
        Query::<Book>::new()
            .filter(Book::TITLE.eq("three"))
            .delete(s)
            .unwrap(),
    );
    sql.push(last(s));
    assert!(!three.books.is_loaded());
    assert!(s.load(Author::BOOKS, &three).unwrap().is_empty());
    after.push(contents(s));

    // Upsert: an existing row updated, a new one inserted.
    let two = s.get::<Author>(2).unwrap().unwrap();
    s.reset_statements();
    let bee = s.upsert(author(2, "Bee")).unwrap();
    sql.push(last(s));
    assert!(Handle::ptr_eq(&s.get::<Author>(2).unwrap().unwrap(), &bee));
    assert_eq!(two.name, "author2", "a kept handle keeps its snapshot");
    s.upsert(author(9, "Nine")).unwrap();
    assert_eq!(s.statement_count(), 2);
    after.push(contents(s));
    (sql, changed, after)
}

#[test]
fn partial_and_set_based_writes_agree_with_sqlite() {
    let Some((mut sqlite, mut pg)) = both("partial_and_set_based_writes_agree_with_sqlite", 4)
    else {
        return;
    };
    let (lite_sql, lite_changed, lite_after) = partial_writes(&mut sqlite);
    let (pg_sql, pg_changed, pg_after) = partial_writes(&mut pg);
    assert_eq!(
        pg_sql,
        [
            "UPDATE \"books\" SET \"title\" = $1, \"editor_id\" = $2 WHERE \"id\" = $3",
            "UPDATE \"books\" SET \"title\" = $1 WHERE EXISTS (SELECT 1 FROM \"authors\" AS x1 \
             WHERE x1.\"id\" = \"books\".\"author_id\" AND (\"name\" = $2))",
            "DELETE FROM \"books\" WHERE \"title\" = $1",
            "INSERT INTO \"authors\" (\"id\", \"name\") VALUES ($1, $2) \
             ON CONFLICT (\"id\") DO UPDATE SET \"name\" = excluded.\"name\"",
        ]
    );
    let numbered = |sql: &String| {
        let mut text = sql.clone();
        for n in (1..=3).rev() {
            text = text.replace(&format!("${n}"), "?");
        }
        text
    };
    assert_eq!(pg_sql.iter().map(numbered).collect::<Vec<_>>(), lite_sql);
    assert_eq!(pg_changed, [3, 3]);
    assert_eq!(pg_changed, lite_changed);
    assert_eq!(pg_after, lite_after);
    let (books, authors) = pg_after.last().unwrap().clone();
    assert_eq!(
        books,
        [
            (1, "book1".into(), 1, None),
            (2, "x".into(), 2, Some(1)),
            (3, "book3".into(), 2, Some(1)),
        ]
    );
    assert_eq!(
        authors,
        [
            (1, "author1".into()),
            (2, "Bee".into()),
            (3, "author3".into()),
            (4, "author4".into()),
            (9, "Nine".into()),
        ]
    );
    // Read over a plain client too: what another connection sees.
    let mut client = pg.client();
    let row = client
        .query_one(
            &format!(
                "SELECT title, editor_id FROM \"{}\".books WHERE id = 2",
                pg.schema()
            ),
            &[],
        )
        .unwrap();
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, Option<i64>>(1)),
        ("x".into(), Some(1))
    );
}

#[test]
fn set_writes_refuse_bad_input_on_postgres_before_sending() {
    let Some((_, mut pg)) = both("set_writes_refuse_bad_input_on_postgres_before_sending", 2)
    else {
        return;
    };
    pg.reset_statements();
    assert!(matches!(
        pg.query::<Book>()
            .limit(1)
            .update(Changes::new().set(Book::TITLE, "x")),
        Err(Error::Misuse(_))
    ));
    assert!(matches!(
        pg.query::<Book>().order_by(Book::ID).delete(),
        Err(Error::Misuse(_))
    ));
    let book = pg.get::<Book>(1).unwrap().unwrap();
    assert!(matches!(
        pg.update_columns(&book, Changes::<Book>::new()),
        Err(Error::Misuse(_))
    ));
    assert_eq!(pg.statement_count(), 1, "only the get");
}
