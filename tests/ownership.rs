//! Relation state is the loaders' alone: an object whose relation fields
//! hold loaded objects is not inserted as if they had been written.

use std::sync::Arc;

use eagerly::prelude::*;

#[derive(Entity, Debug, Clone)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "author_id")]
    pub books: Many<Book>,
}

#[derive(Entity, Debug)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
    #[relationship(foreign_key = "author_id")]
    pub author: One<Author>,
}

fn session() -> Session {
    let mut s = Session::in_memory().unwrap();
    s.create_all(&[Author::META, Book::META]).unwrap();
    s.reset_statements();
    s
}

fn book(id: i64, author_id: i64) -> Book {
    Book {
        id,
        title: format!("book {id}"),
        author_id,
        author: One::new(),
    }
}

#[test]
fn insert_with_loaded_children_saves_them_with_it() {
    let mut s = session();
    let ann = s
        .insert(Author {
            id: 1,
            name: "Ann".into(),
            books: Many::loaded(vec![Handle::new(book(10, 1))]),
        })
        .unwrap();
    // BEGIN, the author, the book, COMMIT (tests/graph_writes.rs has the rest).
    assert_eq!(s.statement_count(), 4);
    assert_eq!(s.query::<Author>().count().unwrap(), 1);
    assert_eq!(s.query::<Book>().count().unwrap(), 1);
    let books = ann.books.get().unwrap();
    assert_eq!((books[0].id, books[0].author_id), (10, 1));
}

#[test]
fn insert_with_a_loaded_to_one_is_refused_even_when_absent() {
    let mut s = session();
    let result = s.insert(Book {
        author: One::loaded(None),
        ..book(10, 1)
    });
    assert!(
        matches!(&result, Err(Error::Misuse(m)) if m.contains("Book.author")),
        "{result:?}"
    );
    assert_eq!(s.statement_count(), 0);
}

#[test]
fn insert_with_unloaded_relations_writes_and_loads_later() {
    let mut s = session();
    let ann = s
        .insert(Author {
            id: 1,
            name: "Ann".into(),
            books: Many::new(),
        })
        .unwrap();
    s.insert(book(10, 1)).unwrap();
    let books = s.load(Author::BOOKS, &ann).unwrap();
    assert_eq!(books.len(), 1);
}

fn seeded() -> Session {
    let mut s = session();
    s.execute("INSERT INTO authors (id, name) VALUES (1, 'Ann')", &[])
        .unwrap();
    s.execute(
        "INSERT INTO books (id, title, author_id) VALUES (10, 'one', 1), (11, 'two', 1)",
        &[],
    )
    .unwrap();
    s.reset_statements();
    s
}

fn is_foreign<T: std::fmt::Debug>(result: &eagerly::Result<T>) -> bool {
    matches!(result, Err(Error::ForeignObject { entity: "Author" }))
}

#[test]
fn another_session_cannot_load_or_write_an_object_it_did_not_load() {
    let mut first = seeded();
    let mut second = seeded();
    let ann = first.get::<Author>(1).unwrap().unwrap();
    first.reset_statements();
    // The other session would answer from its own database.
    let loaded = second.load(Author::BOOKS, &ann);
    assert!(is_foreign(&loaded), "{loaded:?}");
    assert_eq!(second.statement_count(), 0);
    assert!(
        !ann.books.is_loaded(),
        "nothing stored in the first session's object"
    );
    let message = loaded.unwrap_err().to_string();
    assert!(
        message.contains("does not belong to this session"),
        "{message}"
    );
    // Writes of it through the other session are refused too.
    let renamed = Author {
        name: "Ann II".into(),
        ..(*ann).clone()
    };
    assert!(is_foreign(&second.update(renamed)));
    assert!(is_foreign(&second.delete(&*ann)));
    assert_eq!(second.statement_count(), 0);
    // Its own session loads it.
    assert_eq!(first.load(Author::BOOKS, &ann).unwrap().len(), 2);
}

#[test]
fn expunged_and_hand_built_objects_are_not_the_sessions_but_expired_ones_are() {
    let mut s = seeded();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    s.expire(&*ann);
    // Expired: still the session's, stale.
    assert_eq!(s.load(Author::BOOKS, &ann).unwrap().len(), 2);
    let bob = s
        .insert(Author {
            id: 2,
            name: "Bob".into(),
            books: Many::new(),
        })
        .unwrap();
    assert!(s.load(Author::BOOKS, &bob).unwrap().is_empty());
    s.expunge_all();
    assert!(is_foreign(&s.load(Author::BOOKS, &bob)));
    let again = s.get::<Author>(2).unwrap().unwrap();
    assert!(s.load(Author::BOOKS, &again).unwrap().is_empty());
    s.expunge::<Author>(&2);
    assert!(is_foreign(&s.load(Author::BOOKS, &again)));
    // Built by hand: loading it is refused, writing it by key is not.
    let by_hand = Author {
        id: 1,
        name: "Ann".into(),
        books: Many::new(),
    };
    assert!(is_foreign(&s.load(Author::BOOKS, &by_hand)));
    s.update(by_hand).unwrap();
}

