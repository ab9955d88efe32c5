//! `explain`: what a query with its options will send, in order, before it
//! runs. Each test explains a query, checks that explaining sent nothing
//! and left the identity map alone, runs the query and compares the SQL
//! that ran, statement by statement, with what explain listed, and the
//! statement count with the one explain predicts on the fixture's data.

mod support;

use support::engine::{either, numbered};

use eagerly::prelude::*;
use eagerly::{Explain, PlannedStep, Postgres, StepAction, StepCost, Strategy};
use support::eager::library_mapping;
use support::graph::{counted, sqls};
use support::library::{category_tree, library, Author, Book};

library_mapping!(mod tree {
    books: "select", bio: "select", author: "select", editor: "select",
    tags: "select", tag_books: "select", parent: "select", children: "selectin"
});

library_mapping!(mod chunked {
    books: "selectin", bio: "select", author: "select", editor: "select",
    tags: "select", tag_books: "select", parent: "select", children: "select",
    chunk_size: 3
});

/// The step at `path`.
fn step<'e>(explain: &'e Explain, path: &str) -> &'e PlannedStep {
    explain
        .steps
        .iter()
        .find(|s| s.path == path)
        .unwrap_or_else(|| panic!("no step {path} in\n{explain}"))
}

/// Explains with `explain`, checking it sends nothing and leaves the
/// identity map as it was; runs with `run`; then checks that the SQL that
/// ran is, in order, `expected` (the sending steps of the explanation,
/// each with the number of keys of each of its levels on the fixture: the
/// root statement takes none), and that the count explain predicts for
/// those levels is the count that ran.
fn explain_then_run(
    session: &mut Session,
    explain: impl FnOnce(&mut Session) -> Explain,
    run: impl FnOnce(&mut Session),
    levels: &[&[usize]],
) -> Explain {
    session.reset_statements();
    let objects = session.identity_map_len();
    let explained = explain(session);
    assert_eq!(session.statement_count(), 0, "explain sent SQL");
    assert_eq!(
        session.identity_map_len(),
        objects,
        "explain touched the map"
    );
    let sending: Vec<&PlannedStep> = explained.sending().collect();
    assert_eq!(sending.len(), levels.len(), "sending steps of\n{explained}");
    let mut expected = Vec::new();
    let mut predicted = 0;
    for (step, levels) in sending.iter().zip(levels) {
        if step.action == StepAction::Root {
            expected.push(step.sql.clone().expect("root SQL"));
            predicted += step.cost.statements(0);
            continue;
        }
        for &keys in *levels {
            let chunk = match step.cost {
                StepCost::PerLevel {
                    chunk_size: Some(chunk),
                } => chunk,
                _ => keys.max(1),
            };
            let mut left = keys;
            while left > 0 {
                let this = left.min(chunk);
                expected.push(step.sql_for(this).expect("keyed SQL"));
                left -= this;
            }
            predicted += step.cost.statements(keys);
        }
    }
    let ((), sent) = counted(session, run);
    assert_eq!(sqls(session), expected, "explained:\n{explained}");
    assert_eq!(sent as usize, predicted, "explained:\n{explained}");
    explained
}

#[test]
fn plain_query_lists_its_statement_and_the_lazy_relations() {
    let mut session = library(8);
    let query = || Query::<Author>::new().filter(Author::NAME.like("author1%"));
    let explained = explain_then_run(
        &mut session,
        |s| query().explain(s).unwrap(),
        |s| {
            query().all(s).unwrap();
        },
        &[&[]],
    );
    let root = &explained.steps[0];
    assert_eq!(root.path, "Author");
    assert_eq!(root.action, StepAction::Root);
    assert_eq!(root.cost, StepCost::Single);
    assert_eq!(root.params, [eagerly::Value::Text("author1%".into())]);
    assert_eq!(
        root.sql.as_deref(),
        Some(numbered("SELECT \"id\", \"name\" FROM \"authors\" WHERE \"name\" LIKE ?").as_str())
    );
    for (path, strategy) in [
        ("Author.books", Strategy::Select),
        ("Author.bio", Strategy::Select),
        ("Author.book_query", Strategy::Dynamic),
    ] {
        let lazy = step(&explained, path);
        assert_eq!(lazy.action, StepAction::OnAccess, "{path}");
        assert_eq!(lazy.strategy, Some(strategy), "{path}");
        assert_eq!(lazy.sql, None);
    }
    let text = explained.to_string();
    assert!(
        text.starts_with("1. Author [query]: the query's statement"),
        "{text}"
    );
    assert!(text.contains("Author.books [select]: on access"), "{text}");
}

