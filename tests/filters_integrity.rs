//! Filters at any size and with NULL: `in_`/`not_in` with 100 000 values in
//! one statement and one parameter, `None` in a list, filters nested far
//! deeper than SQLite allows (refused before anything is sent, never a stack
//! overflow), and `limit(0)` on every way to run a query.

mod support;

use eagerly::prelude::*;
use eagerly::Value;
use support::recorder::recording_session;

#[derive(Entity, Debug)]
#[orm(table = "owners")]
pub struct Owner {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "owner_id", order_by = "id")]
    pub items: Many<Item>,
}

#[derive(Entity, Debug)]
#[orm(table = "items")]
pub struct Item {
    #[orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    pub rank: Option<i64>,
    #[relationship(foreign_key = "owner_id")]
    pub owner: One<Owner>,
}

/// `n` items (ids 1..=n) spread over 10 owners; rank is NULL for every
/// tenth item and `id % 7` otherwise. Written by SQLite itself.
fn many_items(session: &mut Session, n: i64) {
    session.create_all(&[Owner::META, Item::META]).unwrap();
    session
        .execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10) \
             INSERT INTO owners (id, name) SELECT x, 'owner ' || x FROM c",
            &[],
        )
        .unwrap();
    session
        .execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) \
             INSERT INTO items (id, owner_id, rank) \
             SELECT x, 1 + x % 10, CASE WHEN x % 10 = 0 THEN NULL ELSE x % 7 END FROM c",
            &[Value::Integer(n)],
        )
        .unwrap();
    session.reset_statements();
}

/// Five items of owner 1 with ranks 1, NULL, 2, NULL, 3.
fn five_items() -> Session {
    let mut s = Session::in_memory().unwrap();
    s.create_all(&[Owner::META, Item::META]).unwrap();
    s.execute("INSERT INTO owners (id, name) VALUES (1, 'Ann')", &[])
        .unwrap();
    s.execute(
        "INSERT INTO items (id, owner_id, rank) VALUES \
         (1, 1, 1), (2, 1, NULL), (3, 1, 2), (4, 1, NULL), (5, 1, 3)",
        &[],
    )
    .unwrap();
    s.reset_statements();
    s
}

fn ids(items: &[Handle<Item>]) -> Vec<i64> {
    items.iter().map(|i| i.id).collect()
}

/// Runs `filter` ordered by id: the ids found, and the SQL and parameter
/// count of the one statement sent.
fn run(s: &mut Session, filter: Filter<Item>) -> (Vec<i64>, String, usize) {
    s.reset_statements();
    let found = s
        .query::<Item>()
        .filter(filter)
        .order_by(Item::ID)
        .all()
        .unwrap();
    assert_eq!(s.statement_count(), 1);
    let logged = s.statements()[0].clone();
    (ids(&found), logged.sql, logged.params)
}

const BIG: i64 = 100_000;

// ----- lists of 100 000 values --------------------------------------------------

#[test]
fn in_with_100_000_values_is_one_statement_with_one_parameter() {
    let (mut s, queries) = recording_session();
    many_items(&mut s, 120_000);
    // Odd ids up to 199 999: 100 000 values, 60 000 of them present.
    let wanted = || (0..BIG).map(|i| 2 * i + 1);
    let found = s
        .query::<Item>()
        .filter(Item::ID.in_(wanted()))
        .order_by(Item::ID)
        .all()
        .unwrap();
    assert_eq!(found.len(), 60_000);
    assert!(found.iter().all(|i| i.id % 2 == 1 && i.id <= 120_000));
    assert_eq!(found[0].id, 1);
    assert_eq!(found[59_999].id, 119_999);

    assert_eq!(s.statement_count(), 1);
    let logged = &s.statements()[0];
    assert_eq!(logged.params, 1);
    assert!(logged.sql.contains("\"id\" IN rarray(?)"), "{}", logged.sql);
    assert_eq!(logged.sql.matches('?').count(), 1);
    // The one parameter is the whole list.
    {
        let queries = queries.lock().unwrap();
        let (_, params) = queries.last().unwrap();
        match params.as_slice() {
            [Value::List(values)] => {
                assert_eq!(values.len(), BIG as usize);
                assert_eq!(values[0], Value::Integer(1));
                assert_eq!(values[BIG as usize - 1], Value::Integer(199_999));
            }
            other => panic!("expected one list parameter, got {} values", other.len()),
        }
    }

    // count, first and one bind it the same way.
    s.reset_statements();
    assert_eq!(
        s.query::<Item>()
            .filter(Item::ID.in_(wanted()))
            .count()
            .unwrap(),
        60_000
    );
    let first = s
        .query::<Item>()
        .filter(Item::ID.in_(wanted()))
        .order_by(Item::ID.desc())
        .first()
        .unwrap()
        .unwrap();
    assert_eq!(first.id, 119_999);
    let one = s
        .query::<Item>()
        .filter(Item::ID.in_((0..BIG).map(|i| 200_000 + i).chain([7])))
        .one()
        .unwrap();
    assert_eq!(one.id, 7);
    assert_eq!(s.statement_count(), 3);
    assert!(s.statements().iter().all(|st| st.params <= 2), "{:?}", {
        s.statements()
            .iter()
            .map(|st| st.params)
            .collect::<Vec<_>>()
    });
}

