//! Coherent after writes: no loaded relation in the session contradicts a
//! row the session wrote. Certain fixes are made in place (the new version
//! of a row, a deleted row taken out, a new member of an unordered
//! collection); the rest is expired and loads again.

mod support;

use eagerly::prelude::*;
use eagerly::LoadState;

#[derive(Entity, Debug, Clone)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "author_id")]
    pub books: Many<Book>,
    #[relationship(foreign_key = "author_id", order_by = "title")]
    pub books_by_title: Many<Book>,
}

#[derive(Entity, Debug, Clone)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
    #[relationship(foreign_key = "author_id")]
    pub author: One<Author>,
    #[relationship(secondary = "book_tags")]
    pub tags: Many<Tag>,
    #[relationship(secondary = "book_tags", lazy = "dynamic")]
    pub tag_query: Dynamic<Tag>,
}

#[derive(Entity, Debug, Clone)]
#[orm(table = "tags")]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

fn session() -> Session {
    let mut s = support::engine::session();
    s.create_all(&[Author::META, Book::META, Tag::META])
        .unwrap();
    s.execute(
        "INSERT INTO authors (id, name) VALUES (1, 'Ann'), (2, 'Bob')",
        &[],
    )
    .unwrap();
    s.execute(
        "INSERT INTO books (id, title, author_id) VALUES (10, 'b', 1), (11, 'a', 1), (20, 'c', 2)",
        &[],
    )
    .unwrap();
    s.execute("INSERT INTO tags (id, name) VALUES (1, 'sf')", &[])
        .unwrap();
    s.execute(
        "INSERT INTO book_tags (book_id, tag_id) VALUES (10, 1)",
        &[],
    )
    .unwrap();
    support::library::follow_explicit_keys(&mut s, &["authors", "books", "tags"]);
    s
}

fn ids<T: Entity<Key = i64>>(targets: &[Handle<T>]) -> Vec<i64> {
    targets.iter().map(|t| t.key()).collect()
}

/// The database's answer for an author's books, read after the session
/// forgot everything (an in-memory database is private to its session).
fn from_database(s: &mut Session, author: i64) -> Vec<i64> {
    s.expire_all();
    let a = s.get::<Author>(author).unwrap().unwrap();
    let mut books = ids(&s.load(Author::BOOKS, &a).unwrap());
    books.sort();
    books
}

fn moved(book: &Book, to: i64) -> Book {
    Book {
        author_id: to,
        ..book.clone()
    }
}

#[test]
fn moving_a_book_fixes_both_unordered_collections_without_sql() {
    let mut s = session();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    let bob = s.get::<Author>(2).unwrap().unwrap();
    s.load(Author::BOOKS, &ann).unwrap();
    s.load(Author::BOOKS, &bob).unwrap();
    let before = ann.books.get().unwrap();
    let book = s.get::<Book>(10).unwrap().unwrap();
    let book = s.update(moved(&book, 2)).unwrap();
    s.reset_statements();
    assert_eq!(ids(&ann.books.get().unwrap()), [11]);
    let bobs = bob.books.get().unwrap();
    assert_eq!(ids(&bobs), [20, 10]);
    assert!(Handle::ptr_eq(&bobs[1], &book), "the current version");
    assert_eq!(s.statement_count(), 0);
    // A reader's earlier snapshot is untouched.
    assert_eq!(ids(&before), [10, 11]);
    assert_eq!(from_database(&mut s, 1), [11]);
    assert_eq!(from_database(&mut s, 2), [10, 20]);
}

#[test]
fn an_ordered_collection_whose_member_changed_is_expired_and_reloads_in_order() {
    let mut s = session();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    assert_eq!(
        ids(&s.load(Author::BOOKS_BY_TITLE, &ann).unwrap()),
        [11, 10]
    );
    let book = s.get::<Book>(11).unwrap().unwrap();
    s.update(Book {
        title: "z".into(),
        ..(*book).clone()
    })
    .unwrap();
    assert_eq!(ann.books_by_title.state(), LoadState::Unloaded);
    s.reset_statements();
    assert_eq!(
        ids(&s.load(Author::BOOKS_BY_TITLE, &ann).unwrap()),
        [10, 11]
    );
    assert_eq!(s.statement_count(), 1);
    // A new member of an ordered collection expires it too.
    s.insert(Book {
        id: 12,
        title: "m".into(),
        author_id: 1,
        author: One::new(),
        tags: Many::new(),
        tag_query: Dynamic::new(),
    })
    .unwrap();
    assert_eq!(ann.books_by_title.state(), LoadState::Unloaded);
    assert_eq!(
        ids(&s.load(Author::BOOKS_BY_TITLE, &ann).unwrap()),
        [10, 12, 11]
    );
}