#[test]
fn selectin_then_joined_is_one_in_statement_carrying_the_join() {
    let mut session = library(8);
    // An object in the map beforehand: explain must leave it alone.
    let _held = session.get::<Author>(1).unwrap();
    let explained = explain_then_run(
        &mut session,
        |s| {
            Query::<Author>::new()
                .options(selectin(Author::BOOKS).then(joined(Book::TAGS)))
                .explain(s)
                .unwrap()
        },
        |s| {
            s.query::<Author>()
                .options(selectin(Author::BOOKS).then(joined(Book::TAGS)))
                .all()
                .unwrap();
        },
        // 8 authors, every one a key of the books' IN list.
        &[&[], &[8]],
    );
    let books = step(&explained, "Author.books");
    assert_eq!(books.action, StepAction::InStatements);
    assert_eq!(books.strategy, Some(Strategy::Selectin));
    // SQLite chunks the keys by 500; PostgreSQL binds them as one array.
    assert_eq!(
        books.cost,
        StepCost::PerLevel {
            chunk_size: either(Some(500), None)
        }
    );
    let template = books.sql.as_deref().unwrap();
    assert!(
        template.contains(either("IN (?, …)", "\"author_id\" = ANY($1)")),
        "{template}"
    );
    assert!(
        template.contains("LEFT OUTER JOIN \"book_tags\""),
        "{template}"
    );
    let index = explained
        .steps
        .iter()
        .position(|s| s.path == "Author.books")
        .unwrap();
    let tags = step(&explained, "Author.books.tags");
    assert_eq!(tags.action, StepAction::InStatementOf(index));
    assert_eq!(tags.cost, StepCost::Nothing);
}

#[test]
fn joined_on_a_limited_root_is_the_wrapped_form() {
    let mut session = library(8);
    let query = || {
        Query::<Author>::new()
            .options(joined(Author::BOOKS).then(selectin(Book::TAGS)))
            .order_by(Author::ID)
            .limit(3)
    };
    let explained = explain_then_run(
        &mut session,
        |s| query().explain(s).unwrap(),
        |s| {
            query().all(s).unwrap();
        },
        // Authors 1, 2 and 3 have 1 + 2 + 3 books: their tags' keys.
        &[&[], &[6]],
    );
    let root = explained.steps[0].sql.as_deref().unwrap();
    assert!(
        root.contains(&numbered(
            "FROM (SELECT * FROM \"authors\" ORDER BY \"id\" LIMIT ?) AS t0"
        )),
        "{root}"
    );
    assert_eq!(
        step(&explained, "Author.books").action,
        StepAction::InStatementOf(0)
    );
    assert_eq!(
        step(&explained, "Author.books.tags").action,
        StepAction::InStatements
    );
    // The books' level is reached twice (by the join, and for the options
    // below it), their tags loaded once.
    assert_eq!(
        explained
            .steps
            .iter()
            .filter(|s| s.path == "Author.books.tags")
            .count(),
        1
    );
}

#[test]
fn self_referential_selectin_is_shown_once_and_repeats_per_level() {
    let mut session = library(0);
    category_tree(&mut session, 2, 2);
    session.expunge_all();
    let query = || Query::<tree::Category>::new().filter(tree::Category::ID.eq(1));
    let explained = explain_then_run(
        &mut session,
        |s| query().explain(s).unwrap(),
        |s| {
            query().all(s).unwrap();
        },
        // The root, its 2 children, their 4 children (whose children
        // query finds no rows).
        &[&[], &[1, 2, 4]],
    );
    let children = step(&explained, "Category.children");
    assert!(children.repeats, "{explained}");
    assert_eq!(
        explained
            .steps
            .iter()
            .filter(|s| s.action == StepAction::InStatements)
            .count(),
        1,
        "{explained}"
    );
    assert!(explained
        .to_string()
        .contains("repeats for each level of its targets until a level has no rows"));
}

