//! Users and posts: the N+1 problem and its fix, counted.
//!
//! Loading 100 users and reading each user's posts with the default `select`
//! strategy sends 1 + 100 statements; the same work with `joined` sends 1.
//!
//! Run with `cargo run --example blog`.

use eagerly::prelude::*;

#[derive(Entity, Debug)]
#[orm(table = "users")]
pub struct User {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "user_id", order_by = "id")]
    pub posts: Many<Post>,
}

#[derive(Entity, Debug)]
#[orm(table = "posts")]
pub struct Post {
    #[orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub title: String,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    session.create_all(&[User::META, Post::META])?;
    session.transaction(|s| {
        for u in 1..=100 {
            let user = s.insert(User {
                id: 0,
                name: format!("user{u}"),
                posts: Many::new(),
            })?;
            for p in 1..=3 {
                s.insert(Post {
                    id: 0,
                    user_id: user.id,
                    title: format!("post {p} of user {u}"),
                })?;
            }
        }
        Ok(())
    })?;
    // Start from an empty identity map, as a new request would.
    session.expunge_all();
    // The N+1 is the point of this demo; keep the guard quiet.
    session.set_n_plus_one_guard(NPlusOneGuard::Off);

    session.reset_statements();
    let users = session.query::<User>().all()?;
    let mut posts = 0;
    for user in &users {
        posts += session.load(User::POSTS, user)?.len();
    }
    let lazy = session.statement_count();
    println!(
        "select (lazy): {} users, {posts} posts, {lazy} statements",
        users.len()
    );

    drop(users);
    session.expunge_all();
    session.reset_statements();
    let users = session.query::<User>().options(joined(User::POSTS)).all()?;
    let posts: usize = users
        .iter()
        .map(|u| u.posts.get().map_or(0, |posts| posts.len()))
        .sum();
    let eager = session.statement_count();
    println!(
        "joined:        {} users, {posts} posts, {eager} statement",
        users.len()
    );
    println!("  {}", session.statements()[0].sql);
    Ok(())
}
