//! Filters across relations: `any` on collections, `has` on to-ones,
//! `exists` on both, as `EXISTS` subqueries in the one statement of the
//! query. Each result is checked against the same condition evaluated in
//! memory over the loaded graph.

mod support;

use support::engine::numbered;

use eagerly::prelude::*;
use support::library::{category_tree, library, Author, Book, Category, Tag};

fn ids<T: Record<Key = i64>>(objects: &[Handle<T>]) -> Vec<i64> {
    objects.iter().map(|o| o.key()).collect()
}

/// Every author with books and their tags, loaded by selectin, to evaluate
/// conditions in memory.
fn graph(s: &mut Session) -> Vec<Handle<Author>> {
    s.query::<Author>()
        .order_by(Author::ID)
        .options(selectin(Author::BOOKS).then(selectin(Book::TAGS)))
        .all()
        .unwrap()
}

fn tag_names(book: &Book) -> Vec<String> {
    book.tags
        .get()
        .unwrap()
        .iter()
        .map(|t| t.name.clone())
        .collect()
}

#[test]
fn any_and_exists_on_a_one_to_many() {
    let mut s = library(9);
    let all = graph(&mut s);
    s.reset_statements();
    let with_books = s
        .query::<Author>()
        .filter(Author::BOOKS.exists())
        .order_by(Author::ID)
        .all()
        .unwrap();
    let expected: Vec<i64> = all
        .iter()
        .filter(|a| !a.books.get().unwrap().is_empty())
        .map(|a| a.id)
        .collect();
    assert_eq!(ids(&with_books), expected);
    assert_eq!(expected, [1, 2, 3, 5, 6, 7, 9]);
    assert_eq!(s.statement_count(), 1);
    assert_eq!(
        s.statements()[0].sql,
        "SELECT \"id\", \"name\" FROM \"authors\" WHERE EXISTS (SELECT 1 FROM \"books\" AS x1 \
         WHERE x1.\"author_id\" = \"authors\".\"id\") ORDER BY \"id\""
    );

    let owner_of_book4 = s
        .query::<Author>()
        .filter(Author::BOOKS.any(Book::TITLE.eq("book4")))
        .all()
        .unwrap();
    assert_eq!(ids(&owner_of_book4), [3]);
    // The same through the dynamic relation over the same link.
    let through_dynamic = s
        .query::<Author>()
        .filter(Author::BOOK_QUERY.any(Book::TITLE.eq("book4")))
        .all()
        .unwrap();
    assert_eq!(ids(&through_dynamic), [3]);
    // Negated: authors without books.
    let without = s
        .query::<Author>()
        .filter(!Author::BOOKS.exists())
        .order_by(Author::ID)
        .all()
        .unwrap();
    assert_eq!(ids(&without), [4, 8]);
}

#[test]
fn has_and_exists_on_a_many_to_one() {
    let mut s = library(6);
    s.reset_statements();
    let by_author3 = s
        .query::<Book>()
        .filter(Book::AUTHOR.has(Author::NAME.eq("author3")))
        .order_by(Book::ID)
        .all()
        .unwrap();
    assert_eq!(ids(&by_author3), [4, 5, 6]);
    // The nullable editor: only books that have one.
    let edited = s
        .query::<Book>()
        .filter(Book::EDITOR.exists())
        .order_by(Book::ID)
        .all()
        .unwrap();
    let expected: Vec<i64> = (1..=9).filter(|b| b % 3 == 0).collect();
    assert_eq!(ids(&edited), expected);
    assert_eq!(s.statement_count(), 2);
    assert!(s.statements()[0]
        .sql
        .contains(&numbered("EXISTS (SELECT 1 FROM \"authors\" AS x1 WHERE x1.\"id\" = \"books\".\"author_id\" AND (\"name\" = ?))")));
}