#[test]
fn wildcard_options_load_every_relation_of_their_step() {
    let mut session = library(8);
    let explained = explain_then_run(
        &mut session,
        |s| {
            Query::<Author>::new()
                .options(all_relations(Strategy::Selectin))
                .explain(s)
                .unwrap()
        },
        |s| {
            s.query::<Author>()
                .options(all_relations(Strategy::Selectin))
                .all()
                .unwrap();
        },
        &[&[], &[8], &[8]],
    );
    let sending: Vec<&str> = explained.sending().map(|s| s.path.as_str()).collect();
    assert_eq!(sending, ["Author", "Author.books", "Author.bio"]);
    // A dynamic relation is a query: the wildcard leaves it alone.
    assert_eq!(
        step(&explained, "Author.book_query").strategy,
        Some(Strategy::Dynamic)
    );

    // A named step beats the wildcard.
    let explained = explain_then_run(
        &mut session,
        |s| {
            Query::<Author>::new()
                .options(all_relations(Strategy::Raise))
                .options(selectin(Author::BOOKS))
                .explain(s)
                .unwrap()
        },
        |s| {
            s.expunge_all();
            s.query::<Author>()
                .options(all_relations(Strategy::Raise))
                .options(selectin(Author::BOOKS))
                .all()
                .unwrap();
        },
        &[&[], &[8]],
    );
    let bio = step(&explained, "Author.bio");
    assert_eq!(
        (bio.action, bio.strategy),
        (StepAction::OnAccess, Some(Strategy::Raise))
    );
}

#[test]
fn lazy_only_options_send_nothing_now() {
    let mut session = library(8);
    let explained = explain_then_run(
        &mut session,
        |s| {
            s.query::<Author>()
                .options(raise(Author::BOOKS))
                .options(noload(Author::BIO))
                .explain()
                .unwrap()
        },
        |s| {
            s.query::<Author>()
                .options(raise(Author::BOOKS))
                .options(noload(Author::BIO))
                .all()
                .unwrap();
        },
        &[&[]],
    );
    for (path, strategy) in [
        ("Author.books", Strategy::Raise),
        ("Author.bio", Strategy::Noload),
    ] {
        let lazy = step(&explained, path);
        assert_eq!(
            (lazy.action, lazy.strategy, lazy.cost),
            (StepAction::OnAccess, Some(strategy), StepCost::Nothing),
            "{path}"
        );
        assert_eq!(lazy.note.as_deref(), Some("set by an option"));
    }
}

#[test]
fn an_option_back_along_the_path_is_served_by_the_identity_map() {
    let mut session = library(8);
    let query = || {
        Query::<Author>::new().options(
            selectin(Author::BOOKS).then(selectin(Book::AUTHOR).then(selectin(Author::BIO))),
        )
    };
    let explained = explain_then_run(
        &mut session,
        |s| query().explain(s).unwrap(),
        |s| {
            query().all(s).unwrap();
        },
        // The authors with books (1, 2, 3, 5, 6, 7) reached again: their bios.
        &[&[], &[8], &[6]],
    );
    assert_eq!(
        step(&explained, "Author.books.author").action,
        StepAction::FromIdentityMap
    );
    assert_eq!(
        step(&explained, "Author.books.author.bio").action,
        StepAction::InStatements
    );
}

#[test]
fn a_mapped_chunk_size_chunks_the_in_lists() {
    let mut session = library(8);
    let explained = explain_then_run(
        &mut session,
        |s| s.query::<chunked::Author>().explain().unwrap(),
        |s| {
            s.query::<chunked::Author>().all().unwrap();
        },
        // 8 authors in lists of 3: 3 statements.
        &[&[], &[8]],
    );
    let books = step(&explained, "Author.books");
    assert_eq!(
        books.cost,
        StepCost::PerLevel {
            chunk_size: Some(3)
        }
    );
    assert_eq!(books.cost.statements(8), 3);
    assert!(explained
        .to_string()
        .contains("IN statements, ceil(keys / 3) per level"));
}