#[test]
fn not_in_with_100_000_values() {
    let mut s = Session::in_memory().unwrap();
    many_items(&mut s, 120_000);
    let found = s
        .query::<Item>()
        .filter(Item::ID.not_in(1..=BIG))
        .order_by(Item::ID)
        .all()
        .unwrap();
    assert_eq!(ids(&found), (BIG + 1..=120_000).collect::<Vec<_>>());
    assert_eq!(s.statement_count(), 1);
    assert_eq!(s.statements()[0].params, 1);
    assert!(s.statements()[0].sql.contains("\"id\" NOT IN rarray(?)"));

    // On a nullable column, NULL rows are not matched by NOT IN (SQL).
    let n = s
        .query::<Item>()
        .filter(Item::RANK.not_in((1..=BIG).map(Some)))
        .count()
        .unwrap();
    // Only rank 0 is outside the list: multiples of 7 that are not of 10.
    let expected = (1..=120_000i64)
        .filter(|x| x % 7 == 0 && x % 10 != 0)
        .count();
    assert_eq!(n, expected as u64);
    assert_eq!(s.statements()[1].params, 1);
}

#[test]
fn lists_either_side_of_the_inline_size_agree() {
    let mut s = Session::in_memory().unwrap();
    many_items(&mut s, 200);
    for len in [1usize, 31, 32, 33, 34, 500] {
        let values: Vec<i64> = (0..len as i64).map(|i| 3 * i).collect();
        let expected: Vec<i64> = values
            .iter()
            .copied()
            .filter(|v| (1..=200).contains(v))
            .collect();
        let (found, sql, params) = run(&mut s, Item::ID.in_(values.clone()));
        assert_eq!(found, expected, "in_ of {len}");
        let array = len > 32;
        assert_eq!(sql.contains("rarray(?)"), array, "{sql}");
        assert_eq!(params, if array { 1 } else { len });

        let (found, _, params) = run(&mut s, Item::ID.not_in(values));
        let expected: Vec<i64> = (1..=200)
            .filter(|v| !(v % 3 == 0 && *v < 3 * len as i64))
            .collect();
        assert_eq!(found, expected, "not_in of {len}");
        assert_eq!(params, if array { 1 } else { len });
    }
    // Text lists bind as arrays too, with quotes and NULs intact.
    let mut texts: Vec<String> = (0..40).map(|i| format!("owner {i}")).collect();
    texts.push("x' OR '1'='1".into());
    texts.push("\0".into());
    let owners = s
        .query::<Owner>()
        .filter(Owner::NAME.in_(&texts))
        .order_by(Owner::ID)
        .all()
        .unwrap();
    assert_eq!(owners.len(), 10);
    assert!(s.statements().last().unwrap().sql.contains("rarray(?)"));
}

#[test]
fn a_nan_in_a_long_list_is_refused() {
    #[derive(Entity, Debug)]
    #[orm(table = "measures")]
    pub struct Measure {
        #[orm(primary_key)]
        pub id: i64,
        pub value: f64,
    }
    let mut s = Session::in_memory().unwrap();
    s.create_all(&[Measure::META]).unwrap();
    let mut values: Vec<f64> = (0..100).map(f64::from).collect();
    values.push(f64::NAN);
    let error = s
        .query::<Measure>()
        .filter(Measure::VALUE.in_(values))
        .all()
        .unwrap_err();
    assert!(error.to_string().contains("NaN"), "{error}");
    // The session goes on.
    assert_eq!(s.query::<Measure>().count().unwrap(), 0);
}

// ----- None in a list -------------------------------------------------------------

