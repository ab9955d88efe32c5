//! `joined`: the relation's rows come in the parent's statement through a
//! LEFT OUTER JOIN (INNER with `innerjoin = true`), so it costs no statement
//! of its own; LIMIT/OFFSET limit parents, and parents are de-duplicated.

mod support;

use support::engine::numbered;

use eagerly::prelude::*;
use eagerly::Strategy;
use support::eager::{library_mapping, single_relation_mappings};
use support::graph::{all_loaded, counted, graph_of, load_graph, sqls};
use support::library::{library, Author, Book, Tag};
use support::matrix::{library_kind, mapped_kinds, Kind};

single_relation_mappings!(mod mapped, "joined");

library_mapping!(mod all_joined {
    books: "joined",
    bio: "joined",
    author: "joined",
    editor: "select",
    tags: "joined",
    tag_books: "joined",
    parent: "select",
    children: "joined",
});

mod inner {
    use eagerly::prelude::*;
    use eagerly::Many;

    use crate::support::library;

    #[derive(Entity, Debug)]
    #[orm(table = "authors")]
    pub struct Author {
        #[orm(primary_key)]
        pub id: i64,
        pub name: String,
        #[relationship(
            foreign_key = "author_id",
            order_by = "id",
            lazy = "joined",
            innerjoin = true
        )]
        pub books: Many<library::Book>,
    }

    #[derive(Entity, Debug)]
    #[orm(table = "books")]
    pub struct Book {
        #[orm(primary_key)]
        pub id: i64,
        pub title: String,
        #[relationship(
            secondary = "book_tags",
            foreign_key = "book_id",
            target_foreign_key = "tag_id",
            order_by = "name",
            lazy = "joined",
            innerjoin = true
        )]
        pub tags: Many<library::Tag>,
    }
}

#[test]
fn one_to_many() {
    library_kind(Kind::OneToMany, Strategy::Joined);
}

#[test]
fn one_to_one() {
    library_kind(Kind::OneToOne, Strategy::Joined);
}

#[test]
fn many_to_one() {
    library_kind(Kind::ManyToOne, Strategy::Joined);
}

#[test]
fn optional_many_to_one() {
    library_kind(Kind::OptionalManyToOne, Strategy::Joined);
}

#[test]
fn many_to_many() {
    library_kind(Kind::ManyToMany, Strategy::Joined);
}

#[test]
fn many_to_many_other_side() {
    library_kind(Kind::ManyToManyReverse, Strategy::Joined);
}

#[test]
fn self_referential_children() {
    library_kind(Kind::SelfChildren, Strategy::Joined);
}

#[test]
fn self_referential_parent() {
    library_kind(Kind::SelfParent, Strategy::Joined);
}

#[test]
fn mapping_default_joined_for_every_kind() {
    assert_eq!(mapped::AuthorBooks::BOOKS.meta().lazy(), Strategy::Joined);
    mapped_kinds!(mapped, Strategy::Joined);
}

