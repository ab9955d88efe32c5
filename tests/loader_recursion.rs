//! `selectin_recursive`: a self-referential relation loaded level after
//! level by one option, to a depth or until a level finds no rows
//! (SQLAlchemy's `selectinload(.., recursion_depth=n)`).

mod support;

use support::engine::is_postgres;

use eagerly::prelude::*;
use eagerly::{LoadOption, LoadState};
use support::graph::{counted, sqls};
use support::library::{category_tree, exec, library, Category};

/// The ids of each level below `root`, as far as the children are loaded,
/// and the state of the last level's children.
fn loaded_levels(root: &Handle<Category>) -> (Vec<Vec<i64>>, LoadState) {
    let mut levels = Vec::new();
    let mut level = vec![Handle::clone(root)];
    loop {
        if level.iter().any(|c| !c.children.is_loaded()) {
            return (levels, level[0].children.state());
        }
        let below: Vec<Handle<Category>> = level
            .iter()
            .flat_map(|c| c.children.get().unwrap().to_vec())
            .collect();
        if below.is_empty() {
            return (levels, LoadState::Loaded);
        }
        levels.push(below.iter().map(|c| c.id).collect());
        level = below;
    }
}

fn root_with(session: &mut Session, option: LoadOption<Category, Category>) -> Handle<Category> {
    session
        .query::<Category>()
        .filter(Category::ID.eq(1))
        .options(option)
        .one()
        .unwrap()
}

#[test]
fn until_no_rows_remain_is_one_statement_per_level() {
    let mut session = library(0);
    category_tree(&mut session, 4, 2);
    let (root, statements) = counted(&mut session, |s| {
        root_with(s, selectin_recursive(Category::CHILDREN, None))
    });
    // The root, four levels of children, and the level that found none.
    assert_eq!(statements, 1 + 5);
    let (levels, last) = loaded_levels(&root);
    assert_eq!(
        levels,
        vec![
            vec![2, 3],
            (4..=7).collect(),
            (8..=15).collect(),
            (16..=31).collect()
        ]
    );
    assert_eq!(
        last,
        LoadState::Loaded,
        "the leaves' children are loaded, empty"
    );
    let sent = sqls(&session);
    assert!(
        sent[1..]
            .iter()
            // PostgreSQL: `IN ($1)` for the one key, then `= ANY($1)`.
            .all(|sql| sql.contains(r#""parent_id" IN"#)
                || (is_postgres() && sql.contains(r#""parent_id" = ANY($1)"#))),
        "{sent:#?}"
    );
}

#[test]
fn a_depth_loads_that_many_levels() {
    for (depth, loaded) in [(1u32, 1usize), (2, 2), (3, 3), (9, 4)] {
        let mut session = library(0);
        category_tree(&mut session, 4, 2);
        let (root, statements) = counted(&mut session, |s| {
            root_with(s, selectin_recursive(Category::CHILDREN, Some(depth)))
        });
        let (levels, last) = loaded_levels(&root);
        // Past the tree's four levels the fifth finds no rows and stops it.
        let sent = if depth as usize > loaded {
            loaded + 1
        } else {
            loaded
        };
        assert_eq!(statements, 1 + sent as u64, "depth {depth}");
        assert_eq!(levels.len(), loaded, "depth {depth}");
        if depth < 4 {
            assert_eq!(
                last,
                LoadState::Unloaded,
                "depth {depth}: below it stays lazy"
            );
        }
    }
    // Depth 1 is plain selectin.
    let mut session = library(0);
    category_tree(&mut session, 4, 2);
    let (_, plain) = counted(&mut session, |s| root_with(s, selectin(Category::CHILDREN)));
    assert_eq!(plain, 2);
}

#[test]
fn a_relation_loaded_before_leads_on_to_the_levels_below() {
    let mut session = library(0);
    category_tree(&mut session, 3, 2);
    let root = root_with(&mut session, selectin(Category::CHILDREN));
    assert!(root.children.is_loaded());
    let (again, statements) = counted(&mut session, |s| {
        root_with(s, selectin_recursive(Category::CHILDREN, None))
    });
    assert!(Handle::ptr_eq(&root, &again));
    // The root's children are not loaded again; the two levels below and
    // the empty one are.
    assert_eq!(statements, 1 + 3);
    let (levels, _) = loaded_levels(&again);
    assert_eq!(levels.len(), 3);
}

#[test]
fn a_loop_in_the_data_ends_the_recursion() {
    let mut session = library(0);
    category_tree(&mut session, 2, 1);
    // 1 -> 2 -> 3, then 1's parent is 3: parents go round.
    exec(
        &mut session,
        "UPDATE categories SET parent_id = 3 WHERE id = 1",
        &[],
    )
    .unwrap();
    let (roots, statements) = counted(&mut session, |s| {
        s.query::<Category>()
            .filter(Category::ID.eq(1))
            .options(selectin_recursive(Category::PARENT, None))
            .all()
            .unwrap()
    });
    // 1's parent 3, 3's parent 2 (each a statement), 2's parent 1 from the
    // identity map; 1's parent is loaded: the loop ends there.
    assert_eq!(statements, 3);
    let parent = |c: &Handle<Category>| c.parent.get().unwrap().unwrap();
    let three = parent(&roots[0]);
    let two = parent(&three);
    assert_eq!((three.id, two.id), (3, 2));
    assert!(Handle::ptr_eq(&parent(&two), &roots[0]));

    // Children round the same loop: every level's children load once.
    session.expunge_all();
    let (roots, statements) = counted(&mut session, |s| {
        s.query::<Category>()
            .filter(Category::ID.eq(1))
            .options(selectin_recursive(Category::CHILDREN, None))
            .all()
            .unwrap()
    });
    assert_eq!(statements, 1 + 3);
    let child = |c: &Handle<Category>| c.children.get().unwrap()[0].clone();
    assert!(Handle::ptr_eq(&child(&child(&child(&roots[0]))), &roots[0]));
}

#[test]
fn options_below_apply_on_every_level() {
    let mut session = library(0);
    category_tree(&mut session, 3, 2);
    // Each level's parents come back from the identity map: no statement.
    let (root, statements) = counted(&mut session, |s| {
        root_with(
            s,
            selectin_recursive(Category::CHILDREN, None).then(selectin(Category::PARENT)),
        )
    });
    assert_eq!(statements, 1 + 4);
    let (levels, _) = loaded_levels(&root);
    assert_eq!(levels.len(), 3);
    let grandchild = root.children.get().unwrap()[0].children.get().unwrap()[0].clone();
    assert_eq!(grandchild.parent.get().unwrap().unwrap().id, 2);
}
