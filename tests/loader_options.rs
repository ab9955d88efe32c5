//! Per-query loader options: they override the mapping's default for the
//! objects of that query only, nest with `.then(...)` several levels deep,
//! and several of them combine on one query.

mod support;

use eagerly::prelude::*;
use eagerly::LoadState;
use support::eager::library_mapping;
use support::graph::{all_loaded, counted, graph_of, load_graph};
use support::library::{category_tree, library, Author, Book, Category, Tag};

library_mapping!(mod eager_books {
    books: "selectin",
    bio: "joined",
    author: "select",
    editor: "select",
    tags: "select",
    tag_books: "select",
    parent: "select",
    children: "select",
});

fn books_of(authors: &[Handle<Author>]) -> Vec<Handle<Book>> {
    authors
        .iter()
        .flat_map(|a| a.books.get().unwrap().to_vec())
        .collect()
}

#[test]
fn an_option_applies_to_its_query_only() {
    let mut session = library(12);
    let (eager, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .options(selectin(Author::BOOKS))
            .filter(Author::ID.le(6))
            .all()
            .unwrap()
    });
    assert_eq!(statements, 2);
    assert!(all_loaded(Author::BOOKS, &eager));
    let (lazy, statements) = counted(&mut session, |s| {
        s.query::<Author>().filter(Author::ID.gt(6)).all().unwrap()
    });
    assert_eq!(statements, 1, "the next query uses the mapping's select");
    assert!(lazy.iter().all(|a| a.books.state() == LoadState::Unloaded));
}

