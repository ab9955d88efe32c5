//! What deleting a parent does to its children: `cascade = "delete"` and
//! `"delete-orphan"` (the session deletes them), `on_delete = "cascade"` /
//! `"set null"` (the database does, as `create_all` declares), association
//! rows (always deleted with their row), and without any of these a
//! foreign-key error naming the relation. Statements and the database
//! contents are checked after every delete, on SQLite and on PostgreSQL
//! (`EAGERLY_ENGINE=postgres`).

mod support;

use support::engine::{either, in_lists, numbered, session as engine_session, unnumbered};

use eagerly::prelude::*;
use eagerly::{DatabaseErrorKind, Error, Many, One, Value};

// ----- the session deletes: cascade = "delete" over three tables ---------

#[derive(Entity, Debug)]
#[orm(table = "users")]
pub struct User {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "user_id", cascade = "delete")]
    pub posts: Many<Post>,
}

#[derive(Entity, Debug)]
#[orm(table = "posts")]
pub struct Post {
    #[orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub title: String,
    #[relationship(foreign_key = "user_id")]
    pub user: One<User>,
    #[relationship(foreign_key = "post_id", cascade = "all")]
    pub comments: Many<Comment>,
    #[relationship(
        secondary = "post_tags",
        foreign_key = "post_id",
        target_foreign_key = "tag_id"
    )]
    pub tags: Many<Tag>,
}

#[derive(Entity, Debug)]
#[orm(table = "comments")]
pub struct Comment {
    #[orm(primary_key)]
    pub id: i64,
    pub post_id: i64,
    pub body: String,
    #[relationship(foreign_key = "post_id")]
    pub post: One<Post>,
}

#[derive(Entity, Debug)]
#[orm(table = "tags")]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(
        secondary = "post_tags",
        foreign_key = "tag_id",
        target_foreign_key = "post_id"
    )]
    pub posts: Many<Post>,
}

// ----- a self-referential tree ------------------------------------------

#[derive(Entity, Debug)]
#[orm(table = "categories")]
pub struct Category {
    #[orm(primary_key)]
    pub id: i64,
    pub parent_id: Option<i64>,
    #[relationship(foreign_key = "parent_id", cascade = "delete")]
    pub children: Many<Category>,
    #[relationship(foreign_key = "parent_id")]
    pub parent: One<Category>,
}

// ----- the database deletes, or refuses ----------------------------------

#[derive(Entity, Debug)]
#[orm(table = "owners")]
pub struct Owner {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(foreign_key = "owner_id")]
    pub pets: Many<Pet>,
    #[relationship(foreign_key = "owner_id")]
    pub cars: Many<Car>,
    #[relationship(foreign_key = "owner_id", cascade = "delete-orphan")]
    pub notes: Many<Note>,
    #[relationship(foreign_key = "owner_id")]
    pub tickets: Many<Ticket>,
}

/// Holds its owner back: no cascade, no `on_delete`.
#[derive(Entity, Debug)]
#[orm(table = "tickets")]
pub struct Ticket {
    #[orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    #[relationship(foreign_key = "owner_id")]
    pub owner: One<Owner>,
}

/// Deleted with its owner by the database.
#[derive(Entity, Debug)]
#[orm(table = "pets")]
pub struct Pet {
    #[orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    #[relationship(foreign_key = "owner_id", on_delete = "cascade")]
    pub owner: One<Owner>,
}

/// Left without an owner by the database.
#[derive(Entity, Debug)]
#[orm(table = "cars")]
pub struct Car {
    #[orm(primary_key)]
    pub id: i64,
    pub owner_id: Option<i64>,
    #[relationship(foreign_key = "owner_id", on_delete = "set null")]
    pub owner: One<Owner>,
}

/// Deleted when unlinked from its owner, and with it (delete-orphan).
#[derive(Entity, Debug)]
#[orm(table = "notes")]
pub struct Note {
    #[orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    #[relationship(foreign_key = "owner_id")]
    pub owner: One<Owner>,
}

