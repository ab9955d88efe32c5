//! Saving a new object graph in one call (`Session::insert` of an object
//! whose relations hold objects): parents before children, assigned keys
//! read back into the foreign keys, association rows, one transaction, the
//! graph returned loaded and in the identity map. Runs on SQLite and on
//! PostgreSQL (`EAGERLY_ENGINE=postgres`); where the statements differ (one
//! INSERT per row whose key SQLite assigns, one array INSERT per table on
//! PostgreSQL) the test states both.

mod support;

use support::engine::{either, session as engine_session, unnumbered};

use eagerly::prelude::*;
use eagerly::{Dynamic, Error, Many, One};

#[derive(Entity, Debug)]
#[orm(table = "users")]
pub struct User {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "user_id", order_by = "id")]
    pub posts: Many<Post>,
    #[relationship(foreign_key = "user_id", lazy = "dynamic", order_by = "id")]
    pub post_query: Dynamic<Post>,
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
    #[relationship(foreign_key = "post_id", order_by = "id")]
    pub comments: Many<Comment>,
    #[relationship(
        secondary = "post_tags",
        foreign_key = "post_id",
        target_foreign_key = "tag_id",
        order_by = "name"
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
}

#[derive(Entity, Debug)]
#[orm(table = "tags")]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Entity, Debug)]
#[orm(table = "categories")]
pub struct Category {
    #[orm(primary_key)]
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    #[relationship(foreign_key = "parent_id")]
    pub parent: One<Category>,
    #[relationship(foreign_key = "parent_id", order_by = "id")]
    pub children: Many<Category>,
}

fn session() -> Session {
    let mut s = engine_session();
    s.create_all(&[
        User::META,
        Post::META,
        Comment::META,
        Tag::META,
        Category::META,
    ])
    .unwrap();
    s.reset_statements();
    s
}

fn user(name: &str, posts: Vec<Post>) -> User {
    User {
        id: 0,
        name: name.into(),
        posts: Many::loaded(posts.into_iter().map(Handle::new).collect()),
        post_query: Dynamic::new(),
    }
}

fn post(title: &str) -> Post {
    Post {
        id: 0,
        user_id: 0,
        title: title.into(),
        user: One::new(),
        comments: Many::new(),
        tags: Many::new(),
    }
}

fn tag(id: i64, name: &str) -> Tag {
    Tag {
        id,
        name: name.into(),
    }
}

fn comment(body: &str) -> Comment {
    Comment {
        id: 0,
        post_id: 0,
        body: body.into(),
    }
}

fn category(name: &str, children: Vec<Category>) -> Category {
    Category {
        id: 0,
        parent_id: None,
        name: name.into(),
        parent: One::new(),
        children: Many::loaded(children.into_iter().map(Handle::new).collect()),
    }
}

/// The statements sent, placeholders written `?` on both engines.
fn sent(s: &Session) -> Vec<String> {
    s.statements().iter().map(|l| unnumbered(&l.sql)).collect()
}

fn rows(s: &mut Session, sql: &str) -> Vec<(i64, i64, String)> {
    s.query_as::<(i64, i64, String)>(sql, &[]).unwrap()
}