#[test]
fn options_override_an_eager_mapping_default() {
    use eager_books::*;
    let mut session = library(12);
    // The mapping: books by selectin, bio joined.
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>().filter(Author::ID.le(3)).all().unwrap()
    });
    assert_eq!(statements, 2);
    assert!(all_loaded(Author::BOOKS, &authors) && all_loaded(Author::BIO, &authors));
    // joined instead of selectin, selectin instead of joined.
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .options(joined(Author::BOOKS))
            .options(selectin(Author::BIO))
            .filter(Author::ID.gt(3))
            .filter(Author::ID.le(6))
            .all()
            .unwrap()
    });
    assert_eq!(statements, 2);
    assert!(session.statements()[0]
        .sql
        .contains(r#"LEFT OUTER JOIN "books""#));
    assert!(session.statements()[1]
        .sql
        .contains(r#"FROM "biographies""#));
    assert_eq!(
        graph_of(Author::BOOKS, &authors),
        vec![(4, vec![]), (5, vec![7]), (6, vec![8, 9])]
    );
    // Neither: select and noload.
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .options(select(Author::BOOKS))
            .options(noload(Author::BIO))
            .filter(Author::ID.gt(6))
            .all()
            .unwrap()
    });
    assert_eq!(statements, 1);
    assert!(authors
        .iter()
        .all(|a| a.books.state() == LoadState::Unloaded && a.bio.state() == LoadState::Empty));
    // And back to the mapping for the next query.
    session.expunge_all();
    let (authors, statements) = counted(&mut session, |s| s.query::<Author>().all().unwrap());
    assert_eq!(statements, 2);
    assert!(all_loaded(Author::BOOKS, &authors) && all_loaded(Author::BIO, &authors));
}

#[test]
fn nested_options_several_levels_deep() {
    let mut session = library(20);
    let (tags, statements) = counted(&mut session, |s| {
        s.query::<Tag>()
            .options(selectin(Tag::BOOKS).then(selectin(Book::AUTHOR).then(selectin(Author::BIO))))
            .all()
            .unwrap()
    });
    assert_eq!(statements, 4, "tags, books, authors, biographies");
    let books: Vec<Handle<Book>> = tags
        .iter()
        .flat_map(|t| t.books.get().unwrap().to_vec())
        .collect();
    let authors: Vec<Handle<Author>> = books
        .iter()
        .map(|b| b.author.get().unwrap().unwrap().clone())
        .collect();
    assert!(all_loaded(Author::BIO, &authors));
    assert!(books
        .iter()
        .all(|b| b.tags.state() == LoadState::Unloaded && b.editor.state() == LoadState::Unloaded));
    assert!(authors
        .iter()
        .all(|a| a.books.state() == LoadState::Unloaded));

    // The same graph as select gives.
    let mut baseline = library(20);
    let base_tags = baseline.query::<Tag>().all().unwrap();
    assert_eq!(
        load_graph(&mut baseline, Tag::BOOKS, &base_tags),
        graph_of(Tag::BOOKS, &tags)
    );
    let base_books: Vec<Handle<Book>> = base_tags
        .iter()
        .flat_map(|t| t.books.get().unwrap().to_vec())
        .collect();
    assert_eq!(
        load_graph(&mut baseline, Book::AUTHOR, &base_books),
        graph_of(Book::AUTHOR, &books)
    );
    let base_authors: Vec<Handle<Author>> = base_books
        .iter()
        .map(|b| b.author.get().unwrap().unwrap().clone())
        .collect();
    assert_eq!(
        load_graph(&mut baseline, Author::BIO, &base_authors),
        graph_of(Author::BIO, &authors)
    );
}

#[test]
fn nested_options_down_a_self_referential_tree() {
    let mut session = library(0);
    category_tree(&mut session, 4, 2);
    let (root, statements) = counted(&mut session, |s| {
        s.query::<Category>()
            .options(
                selectin(Category::CHILDREN)
                    .then(selectin(Category::CHILDREN).then(selectin(Category::CHILDREN))),
            )
            .filter(Category::ID.eq(1))
            .one()
            .unwrap()
    });
    assert_eq!(statements, 1 + 3, "one statement per level the path names");
    let level1 = root.children.get().unwrap().to_vec();
    let level2: Vec<_> = level1
        .iter()
        .flat_map(|c| c.children.get().unwrap().to_vec())
        .collect();
    let level3: Vec<_> = level2
        .iter()
        .flat_map(|c| c.children.get().unwrap().to_vec())
        .collect();
    assert_eq!((level1.len(), level2.len(), level3.len()), (2, 4, 8));
    assert!(
        level3
            .iter()
            .all(|c| c.children.state() == LoadState::Unloaded),
        "the path ends there"
    );

    // Mixed strategies along the path: joined levels ride in their statement.
    session.expunge_all();
    let (root, statements) = counted(&mut session, |s| {
        s.query::<Category>()
            .options(
                joined(Category::CHILDREN)
                    .then(selectin(Category::CHILDREN).then(joined(Category::CHILDREN))),
            )
            .filter(Category::ID.eq(1))
            .one()
            .unwrap()
    });
    assert_eq!(statements, 2);
    let level3: Vec<_> = root
        .children
        .get()
        .unwrap()
        .iter()
        .flat_map(|c| c.children.get().unwrap().to_vec())
        .flat_map(|c| c.children.get().unwrap().to_vec())
        .collect();
    assert_eq!(
        level3.iter().map(|c| c.id).collect::<Vec<_>>(),
        (8..=15).collect::<Vec<_>>()
    );
}

#[test]
fn several_options_on_one_query() {
    let mut session = library(30);
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .options(
                selectin(Author::BOOKS)
                    .then(joined(Book::TAGS))
                    .then(selectin(Book::EDITOR)),
            )
            .options(joined(Author::BIO))
            .order_by(Author::ID)
            .all()
            .unwrap()
    });
    // authors + bio joined; books + tags joined; editors: author 1 is in the map.
    assert_eq!(statements, 2);
    let books = books_of(&authors);
    assert!(all_loaded(Author::BIO, &authors));
    assert!(all_loaded(Book::TAGS, &books) && all_loaded(Book::EDITOR, &books));
    for book in &books {
        assert_eq!(book.editor.get().unwrap().map(|e| e.id), book.editor_id);
        if book.editor_id.is_some() {
            assert!(Handle::ptr_eq(
                &book.editor.get().unwrap().unwrap(),
                &authors[0]
            ));
        }
    }
}

#[test]
fn an_option_on_the_way_back_is_served_from_the_map() {
    let mut session = library(12);
    let (authors, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .options(selectin(Author::BOOKS).then(selectin(Book::AUTHOR)))
            .all()
            .unwrap()
    });
    assert_eq!(statements, 2);
    for book in books_of(&authors) {
        assert!(Handle::ptr_eq(
            &book.author.get().unwrap().unwrap(),
            &authors[book.author_id as usize - 1]
        ));
    }
}