#[test]
fn limit_and_offset_limit_parents_not_joined_rows() {
    let mut session = library(12);
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .options(joined(Author::BOOKS))
            .order_by(Author::ID)
            .limit(3)
            .offset(1)
            .all()
            .unwrap()
    });
    assert_eq!(statements, 1);
    // Authors 2, 3 and 4 have 2, 3 and 0 books: five joined rows, three parents.
    assert_eq!(
        graph_of(Author::BOOKS, &authors),
        vec![(2, vec![2, 3]), (3, vec![4, 5, 6]), (4, vec![])]
    );
    let sql = &sqls(&session)[0];
    assert!(
        sql.contains(&numbered(r#"FROM (SELECT * FROM "authors" ORDER BY "id" LIMIT ? OFFSET ?) AS t0 LEFT OUTER JOIN "books""#)),
        "the parent query is wrapped: {sql}"
    );
    assert_eq!(session.statements()[0].params, 2);

    // OFFSET alone (SQLite needs LIMIT -1 before it).
    let authors = session
        .query::<Author>()
        .options(joined(Author::BOOKS))
        .order_by(Author::ID)
        .offset(10)
        .all()
        .unwrap();
    assert_eq!(
        graph_of(Author::BOOKS, &authors),
        vec![(11, vec![16, 17, 18]), (12, vec![])]
    );
}

#[test]
fn parents_are_de_duplicated() {
    let mut session = library(12);
    let authors = session
        .query::<Author>()
        .options(joined(Author::BOOKS).then(joined(Book::TAGS)))
        .order_by(Author::ID)
        .all()
        .unwrap();
    let ids: Vec<i64> = authors.iter().map(|a| a.id).collect();
    assert_eq!(ids, (1..=12).collect::<Vec<_>>());
    let books: Vec<Handle<Book>> = authors
        .iter()
        .flat_map(|a| a.books.get().unwrap().to_vec())
        .collect();
    let mut book_ids: Vec<i64> = books.iter().map(|b| b.id).collect();
    let total = book_ids.len();
    book_ids.dedup();
    assert_eq!(
        book_ids.len(),
        total,
        "a book joined once per tag row is listed once"
    );
    assert_eq!(total, 18);
}

#[test]
fn first_and_one_keep_the_whole_collection() {
    let mut session = library(12);
    let first = session
        .query::<Author>()
        .options(joined(Author::BOOKS))
        .filter(Author::ID.ge(3))
        .order_by(Author::ID)
        .first()
        .unwrap()
        .unwrap();
    assert_eq!(first.id, 3);
    assert_eq!(
        first.books.get().unwrap().len(),
        3,
        "LIMIT 1 limits the parent, not the rows"
    );
    let mut session = library(12);
    let one = session
        .query::<Author>()
        .options(joined(Author::BOOKS))
        .filter(Author::ID.eq(7))
        .one()
        .unwrap();
    assert_eq!(
        one.books
            .get()
            .unwrap()
            .iter()
            .map(|b| b.id)
            .collect::<Vec<_>>(),
        vec![10, 11, 12]
    );
}

#[test]
fn nested_joined_chains_are_one_statement() {
    // Two levels.
    let mut session = library(30);
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .options(joined(Author::BOOKS).then(joined(Book::TAGS)))
            .order_by(Author::ID)
            .all()
            .unwrap()
    });
    assert_eq!(statements, 1);
    let books: Vec<_> = authors
        .iter()
        .flat_map(|a| a.books.get().unwrap().to_vec())
        .collect();
    let joined_books = graph_of(Author::BOOKS, &authors);
    let joined_tags = graph_of(Book::TAGS, &books);

    let mut baseline = library(30);
    let authors = baseline
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap();
    assert_eq!(
        load_graph(&mut baseline, Author::BOOKS, &authors),
        joined_books
    );
    let books: Vec<_> = authors
        .iter()
        .flat_map(|a| a.books.get().unwrap().to_vec())
        .collect();
    assert_eq!(load_graph(&mut baseline, Book::TAGS, &books), joined_tags);

    // Three levels, and two branches under one step.
    let (tags, statements) = counted(&mut session, |s| {
        s.query::<Tag>()
            .options(
                joined(Tag::BOOKS)
                    .then(joined(Book::AUTHOR).then(joined(Author::BIO)))
                    .then(joined(Book::EDITOR)),
            )
            .order_by(Tag::ID)
            .all()
            .unwrap()
    });
    assert_eq!(statements, 1);
    let books: Vec<_> = tags
        .iter()
        .flat_map(|t| t.books.get().unwrap().to_vec())
        .collect();
    let pairs: usize = (1..=45i64)
        .map(|b| if b % 3 == (b + 1) % 5 { 1 } else { 2 })
        .sum();
    assert_eq!(books.len(), pairs, "each tag lists each of its books once");
    assert!(all_loaded(Book::AUTHOR, &books) && all_loaded(Book::EDITOR, &books));
    let authors: Vec<_> = books
        .iter()
        .map(|b| b.author.get().unwrap().unwrap().clone())
        .collect();
    assert!(all_loaded(Author::BIO, &authors));
    for book in &books {
        assert_eq!(book.author.get().unwrap().unwrap().id, book.author_id);
        assert_eq!(book.editor.get().unwrap().map(|e| e.id), book.editor_id);
    }
    for author in &authors {
        assert_eq!(
            author.bio.get().unwrap().map(|b| b.author_id),
            (author.id % 2 == 0).then_some(author.id)
        );
    }
    let sql = &sqls(&session)[0];
    // One per joined table: book_tags and books (the many-to-many's two
    // chained joins), the author, the bio, the editor.
    assert_eq!(sql.matches("LEFT OUTER JOIN").count(), 5, "{sql}");
}