#[test]
fn a_user_with_two_posts_appended_is_saved_by_one_call() {
    let mut s = session();
    let bob = s
        .insert(user("bob", vec![post("first"), post("second")]))
        .unwrap();

    // BEGIN, the user, its posts, COMMIT.
    let expected: Vec<&str> = either(
        vec![
            "BEGIN",
            r#"INSERT INTO "users" ("name") VALUES (?) RETURNING "id""#,
            r#"INSERT INTO "posts" ("user_id", "title") VALUES (?, ?) RETURNING "id""#,
            r#"INSERT INTO "posts" ("user_id", "title") VALUES (?, ?) RETURNING "id""#,
            "COMMIT",
        ],
        vec![
            "BEGIN",
            r#"INSERT INTO "users" ("name") VALUES (?) RETURNING "id""#,
            r#"INSERT INTO "posts" ("user_id", "title") SELECT c1, c2 FROM unnest(?::BIGINT[], ?::TEXT[]) WITH ORDINALITY AS r(c1, c2, n) ORDER BY n RETURNING "id""#,
            "COMMIT",
        ],
    );
    assert_eq!(sent(&s), expected);

    // The database holds the user and both posts, linked.
    assert_eq!(
        s.query_as::<(i64, String)>("SELECT id, name FROM users", &[])
            .unwrap(),
        vec![(bob.id, "bob".to_owned())]
    );
    assert_eq!(
        rows(&mut s, "SELECT id, user_id, title FROM posts ORDER BY id"),
        vec![
            (1, bob.id, "first".to_owned()),
            (2, bob.id, "second".to_owned())
        ]
    );

    // The handle has its keys and its relation loaded with the saved posts,
    // which are the identity map's.
    assert_eq!(bob.id, 1);
    let posts = bob.posts.get().unwrap();
    let saved: Vec<(i64, i64, &str)> = posts
        .iter()
        .map(|p| (p.id, p.user_id, p.title.as_str()))
        .collect();
    assert_eq!(saved, vec![(1, 1, "first"), (2, 1, "second")]);
    s.reset_statements();
    assert!(Handle::ptr_eq(
        &s.get::<Post>(2).unwrap().unwrap(),
        &posts[1]
    ));
    assert!(Handle::ptr_eq(&s.get::<User>(1).unwrap().unwrap(), &bob));
    assert_eq!(s.statement_count(), 0);

    // Read back through the dynamic relation: the rows the database holds.
    let titles: Vec<String> = s
        .dynamic(User::POST_QUERY, &bob)
        .all()
        .unwrap()
        .iter()
        .map(|p| p.title.clone())
        .collect();
    assert_eq!(titles, ["first", "second"]);
}

