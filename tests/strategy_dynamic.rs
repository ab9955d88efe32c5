//! `dynamic`: the relation is never loaded implicitly; it is a query of the
//! targets to filter, order, count and page (one statement per executed
//! query), and `append` adds to it. (`dynamic` on a `One` is a compile
//! error, checked by the trybuild cases in tests/ui/relationship-strategy.)

mod support;

use support::engine::{either, numbered};

use eagerly::prelude::*;
use eagerly::LoadState;
use support::composite::{base, composite};
use support::graph::{counted, sqls};
use support::library::{library, Author, Book, Tag};

/// Many-to-many and composite-key dynamic relations over the fixtures' tables.
mod dynamic_mapping {
    use eagerly::prelude::*;
    use eagerly::Dynamic;

    use crate::support::{composite::base, library};

    #[derive(Entity, Debug)]
    #[orm(table = "books")]
    pub struct Book {
        #[orm(primary_key)]
        pub id: i64,
        pub title: String,
        pub author_id: i64,
        pub editor_id: Option<i64>,
        #[relationship(
            secondary = "book_tags",
            foreign_key = "book_id",
            target_foreign_key = "tag_id"
        )]
        pub tag_query: Dynamic<library::Tag>,
    }

    #[derive(Entity, Debug)]
    #[orm(table = "shelves")]
    pub struct Shelf {
        #[orm(primary_key)]
        pub building: i64,
        #[orm(primary_key)]
        pub number: i64,
        pub name: String,
        #[relationship(foreign_key = "building, shelf_number")]
        pub item_query: Dynamic<base::Item>,
        #[relationship(
            secondary = "shelf_topics",
            foreign_key = "shelf_building, shelf_number",
            target_foreign_key = "topic_lang, topic_code"
        )]
        pub topic_query: Dynamic<base::Topic>,
    }
}

fn ids(books: &[Handle<Book>]) -> Vec<i64> {
    books.iter().map(|b| b.id).collect()
}

#[test]
fn never_loads_implicitly() {
    let mut session = library(20);
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .options(selectin(Author::BOOKS))
            .order_by(Author::ID)
            .all()
            .unwrap()
    });
    assert_eq!(authors.len(), 20);
    assert_eq!(
        statements, 2,
        "the parents and Author.books; nothing for Author.book_query"
    );
    assert!(sqls(&session).iter().all(|sql| !sql.contains("book_query")));
}

