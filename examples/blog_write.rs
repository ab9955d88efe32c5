//! Writing through relations, as SQLAlchemy's blog example does:
//!
//! ```python
//! bob = User(name="bob")
//! bob.posts.append(Post(title="first"))
//! bob.posts.append(Post(title="second"))
//! session.add(bob); session.commit()
//! ```
//!
//! Here the user and both posts are saved by one `insert` (keys and foreign
//! keys filled in), read back through a `dynamic` relation, then a post is
//! moved, a tag linked and unlinked, and the user deleted with its posts
//! (`cascade = "delete"`). Every step prints the statements it sent.
//!
//! ```sh
//! cargo run --example blog_write                       # embedded SQLite
//! DATABASE_URL=postgres://root@127.0.0.1:5432/test \
//!     cargo run --example blog_write --features postgres
//! ```
//!
//! On PostgreSQL the tables are temporary (the session's `pg_temp`
//! schema), so the program leaves nothing behind and runs again.

use eagerly::prelude::*;
use eagerly::Dynamic;

#[derive(Entity, Debug, Default)]
#[orm(table = "users")]
pub struct User {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "user_id", order_by = "id", cascade = "delete")]
    pub posts: Many<Post>,
    #[relationship(foreign_key = "user_id", lazy = "dynamic", order_by = "id")]
    pub post_query: Dynamic<Post>,
}

#[derive(Entity, Debug, Default)]
#[orm(table = "posts")]
pub struct Post {
    #[orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub title: String,
    #[relationship(foreign_key = "user_id")]
    pub user: One<User>,
    #[relationship(
        secondary = "post_tags",
        foreign_key = "post_id",
        target_foreign_key = "tag_id"
    )]
    pub tags: Many<Tag>,
}

#[derive(Entity, Debug, Default)]
#[orm(table = "tags")]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

fn main() -> eagerly::Result<()> {
    let mut session = open()?;
    session.create_all(&[User::META, Post::META, Tag::META])?;

    step(&mut session, "save a user with two posts, one call", |s| {
        let bob = s.insert(User {
            name: "bob".into(),
            posts: Many::loaded(vec![
                Handle::new(Post {
                    title: "first".into(),
                    ..Default::default()
                }),
                Handle::new(Post {
                    title: "second".into(),
                    ..Default::default()
                }),
            ]),
            ..Default::default()
        })?;
        for post in bob.posts.get()?.iter() {
            println!(
                "  saved post {} {:?} of user {}",
                post.id, post.title, post.user_id
            );
        }
        Ok(())
    })?;

    let bob = session.query::<User>().filter(User::NAME.eq("bob")).one()?;
    step(
        &mut session,
        "read them through the dynamic relation",
        |s| {
            let posts = s.dynamic(User::POST_QUERY, &bob).all()?;
            let titles: Vec<&str> = posts.iter().map(|p| p.title.as_str()).collect();
            println!("  bob's posts: {titles:?}");
            Ok(())
        },
    )?;

    step(
        &mut session,
        "append a third post through the Many field",
        |s| {
            s.load(User::POSTS, &bob)?;
            let third = s.append(
                User::POSTS,
                &bob,
                Post {
                    title: "third".into(),
                    ..Default::default()
                },
            )?;
            println!("  appended post {} (user_id {})", third.id, third.user_id);
            Ok(())
        },
    )?;

    step(&mut session, "tag a post, then untag it", |s| {
        let rust = s.insert(Tag {
            name: "rust".into(),
            ..Default::default()
        })?;
        let first = s.dynamic(User::POST_QUERY, &bob).first()?.expect("a post");
        s.link(Post::TAGS, &first, &rust)?;
        println!(
            "  tags of {:?}: {}",
            first.title,
            s.load(Post::TAGS, &first)?.len()
        );
        s.unlink(Post::TAGS, &first, &rust)?;
        Ok(())
    })?;

    step(
        &mut session,
        "delete the user and, by cascade, its posts",
        |s| {
            s.delete(&*bob)?;
            let left = s.query::<Post>().count()?;
            println!("  posts left: {left}");
            Ok(())
        },
    )?;
    Ok(())
}

/// Runs `work` and prints what it sent.
fn step(
    session: &mut Session,
    title: &str,
    work: impl FnOnce(&mut Session) -> eagerly::Result<()>,
) -> eagerly::Result<()> {
    println!("{title}:");
    session.reset_statements();
    work(session)?;
    for statement in session.statements() {
        println!("    {}", statement.sql);
    }
    Ok(())
}

/// The embedded SQLite database, or PostgreSQL when `DATABASE_URL` is set
/// (tables in the session's temporary schema).
fn open() -> eagerly::Result<Session> {
    #[cfg(feature = "postgres")]
    if std::env::var("DATABASE_URL").is_ok_and(|url| !url.is_empty()) {
        let mut session = Session::from_env()?;
        session.execute("SET search_path TO pg_temp", &[])?;
        return Ok(session);
    }
    Session::in_memory()
}