#[test]
fn none_in_in_matches_null_rows() {
    let mut s = five_items();
    let (found, sql, params) = run(&mut s, Item::RANK.in_([Some(1), None]));
    assert_eq!(found, [1, 2, 4]);
    assert!(
        sql.contains("(\"rank\" IN (?) OR \"rank\" IS NULL)"),
        "{sql}"
    );
    assert_eq!(params, 1);

    // Only None: exactly eq(None).
    let (found, sql, params) = run(&mut s, Item::RANK.in_([None::<i64>]));
    assert_eq!(found, [2, 4]);
    assert!(sql.contains("\"rank\" IS NULL"), "{sql}");
    assert_eq!(params, 0);
    let (eq_none, _, _) = run(&mut s, Item::RANK.eq(None));
    assert_eq!(found, eq_none);

    // Without None, NULL rows are not matched; several Nones count once.
    let (found, _, _) = run(&mut s, Item::RANK.in_([Some(1), Some(9)]));
    assert_eq!(found, [1]);
    let (found, _, params) = run(&mut s, Item::RANK.in_([None, Some(3), None]));
    assert_eq!(found, [2, 4, 5]);
    assert_eq!(params, 1);

    // A long list with None: one array parameter, NULL rows included.
    let (found, sql, params) = run(
        &mut s,
        Item::RANK.in_((2..=BIG + 1).map(Some).chain([None])),
    );
    assert_eq!(found, [2, 3, 4, 5]);
    assert!(
        sql.contains("(\"rank\" IN rarray(?) OR \"rank\" IS NULL)"),
        "{sql}"
    );
    assert_eq!(params, 1);
}

#[test]
fn none_in_not_in_excludes_null_rows_and_nothing_else() {
    let mut s = five_items();
    let (found, sql, params) = run(&mut s, Item::RANK.not_in([Some(1), None]));
    assert_eq!(found, [3, 5], "not 1 and not NULL");
    assert!(
        sql.contains("(\"rank\" NOT IN (?) AND \"rank\" IS NOT NULL)"),
        "{sql}"
    );
    assert_eq!(params, 1);

    // Only None: every non-NULL row.
    let (found, sql, params) = run(&mut s, Item::RANK.not_in([None::<i64>]));
    assert_eq!(found, [1, 3, 5]);
    assert!(sql.contains("\"rank\" IS NOT NULL"), "{sql}");
    assert_eq!(params, 0);

    // Without None: SQL semantics, a NULL row is not matched by NOT IN.
    let (found, _, _) = run(&mut s, Item::RANK.not_in([Some(1)]));
    assert_eq!(found, [3, 5]);
    // ... unless asked for.
    let (found, _, _) = run(&mut s, Item::RANK.not_in([Some(1)]) | Item::RANK.is_null());
    assert_eq!(found, [2, 3, 4, 5]);

    // NOT of an IN with None is NOT IN with None.
    let (found, _, _) = run(&mut s, !Item::RANK.in_([Some(1), None]));
    assert_eq!(found, [3, 5]);

    // A long list with None: one array parameter.
    let (found, sql, params) = run(
        &mut s,
        Item::RANK.not_in((2..=BIG + 1).map(Some).chain([None])),
    );
    assert_eq!(found, [1]);
    assert!(
        sql.contains("(\"rank\" NOT IN rarray(?) AND \"rank\" IS NOT NULL)"),
        "{sql}"
    );
    assert_eq!(params, 1);

    // Empty lists keep their meaning: in_ matches nothing, not_in every
    // row, NULL rows included.
    let (found, _, params) = run(&mut s, Item::RANK.in_(Vec::<Option<i64>>::new()));
    assert!(found.is_empty());
    assert_eq!(params, 0);
    let (found, _, params) = run(&mut s, Item::RANK.not_in(Vec::<Option<i64>>::new()));
    assert_eq!(found, [1, 2, 3, 4, 5]);
    assert_eq!(params, 0);
}