#[test]
fn any_through_a_many_to_many_and_nested() {
    let mut s = library(12);
    let all = graph(&mut s);
    let books: Vec<Handle<Book>> = all
        .iter()
        .flat_map(|a| a.books.get().unwrap().iter().cloned().collect::<Vec<_>>())
        .collect();
    s.reset_statements();

    let tagged = s
        .query::<Book>()
        .filter(Book::TAGS.any(Tag::NAME.eq("tag1")))
        .order_by(Book::ID)
        .all()
        .unwrap();
    let mut expected: Vec<i64> = books
        .iter()
        .filter(|b| tag_names(b).contains(&"tag1".to_owned()))
        .map(|b| b.id)
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(ids(&tagged), expected);

    // Authors with a book tagged tag2 that is not called book5.
    let nested = s
        .query::<Author>()
        .filter(
            Author::BOOKS.any(
                Book::TAGS
                    .any(Tag::NAME.eq("tag2"))
                    .and(Book::TITLE.ne("book5")),
            ),
        )
        .order_by(Author::ID)
        .all()
        .unwrap();
    let expected: Vec<i64> = all
        .iter()
        .filter(|a| {
            a.books
                .get()
                .unwrap()
                .iter()
                .any(|b| tag_names(b).contains(&"tag2".to_owned()) && b.title != "book5")
        })
        .map(|a| a.id)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(ids(&nested), expected);
    assert_eq!(s.statement_count(), 2);
    let sql = &s.statements()[1].sql;
    // The inner subquery links to the outer one's alias, not to a table.
    assert!(sql.contains("x2.\"id\" IN (SELECT x2s.\"tag_id\" FROM \"book_tags\" AS x2s WHERE x2s.\"book_id\" = x1.\"id\")"), "{sql}");

    // Tags on no book.
    let unused = s.query::<Tag>().filter(!Tag::BOOKS.exists()).all().unwrap();
    let used: std::collections::BTreeSet<String> =
        books.iter().flat_map(|b| tag_names(b)).collect();
    let expected: Vec<i64> = (0..5)
        .filter(|t| !used.contains(&format!("tag{t}")))
        .collect();
    assert_eq!(ids(&unused), expected);
}

#[test]
fn self_referential_any_and_has() {
    let mut s = library(1);
    let last = category_tree(&mut s, 2, 3);
    assert_eq!(last, 13);
    // Parents (root and the three middle nodes) have children.
    let parents = s
        .query::<Category>()
        .filter(Category::CHILDREN.exists())
        .order_by(Category::ID)
        .all()
        .unwrap();
    assert_eq!(ids(&parents), [1, 2, 3, 4]);
    // Children of c3.
    let under_c3 = s
        .query::<Category>()
        .filter(Category::PARENT.has(Category::NAME.eq("c3")))
        .order_by(Category::ID)
        .all()
        .unwrap();
    assert_eq!(ids(&under_c3), [8, 9, 10]);
    // Grandparents: a child that has children.
    let grandparents = s
        .query::<Category>()
        .filter(Category::CHILDREN.any(Category::CHILDREN.exists()))
        .all()
        .unwrap();
    assert_eq!(ids(&grandparents), [1]);
}

#[test]
fn across_relations_under_joined_limit_and_count() {
    let mut s = library(12);
    s.reset_statements();
    let page = s
        .query::<Author>()
        .filter(Author::BOOKS.any(Book::TITLE.like("book1%")))
        .options(joined(Author::BOOKS))
        .order_by(Author::ID)
        .limit(2)
        .all()
        .unwrap();
    // book1 (author 1), book10..book12 (author 7): the first two.
    assert_eq!(ids(&page), [1, 7]);
    assert_eq!(s.statement_count(), 1, "the joined form wraps the filter");
    assert!(page.iter().all(|a| a.books.is_loaded()));
    let count = s
        .query::<Author>()
        .filter(Author::BOOKS.any(Book::TITLE.like("book1%")))
        .count()
        .unwrap();
    let all = graph(&mut s);
    let expected = all
        .iter()
        .filter(|a| {
            a.books
                .get()
                .unwrap()
                .iter()
                .any(|b| b.title.starts_with("book1"))
        })
        .count() as u64;
    assert_eq!(count, expected);
}
