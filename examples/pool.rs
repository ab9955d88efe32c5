//! Sessions from an r2d2 pool: four threads take twenty sessions from a
//! pool of two PostgreSQL connections, each session writing one row that
//! names the server process it ran on.
//!
//! ```sh
//! DATABASE_URL=postgres://root@127.0.0.1:5432/test cargo run --example pool --features r2d2
//! ```
//!
//! It works in a schema of its own, `eagerly_pool_example`, dropped at the
//! end.

use std::collections::BTreeSet;

use eagerly::backend::pool::{r2d2, PostgresManager};
use eagerly::backend::postgres::tokio_postgres;
use eagerly::prelude::*;
use eagerly::Value;

#[derive(Entity, Debug)]
#[orm(table = "hits")]
pub struct Hit {
    #[orm(primary_key)]
    pub id: i64,
    pub thread: i64,
    pub pid: i64,
}

const SCHEMA: &str = "eagerly_pool_example";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("set DATABASE_URL, e.g. DATABASE_URL=postgres://root@127.0.0.1:5432/test");
        std::process::exit(2);
    };
    let mut setup = Session::connect(&url)?;
    setup.execute(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"), &[])?;
    setup.execute(&format!("CREATE SCHEMA {SCHEMA}"), &[])?;

    // Every connection of the pool works in the example's schema.
    let mut config: tokio_postgres::Config = url.parse()?;
    config.options(format!("-c search_path={SCHEMA}"));
    let pool = r2d2::Pool::builder()
        .max_size(2)
        .build(PostgresManager::from_config(config))?;
    Session::from_pool(&pool)?.create_all(&[Hit::META])?;

    let threads: Vec<_> = (0..4)
        .map(|thread| {
            let pool = pool.clone();
            std::thread::spawn(move || -> eagerly::Result<()> {
                for _ in 0..5 {
                    let mut session = Session::from_pool(&pool)?;
                    session.execute(
                        "INSERT INTO hits (thread, pid) VALUES ($1, pg_backend_pid())",
                        &[Value::Integer(thread)],
                    )?;
                }
                Ok(())
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("thread")?;
    }

    let mut session = Session::from_pool(&pool)?;
    let hits = session.query::<Hit>().all()?;
    let pids: BTreeSet<i64> = hits.iter().map(|h| h.pid).collect();
    println!(
        "{} sessions ran on {} connections (server processes {:?}); the pool holds {}",
        hits.len(),
        pids.len(),
        pids,
        pool.state().connections
    );
    drop(session);
    setup.execute(&format!("DROP SCHEMA {SCHEMA} CASCADE"), &[])?;
    Ok(())
}
