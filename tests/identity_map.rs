//! The identity map: one row is one instance within a session, held weakly.

mod support;

use eagerly::prelude::*;

#[derive(Entity, Debug)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Entity, Debug)]
#[orm(table = "book_tags")]
pub struct BookTag {
    #[orm(primary_key)]
    pub book_id: i64,
    #[orm(primary_key)]
    pub tag: String,
    pub weight: i32,
}

/// Same key values as `Author`, different entity: a separate map.
#[derive(Entity, Debug)]
#[orm(table = "publishers")]
pub struct Publisher {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

fn seeded() -> Session {
    let mut session = support::engine::session();
    session
        .create_all(&[Author::META, BookTag::META, Publisher::META])
        .unwrap();
    session
        .execute(
            "INSERT INTO authors (id, name) VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cy')",
            &[],
        )
        .unwrap();
    session
        .execute(
            "INSERT INTO book_tags (book_id, tag, weight) VALUES (1, 'sf', 1), (1, 'space', 2), (2, 'sf', 3)",
            &[],
        )
        .unwrap();
    session
        .execute("INSERT INTO publishers (id, name) VALUES (1, 'Orbit')", &[])
        .unwrap();
    support::library::follow_explicit_keys(&mut session, &["authors", "publishers"]);
    session.reset_statements();
    session
}

#[test]
fn same_row_queried_twice_is_same_instance() {
    let mut session = seeded();
    let first = session
        .query::<Author>()
        .filter(Author::NAME.eq("Ann"))
        .one()
        .unwrap();
    let all = session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap();
    assert!(Handle::ptr_eq(&first, &all[0]));
    let by_id = session
        .query::<Author>()
        .filter(Author::ID.eq(1))
        .first()
        .unwrap()
        .unwrap();
    assert!(Handle::ptr_eq(&first, &by_id));
    assert!(!Handle::ptr_eq(&all[0], &all[1]));
    assert_eq!(session.statement_count(), 3);
    assert_eq!(session.identity_map_len(), 3);
}

#[test]
fn inserted_object_is_the_queried_instance() {
    let mut session = seeded();
    let dee = session
        .insert(Author {
            id: 0,
            name: "Dee".into(),
        })
        .unwrap();
    let found = session
        .query::<Author>()
        .filter(Author::NAME.eq("Dee"))
        .one()
        .unwrap();
    assert!(Handle::ptr_eq(&dee, &found));
}

#[test]
fn get_answers_from_the_map_without_sql() {
    let mut session = seeded();
    let ann = session.get::<Author>(1).unwrap().unwrap();
    assert_eq!(session.statement_count(), 1);
    assert_eq!(session.statements()[0].params, 1);
    session.reset_statements();
    let again = session.get::<Author>(1).unwrap().unwrap();
    assert!(Handle::ptr_eq(&ann, &again));
    assert_eq!(session.statement_count(), 0);

    // Loaded by a query, then got: no SQL either.
    let all = session.query::<Author>().all().unwrap();
    session.reset_statements();
    let bob = session.get::<Author>(2).unwrap().unwrap();
    assert!(all.iter().any(|a| Handle::ptr_eq(a, &bob)));
    assert_eq!(session.statement_count(), 0);
}

#[test]
fn get_of_missing_key_is_none_with_one_statement() {
    let mut session = seeded();
    assert!(session.get::<Author>(42).unwrap().is_none());
    assert_eq!(session.statement_count(), 1);
    // A miss is not cached: asking again asks the database again.
    assert!(session.get::<Author>(42).unwrap().is_none());
    assert_eq!(session.statement_count(), 2);
    assert_eq!(session.identity_map_len(), 0);
}

#[test]
fn cached_never_sends_sql() {
    let mut session = seeded();
    assert!(session.cached::<Author>(&1).is_none());
    let ann = session.get::<Author>(1).unwrap().unwrap();
    session.reset_statements();
    let cached = session.cached::<Author>(&1).unwrap();
    assert!(Handle::ptr_eq(&ann, &cached));
    assert!(session.cached::<Author>(&2).is_none());
    assert_eq!(session.statement_count(), 0);
}

#[test]
fn map_is_per_entity_type() {
    let mut session = seeded();
    let ann = session.get::<Author>(1).unwrap().unwrap();
    assert!(session.cached::<Publisher>(&1).is_none());
    let orbit = session.get::<Publisher>(1).unwrap().unwrap();
    assert_eq!(orbit.name, "Orbit");
    assert_eq!(ann.name, "Ann");
    assert_eq!(session.identity_map_len(), 2);
    session.expunge::<Publisher>(&1);
    assert!(session.cached::<Author>(&1).is_some());
    assert!(session.cached::<Publisher>(&1).is_none());
}

#[test]
fn dropped_objects_leave_the_map() {
    let mut session = seeded();
    let all = session.query::<Author>().all().unwrap();
    assert_eq!(session.identity_map_len(), 3);
    let keep = Handle::clone(&all[1]);
    drop(all);
    assert_eq!(session.identity_map_len(), 1);
    assert!(session.cached::<Author>(&1).is_none());
    assert!(Handle::ptr_eq(
        &session.cached::<Author>(&2).unwrap(),
        &keep
    ));

    // A dropped object is read again from the database.
    session.reset_statements();
    let ann = session.get::<Author>(1).unwrap().unwrap();
    assert_eq!(session.statement_count(), 1);
    assert_eq!(ann.name, "Ann");
    drop(keep);
    drop(ann);
    assert_eq!(session.identity_map_len(), 0);
}

#[test]
fn many_dropped_objects_do_not_accumulate() {
    let mut session = support::engine::session();
    session.create_all(&[Author::META]).unwrap();
    for i in 0..3000 {
        // Each handle is dropped at once.
        session
            .insert(Author {
                id: 0,
                name: format!("a{i}"),
            })
            .unwrap();
    }
    assert_eq!(session.identity_map_len(), 0);
    let some = session
        .query::<Author>()
        .filter(Author::ID.le(10))
        .all()
        .unwrap();
    assert_eq!(session.identity_map_len(), 10);
    drop(some);
    assert_eq!(session.identity_map_len(), 0);
}

#[test]
fn expunge_one_object() {
    let mut session = seeded();
    let ann = session.get::<Author>(1).unwrap().unwrap();
    let bob = session.get::<Author>(2).unwrap().unwrap();
    session.expunge::<Author>(&1);
    assert!(session.cached::<Author>(&1).is_none());
    assert!(session.cached::<Author>(&2).is_some());
    assert_eq!(session.identity_map_len(), 1);
    // Expunging a key that is not there is fine.
    session.expunge::<Author>(&99);

    session.reset_statements();
    let ann2 = session.get::<Author>(1).unwrap().unwrap();
    assert_eq!(session.statement_count(), 1);
    assert!(!Handle::ptr_eq(&ann, &ann2));
    assert_eq!(ann.name, ann2.name);
    let bob2 = session.get::<Author>(2).unwrap().unwrap();
    assert!(Handle::ptr_eq(&bob, &bob2));
    assert_eq!(session.statement_count(), 1);
}

#[test]
fn expunge_all_empties_the_map() {
    let mut session = seeded();
    let authors = session.query::<Author>().all().unwrap();
    let tags = session.query::<BookTag>().all().unwrap();
    assert_eq!(session.identity_map_len(), 6);
    session.expunge_all();
    assert_eq!(session.identity_map_len(), 0);
    // Old handles stay valid.
    assert_eq!(authors.len(), 3);
    assert_eq!(tags[0].weight, 1);

    let again = session
        .query::<Author>()
        .order_by(Author::ID)
        .all()
        .unwrap();
    for (old, new) in authors.iter().zip(&again) {
        assert_eq!(old.id, new.id);
        assert!(!Handle::ptr_eq(old, new));
    }
}

#[test]
fn stale_rows_do_not_overwrite_mapped_objects() {
    // As in SQLAlchemy, a query returns the instance already in the map
    // without refreshing it from the row.
    let mut session = seeded();
    let ann = session.get::<Author>(1).unwrap().unwrap();
    session
        .execute("UPDATE authors SET name = 'Anne' WHERE id = 1", &[])
        .unwrap();
    let queried = session
        .query::<Author>()
        .filter(Author::ID.eq(1))
        .one()
        .unwrap();
    assert!(Handle::ptr_eq(&ann, &queried));
    assert_eq!(queried.name, "Ann");
    session.expunge::<Author>(&1);
    let fresh = session.get::<Author>(1).unwrap().unwrap();
    assert_eq!(fresh.name, "Anne");
}

#[test]
fn composite_keys_in_the_map() {
    let mut session = seeded();
    let sf = session
        .get::<BookTag>((1, "sf".to_owned()))
        .unwrap()
        .unwrap();
    assert_eq!(sf.weight, 1);
    assert_eq!(session.statement_count(), 1);
    assert_eq!(session.statements()[0].params, 2);

    let again = session
        .get::<BookTag>((1, "sf".to_owned()))
        .unwrap()
        .unwrap();
    assert!(Handle::ptr_eq(&sf, &again));
    assert_eq!(session.statement_count(), 1);

    // Same first key part, different second part: a different object.
    let space = session
        .get::<BookTag>((1, "space".to_owned()))
        .unwrap()
        .unwrap();
    assert!(!Handle::ptr_eq(&sf, &space));
    assert_eq!(session.statement_count(), 2);

    let all = session
        .query::<BookTag>()
        .filter(BookTag::BOOK_ID.eq(1))
        .order_by(BookTag::TAG)
        .all()
        .unwrap();
    assert!(Handle::ptr_eq(&all[0], &sf));
    assert!(Handle::ptr_eq(&all[1], &space));
    assert_eq!(
        sf.key(),
        (1, "sf".to_owned()),
        "key is the tuple of key fields"
    );

    assert!(session
        .get::<BookTag>((2, "space".to_owned()))
        .unwrap()
        .is_none());
    session.expunge::<BookTag>(&(1, "sf".to_owned()));
    assert!(session.cached::<BookTag>(&(1, "sf".to_owned())).is_none());
    assert!(session
        .cached::<BookTag>(&(1, "space".to_owned()))
        .is_some());
}
