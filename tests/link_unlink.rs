//! Link and unlink on one-to-many and many-to-many relations, through the
//! `Many` field and the `Dynamic` query alike: append a new object, link an
//! existing one, unlink one, replace the whole collection. Each test checks
//! the statements, the rows in the database, and the loaded collections on
//! both sides. Runs on SQLite and on PostgreSQL (`EAGERLY_ENGINE=postgres`).

mod support;

use support::engine::{numbered, session as engine_session, unnumbered};

use eagerly::prelude::*;
use eagerly::{Dynamic, Error, Many, One, Value};

#[derive(Entity, Debug)]
#[orm(table = "users")]
pub struct User {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "user_id")]
    pub posts: Many<Post>,
    #[relationship(foreign_key = "user_id", lazy = "dynamic", order_by = "id")]
    pub post_query: Dynamic<Post>,
}

#[derive(Entity, Debug)]
#[orm(table = "posts")]
pub struct Post {
    #[orm(primary_key)]
    pub id: i64,
    pub user_id: Option<i64>,
    pub title: String,
    #[relationship(foreign_key = "user_id")]
    pub user: One<User>,
    #[relationship(foreign_key = "post_id")]
    pub comments: Many<Comment>,
    #[relationship(
        secondary = "post_tags",
        foreign_key = "post_id",
        target_foreign_key = "tag_id"
    )]
    pub tags: Many<Tag>,
    #[relationship(
        secondary = "post_tags",
        foreign_key = "post_id",
        target_foreign_key = "tag_id",
        order_by = "name"
    )]
    pub sorted_tags: Many<Tag>,
    #[relationship(
        secondary = "post_tags",
        foreign_key = "post_id",
        target_foreign_key = "tag_id",
        lazy = "dynamic"
    )]
    pub tag_query: Dynamic<Tag>,
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

#[derive(Entity, Debug)]
#[orm(table = "comments")]
pub struct Comment {
    #[orm(primary_key)]
    pub id: i64,
    pub post_id: i64,
    pub body: String,
}

/// Users 1 and 2; posts 1 and 2 by user 1, post 3 by nobody; tags 1 to 3,
/// post 1 tagged 1 and 2; comment 1 on post 1. Statements reset.
fn session() -> Session {
    let mut s = engine_session();
    s.create_all(&[User::META, Post::META, Tag::META, Comment::META])
        .unwrap();
    s.transaction(|s| {
        for name in ["ann", "bob"] {
            s.execute(
                &numbered("INSERT INTO users (name) VALUES (?)"),
                &[name.into()],
            )?;
        }
        for (user, title) in [(Some(1), "p1"), (Some(1), "p2"), (None, "p3")] {
            s.execute(
                &numbered("INSERT INTO posts (user_id, title) VALUES (?, ?)"),
                &[user.into(), title.into()],
            )?;
        }
        for name in ["t1", "t2", "t3"] {
            s.execute(
                &numbered("INSERT INTO tags (name) VALUES (?)"),
                &[name.into()],
            )?;
        }
        for (post, tag) in [(1, 1), (1, 2)] {
            s.execute(
                &numbered("INSERT INTO post_tags (post_id, tag_id) VALUES (?, ?)"),
                &[Value::Integer(post), Value::Integer(tag)],
            )?;
        }
        s.execute("INSERT INTO comments (post_id, body) VALUES (1, 'c1')", &[])?;
        Ok(())
    })
    .unwrap();
    s.reset_statements();
    s
}

fn sent(s: &Session) -> Vec<String> {
    s.statements().iter().map(|l| unnumbered(&l.sql)).collect()
}

fn get<E: Entity>(s: &mut Session, key: E::Key) -> Handle<E> {
    s.get::<E>(key).unwrap().unwrap()
}

/// `(id, user_id)` of every post, from the database.
fn post_owners(s: &mut Session) -> Vec<(i64, Option<i64>)> {
    s.query_as::<(i64, Option<i64>)>("SELECT id, user_id FROM posts ORDER BY id", &[])
        .unwrap()
}

fn post_tags(s: &mut Session) -> Vec<(i64, i64)> {
    s.query_as::<(i64, i64)>(
        "SELECT post_id, tag_id FROM post_tags ORDER BY post_id, tag_id",
        &[],
    )
    .unwrap()
}

fn ids<T: Entity<Key = i64>>(objects: &[Handle<T>]) -> Vec<i64> {
    let mut ids: Vec<i64> = objects.iter().map(|o| o.key()).collect();
    ids.sort_unstable();
    ids
}