#[test]
fn an_explicit_option_on_a_collection_back_loads_it() {
    let mut session = library(12);
    let (books, statements) = counted(&mut session, |s| {
        s.query::<Book>()
            .options(selectin(Book::TAGS).then(selectin(Tag::BOOKS)))
            .order_by(Book::ID)
            .all()
            .unwrap()
    });
    let tags: Vec<Handle<Tag>> = books
        .iter()
        .flat_map(|b| b.tags.get().unwrap().to_vec())
        .collect();
    assert!(
        all_loaded(Tag::BOOKS, &tags),
        "the path names Tag.books: it loads"
    );
    assert_eq!(statements, 3);
    let mut baseline = library(12);
    let base_tags = baseline.query::<Tag>().all().unwrap();
    let expected = load_graph(&mut baseline, Tag::BOOKS, &base_tags);
    let mut actual = graph_of(Tag::BOOKS, &tags);
    actual.sort();
    actual.dedup();
    assert_eq!(actual, expected);
}

#[test]
fn options_leave_loaded_relations_alone() {
    let mut session = library(8);
    let authors = session
        .query::<Author>()
        .options(selectin(Author::BOOKS))
        .all()
        .unwrap();
    let before: Vec<*const Book> = books_of(&authors).iter().map(Handle::as_ptr).collect();
    for option in 0..3 {
        let (again, statements) = counted(&mut session, |s| {
            let query = s.query::<Author>();
            let query = match option {
                0 => query.options(selectin(Author::BOOKS)),
                1 => query.options(joined(Author::BOOKS)),
                _ => query.options(noload(Author::BOOKS)),
            };
            query.all().unwrap()
        });
        assert_eq!(statements, 1);
        let after: Vec<*const Book> = books_of(&again).iter().map(Handle::as_ptr).collect();
        assert_eq!(after, before);
    }
}

#[test]
fn options_with_first_one_and_get_shaped_queries() {
    let mut session = library(8);
    let (first, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .options(selectin(Author::BOOKS).then(selectin(Book::TAGS)))
            .order_by(Author::ID.desc())
            .first()
            .unwrap()
            .unwrap()
    });
    assert_eq!(
        (first.id, statements),
        (8, 2),
        "no books: the tags step sends nothing"
    );
    let (one, statements) = counted(&mut session, |s| {
        s.query::<Author>()
            .options(selectin(Author::BOOKS).then(selectin(Book::TAGS)))
            .filter(Author::ID.eq(3))
            .one()
            .unwrap()
    });
    assert_eq!(statements, 3);
    assert!(all_loaded(Book::TAGS, &one.books.get().unwrap()));
}

#[test]
fn options_below_a_lazy_step_apply_when_it_loads() {
    let mut session = library(8);
    let authors = session
        .query::<Author>()
        .options(select(Author::BOOKS).then(joined(Book::TAGS)))
        .order_by(Author::ID)
        .all()
        .unwrap();
    let (books, statements) = counted(&mut session, |s| {
        s.load(Author::BOOKS, &authors[2]).unwrap().to_vec()
    });
    assert_eq!(statements, 1, "the books with their tags joined");
    assert!(all_loaded(Book::TAGS, &books));
}

#[test]
fn a_wildcard_sets_every_relation_of_its_step() {
    use eagerly::Strategy;
    // selectin on every relation of Author: books and bio (the dynamic
    // book_query is a query and left alone), nothing below.
    let mut s = library(8);
    let (authors, statements) = counted(&mut s, |s| {
        s.query::<Author>()
            .options(all_relations(Strategy::Selectin))
            .all()
            .unwrap()
    });
    assert_eq!(statements, 3, "authors, books, bios");
    assert!(authors
        .iter()
        .all(|a| a.books.is_loaded() && a.bio.is_loaded()));
    let books = books_of(&authors);
    assert!(books.iter().all(|b| !b.tags.is_loaded()), "one step only");

    // raise on every relation but one named option.
    let mut s = library(8);
    let authors = s
        .query::<Author>()
        .options(all_relations(Strategy::Raise))
        .options(selectin(Author::BOOKS))
        .all()
        .unwrap();
    assert!(authors[0].books.is_loaded());
    assert!(matches!(
        s.load(Author::BIO, &authors[1]),
        Err(Error::RelationRefused {
            relation: "bio",
            ..
        })
    ));
    // Below a step: every relation of the books.
    let mut s = library(8);
    let (authors, statements) = counted(&mut s, |s| {
        s.query::<Author>()
            .options(selectin(Author::BOOKS).then(all_relations(Strategy::Noload)))
            .all()
            .unwrap()
    });
    assert_eq!(statements, 2);
    let book = &books_of(&authors)[0];
    assert_eq!(book.tags.state(), LoadState::Empty);
    assert!(s.load(Book::TAGS, book).unwrap().is_empty());
}