fn session() -> Session {
    let mut s = engine_session();
    s.create_all(&[
        User::META,
        Post::META,
        Comment::META,
        Tag::META,
        Category::META,
        Owner::META,
        Pet::META,
        Car::META,
        Note::META,
        Ticket::META,
    ])
    .unwrap();
    s
}

fn insert(s: &mut Session, sql: &str, rows: &[&[i64]]) {
    for row in rows {
        let params: Vec<Value> = row.iter().map(|&v| Value::Integer(v)).collect();
        s.execute(&numbered(sql), &params).unwrap();
    }
}

fn count(s: &mut Session, table: &str) -> i64 {
    s.query_as::<(i64,)>(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()[0]
        .0
}

fn sent(s: &Session) -> Vec<String> {
    s.statements().iter().map(|l| unnumbered(&l.sql)).collect()
}

/// The key list of a statement, as each engine spells it: one array on
/// PostgreSQL, one placeholder per key on SQLite.
fn keys_in(column: &str, keys: usize) -> String {
    either(
        format!(r#""{column}" IN ({})"#, vec!["?"; keys].join(", ")),
        format!(r#""{column}" = ANY(?)"#),
    )
}

#[test]
fn cascade_delete_removes_posts_comments_and_association_rows() {
    let mut s = session();
    insert(
        &mut s,
        "INSERT INTO users (id, name) VALUES (?, 'u')",
        &[&[1], &[2]],
    );
    insert(
        &mut s,
        "INSERT INTO posts (id, user_id, title) VALUES (?, ?, 'p')",
        &[&[10, 1], &[11, 1], &[20, 2]],
    );
    insert(
        &mut s,
        "INSERT INTO comments (id, post_id, body) VALUES (?, ?, 'c')",
        &[&[100, 10], &[101, 11], &[200, 20]],
    );
    insert(
        &mut s,
        "INSERT INTO tags (id, name) VALUES (?, 't')",
        &[&[1]],
    );
    insert(
        &mut s,
        "INSERT INTO post_tags (post_id, tag_id) VALUES (?, ?)",
        &[&[10, 1], &[20, 1]],
    );
    let user = s.get::<User>(1).unwrap().unwrap();
    let posts = s.load(User::POSTS, &user).unwrap();
    let tag = s.get::<Tag>(1).unwrap().unwrap();
    s.load(Tag::POSTS, &tag).unwrap();
    s.reset_statements();

    s.delete(&*user).unwrap();
    assert_eq!(sent(&s), expected_user_delete());
    // Only user 2's rows are left.
    assert_eq!(count(&mut s, "users"), 1);
    assert_eq!(
        s.query_as::<(i64,)>("SELECT id FROM posts", &[]).unwrap(),
        [(20,)]
    );
    assert_eq!(
        s.query_as::<(i64,)>("SELECT id FROM comments", &[])
            .unwrap(),
        [(200,)]
    );
    assert_eq!(
        s.query_as::<(i64, i64)>("SELECT post_id, tag_id FROM post_tags", &[])
            .unwrap(),
        [(20, 1)]
    );
    // The session serves none of the deleted rows: posts and comments it
    // held expired, the tag's loaded collection lost them.
    assert!(s.get::<User>(1).unwrap().is_none());
    assert!(s.get::<Post>(10).unwrap().is_none());
    assert!(s.get::<Comment>(100).unwrap().is_none());
    assert!(!tag.posts.is_loaded());
    assert_eq!(
        s.load(Tag::POSTS, &tag)
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        [20]
    );
    drop(posts);
}

/// The statements deleting user 1 of the fixture above.
fn expected_user_delete() -> Vec<String> {
    vec![
        "BEGIN".to_owned(),
        format!(
            r#"SELECT "id" FROM "posts" WHERE {}"#,
            keys_in("user_id", 1)
        ),
        format!(
            r#"SELECT "id" FROM "comments" WHERE {}"#,
            keys_in("post_id", 2)
        ),
        format!(r#"DELETE FROM "comments" WHERE {}"#, keys_in("id", 2)),
        format!(r#"DELETE FROM "post_tags" WHERE {}"#, keys_in("post_id", 2)),
        format!(r#"DELETE FROM "posts" WHERE {}"#, keys_in("id", 2)),
        format!(r#"DELETE FROM "users" WHERE {}"#, keys_in("id", 1)),
        "COMMIT".to_owned(),
    ]
}

#[test]
fn a_tree_is_deleted_level_by_level() {
    let mut s = session();
    insert(
        &mut s,
        "INSERT INTO categories (id, parent_id) VALUES (?, NULL)",
        &[&[1], &[9]],
    );
    insert(
        &mut s,
        "INSERT INTO categories (id, parent_id) VALUES (?, ?)",
        &[&[2, 1], &[3, 1], &[4, 2]],
    );
    s.reset_statements();
    s.delete_by_key::<Category>(1).unwrap();
    // BEGIN; a SELECT per level until one finds nothing (children, their
    // children, none); a DELETE per level, deepest first; COMMIT.
    let sent = sent(&s);
    let selects = sent.iter().filter(|q| q.starts_with("SELECT")).count();
    let deletes = sent.iter().filter(|q| q.starts_with("DELETE")).count();
    assert_eq!((selects, deletes, sent.len()), (3, 3, 8), "{sent:?}");
    assert_eq!(
        s.query_as::<(i64,)>("SELECT id FROM categories", &[])
            .unwrap(),
        [(9,)]
    );
}

#[test]
fn the_database_cascades_and_sets_null_as_create_all_declared() {
    let mut s = session();
    let ddl: Vec<String> = s
        .statements()
        .iter()
        .map(|l| l.sql.clone())
        .filter(|q| q.contains("ON DELETE"))
        .collect();
    assert_eq!(ddl.len(), 2, "{ddl:?}");
    assert!(
        ddl[0].contains(r#"FOREIGN KEY ("owner_id") REFERENCES "owners" ("id") ON DELETE CASCADE"#)
    );
    assert!(ddl[1]
        .contains(r#"FOREIGN KEY ("owner_id") REFERENCES "owners" ("id") ON DELETE SET NULL"#));
    insert(&mut s, "INSERT INTO owners (id) VALUES (?)", &[&[1], &[2]]);
    insert(
        &mut s,
        "INSERT INTO pets (id, owner_id) VALUES (?, ?)",
        &[&[1, 1], &[2, 2]],
    );
    insert(
        &mut s,
        "INSERT INTO cars (id, owner_id) VALUES (?, ?)",
        &[&[1, 1], &[2, 2]],
    );
    let pet = s.get::<Pet>(1).unwrap().unwrap();
    let car = s.get::<Car>(1).unwrap().unwrap();
    s.load(Car::OWNER, &car).unwrap();
    s.reset_statements();

    s.delete_by_key::<Owner>(1).unwrap();
    // The owner's notes cascade (delete-orphan), so the delete asks for
    // them first, in a transaction: BEGIN, SELECT (none), DELETE, COMMIT.
    // Pets and cars are the database's to follow.
    assert_eq!(s.statement_count(), 4);
    assert_eq!(
        s.query_as::<(i64, i64)>("SELECT id, owner_id FROM pets", &[])
            .unwrap(),
        [(2, 2)]
    );
    assert_eq!(
        s.query_as::<(i64, Option<i64>)>("SELECT id, owner_id FROM cars ORDER BY id", &[])
            .unwrap(),
        [(1, None), (2, Some(2))]
    );
    // What the session held of pets and cars expired: it reads them again.
    assert_eq!(pet.owner_id, 1);
    assert!(s.get::<Pet>(1).unwrap().is_none());
    assert_eq!(s.get::<Car>(1).unwrap().unwrap().owner_id, None);
}

#[test]
fn without_a_cascade_the_error_names_the_relation() {
    let mut s = session();
    insert(&mut s, "INSERT INTO owners (id) VALUES (?)", &[&[1]]);
    insert(
        &mut s,
        "INSERT INTO notes (id, owner_id) VALUES (?, ?)",
        &[&[1, 1]],
    );
    insert(
        &mut s,
        "INSERT INTO tickets (id, owner_id) VALUES (?, ?)",
        &[&[1, 1]],
    );
    s.reset_statements();
    let error = s.delete_by_key::<Owner>(1).unwrap_err();
    let Error::Database(db) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(db.kind(), DatabaseErrorKind::ForeignKeyViolation);
    assert_eq!(db.relation(), Some("Owner.tickets"));
    assert!(
        error
            .to_string()
            .contains("tickets rows still point at this Owner through Owner.tickets"),
        "{error}"
    );
    // Nothing was deleted: the note (delete-orphan, so deleted with its
    // owner) came back with the rollback.
    // Which relation: PostgreSQL names the table; on SQLite, which does
    // not, the session asks each candidate after the rollback.
    let sent = sent(&s);
    let rollback = sent
        .iter()
        .position(|q| q == "ROLLBACK")
        .expect("rolled back");
    assert_eq!(
        &sent[rollback + 1..],
        either(
            &[
                r#"SELECT "id" FROM "pets" WHERE "owner_id" IN (?)"#.to_owned(),
                r#"SELECT "id" FROM "cars" WHERE "owner_id" IN (?)"#.to_owned(),
                r#"SELECT "id" FROM "tickets" WHERE "owner_id" IN (?)"#.to_owned(),
            ][..],
            &[][..]
        )
    );
    assert_eq!(count(&mut s, "owners"), 1);
    assert_eq!(count(&mut s, "notes"), 1);
    assert_eq!(count(&mut s, "tickets"), 1);
}

#[test]
fn delete_orphan_deletes_an_unlinked_child() {
    let mut s = session();
    insert(&mut s, "INSERT INTO owners (id) VALUES (?)", &[&[1]]);
    insert(
        &mut s,
        "INSERT INTO notes (id, owner_id) VALUES (?, ?)",
        &[&[1, 1], &[2, 1]],
    );
    let owner = s.get::<Owner>(1).unwrap().unwrap();
    let notes = s.load(Owner::NOTES, &owner).unwrap();
    s.reset_statements();
    s.unlink(Owner::NOTES, &owner, &notes[0]).unwrap();
    assert_eq!(sent(&s), [r#"DELETE FROM "notes" WHERE "id" = ?"#]);
    assert_eq!(
        s.query_as::<(i64,)>("SELECT id FROM notes", &[]).unwrap(),
        [(2,)]
    );
    assert_eq!(
        owner
            .notes
            .get()
            .unwrap()
            .iter()
            .map(|n| n.id)
            .collect::<Vec<_>>(),
        [2]
    );
    // Replacing the collection deletes the notes that leave it.
    s.replace(Owner::NOTES, &owner, &[]).unwrap();
    assert_eq!(count(&mut s, "notes"), 0);
    let _ = Handle::clone(&owner);
}

#[test]
fn a_level_of_many_rows_is_one_key_list_per_statement_the_engine_allows() {
    let mut s = session();
    s.execute("INSERT INTO users (id, name) VALUES (1, 'u')", &[])
        .unwrap();
    let posts: Vec<String> = (1..=1200).map(|id| format!("({id}, 1, 'p')")).collect();
    s.execute(
        &format!(
            "INSERT INTO posts (id, user_id, title) VALUES {}",
            posts.join(", ")
        ),
        &[],
    )
    .unwrap();
    let user = s.get::<User>(1).unwrap().unwrap();
    s.reset_statements();
    s.delete(&*user).unwrap();
    // BEGIN, the posts' keys, then per key list of the 1 200 posts (500
    // placeholders a statement on SQLite, one array on PostgreSQL): their
    // comments, their association rows and the posts; the user; COMMIT.
    let lists = in_lists(1200);
    assert_eq!(
        s.statement_count(),
        2 + 1 + 3 * lists + 1,
        "{:#?}",
        sent(&s)
    );
    assert_eq!(count(&mut s, "posts"), 0);
    assert_eq!(count(&mut s, "users"), 0);
}