#[test]
fn filter_order_page_and_count_one_statement_each() {
    let mut session = library(20);
    let author = session.get::<Author>(7).unwrap().unwrap();
    session.reset_statements();

    let all = session
        .dynamic(Author::BOOK_QUERY, &author)
        .order_by(Book::ID.desc())
        .all()
        .unwrap();
    assert_eq!(ids(&all), vec![12, 11, 10]);
    let filtered = session
        .dynamic(Author::BOOK_QUERY, &author)
        .filter(Book::TITLE.eq("book11"))
        .all()
        .unwrap();
    assert_eq!(ids(&filtered), vec![11]);
    let page = session
        .dynamic(Author::BOOK_QUERY, &author)
        .order_by(Book::ID)
        .limit(2)
        .offset(1)
        .all()
        .unwrap();
    assert_eq!(ids(&page), vec![11, 12]);
    let count = session
        .dynamic(Author::BOOK_QUERY, &author)
        .count()
        .unwrap();
    assert_eq!(count, 3);
    let counted_page = session
        .dynamic(Author::BOOK_QUERY, &author)
        .limit(2)
        .count()
        .unwrap();
    assert_eq!(counted_page, 2);
    let first = session
        .dynamic(Author::BOOK_QUERY, &author)
        .order_by(Book::TITLE.desc())
        .first()
        .unwrap();
    assert_eq!(first.map(|b| b.id), Some(12));
    let none = session
        .dynamic(Author::BOOK_QUERY, &author)
        .filter(Book::ID.gt(100))
        .one();
    assert!(matches!(none, Err(Error::NotFound { table: "books" })));
    assert_eq!(
        session.statement_count(),
        7,
        "one statement per executed query"
    );

    // Running the same query again runs it again: nothing is cached.
    let (_, statements) = counted(&mut session, |s| {
        s.dynamic(Author::BOOK_QUERY, &author).all().unwrap();
        s.dynamic(Author::BOOK_QUERY, &author).all().unwrap();
    });
    assert_eq!(statements, 2);
    let sql = &sqls(&session)[0];
    assert!(sql.contains(&numbered(r#""author_id" = ?"#)), "{sql}");
    assert_eq!(session.statements()[0].params, 1);

    // Other relations of the parent are untouched.
    assert_eq!(author.books.state(), LoadState::Unloaded);
}

#[test]
fn an_author_without_books_has_an_empty_query() {
    let mut session = library(8);
    let author = session.get::<Author>(4).unwrap().unwrap();
    assert!(session
        .dynamic(Author::BOOK_QUERY, &author)
        .all()
        .unwrap()
        .is_empty());
    assert_eq!(
        session
            .dynamic(Author::BOOK_QUERY, &author)
            .count()
            .unwrap(),
        0
    );
}

#[test]
fn results_are_identity_mapped_and_take_loader_options() {
    let mut session = library(8);
    let author = session.get::<Author>(3).unwrap().unwrap();
    let book = session.get::<Book>(5).unwrap().unwrap();
    let (books, statements) = counted(&mut session, |s| {
        s.dynamic(Author::BOOK_QUERY, &author)
            .options(selectin(Book::TAGS))
            .order_by(Book::ID)
            .all()
            .unwrap()
    });
    assert_eq!(
        statements, 2,
        "the dynamic query, then one IN statement for the tags"
    );
    assert!(Handle::ptr_eq(&books[1], &book));
    assert!(books.iter().all(|b| b.tags.is_loaded()));
    // A many-to-one back to the parent is served from the map.
    let (_, statements) = counted(&mut session, |s| {
        for b in &books {
            assert!(Handle::ptr_eq(
                &s.load(Book::AUTHOR, b).unwrap().unwrap(),
                &author
            ));
        }
    });
    assert_eq!(statements, 0);

    // Joined options wrap the dynamic query like any other.
    let (books, statements) = counted(&mut session, |s| {
        s.dynamic(Author::BOOK_QUERY, &author)
            .options(joined(Book::EDITOR))
            .order_by(Book::ID)
            .limit(2)
            .all()
            .unwrap()
    });
    assert_eq!(statements, 1);
    assert_eq!(ids(&books), vec![4, 5]);
}

#[test]
fn append_sets_the_foreign_key_and_inserts() {
    let mut session = library(8);
    let author = session.get::<Author>(4).unwrap().unwrap();
    let (book, statements) = counted(&mut session, |s| {
        s.append(
            Author::BOOK_QUERY,
            &author,
            Book {
                id: 0,
                title: "appended".into(),
                author_id: 0,
                editor_id: None,
                author: Default::default(),
                editor: Default::default(),
                tags: Default::default(),
            },
        )
        .unwrap()
    });
    assert_eq!(statements, 1);
    assert_eq!(book.author_id, 4);
    assert!(book.id > 0, "the key was assigned");
    let found = session.dynamic(Author::BOOK_QUERY, &author).all().unwrap();
    assert_eq!(found.len(), 1);
    assert!(Handle::ptr_eq(&found[0], &book));
}

#[test]
fn many_to_many_dynamic_query_and_append() {
    use dynamic_mapping::Book as DynBook;
    let mut session = library(8);
    let book = session.get::<DynBook>(4).unwrap().unwrap();
    let tags = session
        .dynamic(DynBook::TAG_QUERY, &book)
        .order_by(Tag::ID)
        .all()
        .unwrap();
    assert_eq!(tags.iter().map(|t| t.id).collect::<Vec<_>>(), vec![0, 1]);
    assert_eq!(
        session
            .dynamic(DynBook::TAG_QUERY, &book)
            .filter(Tag::NAME.eq("tag1"))
            .count()
            .unwrap(),
        1
    );
    assert_eq!(
        session.dynamic(DynBook::TAG_QUERY, &book).count().unwrap(),
        2
    );

    let (tag, statements) = counted(&mut session, |s| {
        s.append(
            DynBook::TAG_QUERY,
            &book,
            Tag {
                id: 0,
                name: "new".into(),
                books: Default::default(),
            },
        )
        .unwrap()
    });
    assert_eq!(
        statements, 4,
        "SAVEPOINT, the target, then the association row, RELEASE: both or neither"
    );
    let tags = session
        .dynamic(DynBook::TAG_QUERY, &book)
        .order_by(Tag::ID)
        .all()
        .unwrap();
    assert_eq!(tags.len(), 3);
    assert!(Handle::ptr_eq(&tags[2], &tag));
    // The association row is real: the library mapping sees it.
    let library_book = session.get::<Book>(4).unwrap().unwrap();
    let loaded = session.load(Book::TAGS, &library_book).unwrap();
    assert!(loaded.iter().any(|t| Handle::ptr_eq(t, &tag)));
}

#[test]
fn composite_keys() {
    use dynamic_mapping::Shelf;
    let mut session = composite(12, 4);
    // Shelf 5 (building 1, number 6) holds items 5 and 6 except the unshelved 4th.
    let shelf = session.get::<Shelf>((1, 6)).unwrap().unwrap();
    let items = session
        .dynamic(Shelf::ITEM_QUERY, &shelf)
        .order_by(base::Item::ID)
        .all()
        .unwrap();
    let expected: Vec<i64> = session
        .query::<base::Item>()
        .filter(base::Item::BUILDING.eq(1))
        .filter(base::Item::SHELF_NUMBER.eq(Some(6)))
        .order_by(base::Item::ID)
        .all()
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(items.iter().map(|i| i.id).collect::<Vec<_>>(), expected);
    let topics = session
        .dynamic(Shelf::TOPIC_QUERY, &shelf)
        .order_by(base::Topic::LANG)
        .all()
        .unwrap();
    assert_eq!(
        topics
            .iter()
            .map(|t| (t.lang.as_str(), t.code))
            .collect::<Vec<_>>(),
        vec![("en", 5 % 3 + 1), ("fr", 5 % 2 + 1)]
    );

    let (item, statements) = counted(&mut session, |s| {
        s.append(
            Shelf::ITEM_QUERY,
            &shelf,
            base::Item {
                id: 1000,
                building: 0,
                shelf_number: None,
                name: "new".into(),
                shelf: Default::default(),
            },
        )
        .unwrap()
    });
    assert_eq!(statements, 1);
    assert_eq!((item.building, item.shelf_number), (1, Some(6)));
    assert_eq!(
        session.dynamic(Shelf::ITEM_QUERY, &shelf).count().unwrap(),
        expected.len() as u64 + 1
    );

    let topic = session
        .append(
            Shelf::TOPIC_QUERY,
            &shelf,
            base::Topic {
                lang: "de".into(),
                code: 9,
                shelves: Default::default(),
            },
        )
        .unwrap();
    let topics = session
        .dynamic(Shelf::TOPIC_QUERY, &shelf)
        .order_by(base::Topic::LANG)
        .all()
        .unwrap();
    assert!(Handle::ptr_eq(&topics[0], &topic));
    assert_eq!(topics.len(), 3);
}

mod ordered_mapping {
    use eagerly::prelude::*;
    use eagerly::Dynamic;

    use crate::support::library;

    #[derive(Entity, Debug)]
    #[orm(table = "authors")]
    pub struct Author {
        #[orm(primary_key)]
        pub id: i64,
        pub name: String,
        #[relationship(foreign_key = "author_id", lazy = "dynamic", order_by = "title desc")]
        pub book_query: Dynamic<library::Book>,
    }
}

#[test]
fn a_dynamic_relations_order_by_orders_every_query_before_the_querys_own() {
    use ordered_mapping::Author as OrderedAuthor;
    let mut s = library(12);
    // Author 3 has books 4, 5 and 6 ("book4".."book6").
    let author = s.get::<OrderedAuthor>(3).unwrap().unwrap();
    let titles =
        |books: Vec<Handle<Book>>| books.iter().map(|b| b.title.clone()).collect::<Vec<_>>();
    let ((by_relation, then_id, unordered), statements) = counted(&mut s, |s| {
        let by_relation = s.dynamic(OrderedAuthor::BOOK_QUERY, &author).all().unwrap();
        let then_id = s
            .dynamic(OrderedAuthor::BOOK_QUERY, &author)
            .order_by(Book::ID)
            .limit(2)
            .all()
            .unwrap();
        let unordered = s
            .dynamic(OrderedAuthor::BOOK_QUERY, &author)
            .unordered()
            .order_by(Book::ID)
            .all()
            .unwrap();
        (titles(by_relation), titles(then_id), titles(unordered))
    });
    assert_eq!(statements, 3);
    assert_eq!(by_relation, ["book6", "book5", "book4"]);
    assert_eq!(then_id, ["book6", "book5"]);
    assert_eq!(unordered, ["book4", "book5", "book6"]);
    let logged = sqls(&s);
    assert!(
        logged[0].ends_with("ORDER BY \"title\" DESC"),
        "{}",
        logged[0]
    );
    assert!(
        logged[1].ends_with(either(
            "ORDER BY \"title\" DESC, \"id\" LIMIT ?",
            "ORDER BY \"title\" DESC, \"id\" LIMIT $2"
        )),
        "{}",
        logged[1]
    );
    assert!(logged[2].ends_with("ORDER BY \"id\""), "{}", logged[2]);
}
