//! Loader plans driven by hand (here, beside the query that starts them): statements checked as they are yielded, rows fed
//! from memory. No database and no backend are involved, so whatever
//! drives a plan (the sync driver, an async one) gets exactly this.

use crate::Handle;

use orm_derive::Entity;

use super::Query;
use crate::engine::{IdentityMap, LazyOptions, Plan, PlanContext, Statement};
use crate::loader::{selectin, RootPlan};
use crate::relation::{Many, One};
use crate::sql::{Dialect, Postgres, Sqlite};
use crate::{Result, Row, Value, ValueRef};

#[derive(Entity, Debug)]
#[orm(crate = "crate", table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "author_id", order_by = "title")]
    pub books: Many<Book>,
}

#[derive(Entity, Debug)]
#[orm(crate = "crate", table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
    #[relationship(foreign_key = "author_id", lazy = "selectin")]
    pub author: One<Author>,
}

/// A row held in memory.
struct CannedRow(Vec<Value>);

impl Row for CannedRow {
    fn value(&self, index: usize) -> Result<ValueRef<'_>> {
        Ok(match &self.0[index] {
            Value::Integer(n) => ValueRef::Integer(*n),
            Value::Text(text) => ValueRef::Text(text.as_bytes()),
            Value::Real(x) => ValueRef::Real(*x),
            Value::Blob(bytes) => ValueRef::Blob(bytes),
            Value::Null | Value::List(_) => ValueRef::Null,
        })
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// Runs `plan` by hand: each statement it yields must be the next of
/// `expected`, and gets the rows listed with it.
fn drive(plan: &mut dyn Plan, expected: Vec<(Statement, Vec<Vec<Value>>)>) {
    drive_in(&Sqlite, plan, expected);
}

/// [`drive`] in `dialect`.
fn drive_in(
    dialect: &'static dyn Dialect,
    plan: &mut dyn Plan,
    expected: Vec<(Statement, Vec<Vec<Value>>)>,
) {
    let mut identity = IdentityMap::owned_by(1);
    let mut lazy_options = LazyOptions::default();
    let mut expected = expected.into_iter();
    loop {
        let mut cx = PlanContext::new(&mut identity, &mut lazy_options, dialect);
        let statements = plan.next_statements(&mut cx).unwrap();
        if statements.is_empty() {
            break;
        }
        for (index, statement) in statements.into_iter().enumerate() {
            let (wanted, rows) = expected.next().expect("no more statements expected");
            assert_eq!(statement, wanted);
            for row in rows {
                plan.on_row(&mut cx, index, &CannedRow(row)).unwrap();
            }
        }
    }
    assert!(expected.next().is_none(), "the plan stopped early");
}

#[test]
fn a_selectin_load_yields_its_statements_and_builds_the_graph_from_rows() {
    let dialect: &'static dyn Dialect = &Sqlite;
    let query = Query::<Author>::new()
        .order_by(Author::ID)
        .options(selectin(Author::BOOKS));
    let (statement, params) = query.root_statement(dialect, None);
    let mut plan = RootPlan::<Author>::new(dialect, statement, params, &query.options);
    drive(
        &mut plan,
        vec![
            (
                Statement {
                    sql: r#"SELECT "id", "name" FROM "authors" ORDER BY "id""#.into(),
                    params: vec![],
                },
                vec![
                    vec![Value::Integer(1), text("Ann")],
                    vec![Value::Integer(2), text("Bob")],
                    vec![Value::Integer(3), text("Cy")],
                ],
            ),
            (
                Statement {
                    sql: r#"SELECT "id", "title", "author_id" FROM "books" WHERE "author_id" IN (?, ?, ?) ORDER BY "title""#.into(),
                    params: vec![Value::Integer(1), Value::Integer(2), Value::Integer(3)],
                },
                vec![
                    vec![Value::Integer(10), text("Alpha"), Value::Integer(1)],
                    vec![Value::Integer(11), text("Beta"), Value::Integer(1)],
                    vec![Value::Integer(20), text("Gamma"), Value::Integer(2)],
                ],
            ),
            // Book.author (selectin by default) is the way back: filled
            // from the identity map, no third statement.
        ],
    );
    let authors = plan.into_objects();
    let names: Vec<&str> = authors.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Ann", "Bob", "Cy"]);
    let titles = |a: &Author| -> Vec<String> {
        a.books
            .get()
            .unwrap()
            .iter()
            .map(|b| b.title.clone())
            .collect()
    };
    assert_eq!(titles(&authors[0]), ["Alpha", "Beta"]);
    assert_eq!(titles(&authors[1]), ["Gamma"]);
    assert!(titles(&authors[2]).is_empty());
    let alpha = &authors[0].books.get().unwrap()[0];
    let back = alpha.author.get().unwrap().expect("filled from the map");
    assert!(Handle::ptr_eq(&back, &authors[0]));

    // Without the option the mapping's default (select) sends nothing more.
    let (statement, params) = query.root_statement(dialect, None);
    let mut plan = RootPlan::<Author>::new(dialect, statement, params, &[]);
    drive(
        &mut plan,
        vec![(
            Statement {
                sql: r#"SELECT "id", "name" FROM "authors" ORDER BY "id""#.into(),
                params: vec![],
            },
            vec![vec![Value::Integer(1), text("Ann")]],
        )],
    );
    let alone = plan.into_objects();
    assert!(!alone[0].books.is_loaded());
}

#[test]
fn a_many_to_one_step_sends_only_the_keys_missing_from_the_map() {
    let dialect: &'static dyn Dialect = &Sqlite;
    let query = Query::<Book>::new().order_by(Book::ID);
    let (statement, params) = query.root_statement(dialect, None);
    let mut plan = RootPlan::<Book>::new(dialect, statement, params, &[]);
    drive(
        &mut plan,
        vec![
            (
                Statement {
                    sql: r#"SELECT "id", "title", "author_id" FROM "books" ORDER BY "id""#.into(),
                    params: vec![],
                },
                vec![
                    vec![Value::Integer(10), text("Alpha"), Value::Integer(2)],
                    vec![Value::Integer(11), text("Beta"), Value::Integer(1)],
                    vec![Value::Integer(12), text("Gamma"), Value::Integer(2)],
                ],
            ),
            // Keys de-duplicated and sorted.
            (
                Statement {
                    sql: r#"SELECT "id", "name" FROM "authors" WHERE "id" IN (?, ?)"#.into(),
                    params: vec![Value::Integer(1), Value::Integer(2)],
                },
                vec![
                    vec![Value::Integer(1), text("Ann")],
                    vec![Value::Integer(2), text("Bob")],
                ],
            ),
        ],
    );
    let books = plan.into_objects();
    let authors: Vec<String> = books
        .iter()
        .map(|b| b.author.get().unwrap().unwrap().name.clone())
        .collect();
    assert_eq!(authors, ["Bob", "Ann", "Bob"]);
    let (first, third) = (
        books[0].author.get().unwrap().unwrap(),
        books[2].author.get().unwrap().unwrap(),
    );
    assert!(Handle::ptr_eq(&first, &third), "one row, one object");
}

#[test]
fn on_postgres_a_key_list_of_any_length_is_one_array_parameter() {
    // 1 200 parents: SQLite would send ceil(1200 / 500) = 3 lists.
    let dialect: &'static dyn Dialect = &Postgres;
    let query = Query::<Author>::new()
        .order_by(Author::ID)
        .options(selectin(Author::BOOKS));
    let (statement, params) = query.root_statement(dialect, None);
    let mut plan = RootPlan::<Author>::new(dialect, statement, params, &query.options);
    let parents: Vec<Vec<Value>> = (1..=1200)
        .map(|id| vec![Value::Integer(id), text(&format!("a{id}"))])
        .collect();
    let keys: Vec<Value> = (1..=1200).map(Value::Integer).collect();
    drive_in(
        dialect,
        &mut plan,
        vec![
            (
                Statement {
                    sql: r#"SELECT "id", "name" FROM "authors" ORDER BY "id""#.into(),
                    params: vec![],
                },
                parents,
            ),
            (
                Statement {
                    sql: r#"SELECT "id", "title", "author_id" FROM "books" WHERE "author_id" = ANY($1) ORDER BY "title""#.into(),
                    params: vec![Value::List(keys)],
                },
                vec![
                    vec![Value::Integer(10), text("Alpha"), Value::Integer(1)],
                    vec![Value::Integer(11), text("Beta"), Value::Integer(1200)],
                ],
            ),
        ],
    );
    let authors = plan.into_objects();
    assert_eq!(authors.len(), 1200);
    assert_eq!(authors[0].books.get().unwrap()[0].title, "Alpha");
    assert_eq!(authors[1199].books.get().unwrap()[0].title, "Beta");
    assert!(authors[1..1199]
        .iter()
        .all(|a| a.books.get().unwrap().is_empty()));

    // One parent: the single-key statement, one placeholder.
    let (statement, params) = query.root_statement(dialect, None);
    let mut plan = RootPlan::<Author>::new(dialect, statement, params, &query.options);
    drive_in(
        dialect,
        &mut plan,
        vec![
            (
                Statement {
                    sql: r#"SELECT "id", "name" FROM "authors" ORDER BY "id""#.into(),
                    params: vec![],
                },
                vec![vec![Value::Integer(7), text("Gus")]],
            ),
            (
                Statement {
                    sql: r#"SELECT "id", "title", "author_id" FROM "books" WHERE "author_id" IN ($1) ORDER BY "title""#.into(),
                    params: vec![Value::Integer(7)],
                },
                vec![],
            ),
        ],
    );
}

#[test]
fn a_long_session_forgets_dead_objects_between_loads() {
    let mut identity = IdentityMap::default();
    for load in 0..200i64 {
        identity.sweep_due();
        let held: Vec<_> = (0..100)
            .map(|i| {
                let id = load * 100 + i;
                identity
                    .typed_mut::<Author>()
                    .get_or_decode(id, || {
                        Ok(Author {
                            id,
                            name: format!("author {id}"),
                            books: Many::new(),
                        })
                    })
                    .unwrap()
            })
            .collect();
        drop(held);
    }
    let entries = identity.entry_count::<Author>();
    assert!(
        entries <= crate::engine::FIRST_SWEEP_AT + 100,
        "{entries} entries kept for 100 live objects at a time"
    );
}
