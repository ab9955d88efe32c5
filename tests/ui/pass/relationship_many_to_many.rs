// Many-to-many whose association columns are inferred: `book_id`, `tag_id`.
use eagerly::prelude::*;
use eagerly::Many;

#[derive(Entity, Debug)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    #[relationship(secondary = "book_tags", order_by = "name")]
    pub tags: Many<Tag>,
}

#[derive(Entity, Debug)]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(secondary = "book_tags")]
    pub books: Many<Book>,
}

fn main() -> eagerly::Result<()> {
    assert_eq!(Book::TAGS.meta().secondary(), Some("book_tags"));
    assert_eq!(Book::TAGS.meta().foreign_key(), &["book_id"]);
    assert_eq!(Book::TAGS.meta().target_foreign_key(), &["tag_id"]);
    assert_eq!(Tag::BOOKS.meta().foreign_key(), &["tag_id"]);
    let mut session = Session::in_memory()?;
    session.create_all(&[Book::META, Tag::META])?;
    session.execute("INSERT INTO books (id, title) VALUES (1, 'Dune')", &[])?;
    session.execute("INSERT INTO tags (id, name) VALUES (1, 'sf'), (2, 'classic')", &[])?;
    session.execute("INSERT INTO book_tags (book_id, tag_id) VALUES (1, 1), (1, 2)", &[])?;
    let dune = session.query::<Book>().one()?;
    let tags = session.load(Book::TAGS, &dune)?;
    let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["classic", "sf"]);
    let sf = session.get::<Tag>(1)?.expect("tag 1");
    assert_eq!(session.load(Tag::BOOKS, &sf)?[0].title, "Dune");
    Ok(())
}