#[test]
fn lists_mixed_with_other_filters() {
    let mut s = five_items();
    let (found, _, params) = run(&mut s, Item::RANK.in_([Some(2), None]) & Item::ID.gt(2));
    assert_eq!(found, [3, 4]);
    assert_eq!(params, 2);
    let (found, _, _) = run(&mut s, Item::RANK.not_in([Some(2), None]) | Item::ID.eq(4));
    assert_eq!(found, [1, 4, 5]);
    let (found, _, params) = run(
        &mut s,
        (Item::ID.in_(1..=BIG) & Item::RANK.not_in([None::<i64>])) | Item::ID.eq(2),
    );
    assert_eq!(found, [1, 2, 3, 5]);
    assert_eq!(params, 2);
    let (found, _, _) = run(&mut s, !(Item::ID.not_in(3..=BIG) | Item::RANK.is_null()));
    assert_eq!(found, [3, 5]);

    // Several filter calls, order, paging and a joined relation around a
    // long list: still one statement, the list one parameter.
    let mut s = Session::in_memory().unwrap();
    many_items(&mut s, 120_000);
    let found = s
        .query::<Item>()
        .options(joined(Item::OWNER))
        .filter(Item::ID.not_in(1..=BIG))
        .filter(Item::RANK.in_([Some(0), None]))
        .order_by(Item::ID.desc())
        .limit(3)
        .offset(1)
        .all()
        .unwrap();
    // Ids above 100 000 with rank 0 (multiple of 7) or NULL (multiple of 10),
    // newest first, skipping the first.
    let expected: Vec<i64> = (BIG + 1..=120_000)
        .rev()
        .filter(|x| x % 7 == 0 || x % 10 == 0)
        .skip(1)
        .take(3)
        .collect();
    assert_eq!(ids(&found), expected);
    assert!(found
        .iter()
        .all(|i| i.owner.get().unwrap().unwrap().id == 1 + i.id % 10));
    assert_eq!(s.statement_count(), 1);
    // The list, the one value of the short list, LIMIT and OFFSET.
    assert_eq!(s.statements()[0].params, 4);
}

// ----- depth ----------------------------------------------------------------------

const DEEP: usize = 1_000_000;

fn misuse(result: eagerly::Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(Error::Misuse(message)) => message,
        other => panic!("expected Misuse, got {other:?}"),
    }
}

/// Runs `filter` four ways (all, first, one, count); each must be refused
/// with a message naming the depth and the limit, and nothing sent.
fn refused_everywhere(s: &mut Session, filter: &Filter<Item>, depth: &str, limit: &str) {
    s.reset_statements();
    let messages = [
        misuse(s.query::<Item>().filter(filter.clone()).all()),
        misuse(s.query::<Item>().filter(filter.clone()).first()),
        misuse(s.query::<Item>().filter(filter.clone()).one()),
        misuse(s.query::<Item>().filter(filter.clone()).count()),
        misuse(
            s.query::<Item>()
                .options(joined(Item::OWNER))
                .filter(filter.clone())
                .limit(3)
                .all(),
        ),
    ];
    for message in messages {
        names(&message, depth, limit);
    }
    assert_eq!(s.statement_count(), 0, "nothing is sent");
}

/// Asserts that `message` names the depth and the limit.
fn names(message: &str, depth: &str, limit: &str) {
    assert!(message.contains("nested too deeply"), "{message}");
    assert!(message.contains(depth), "{message}");
    assert!(message.contains(limit), "{message}");
}

#[test]
fn a_1_000_000_deep_filter_is_an_error_and_drops_fine() {
    // Runs on the test's own thread, with its default (small) stack: nothing
    // in building, checking, cloning, formatting or dropping may recurse.
    // (`a_filter_just_under_the_limit_runs_against_sqlite` runs every shape
    // through every way to run a query; here each way gets one shape, as a
    // million-deep clone takes a while in a debug build.)
    let mut s = five_items();
    let limit = "limit of 1000";

    let mut nots = Item::ID.eq(1);
    for _ in 0..DEEP {
        nots = nots.not();
    }
    let all = misuse(s.query::<Item>().filter(nots.clone()).all());
    names(&all, "1000002 levels", limit);
    // Its SQL can still be looked at.
    let debug = format!("{nots:?}");
    assert!(debug.len() > 6 * DEEP, "{}", debug.len());
    assert!(debug.contains("NOT (NOT (\\\"id\\\" = ?))"));
    let joined_count = s
        .query::<Item>()
        .options(joined(Item::OWNER))
        .filter(nots)
        .limit(2)
        .count();
    names(&misuse(joined_count), "1000002 levels", limit);

    // Alternating and/or, nested on the left (each group inside the next).
    let mut left = Item::ID.eq(1);
    for i in 0..DEEP {
        left = if i % 2 == 0 {
            left.or(Item::ID.eq(2))
        } else {
            left.and(Item::ID.gt(0))
        };
    }
    let first = misuse(s.query::<Item>().filter(left).first());
    names(&first, "1000002 levels", limit);

    // And on the right.
    let mut right = Item::ID.eq(1);
    for i in 0..DEEP {
        right = if i % 2 == 0 {
            Item::ID.eq(2).or(right)
        } else {
            Item::ID.gt(0).and(right)
        };
    }
    let one = misuse(s.query::<Item>().filter(right).one());
    names(&one, "1000002 levels", limit);

    // A flat chain a million terms long is as deep for SQLite (it parses
    // left-deep).
    let mut flat = Item::ID.eq(0);
    for i in 1..DEEP as i64 {
        flat = flat | Item::ID.eq(i);
    }
    let count = misuse(s.query::<Item>().filter(flat).count());
    names(&count, "1000001 levels", limit);

    // Dropped (inside the queries above) without a stack overflow, nothing
    // was sent, and the session is fine.
    assert_eq!(s.statement_count(), 0);
    assert_eq!(s.query::<Item>().count().unwrap(), 5);
}