#[test]
fn three_levels_and_many_to_many_rows() {
    let mut s = session();
    let existing = s.insert(tag(0, "rust")).unwrap();
    s.reset_statements();
    // A new tag shared by two posts is inserted once; the tag the session
    // holds is linked, not inserted again.
    let shared = Handle::new(tag(0, "orm"));
    let tagged = |title: &str, comments: Vec<Comment>| Post {
        comments: Many::loaded(comments.into_iter().map(Handle::new).collect()),
        tags: Many::loaded(vec![Handle::clone(&shared), Handle::clone(&existing)]),
        ..post(title)
    };
    let ann = s
        .insert(user(
            "ann",
            vec![
                tagged("a", vec![comment("a1"), comment("a2")]),
                tagged("b", vec![comment("b1")]),
            ],
        ))
        .unwrap();

    let expected: Vec<&str> = either(
        vec![
            "BEGIN",
            r#"INSERT INTO "users" ("name") VALUES (?) RETURNING "id""#,
            r#"INSERT INTO "tags" ("name") VALUES (?) RETURNING "id""#,
            r#"INSERT INTO "posts" ("user_id", "title") VALUES (?, ?) RETURNING "id""#,
            r#"INSERT INTO "posts" ("user_id", "title") VALUES (?, ?) RETURNING "id""#,
            r#"INSERT INTO "comments" ("post_id", "body") VALUES (?, ?) RETURNING "id""#,
            r#"INSERT INTO "comments" ("post_id", "body") VALUES (?, ?) RETURNING "id""#,
            r#"INSERT INTO "comments" ("post_id", "body") VALUES (?, ?) RETURNING "id""#,
            r#"INSERT INTO "post_tags" ("post_id", "tag_id") VALUES (?, ?), (?, ?), (?, ?), (?, ?)"#,
            "COMMIT",
        ],
        vec![
            "BEGIN",
            r#"INSERT INTO "users" ("name") VALUES (?) RETURNING "id""#,
            r#"INSERT INTO "tags" ("name") VALUES (?) RETURNING "id""#,
            r#"INSERT INTO "posts" ("user_id", "title") SELECT c1, c2 FROM unnest(?::BIGINT[], ?::TEXT[]) WITH ORDINALITY AS r(c1, c2, n) ORDER BY n RETURNING "id""#,
            r#"INSERT INTO "comments" ("post_id", "body") SELECT c1, c2 FROM unnest(?::BIGINT[], ?::TEXT[]) WITH ORDINALITY AS r(c1, c2, n) ORDER BY n RETURNING "id""#,
            r#"INSERT INTO "post_tags" ("post_id", "tag_id") SELECT c1, c2 FROM unnest(?::BIGINT[], ?::BIGINT[]) WITH ORDINALITY AS r(c1, c2, n) ORDER BY n"#,
            "COMMIT",
        ],
    );
    assert_eq!(sent(&s), expected);

    assert_eq!(
        s.query_as::<(i64, String)>("SELECT id, name FROM tags ORDER BY id", &[])
            .unwrap(),
        vec![(1, "rust".to_owned()), (2, "orm".to_owned())]
    );
    assert_eq!(
        rows(&mut s, "SELECT id, user_id, title FROM posts ORDER BY id"),
        vec![(1, ann.id, "a".to_owned()), (2, ann.id, "b".to_owned())]
    );
    assert_eq!(
        rows(&mut s, "SELECT id, post_id, body FROM comments ORDER BY id"),
        vec![
            (1, 1, "a1".to_owned()),
            (2, 1, "a2".to_owned()),
            (3, 2, "b1".to_owned())
        ]
    );
    assert_eq!(
        s.query_as::<(i64, i64)>(
            "SELECT post_id, tag_id FROM post_tags ORDER BY post_id, tag_id",
            &[]
        )
        .unwrap(),
        vec![(1, 1), (1, 2), (2, 1), (2, 2)]
    );

    // The returned graph: the same saved tag under both posts, the held tag
    // itself, comments with their keys.
    let posts = ann.posts.get().unwrap();
    let a_tags = posts[0].tags.get().unwrap();
    let b_tags = posts[1].tags.get().unwrap();
    assert!(Handle::ptr_eq(&a_tags[0], &b_tags[0]));
    assert_eq!((a_tags[0].id, a_tags[0].name.as_str()), (2, "orm"));
    assert!(Handle::ptr_eq(&a_tags[1], &existing));
    let bodies: Vec<(i64, i64, String)> = posts
        .iter()
        .flat_map(|p| p.comments.get().unwrap().to_vec())
        .map(|c| (c.id, c.post_id, c.body.clone()))
        .collect();
    assert_eq!(
        bodies,
        vec![
            (1, 1, "a1".to_owned()),
            (2, 1, "a2".to_owned()),
            (3, 2, "b1".to_owned())
        ]
    );
}

#[test]
fn a_self_referential_tree_is_written_level_by_level() {
    let mut s = session();
    let root = s
        .insert(category(
            "root",
            vec![
                category("a", vec![category("a1", vec![]), category("a2", vec![])]),
                category("b", vec![category("b1", vec![])]),
            ],
        ))
        .unwrap();
    // SQLite: one INSERT per category (six); PostgreSQL: one per level.
    let inserts = sent(&s)
        .iter()
        .filter(|sql| sql.starts_with("INSERT"))
        .count();
    assert_eq!(inserts, either(6, 3));
    assert_eq!(s.statement_count(), either(8, 5));

    assert_eq!(
        s.query_as::<(i64, Option<i64>, String)>(
            "SELECT id, parent_id, name FROM categories ORDER BY id",
            &[]
        )
        .unwrap(),
        vec![
            (1, None, "root".to_owned()),
            (2, Some(1), "a".to_owned()),
            (3, Some(1), "b".to_owned()),
            (4, Some(2), "a1".to_owned()),
            (5, Some(2), "a2".to_owned()),
            (6, Some(3), "b1".to_owned()),
        ]
    );
    let children = root.children.get().unwrap();
    let grandchildren: Vec<(i64, Option<i64>)> = children
        .iter()
        .flat_map(|c| c.children.get().unwrap().to_vec())
        .map(|c| (c.id, c.parent_id))
        .collect();
    assert_eq!(
        grandchildren,
        vec![(4, Some(2)), (5, Some(2)), (6, Some(3))]
    );
    // A leaf saved with an empty loaded collection reads as loaded and empty.
    assert!(children[0].children.get().unwrap()[0]
        .children
        .get()
        .unwrap()
        .is_empty());
}