#[test]
fn mapping_defaults_join_the_whole_tree_in_one_statement() {
    use all_joined::*;
    let mut session = library(30);
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>().order_by(Author::ID).all().unwrap()
    });
    assert_eq!(
        statements, 1,
        "books, their tags and the bio in the parent statement"
    );
    let books: Vec<_> = authors
        .iter()
        .flat_map(|a| a.books.get().unwrap().to_vec())
        .collect();
    assert_eq!(books.len(), 45);
    assert!(all_loaded(Book::TAGS, &books));
    assert!(all_loaded(Author::BIO, &authors));
    // The way back (Book.author) is filled from the identity map.
    for book in &books {
        assert!(Handle::ptr_eq(
            &book.author.get().unwrap().unwrap(),
            &authors[book.author_id as usize - 1]
        ));
    }
    assert_eq!(session.statement_count(), 1);
}

#[test]
fn innerjoin_drops_parents_without_children() {
    let mut session = library(12);
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<inner::Author>()
            .order_by(inner::Author::ID)
            .all()
            .unwrap()
    });
    assert_eq!(statements, 1);
    let ids: Vec<i64> = authors.iter().map(|a| a.id).collect();
    assert_eq!(
        ids,
        vec![1, 2, 3, 5, 6, 7, 9, 10, 11],
        "authors 4, 8 and 12 have no books"
    );
    assert!(authors.iter().all(|a| !a.books.get().unwrap().is_empty()));
    let sql = &sqls(&session)[0];
    assert!(
        sql.contains(r#" JOIN "books" AS j1"#) && !sql.contains("LEFT OUTER JOIN"),
        "{sql}"
    );

    // The option form without innerjoin keeps them.
    let authors = session
        .query::<Author>()
        .options(joined(Author::BOOKS))
        .order_by(Author::ID)
        .all()
        .unwrap();
    assert_eq!(authors.len(), 12);
}

#[test]
fn a_null_many_to_one_keeps_its_parent() {
    let mut session = library(12);
    let books = session
        .query::<Book>()
        .options(joined(Book::EDITOR))
        .order_by(Book::ID)
        .all()
        .unwrap();
    assert_eq!(books.len(), 18);
    for book in &books {
        assert_eq!(book.editor.get().unwrap().map(|e| e.id), book.editor_id);
    }
}

/// A many-to-many is two chained joins, the association table then the
/// target. An association row whose target is missing reads as no target;
/// with `innerjoin` both joins are INNER, so a book whose only association
/// row dangles is dropped like a book with none.
#[test]
fn many_to_many_chains_its_joins_and_reads_dangling_association_rows_as_absent() {
    let mut session = library(12);
    support::engine::foreign_keys_off(&mut session);
    for sql in [
        "INSERT INTO books (id, title, author_id) VALUES (100, 'dangling only', 1), (101, 'untagged', 1)",
        "INSERT INTO book_tags (book_id, tag_id) VALUES (100, 999), (1, 999)",
    ] {
        session.execute(sql, &[]).unwrap();
    }
    let oracle = {
        let books = session
            .query::<Book>()
            .options(selectin(Book::TAGS))
            .order_by(Book::ID)
            .all()
            .unwrap();
        graph_of(Book::TAGS, &books)
    };
    assert_eq!(oracle.len(), 20);
    assert!(oracle.contains(&(100, vec![])) && oracle.contains(&(101, vec![])));
    assert!(!oracle[0].1.is_empty(), "book 1 keeps its existing tags");
    session.expunge_all();

    let (books, statements) = counted(&mut session, |s| {
        s.query::<Book>()
            .options(joined(Book::TAGS))
            .order_by(Book::ID)
            .all()
            .unwrap()
    });
    assert_eq!(statements, 1);
    assert_eq!(graph_of(Book::TAGS, &books), oracle);
    let sql = &sqls(&session)[0];
    assert!(
        sql.contains(
            r#" LEFT OUTER JOIN "book_tags" AS sj1 ON sj1."book_id" = t0."id" LEFT OUTER JOIN "tags" AS j1 ON j1."id" = sj1."tag_id""#
        ),
        "{sql}"
    );
    session.expunge_all();

    let (books, statements) = counted(&mut session, |s| {
        s.query::<inner::Book>()
            .order_by(inner::Book::ID)
            .all()
            .unwrap()
    });
    assert_eq!(statements, 1);
    let tagged: Vec<_> = oracle.into_iter().filter(|(_, t)| !t.is_empty()).collect();
    assert_eq!(graph_of(inner::Book::TAGS, &books), tagged);
    let sql = &sqls(&session)[0];
    assert!(
        sql.contains(
            r#" JOIN "book_tags" AS sj1 ON sj1."book_id" = t0."id" JOIN "tags" AS j1 ON j1."id" = sj1."tag_id""#
        ) && !sql.contains("LEFT OUTER JOIN"),
        "{sql}"
    );
}