#[test]
fn sessions_in_two_threads_never_mix_their_objects() {
    let mut first = seeded();
    let ann = first.get::<Author>(1).unwrap().unwrap();
    let shared = Arc::new(vec![ann; 50]);
    let other = Arc::clone(&shared);
    let thief = std::thread::spawn(move || {
        let mut second = seeded();
        other
            .iter()
            .filter(|a| second.load(Author::BOOKS, a).is_ok())
            .count()
    });
    assert_eq!(thief.join().unwrap(), 0, "no object of the first session");
    for author in shared.iter() {
        assert!(!author.books.is_loaded());
    }
    assert_eq!(first.load(Author::BOOKS, &shared[0]).unwrap().len(), 2);
}

#[test]
fn set_committed_value_sets_a_relation_by_hand_from_the_sessions_own_objects() {
    let mut s = seeded();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    let ten = s.get::<Book>(10).unwrap().unwrap();
    s.reset_statements();
    // A custom loader fetched book 10 only: set it, no SQL, loaded.
    s.set_committed_many(Author::BOOKS, &ann, vec![Handle::clone(&ten)])
        .unwrap();
    assert_eq!(s.statement_count(), 0);
    assert_eq!(s.load(Author::BOOKS, &ann).unwrap().len(), 1);
    s.set_committed_one(Book::AUTHOR, &ten, Some(Handle::clone(&ann)))
        .unwrap();
    assert!(Handle::ptr_eq(&ten.author.get().unwrap().unwrap(), &ann));
    // Objects of another session, or built by hand, are refused.
    let mut other = seeded();
    let foreign = other.get::<Book>(11).unwrap().unwrap();
    let refused = s.set_committed_many(Author::BOOKS, &ann, vec![foreign]);
    assert!(matches!(
        refused,
        Err(Error::ForeignObject { entity: "Book" })
    ));
    let by_hand = Handle::new(book(12, 1));
    assert!(s
        .set_committed_many(Author::BOOKS, &ann, vec![by_hand])
        .is_err());
    assert!(other
        .set_committed_many(Author::BOOKS, &ann, Vec::new())
        .is_err());
    // What was set stays.
    assert_eq!(ann.books.get().unwrap().len(), 1);
}

#[derive(Entity, Debug)]
#[orm(table = "shelves")]
pub struct Shelf {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(foreign_key = "shelf_id")]
    pub items: Many<Item>,
    #[relationship(foreign_key = "shelf_id", lazy = "dynamic")]
    pub item_query: Dynamic<Item>,
}

#[derive(Entity, Debug)]
#[orm(table = "items")]
pub struct Item {
    #[orm(primary_key)]
    pub id: i64,
    pub shelf_id: i64,
}

fn shelves() -> Session {
    let mut s = Session::in_memory().unwrap();
    s.create_all(&[Shelf::META, Item::META]).unwrap();
    s.execute("INSERT INTO shelves (id) VALUES (1)", &[])
        .unwrap();
    s.execute(
        "INSERT INTO items (id, shelf_id) VALUES (5, 1), (6, 1)",
        &[],
    )
    .unwrap();
    s.reset_statements();
    s
}

#[test]
fn a_dynamic_query_of_another_sessions_object_is_refused_when_it_runs() {
    let mut first = shelves();
    let mut second = shelves();
    let shelf = first.get::<Shelf>(1).unwrap().unwrap();
    let refused = second
        .dynamic(Shelf::ITEM_QUERY, &shelf)
        .order_by(Item::ID)
        .all();
    assert!(
        matches!(refused, Err(Error::ForeignObject { entity: "Shelf" })),
        "{refused:?}"
    );
    let counted = second.dynamic(Shelf::ITEM_QUERY, &shelf).count();
    assert!(matches!(counted, Err(Error::ForeignObject { .. })));
    assert_eq!(second.statement_count(), 0, "nothing sent");
    // Its own session runs it; a value built by hand passes anywhere, as it
    // does for update and delete: its key is all the query reads.
    assert_eq!(first.dynamic(Shelf::ITEM_QUERY, &shelf).count().unwrap(), 2);
    let by_hand = Shelf {
        id: 1,
        items: Many::new(),
        item_query: Dynamic::new(),
    };
    assert_eq!(
        second.dynamic(Shelf::ITEM_QUERY, &by_hand).count().unwrap(),
        2
    );
}