#[test]
fn a_new_many_to_one_target_is_inserted_before_its_owner() {
    let mut s = session();
    let first = s
        .insert(Post {
            user: One::loaded(Some(Handle::new(user("cat", vec![])))),
            ..post("hello")
        })
        .unwrap();
    assert_eq!(
        sent(&s),
        vec![
            "BEGIN",
            r#"INSERT INTO "users" ("name") VALUES (?) RETURNING "id""#,
            r#"INSERT INTO "posts" ("user_id", "title") VALUES (?, ?) RETURNING "id""#,
            "COMMIT",
        ]
    );
    let cat = first.user.get().unwrap().unwrap();
    assert_eq!((cat.id, first.user_id), (1, 1));
    // Its empty collection was loaded by hand: it reads as saved (empty);
    // the post appears in it only once the session loads it again.
    assert_eq!(
        rows(&mut s, "SELECT id, user_id, title FROM posts"),
        vec![(1, 1, "hello".to_owned())]
    );
    // A second post by the same user, the session's own handle: linked.
    s.reset_statements();
    let second = s
        .insert(Post {
            user: One::loaded(Some(Handle::clone(&cat))),
            ..post("again")
        })
        .unwrap();
    assert_eq!(
        sent(&s),
        vec![
            "BEGIN",
            r#"INSERT INTO "posts" ("user_id", "title") VALUES (?, ?) RETURNING "id""#,
            "COMMIT",
        ]
    );
    assert!(Handle::ptr_eq(&second.user.get().unwrap().unwrap(), &cat));
    assert_eq!(second.user_id, cat.id);
}

#[test]
fn a_post_the_session_holds_moves_to_the_new_user() {
    let mut s = session();
    let old = s.insert(user("old", vec![post("moving")])).unwrap();
    let moving = Handle::clone(&old.posts.get().unwrap()[0]);
    s.reset_statements();
    let new = s
        .insert(User {
            posts: Many::loaded(vec![Handle::clone(&moving)]),
            ..user("new", vec![])
        })
        .unwrap();
    assert_eq!(
        sent(&s),
        vec![
            "BEGIN",
            r#"INSERT INTO "users" ("name") VALUES (?) RETURNING "id""#,
            r#"UPDATE "posts" SET "user_id" = ? WHERE "id" = ?"#,
            "COMMIT",
        ]
    );
    assert_eq!(
        rows(&mut s, "SELECT id, user_id, title FROM posts"),
        vec![(moving.id, new.id, "moving".to_owned())]
    );
    // Both collections say what the database holds: the old user's lost the
    // post (fixed without a statement), the new user's has its new version.
    s.reset_statements();
    assert!(old.posts.get().unwrap().is_empty());
    let moved = &new.posts.get().unwrap()[0];
    assert_eq!((moved.id, moved.user_id), (moving.id, new.id));
    assert!(Handle::ptr_eq(
        &s.get::<Post>(moving.id).unwrap().unwrap(),
        moved
    ));
    assert_eq!(s.statement_count(), 0);
}

#[test]
fn explicit_keys_go_in_one_multi_row_insert() {
    let mut s = session();
    let user = s
        .insert(User {
            id: 7,
            posts: Many::loaded(vec![
                Handle::new(Post {
                    id: 70,
                    ..post("x")
                }),
                Handle::new(Post {
                    id: 71,
                    ..post("y")
                }),
            ]),
            ..user("keyed", vec![])
        })
        .unwrap();
    let expected: Vec<&str> = either(
        vec![
            "BEGIN",
            r#"INSERT INTO "users" ("id", "name") VALUES (?, ?)"#,
            r#"INSERT INTO "posts" ("id", "user_id", "title") VALUES (?, ?, ?), (?, ?, ?)"#,
            "COMMIT",
        ],
        vec![
            "BEGIN",
            r#"INSERT INTO "users" ("id", "name") VALUES (?, ?)"#,
            r#"INSERT INTO "posts" ("id", "user_id", "title") SELECT c1, c2, c3 FROM unnest(?::BIGINT[], ?::BIGINT[], ?::TEXT[]) WITH ORDINALITY AS r(c1, c2, c3, n) ORDER BY n"#,
            "COMMIT",
        ],
    );
    assert_eq!(sent(&s), expected);
    assert_eq!(
        rows(&mut s, "SELECT id, user_id, title FROM posts ORDER BY id"),
        vec![(70, 7, "x".to_owned()), (71, 7, "y".to_owned())]
    );
    assert_eq!(user.posts.get().unwrap().len(), 2);
}