#[test]
fn link_moves_a_post_between_the_loaded_collections() {
    let mut s = session();
    let ann = get::<User>(&mut s, 1);
    let bob = get::<User>(&mut s, 2);
    s.load(User::POSTS, &ann).unwrap();
    s.load(User::POSTS, &bob).unwrap();
    let p1 = get::<Post>(&mut s, 1);
    s.reset_statements();

    let moved = s.link(User::POSTS, &bob, &p1).unwrap();
    assert_eq!(
        sent(&s),
        [r#"UPDATE "posts" SET "user_id" = ? WHERE "id" = ?"#]
    );
    assert_eq!(moved.user_id, Some(2));
    assert_eq!(post_owners(&mut s), [(1, Some(2)), (2, Some(1)), (3, None)]);
    // Both sides say what the database holds, without a statement.
    s.reset_statements();
    assert_eq!(ids(&ann.posts.get().unwrap()), [2]);
    let bobs = bob.posts.get().unwrap();
    assert_eq!(ids(&bobs), [1]);
    assert!(Handle::ptr_eq(&bobs[0], &moved));
    assert_eq!(s.statement_count(), 0);
}

#[test]
fn unlink_sets_the_foreign_key_to_null() {
    let mut s = session();
    let ann = get::<User>(&mut s, 1);
    s.load(User::POSTS, &ann).unwrap();
    let p2 = get::<Post>(&mut s, 2);
    s.reset_statements();

    let left = s.unlink(User::POSTS, &ann, &p2).unwrap();
    assert_eq!(
        sent(&s),
        [r#"UPDATE "posts" SET "user_id" = ? WHERE "id" = ?"#]
    );
    assert_eq!(left.user_id, None);
    assert_eq!(post_owners(&mut s), [(1, Some(1)), (2, None), (3, None)]);
    assert_eq!(ids(&ann.posts.get().unwrap()), [1]);

    // A post that is not ann's, and a comment whose key cannot be NULL, are
    // refused before anything is sent.
    s.reset_statements();
    let p3 = get::<Post>(&mut s, 3);
    let result = s.unlink(User::POSTS, &ann, &p3);
    assert!(
        matches!(&result, Err(Error::Misuse(m)) if m.contains("does not belong")),
        "{result:?}"
    );
    let p1 = get::<Post>(&mut s, 1);
    let c1 = get::<Comment>(&mut s, 1);
    s.reset_statements();
    let result = s.unlink(Post::COMMENTS, &p1, &c1);
    assert!(
        matches!(&result, Err(Error::Misuse(m)) if m.contains("comments.post_id cannot be NULL")),
        "{result:?}"
    );
    assert_eq!(s.statement_count(), 0);
}

#[test]
fn many_to_many_link_and_unlink_write_association_rows() {
    let mut s = session();
    let p1 = get::<Post>(&mut s, 1);
    let t3 = get::<Tag>(&mut s, 3);
    s.load(Post::TAGS, &p1).unwrap();
    s.load(Post::SORTED_TAGS, &p1).unwrap();
    s.load(Tag::POSTS, &t3).unwrap();
    s.reset_statements();

    let linked = s.link(Post::TAGS, &p1, &t3).unwrap();
    assert!(Handle::ptr_eq(&linked, &t3));
    assert_eq!(
        sent(&s),
        [r#"INSERT INTO "post_tags" ("post_id", "tag_id") VALUES (?, ?)"#]
    );
    assert_eq!(post_tags(&mut s), [(1, 1), (1, 2), (1, 3)]);
    // Both ends gained the other; the ordered collection over the same
    // table expired and reads the database again.
    assert_eq!(ids(&p1.tags.get().unwrap()), [1, 2, 3]);
    assert_eq!(ids(&t3.posts.get().unwrap()), [1]);
    assert!(!p1.sorted_tags.is_loaded());
    s.reset_statements();
    let sorted = s.load(Post::SORTED_TAGS, &p1).unwrap();
    assert_eq!(ids(&sorted), [1, 2, 3]);
    assert_eq!(s.statement_count(), 1);

    // Linking twice is the association key's unique violation.
    let again = s.link(Post::TAGS, &p1, &t3);
    assert!(
        matches!(&again, Err(Error::Database(e)) if e.kind() == eagerly::DatabaseErrorKind::UniqueViolation),
        "{again:?}"
    );

    s.reset_statements();
    s.unlink(Post::TAGS, &p1, &t3).unwrap();
    assert_eq!(
        sent(&s),
        [r#"DELETE FROM "post_tags" WHERE "post_id" = ? AND "tag_id" = ?"#]
    );
    assert_eq!(post_tags(&mut s), [(1, 1), (1, 2)]);
    assert_eq!(ids(&p1.tags.get().unwrap()), [1, 2]);
    assert!(t3.posts.get().unwrap().is_empty());
    let missing = s.unlink(Post::TAGS, &p1, &t3);
    assert!(
        matches!(missing, Err(Error::NotFound { table: "post_tags" })),
        "{missing:?}"
    );
}

#[test]
fn the_dynamic_query_links_and_appends_alike() {
    let mut s = session();
    let bob = get::<User>(&mut s, 2);
    s.load(User::POSTS, &bob).unwrap();
    let p3 = get::<Post>(&mut s, 3);
    s.reset_statements();

    s.link(User::POST_QUERY, &bob, &p3).unwrap();
    let appended = s
        .append(
            User::POST_QUERY,
            &bob,
            Post {
                id: 0,
                user_id: None,
                title: "p4".into(),
                user: One::new(),
                comments: Many::new(),
                tags: Many::new(),
                sorted_tags: Many::new(),
                tag_query: Dynamic::new(),
            },
        )
        .unwrap();
    assert_eq!(appended.user_id, Some(2));
    assert_eq!(s.statement_count(), 2);
    assert_eq!(
        post_owners(&mut s),
        [(1, Some(1)), (2, Some(1)), (3, Some(2)), (4, Some(2))]
    );
    // The loaded field and the query agree.
    assert_eq!(ids(&bob.posts.get().unwrap()), [3, 4]);
    let queried = s.dynamic(User::POST_QUERY, &bob).all().unwrap();
    assert_eq!(ids(&queried), [3, 4]);

    // Many-to-many through the dynamic query: the loaded field follows.
    let p2 = get::<Post>(&mut s, 2);
    let t1 = get::<Tag>(&mut s, 1);
    s.load(Post::TAGS, &p2).unwrap();
    s.link(Post::TAG_QUERY, &p2, &t1).unwrap();
    assert_eq!(ids(&p2.tags.get().unwrap()), [1]);
    let new_tag = s
        .append(
            Post::TAGS,
            &p2,
            Tag {
                id: 0,
                name: "t4".into(),
                posts: Many::new(),
            },
        )
        .unwrap();
    assert_eq!(new_tag.id, 4);
    assert_eq!(ids(&p2.tags.get().unwrap()), [1, 4]);
    assert_eq!(post_tags(&mut s), [(1, 1), (1, 2), (2, 1), (2, 4)]);
}

#[test]
fn replace_sets_the_whole_one_to_many_collection() {
    let mut s = session();
    let ann = get::<User>(&mut s, 1);
    s.load(User::POSTS, &ann).unwrap();
    let p2 = get::<Post>(&mut s, 2);
    let p3 = get::<Post>(&mut s, 3);
    s.reset_statements();

    s.replace(User::POSTS, &ann, &[p2, p3]).unwrap();
    let sent = sent(&s);
    assert_eq!(sent.len(), 5, "{sent:?}");
    assert_eq!(sent[0], "BEGIN");
    assert!(sent[1].starts_with("SELECT"), "{sent:?}");
    assert_eq!(
        &sent[2..4],
        [
            r#"UPDATE "posts" SET "user_id" = ? WHERE "id" = ?"#,
            r#"UPDATE "posts" SET "user_id" = ? WHERE "id" = ?"#
        ]
    );
    assert_eq!(sent[4], "COMMIT");
    assert_eq!(post_owners(&mut s), [(1, None), (2, Some(1)), (3, Some(1))]);
    assert_eq!(ids(&ann.posts.get().unwrap()), [2, 3]);
}

#[test]
fn replace_refuses_leaving_members_that_cannot_be_null() {
    let mut s = session();
    let p1 = get::<Post>(&mut s, 1);
    s.reset_statements();
    let result = s.replace(Post::COMMENTS, &p1, &[]);
    assert!(
        matches!(&result, Err(Error::Misuse(m)) if m.contains("cannot have a NULL post_id")),
        "{result:?}"
    );
    // The read ran in a transaction that was rolled back; nothing changed.
    assert_eq!(s.statements().last().unwrap().sql, "ROLLBACK");
    assert_eq!(
        s.query_as::<(i64, i64)>("SELECT id, post_id FROM comments", &[])
            .unwrap(),
        [(1, 1)]
    );
}

#[test]
fn replace_rewrites_the_association_rows() {
    let mut s = session();
    let p1 = get::<Post>(&mut s, 1);
    let t2 = get::<Tag>(&mut s, 2);
    let t3 = get::<Tag>(&mut s, 3);
    s.load(Post::TAGS, &p1).unwrap();
    s.load(Tag::POSTS, &t2).unwrap();
    s.reset_statements();

    s.replace(Post::TAGS, &p1, &[Handle::clone(&t2), Handle::clone(&t3)])
        .unwrap();
    let expected = if support::engine::is_postgres() {
        r#"INSERT INTO "post_tags" ("post_id", "tag_id") SELECT c1, c2 FROM unnest(?::BIGINT[], ?::BIGINT[]) WITH ORDINALITY AS r(c1, c2, n) ORDER BY n"#
    } else {
        r#"INSERT INTO "post_tags" ("post_id", "tag_id") VALUES (?, ?), (?, ?)"#
    };
    assert_eq!(
        sent(&s),
        [
            "BEGIN",
            r#"DELETE FROM "post_tags" WHERE "post_id" = ?"#,
            expected,
            "COMMIT"
        ]
    );
    assert_eq!(post_tags(&mut s), [(1, 2), (1, 3)]);
    // Collections over the table expired at both ends, and load the rows.
    assert!(!p1.tags.is_loaded());
    assert!(!t2.posts.is_loaded());
    assert_eq!(ids(&s.load(Post::TAGS, &p1).unwrap()), [2, 3]);
    assert_eq!(ids(&s.load(Tag::POSTS, &t2).unwrap()), [1]);

    // An empty list deletes every row of the post.
    s.reset_statements();
    s.replace(Post::TAGS, &p1, &[]).unwrap();
    assert_eq!(s.statement_count(), 3);
    assert!(post_tags(&mut s).is_empty());
}
