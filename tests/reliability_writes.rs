//! Random write sequences through relations, checked against a model:
//! graphs saved (new users with new posts, new and held tags), posts moved
//! between users, unlinked, tagged and untagged, collections replaced,
//! users deleted with their posts (`cascade = "delete"`). After every step
//! the collections the session holds loaded must say what the model says
//! (coherence); at the end the database's rows must be the model's, and
//! the graph reloaded with each strategy (`select`, `joined`, `selectin`,
//! `bulk`) must be the model's too. On SQLite, and on PostgreSQL with
//! `EAGERLY_ENGINE=postgres`. 256 cases unless PROPTEST_CASES says
//! otherwise.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use eagerly::prelude::*;
use eagerly::LoadOption;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

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
    pub user_id: Option<i64>,
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

/// A tag of a saved post: a new one, or one the session holds.
#[derive(Debug, Clone)]
enum TagPick {
    New,
    Held(Index),
}

#[derive(Debug, Clone)]
enum Op {
    /// A new user with new posts, each with its tags.
    Save(Vec<Vec<TagPick>>),
    /// Link a post to a user (it leaves its old user).
    Move(Index, Index),
    /// Unlink a post from its user.
    Unlink(Index),
    Tag(Index, Index),
    Untag(Index, Index),
    /// Make these posts a user's whole collection.
    Replace(Index, Vec<Index>),
    /// Delete a user, with its posts.
    Delete(Index),
}

fn op() -> impl Strategy<Value = Op> {
    let pick = prop_oneof![Just(TagPick::New), any::<Index>().prop_map(TagPick::Held)];
    prop_oneof![
        3 => prop::collection::vec(prop::collection::vec(pick, 0..3), 0..4).prop_map(Op::Save),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(p, u)| Op::Move(p, u)),
        1 => any::<Index>().prop_map(Op::Unlink),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(p, t)| Op::Tag(p, t)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(p, t)| Op::Untag(p, t)),
        1 => (any::<Index>(), prop::collection::vec(any::<Index>(), 0..3))
            .prop_map(|(u, ps)| Op::Replace(u, ps)),
        1 => any::<Index>().prop_map(Op::Delete),
    ]
}

/// What the database should hold.
#[derive(Debug, Default, PartialEq)]
struct Model {
    users: BTreeSet<i64>,
    /// Post id -> its user.
    posts: BTreeMap<i64, Option<i64>>,
    tags: BTreeSet<i64>,
    post_tags: BTreeSet<(i64, i64)>,
}