#[test]
fn inside_a_transaction_the_graph_is_a_savepoint() {
    let mut s = session();
    s.transaction(|s| {
        s.insert(user("t", vec![post("p")]))?;
        Ok(())
    })
    .unwrap();
    let sent = sent(&s);
    assert_eq!(sent.first().map(String::as_str), Some("BEGIN"));
    assert!(sent[1].starts_with("SAVEPOINT"), "{sent:?}");
    assert!(sent[sent.len() - 2].starts_with("RELEASE"), "{sent:?}");
    assert_eq!(sent.last().map(String::as_str), Some("COMMIT"));
    assert_eq!(
        rows(&mut s, "SELECT id, user_id, title FROM posts").len(),
        1
    );
}

#[test]
fn a_failing_row_writes_nothing_and_the_session_goes_on() {
    let mut s = session();
    s.insert(tag(5, "taken")).unwrap();
    s.reset_statements();
    // The second tag's key exists: the whole graph is undone.
    let result = s.insert(Post {
        tags: Many::loaded(vec![Handle::new(tag(0, "new")), Handle::new(tag(5, "dup"))]),
        user: One::loaded(Some(Handle::new(user("u", vec![])))),
        ..post("p")
    });
    assert!(
        matches!(&result, Err(Error::Database(e)) if e.kind() == eagerly::DatabaseErrorKind::UniqueViolation),
        "{result:?}"
    );
    assert_eq!(
        s.statements().last().map(|l| l.sql.as_str()),
        Some("ROLLBACK")
    );
    for table in ["users", "posts", "post_tags"] {
        let count = s
            .query_as::<(i64,)>(&format!("SELECT count(*) FROM {table}"), &[])
            .unwrap();
        assert_eq!(count, vec![(0,)], "{table}");
    }
    assert_eq!(
        s.query_as::<(i64, String)>("SELECT id, name FROM tags", &[])
            .unwrap(),
        vec![(5, "taken".to_owned())]
    );
    // The session works on.
    let saved = s.insert(user("after", vec![post("ok")])).unwrap();
    assert_eq!(saved.posts.get().unwrap().len(), 1);
}

#[test]
fn another_sessions_object_is_refused_before_anything_is_sent() {
    let mut other = session();
    let foreign = other.insert(user("elsewhere", vec![])).unwrap();
    let mut s = session();
    let result = s.insert(Post {
        user: One::loaded(Some(foreign)),
        ..post("p")
    });
    assert!(
        matches!(result, Err(Error::ForeignObject { entity: "User" })),
        "{result:?}"
    );
    assert_eq!(s.statement_count(), 0);
}

#[test]
fn a_to_one_loaded_as_absent_needs_a_nullable_foreign_key() {
    let mut s = session();
    let result = s.insert(Post {
        user: One::loaded(None),
        ..post("p")
    });
    assert!(
        matches!(&result, Err(Error::Misuse(m)) if m.contains("Post.user") && m.contains("user_id")),
        "{result:?}"
    );
    assert_eq!(s.statement_count(), 0);
    // Where the column takes NULL, absent writes NULL.
    let orphan = s
        .insert(Category {
            parent: One::loaded(None),
            parent_id: Some(99),
            ..category("orphan", vec![])
        })
        .unwrap();
    assert_eq!(orphan.parent_id, None);
    assert!(orphan.parent.get().unwrap().is_none());
}
