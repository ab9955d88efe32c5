//! Sessions on connections from an r2d2 pool (feature `r2d2`): threads
//! share a pool, connections are reused with their prepared statements,
//! and one given back inside a transaction is not.

use std::collections::BTreeSet;

use crate::support::graph::sqls;
use crate::support::pg;
use eagerly::backend::pool::{r2d2, PostgresManager};
use eagerly::backend::postgres::tokio_postgres;
use eagerly::prelude::*;
use eagerly::Value;

#[derive(Entity, Debug)]
#[orm(table = "visits")]
pub struct Visit {
    #[orm(primary_key)]
    pub id: i64,
    pub thread: i64,
    pub pid: i64,
    /// Statements prepared on the connection when the visit was written.
    pub prepared: i64,
}

/// A pool of at most `size` connections working in the test's schema,
/// which holds the `visits` table.
fn pool(pg: &mut pg::PgSession, size: u32) -> r2d2::Pool<PostgresManager> {
    pg.create_all(&[Visit::META]).unwrap();
    let url = std::env::var(pg::URL_VAR).unwrap();
    let mut config: tokio_postgres::Config = url.parse().unwrap();
    config.options(format!("-c search_path={}", pg.schema()));
    r2d2::Pool::builder()
        .max_size(size)
        .build(PostgresManager::from_config(config))
        .unwrap()
}

/// Writes a visit naming the server process and how many statements it
/// has prepared (this one included).
const VISIT: &str = "INSERT INTO visits (thread, pid, prepared) \
     SELECT $1, pg_backend_pid(), (SELECT count(*) FROM pg_prepared_statements)";

#[test]
fn threads_share_a_pool_and_its_connections_are_reused() {
    let Some(mut pg) = pg::session("threads_share_a_pool_and_its_connections_are_reused") else {
        return;
    };
    let pool = pool(&mut pg, 2);
    let threads: Vec<_> = (0..4)
        .map(|thread| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    let mut session = Session::from_pool(&pool).unwrap();
                    session
                        .transaction(|s| {
                            s.execute(VISIT, &[Value::Integer(thread)])?;
                            s.query::<Visit>().count()
                        })
                        .unwrap();
                    // Each session counts its own statements only.
                    assert_eq!(session.statement_count(), 4);
                    assert!(!session.in_transaction());
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let visits = pg.query::<Visit>().all().unwrap();
    assert_eq!(visits.len(), 20);
    for thread in 0..4 {
        assert_eq!(visits.iter().filter(|v| v.thread == thread).count(), 5);
    }
    // Twenty sessions on at most two server processes: reused.
    let pids: BTreeSet<i64> = visits.iter().map(|v| v.pid).collect();
    assert!((1..=2).contains(&pids.len()), "{pids:?}");
    assert!(pool.state().connections <= 2);
    pg::say(&format!(
        "pool: 20 sessions from 4 threads ran on {} connections",
        pids.len()
    ));
}

#[test]
fn a_connection_keeps_its_prepared_statements_for_the_next_session() {
    let Some(mut pg) =
        pg::session("a_connection_keeps_its_prepared_statements_for_the_next_session")
    else {
        return;
    };
    let pool = pool(&mut pg, 1);
    {
        let mut first = Session::from_pool(&pool).unwrap();
        assert_eq!(first.query::<Visit>().count().unwrap(), 0);
        first.execute(VISIT, &[Value::Integer(1)]).unwrap();
    }
    let mut second = Session::from_pool(&pool).unwrap();
    second.execute(VISIT, &[Value::Integer(2)]).unwrap();
    let visits = second.query::<Visit>().all().unwrap();
    let seen: Vec<(i64, i64)> = visits.iter().map(|v| (v.thread, v.prepared)).collect();
    // The second session's VISIT found both statements of the first still
    // prepared: nothing was prepared again.
    assert_eq!(seen, [(1, 2), (2, 2)]);
    assert_eq!(visits[0].pid, visits[1].pid);
}

#[test]
fn a_connection_given_back_inside_a_transaction_is_not_reused() {
    let Some(mut pg) = pg::session("a_connection_given_back_inside_a_transaction_is_not_reused")
    else {
        return;
    };
    let pool = pool(&mut pg, 1);
    {
        let mut left_open = Session::from_pool(&pool).unwrap();
        left_open.begin().unwrap();
        left_open.execute(VISIT, &[Value::Integer(1)]).unwrap();
        // Dropped without commit or rollback.
    }
    let mut next = Session::from_pool(&pool).unwrap();
    assert!(!next.in_transaction());
    next.execute(VISIT, &[Value::Integer(2)]).unwrap();
    // The open transaction's write is gone with its connection; the visit
    // of the next session is on a new one, with only its own statement.
    let visits = next.query::<Visit>().all().unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!((visits[0].thread, visits[0].prepared), (2, 1));
    assert_eq!(
        sqls(&next),
        [
            VISIT,
            "SELECT \"id\", \"thread\", \"pid\", \"prepared\" FROM \"visits\""
        ]
    );
}

#[test]
fn a_pool_without_a_free_connection_is_an_error_in_time() {
    let Some(mut pg) = pg::session("a_pool_without_a_free_connection_is_an_error_in_time") else {
        return;
    };
    let pool = {
        let url = std::env::var(pg::URL_VAR).unwrap();
        pg.create_all(&[Visit::META]).unwrap();
        r2d2::Pool::builder()
            .max_size(1)
            .connection_timeout(std::time::Duration::from_millis(200))
            .build(PostgresManager::new(&url).unwrap())
            .unwrap()
    };
    let held = Session::from_pool(&pool).unwrap();
    match Session::from_pool(&pool) {
        Err(Error::Database(db)) => {
            assert_eq!(db.kind(), eagerly::DatabaseErrorKind::Other);
            assert!(
                db.message().starts_with("no connection from the pool"),
                "{}",
                db.message()
            );
        }
        other => panic!("expected a pool timeout, got {other:?}"),
    }
    drop(held);
    assert!(Session::from_pool(&pool).is_ok());
    // An unreadable URL is refused when the manager is made.
    assert!(matches!(
        PostgresManager::new("postgres://root@127.0.0.1:notaport/test"),
        Err(Error::Database(_))
    ));
}