#[test]
fn postgres_binds_one_array_per_level() {
    let explained = Query::<Author>::new()
        .filter(Author::ID.gt(2))
        .options(selectin(Author::BOOKS).then(selectin(Book::TAGS)))
        .explain_in(&Postgres)
        .unwrap();
    assert_eq!(
        explained.steps[0].sql.as_deref(),
        Some("SELECT \"id\", \"name\" FROM \"authors\" WHERE \"id\" > $1")
    );
    let books = step(&explained, "Author.books");
    assert_eq!(books.cost, StepCost::PerLevel { chunk_size: None });
    assert_eq!(books.cost.statements(100_000), 1);
    assert_eq!(
        books.sql.as_deref(),
        Some(
            "SELECT \"id\", \"title\", \"author_id\", \"editor_id\" FROM \"books\" \
             WHERE \"author_id\" = ANY($1) ORDER BY \"id\""
        )
    );
    // Any number of keys past one sends the template; one key its own form.
    assert_eq!(books.sql_for(7), books.sql);
    assert!(books.sql_for(1).unwrap().contains("\"author_id\" IN ($1)"));
    let tags = step(&explained, "Author.books.tags");
    assert!(
        tags.sql
            .as_deref()
            .unwrap()
            .contains("s.\"book_id\" = ANY($1)"),
        "{explained}"
    );
    assert!(explained
        .to_string()
        .contains("IN statements, 1 per level (the keys as one array)"));
}

#[test]
fn explain_refuses_what_all_refuses() {
    let session = library(1);
    let mut filter = Author::ID.eq(0);
    for i in 0..1_100 {
        filter = filter.or(Author::ID.eq(i));
    }
    let refused = Query::<Author>::new().filter(filter).explain(&session);
    assert!(
        matches!(refused, Err(eagerly::Error::Misuse { .. })),
        "{refused:?}"
    );
}

#[test]
fn a_filtered_limited_step_explains_the_statement_it_sends() {
    let mut session = library(8);
    let query = || {
        Query::<Author>::new().filter(Author::ID.le(6)).options(
            selectin(Author::BOOKS)
                .filter(Book::TITLE.like("%1%"))
                .limit_per_parent(1)
                .then(joined(Book::TAGS).filter(eagerly_tag_name_not("tag1"))),
        )
    };
    let explained = explain_then_run(
        &mut session,
        |s| query().explain(s).unwrap(),
        |s| {
            query().all(s).unwrap();
        },
        // The six authors' keys, one IN list.
        &[&[], &[6]],
    );
    let books = step(&explained, "Author.books");
    let sql = support::engine::unnumbered(books.sql.as_deref().unwrap());
    assert!(
        sql.contains("ROW_NUMBER() OVER (PARTITION BY \"author_id\""),
        "{sql}"
    );
    let keys = either("\"author_id\" IN (?, …)", "\"author_id\" = ANY(?)");
    assert!(
        sql.contains(&format!("(\"title\" LIKE ?) AND {keys}")),
        "{sql}"
    );
    assert!(sql.contains("AND (j1.\"name\" <> ?)"), "{sql}");
    assert_eq!(
        books.params,
        [
            eagerly::Value::Text("%1%".into()),
            eagerly::Value::Text("tag1".into())
        ]
    );
}

fn eagerly_tag_name_not(name: &str) -> Filter<support::library::Tag> {
    support::library::Tag::NAME.ne(name)
}

#[test]
fn a_recursive_option_explains_its_levels() {
    let mut session = library(0);
    category_tree(&mut session, 2, 2);
    use support::library::Category;
    let query = || {
        Query::<Category>::new()
            .filter(Category::ID.eq(1))
            .options(selectin_recursive(Category::CHILDREN, Some(2)))
    };
    let explained = explain_then_run(
        &mut session,
        |s| query().explain(s).unwrap(),
        |s| {
            query().all(s).unwrap();
        },
        &[&[], &[1], &[2]],
    );
    assert_eq!(
        explained.sending().count(),
        3,
        "the root and two levels:\n{explained}"
    );
}