/// `filter` under `n` NOTs.
fn nots(mut filter: Filter<Item>, n: usize) -> Filter<Item> {
    for _ in 0..n {
        filter = !filter;
    }
    filter
}

/// The ids `filter` finds in each way to run it; all must agree.
fn found_everywhere(s: &mut Session, filter: &Filter<Item>) -> Vec<i64> {
    let plain = ids(&s
        .query::<Item>()
        .filter(filter.clone())
        .order_by(Item::ID)
        .all()
        .unwrap());
    let joined_rows = ids(&s
        .query::<Item>()
        .options(joined(Item::OWNER))
        .filter(filter.clone())
        .order_by(Item::ID)
        .limit(100)
        .all()
        .unwrap());
    assert_eq!(joined_rows, plain);
    let count = s.query::<Item>().filter(filter.clone()).count().unwrap();
    assert_eq!(count, plain.len() as u64);
    let paged = s
        .query::<Item>()
        .filter(filter.clone())
        .limit(100)
        .count()
        .unwrap();
    assert_eq!(paged, count);
    let first = s
        .query::<Item>()
        .filter(filter.clone())
        .order_by(Item::ID)
        .first()
        .unwrap();
    assert_eq!(first.map(|i| i.id), plain.first().copied());
    plain
}

#[test]
fn a_filter_just_under_the_limit_runs_against_sqlite() {
    let mut s = five_items();

    // `"id" = ?` is 2 deep and each NOT adds one: 998 NOTs make 1 000.
    let at_limit = nots(Item::ID.eq(1), 998);
    assert_eq!(found_everywhere(&mut s, &at_limit), [1]);
    let over = nots(Item::ID.eq(1), 999);
    refused_everywhere(&mut s, &over, "1001 levels", "limit of 1000");

    // Alternating and/or, nested on the left.
    let mut left = Item::ID.eq(1);
    for i in 0..998 {
        left = if i % 2 == 0 {
            left.or(Item::ID.eq(2))
        } else {
            left.and(Item::ID.gt(0))
        };
    }
    assert_eq!(found_everywhere(&mut s, &left), [1, 2]);
    refused_everywhere(
        &mut s,
        &left.or(Item::ID.eq(3)),
        "1001 levels",
        "limit of 1000",
    );

    // A flat chain of 999 terms.
    let mut flat = Item::ID.eq(0);
    for i in 1..999 {
        flat = flat | Item::ID.eq(i);
    }
    assert_eq!(found_everywhere(&mut s, &flat), [1, 2, 3, 4, 5]);
    refused_everywhere(
        &mut s,
        &(flat | Item::ID.eq(999)),
        "1001 levels",
        "limit of 1000",
    );

    // Lists at the bottom: `rarray` adds a subquery's depth, NULL an OR.
    let big = || Item::ID.in_((1..=BIG).filter(|x| x % 2 == 1));
    assert_eq!(found_everywhere(&mut s, &nots(big(), 996)), [1, 3, 5]);
    assert_eq!(found_everywhere(&mut s, &nots(big(), 997)), [2, 4]);
    refused_everywhere(&mut s, &nots(big(), 998), "1001 levels", "limit of 1000");
    let with_null = || Item::RANK.not_in((2..=BIG).map(Some).chain([None]));
    assert_eq!(found_everywhere(&mut s, &nots(with_null(), 994)), [1]);
    assert_eq!(
        found_everywhere(&mut s, &nots(with_null(), 995)),
        [2, 3, 4, 5]
    );
    refused_everywhere(
        &mut s,
        &nots(with_null(), 996),
        "1001 levels",
        "limit of 1000",
    );

    // Nested on the right, each level keeps the left side and the operator
    // on SQLite's parser stack: 800 levels parse, 900 do not, and that is
    // refused too, naming the parser's limit, before anything is sent.
    let right = |levels: usize| {
        let mut right = Item::ID.eq(1);
        for i in 0..levels {
            right = if i % 2 == 0 {
                Item::ID.eq(2).or(right)
            } else {
                Item::ID.gt(0).and(right)
            };
        }
        right
    };
    assert_eq!(found_everywhere(&mut s, &right(800)), [1, 2]);
    refused_everywhere(&mut s, &right(900), "parser stack", "limit of 2500");
}

