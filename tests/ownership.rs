//! Relation state is the loaders' alone: an object whose relation fields
//! hold loaded objects is not inserted as if they had been written.

use std::sync::Arc;

use eagerly::prelude::*;

#[derive(Entity, Debug)]
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
fn insert_with_loaded_children_is_refused_before_anything_is_sent() {
    let mut s = session();
    let result = s.insert(Author {
        id: 1,
        name: "Ann".into(),
        books: Many::loaded(vec![Arc::new(book(10, 1))]),
    });
    match &result {
        Err(Error::Misuse(message)) => {
            assert!(message.contains("Author.books"), "{message}");
            assert!(message.contains("insert them on their own"), "{message}");
        }
        other => panic!("expected a misuse error, got {other:?}"),
    }
    assert_eq!(s.statement_count(), 0);
    assert_eq!(s.query::<Author>().count().unwrap(), 0);
    assert_eq!(s.query::<Book>().count().unwrap(), 0);
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