#[test]
fn defaultload_keeps_the_mapping_and_leads_to_the_next_step() {
    let mut s = library(8);
    let (authors, statements) = counted(&mut s, |s| {
        s.query::<Author>()
            .order_by(Author::ID)
            .options(defaultload(Author::BOOKS).then(selectin(Book::TAGS)))
            .all()
            .unwrap()
    });
    // Books keep their mapping (select): not loaded by the query.
    assert_eq!(statements, 1);
    assert!(!authors[0].books.is_loaded());
    // When they load, the step below applies: their tags come with them.
    let (books, statements) = counted(&mut s, |s| s.load(Author::BOOKS, &authors[2]).unwrap());
    assert_eq!(books.len(), 3);
    assert_eq!(statements, 2, "the books, then their tags by selectin");
    assert!(books.iter().all(|b| b.tags.is_loaded()));
}

#[test]
fn raise_on_sql_refuses_only_loads_that_would_send_a_statement() {
    let mut s = library(8);
    let authors = s.query::<Author>().all().unwrap();
    let books = s
        .query::<Book>()
        .options(raise_on_sql(Book::AUTHOR))
        .options(raise_on_sql(Book::TAGS))
        .all()
        .unwrap();
    let (author, statements) = counted(&mut s, |s| s.load(Book::AUTHOR, &books[0]).unwrap());
    // The author is in the identity map: no statement, so it reads.
    assert_eq!(statements, 0);
    assert!(Handle::ptr_eq(&author.unwrap(), &authors[0]));
    let (tags, statements) = counted(&mut s, |s| s.load(Book::TAGS, &books[0]));
    assert!(
        matches!(
            tags,
            Err(Error::RelationRefused {
                relation: "tags",
                ..
            })
        ),
        "{tags:?}"
    );
    assert_eq!(statements, 0);
}

/// Tag ids of each book, by book.
fn tags_by_book(books: &[Handle<Book>]) -> Vec<(i64, Vec<i64>)> {
    books
        .iter()
        .map(|b| {
            let mut tags: Vec<i64> = b.tags.get().unwrap().iter().map(|t| t.id).collect();
            tags.sort();
            (b.id, tags)
        })
        .collect()
}

#[test]
fn options_reach_the_targets_of_relations_already_loaded() {
    // The graph to match: everything loaded in one fresh session.
    let mut fresh = library(8);
    let expected = {
        let authors = fresh
            .query::<Author>()
            .order_by(Author::ID)
            .options(selectin(Author::BOOKS).then(selectin(Book::TAGS)))
            .all()
            .unwrap();
        tags_by_book(&books_of(&authors))
    };
    for (shape, statements_after) in [("selectin", 2), ("joined then selectin", 2), ("joined", 1)] {
        let mut session = library(8);
        let authors = session
            .query::<Author>()
            .order_by(Author::ID)
            .options(selectin(Author::BOOKS))
            .all()
            .unwrap();
        let before: Vec<*const Book> = books_of(&authors).iter().map(Handle::as_ptr).collect();
        assert!(books_of(&authors).iter().all(|b| !b.tags.is_loaded()));
        let (again, statements) = counted(&mut session, |s| {
            let query = s.query::<Author>().order_by(Author::ID);
            let query = match shape {
                "selectin" => query.options(selectin(Author::BOOKS).then(selectin(Book::TAGS))),
                "joined then selectin" => {
                    query.options(joined(Author::BOOKS).then(selectin(Book::TAGS)))
                }
                _ => query.options(joined(Author::BOOKS).then(joined(Book::TAGS))),
            };
            query.all().unwrap()
        });
        // The books are not loaded again (the same instances, no statement
        // for them with selectin), but their tags are.
        assert_eq!(statements, statements_after, "{shape}");
        let books = books_of(&again);
        let after: Vec<*const Book> = books.iter().map(Handle::as_ptr).collect();
        assert_eq!(after, before, "{shape}");
        assert_eq!(tags_by_book(&books), expected, "{shape}");
    }
}