#[test]
fn a_dynamic_relation_query_counts_its_own_condition() {
    // The relation's condition is ANDed with the user's filter: one level
    // more than the filter alone.
    #[derive(Entity, Debug)]
    #[orm(table = "owners")]
    pub struct Holder {
        #[orm(primary_key)]
        pub id: i64,
        pub name: String,
        #[relationship(foreign_key = "owner_id")]
        pub items: eagerly::Dynamic<Item>,
    }
    let mut s = five_items();
    let holder = s.query::<Holder>().one().unwrap();
    s.reset_statements();
    let found = s
        .dynamic(Holder::ITEMS, &holder)
        .filter(nots(Item::ID.eq(1), 997))
        .all()
        .unwrap();
    assert_eq!(ids(&found), [2, 3, 4, 5]);
    let message = misuse(
        s.dynamic(Holder::ITEMS, &holder)
            .filter(nots(Item::ID.eq(1), 998))
            .all(),
    );
    assert!(message.contains("1001 levels"), "{message}");
    assert_eq!(s.statement_count(), 1);
}

// ----- limit(0) -------------------------------------------------------------------

#[test]
fn limit_zero_returns_no_rows_everywhere() {
    let mut s = five_items();
    fn query(s: &mut Session, joined_option: bool) -> eagerly::Query<Item, &mut Session> {
        let q = s.query::<Item>().order_by(Item::ID).limit(0);
        if joined_option {
            q.options(joined(Item::OWNER))
        } else {
            q
        }
    }
    for joined_option in [false, true] {
        assert!(
            query(&mut s, joined_option).all().unwrap().is_empty(),
            "{joined_option}"
        );
        assert!(
            query(&mut s, joined_option).first().unwrap().is_none(),
            "{joined_option}"
        );
        match query(&mut s, joined_option).one() {
            Err(Error::NotFound { table }) => assert_eq!(table, "items"),
            other => panic!("expected NotFound, got {other:?}"),
        }
        assert_eq!(query(&mut s, joined_option).count().unwrap(), 0);
        assert_eq!(query(&mut s, joined_option).offset(2).count().unwrap(), 0);
        assert!(query(&mut s, joined_option)
            .offset(2)
            .first()
            .unwrap()
            .is_none());
        assert!(query(&mut s, joined_option)
            .filter(Item::ID.in_(1..=BIG))
            .all()
            .unwrap()
            .is_empty());
    }
    // A joined collection (the wrapped form that de-duplicates parents).
    assert!(s
        .query::<Owner>()
        .options(joined(Owner::ITEMS))
        .limit(0)
        .all()
        .unwrap()
        .is_empty());
    assert!(s
        .query::<Owner>()
        .options(joined(Owner::ITEMS))
        .limit(0)
        .first()
        .unwrap()
        .is_none());
    assert!(matches!(
        s.query::<Owner>()
            .options(joined(Owner::ITEMS))
            .limit(0)
            .one(),
        Err(Error::NotFound { table: "owners" })
    ));
    assert!(s
        .query::<Owner>()
        .options(selectin(Owner::ITEMS))
        .limit(0)
        .all()
        .unwrap()
        .is_empty());
    assert_eq!(s.identity_map_len(), 0, "no object was built");

    // Other limits are unchanged: first takes one row, within the limit.
    let first = s
        .query::<Item>()
        .order_by(Item::ID)
        .limit(5)
        .first()
        .unwrap();
    assert_eq!(first.unwrap().id, 1);
    let owner = s
        .query::<Owner>()
        .options(joined(Owner::ITEMS))
        .limit(1)
        .one()
        .unwrap();
    assert_eq!(owner.items.get().unwrap().len(), 5);
}