#[test]
fn an_inserted_row_joins_the_loaded_collection_of_its_parent() {
    let mut s = session();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    s.load(Author::BOOKS, &ann).unwrap();
    let new = s
        .insert(Book {
            id: 0,
            title: "new".into(),
            author_id: 1,
            author: One::new(),
            tags: Many::new(),
            tag_query: Dynamic::new(),
        })
        .unwrap();
    let books = ann.books.get().unwrap();
    assert_eq!(books.len(), 3);
    assert!(Handle::ptr_eq(&books[2], &new));
    assert_eq!(from_database(&mut s, 1), [10, 11, new.id]);
}

#[test]
fn a_deleted_row_is_never_served() {
    let mut s = session();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    s.load(Author::BOOKS, &ann).unwrap();
    s.load(Author::BOOKS_BY_TITLE, &ann).unwrap();
    let tag = s.get::<Tag>(1).unwrap().unwrap();
    let book = s.get::<Book>(11).unwrap().unwrap();
    s.delete(&*book).unwrap();
    assert_eq!(ids(&ann.books.get().unwrap()), [10]);
    assert_eq!(ids(&ann.books_by_title.get().unwrap()), [10]);
    assert!(s.get::<Book>(11).unwrap().is_none());
    // By key too, for a row whose object the session does not hold.
    let b10 = s.get::<Book>(10).unwrap().unwrap();
    s.load(Book::TAGS, &b10).unwrap();
    s.execute("DELETE FROM book_tags", &[]).unwrap();
    drop(b10);
    s.delete_by_key::<Book>(10).unwrap();
    assert_eq!(ids(&ann.books.get().unwrap()), Vec::<i64>::new());
    drop(tag);
    assert_eq!(from_database(&mut s, 1), Vec::<i64>::new());
}

#[test]
fn a_many_to_one_points_at_the_current_version_of_its_target() {
    let mut s = session();
    let books = s
        .query::<Book>()
        .options(selectin(Book::AUTHOR))
        .order_by(Book::ID)
        .all()
        .unwrap();
    let ann = s.get::<Author>(1).unwrap().unwrap();
    let renamed = s
        .update(Author {
            name: "Ann II".into(),
            ..(*ann).clone()
        })
        .unwrap();
    let author = books[0].author.get().unwrap().unwrap();
    assert!(Handle::ptr_eq(&author, &renamed));
    assert_eq!(author.name, "Ann II");
    // Bob's books still point at Bob.
    assert_eq!(books[2].author.get().unwrap().unwrap().name, "Bob");
}

#[test]
fn an_updated_row_loads_its_own_relations_again() {
    let mut s = session();
    let book = s
        .query::<Book>()
        .filter(Book::ID.eq(10))
        .options(selectin(Book::AUTHOR))
        .one()
        .unwrap();
    assert_eq!(book.author.get().unwrap().unwrap().id, 1);
    // The new value was copied from the old one, loaded relation and all.
    let moved = s.update(moved(&book, 2)).unwrap();
    assert_eq!(moved.author.state(), LoadState::Unloaded);
    s.reset_statements();
    let author = s.load(Book::AUTHOR, &moved).unwrap().unwrap();
    assert_eq!(author.id, 2);
}

#[test]
fn a_many_to_many_append_fixes_the_parents_collection_over_the_same_table() {
    let mut s = session();
    let book = s.get::<Book>(10).unwrap().unwrap();
    assert_eq!(ids(&s.load(Book::TAGS, &book).unwrap()), [1]);
    let classic = s
        .append(
            Book::TAG_QUERY,
            &book,
            Tag {
                id: 0,
                name: "classic".into(),
            },
        )
        .unwrap();
    // The unordered collection gained the new tag, as the database did.
    s.reset_statements();
    assert_eq!(ids(&book.tags.get().unwrap()), [1, classic.id]);
    let tags = s.load(Book::TAGS, &book).unwrap();
    assert_eq!(ids(&tags), [1, classic.id]);
    assert_eq!(s.statement_count(), 0);
}