impl Model {
    fn posts_of(&self, user: i64) -> Vec<i64> {
        self.posts
            .iter()
            .filter(|(_, owner)| **owner == Some(user))
            .map(|(id, _)| *id)
            .collect()
    }
    fn tags_of(&self, post: i64) -> Vec<i64> {
        self.post_tags
            .iter()
            .filter(|(p, _)| *p == post)
            .map(|(_, t)| *t)
            .collect()
    }
    fn pick(set: impl IntoIterator<Item = i64>, index: &Index) -> Option<i64> {
        let all: Vec<i64> = set.into_iter().collect();
        (!all.is_empty()).then(|| all[index.index(all.len())])
    }
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        max_shrink_iters: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn ids<T: Entity<Key = i64>>(objects: &[Handle<T>]) -> Vec<i64> {
    let mut ids: Vec<i64> = objects.iter().map(|o| o.key()).collect();
    ids.sort_unstable();
    ids
}

type Check = Result<(), TestCaseError>;

fn get<E: Entity<Key = i64>>(s: &mut Session, id: i64) -> Result<Handle<E>, TestCaseError> {
    s.get::<E>(id)
        .map_err(|e| TestCaseError::fail(format!("get {id}: {e}")))?
        .ok_or_else(|| TestCaseError::fail(format!("{} {id} is missing", E::META.name())))
}

fn ok<T>(result: eagerly::Result<T>, what: &str) -> Result<T, TestCaseError> {
    result.map_err(|e| TestCaseError::fail(format!("{what}: {e}")))
}

/// Applies `op` to the session and to the model.
fn apply(s: &mut Session, model: &mut Model, op: &Op) -> Check {
    match op {
        Op::Save(posts) => {
            let mut new_tags = Vec::new();
            let mut built = Vec::new();
            for tags in posts {
                let mut held = Vec::new();
                for pick in tags {
                    let tag = match pick {
                        TagPick::Held(i) => match Model::pick(model.tags.iter().copied(), i) {
                            Some(id) => get::<Tag>(s, id)?,
                            None => continue,
                        },
                        TagPick::New => {
                            let tag = Handle::new(Tag {
                                id: 0,
                                name: "t".into(),
                                posts: Many::new(),
                            });
                            new_tags.push(Handle::clone(&tag));
                            tag
                        }
                    };
                    if !held.iter().any(|t: &Handle<Tag>| Handle::ptr_eq(t, &tag)) {
                        held.push(tag);
                    }
                }
                built.push(Handle::new(Post {
                    id: 0,
                    user_id: None,
                    title: "p".into(),
                    user: One::new(),
                    tags: Many::loaded(held),
                }));
            }
            let user = ok(
                s.insert(User {
                    id: 0,
                    name: "u".into(),
                    posts: Many::loaded(built),
                }),
                "save",
            )?;
            model.users.insert(user.id);
            for post in user.posts.get().unwrap().iter() {
                prop_assert_eq!(post.user_id, Some(user.id));
                model.posts.insert(post.id, Some(user.id));
                for tag in post.tags.get().unwrap().iter() {
                    prop_assert!(tag.id > 0);
                    model.tags.insert(tag.id);
                    model.post_tags.insert((post.id, tag.id));
                }
            }
            // A new tag reached twice was saved once.
            let distinct: BTreeSet<usize> = new_tags
                .iter()
                .map(|t| Handle::as_ptr(t) as usize)
                .collect();
            prop_assert_eq!(distinct.len(), new_tags.len());
        }
        Op::Move(p, u) => {
            let (Some(post), Some(user)) = (
                Model::pick(model.posts.keys().copied(), p),
                Model::pick(model.users.iter().copied(), u),
            ) else {
                return Ok(());
            };
            if model.posts[&post] == Some(user) {
                return Ok(());
            }
            let (post_handle, user_handle) = (get::<Post>(s, post)?, get::<User>(s, user)?);
            let moved = ok(s.link(User::POSTS, &user_handle, &post_handle), "move")?;
            prop_assert_eq!(moved.user_id, Some(user));
            model.posts.insert(post, Some(user));
        }
        Op::Unlink(p) => {
            let Some(post) = Model::pick(model.posts.keys().copied(), p) else {
                return Ok(());
            };
            let Some(user) = model.posts[&post] else {
                return Ok(());
            };
            let (post_handle, user_handle) = (get::<Post>(s, post)?, get::<User>(s, user)?);
            ok(s.unlink(User::POSTS, &user_handle, &post_handle), "unlink")?;
            model.posts.insert(post, None);
        }
        Op::Tag(p, t) | Op::Untag(p, t) => {
            let (Some(post), Some(tag)) = (
                Model::pick(model.posts.keys().copied(), p),
                Model::pick(model.tags.iter().copied(), t),
            ) else {
                return Ok(());
            };
            let linked = model.post_tags.contains(&(post, tag));
            let (post_handle, tag_handle) = (get::<Post>(s, post)?, get::<Tag>(s, tag)?);
            match (op, linked) {
                (Op::Tag(..), false) => {
                    ok(s.link(Post::TAGS, &post_handle, &tag_handle), "tag")?;
                    model.post_tags.insert((post, tag));
                }
                (Op::Untag(..), true) => {
                    ok(s.unlink(Post::TAGS, &post_handle, &tag_handle), "untag")?;
                    model.post_tags.remove(&(post, tag));
                }
                _ => {}
            }
        }
        Op::Replace(u, picks) => {
            let Some(user) = Model::pick(model.users.iter().copied(), u) else {
                return Ok(());
            };
            let mut chosen: Vec<i64> = picks
                .iter()
                .filter_map(|p| Model::pick(model.posts.keys().copied(), p))
                .collect();
            chosen.sort_unstable();
            chosen.dedup();
            let user_handle = get::<User>(s, user)?;
            let handles = chosen
                .iter()
                .map(|&id| get::<Post>(s, id))
                .collect::<Result<Vec<_>, _>>()?;
            ok(s.replace(User::POSTS, &user_handle, &handles), "replace")?;
            for owner in model.posts.values_mut() {
                if *owner == Some(user) {
                    *owner = None;
                }
            }
            for id in chosen {
                model.posts.insert(id, Some(user));
            }
        }
        Op::Delete(u) => {
            let Some(user) = Model::pick(model.users.iter().copied(), u) else {
                return Ok(());
            };
            ok(s.delete_by_key::<User>(user), "delete")?;
            model.users.remove(&user);
            let gone: Vec<i64> = model.posts_of(user);
            for post in &gone {
                model.posts.remove(post);
            }
            model.post_tags.retain(|(p, _)| !gone.contains(p));
        }
    }
    Ok(())
}

/// What the session's loaded collections say, loading what is not loaded:
/// the writes before must have kept them true.
fn check_session(s: &mut Session, model: &Model) -> Check {
    for &user in &model.users {
        let handle = get::<User>(s, user)?;
        let posts = ok(s.load(User::POSTS, &handle), "load posts")?;
        prop_assert_eq!(ids(&posts), model.posts_of(user), "posts of user {}", user);
    }
    for (&post, &owner) in &model.posts {
        let handle = get::<Post>(s, post)?;
        prop_assert_eq!(handle.user_id, owner, "user of post {}", post);
        let tags = ok(s.load(Post::TAGS, &handle), "load tags")?;
        prop_assert_eq!(ids(&tags), model.tags_of(post), "tags of post {}", post);
    }
    for &tag in &model.tags {
        let handle = get::<Tag>(s, tag)?;
        let posts = ok(s.load(Tag::POSTS, &handle), "load tag posts")?;
        let expected: Vec<i64> = model
            .post_tags
            .iter()
            .filter(|(_, t)| *t == tag)
            .map(|(p, _)| *p)
            .collect();
        prop_assert_eq!(ids(&posts), expected, "posts of tag {}", tag);
    }
    Ok(())
}

/// The rows in the database.
fn check_rows(s: &mut Session, model: &Model) -> Check {
    let users: BTreeSet<i64> = ok(s.query_as::<(i64,)>("SELECT id FROM users", &[]), "users")?
        .into_iter()
        .map(|(id,)| id)
        .collect();
    prop_assert_eq!(&users, &model.users);
    let posts: BTreeMap<i64, Option<i64>> = ok(
        s.query_as::<(i64, Option<i64>)>("SELECT id, user_id FROM posts", &[]),
        "posts",
    )?
    .into_iter()
    .collect();
    prop_assert_eq!(&posts, &model.posts);
    let links: BTreeSet<(i64, i64)> = ok(
        s.query_as::<(i64, i64)>("SELECT post_id, tag_id FROM post_tags", &[]),
        "post_tags",
    )?
    .into_iter()
    .collect();
    prop_assert_eq!(&links, &model.post_tags);
    Ok(())
}

/// The graph reloaded from scratch with `options`.
fn check_reload(s: &mut Session, model: &Model, option: Option<LoadOption<User, Post>>) -> Check {
    s.expunge_all();
    let query = s.query::<User>();
    let query = match option {
        Some(option) => query.options(option),
        None => query,
    };
    let users = ok(query.all(), "reload")?;
    prop_assert_eq!(ids(&users), model.users.iter().copied().collect::<Vec<_>>());
    for user in &users {
        let posts = ok(s.load(User::POSTS, user), "posts")?;
        prop_assert_eq!(ids(&posts), model.posts_of(user.id));
        for post in posts.iter() {
            let tags = ok(s.load(Post::TAGS, post), "tags")?;
            prop_assert_eq!(ids(&tags), model.tags_of(post.id));
        }
    }
    Ok(())
}

fn run(ops: &[Op]) -> Check {
    let mut s = support::engine::session();
    s.create_all(&[User::META, Post::META, Tag::META]).unwrap();
    s.set_n_plus_one_guard(eagerly::NPlusOneGuard::Off);
    let mut model = Model::default();
    for op in ops {
        apply(&mut s, &mut model, op)?;
        check_session(&mut s, &model)?;
    }
    check_rows(&mut s, &model)?;
    check_reload(&mut s, &model, None)?;
    check_reload(
        &mut s,
        &model,
        Some(joined(User::POSTS).then(joined(Post::TAGS))),
    )?;
    check_reload(
        &mut s,
        &model,
        Some(selectin(User::POSTS).then(selectin(Post::TAGS))),
    )?;
    check_reload(
        &mut s,
        &model,
        Some(bulk(User::POSTS).then(bulk(Post::TAGS))),
    )?;
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_write_sequences_match_the_model(ops in prop::collection::vec(op(), 1..8)) {
        run(&ops)?;
    }
}
