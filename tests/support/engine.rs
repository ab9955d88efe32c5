//! The engine the behaviour suite runs on: SQLite (in memory) by default,
//! PostgreSQL with `EAGERLY_ENGINE=postgres` and the feature `postgres`
//! (`EAGERLY_ENGINE=postgres cargo test --features postgres --test ...`),
//! on the server named by `EAGERLY_PG_URL` (default
//! `postgres://root@127.0.0.1:5432/test`).
//!
//! On PostgreSQL every [`session`] works in a fresh schema of its own (its
//! `search_path`), dropped when the session is, so tests run in parallel
//! and leave nothing behind. The fixtures (`library`, ...) start from here.
//!
//! Where the engines differ, tests state both through the helpers below:
//! key lists are `ceil(N / 500)` placeholder lists on SQLite and one array
//! parameter (`= ANY($1)`) per level on PostgreSQL unless a `chunk_size` is
//! set explicitly ([`in_lists`]).

#![allow(dead_code)]

use eagerly::backend::Backend;
use eagerly::Session;

/// The environment variable choosing the engine.
pub const ENGINE_VAR: &str = "EAGERLY_ENGINE";

/// Whether this run's sessions are on PostgreSQL. Asking for PostgreSQL in
/// a build without the feature `postgres` fails the test rather than
/// passing on SQLite unnoticed.
pub fn is_postgres() -> bool {
    match std::env::var(ENGINE_VAR).as_deref() {
        Ok("postgres") => {
            if !cfg!(feature = "postgres") {
                panic!("{ENGINE_VAR}=postgres needs the feature: cargo test --features postgres");
            }
            true
        }
        Ok("sqlite") | Ok("") | Err(_) => false,
        Ok(other) => panic!("{ENGINE_VAR}={other}: expected `sqlite` or `postgres`"),
    }
}

/// The engine's name, as the dialect gives it: `sqlite` or `postgres`.
pub fn name() -> &'static str {
    if is_postgres() {
        "postgres"
    } else {
        "sqlite"
    }
}

/// A fresh, empty database on this run's engine.
pub fn session() -> Session {
    Session::with_backend(backend())
}

/// The backend of a fresh, empty database on this run's engine (for
/// backends that wrap it, such as the recorder).
pub fn backend() -> Box<dyn Backend> {
    if is_postgres() {
        return pg_backend();
    }
    sqlite_backend()
}

#[cfg(feature = "sqlite")]
fn sqlite_backend() -> Box<dyn Backend> {
    Box::new(
        eagerly::backend::sqlite::SqliteBackend::new(
            rusqlite::Connection::open_in_memory().expect("in-memory database"),
        )
        .expect("SQLite backend"),
    )
}

#[cfg(feature = "postgres")]
fn pg_backend() -> Box<dyn Backend> {
    Box::new(pg::SchemaBackend::new())
}

#[cfg(not(feature = "postgres"))]
fn pg_backend() -> Box<dyn Backend> {
    unreachable!("is_postgres() is false without the feature")
}

/// Statements of a key-list load of `keys` keys at the default chunk of
/// 500: `ceil(keys / 500)` on SQLite, one (none for no keys) on PostgreSQL,
/// which binds the whole list as one array.
pub fn in_lists(keys: usize) -> u64 {
    if is_postgres() {
        u64::from(keys > 0)
    } else {
        keys.div_ceil(500) as u64
    }
}

/// [`in_lists`] for a key of `columns` columns: a composite key keeps
/// row-value lists (`("a", "b") IN (($1, $2), ...)`) chunked by 500 on
/// PostgreSQL too.
pub fn in_lists_of(keys: usize, columns: usize) -> u64 {
    if columns > 1 {
        keys.div_ceil(500) as u64
    } else {
        in_lists(keys)
    }
}

/// Statements of a key-list load of `keys` keys with an explicit
/// `chunk_size` of `chunk`: `ceil(keys / chunk)` on both engines.
pub fn chunked(keys: usize, chunk: usize) -> u64 {
    keys.div_ceil(chunk) as u64
}

/// `sqlite` on SQLite, `postgres` on PostgreSQL: for expectations that
/// differ (error texts, parameter counts).
pub fn either<T>(sqlite: T, postgres: T) -> T {
    if is_postgres() {
        postgres
    } else {
        sqlite
    }
}

#[cfg(feature = "postgres")]
mod pg {
    use std::sync::atomic::{AtomicU32, Ordering};

    use eagerly::backend::postgres::{postgres, PostgresBackend};
    use eagerly::backend::{Backend, Row};
    use eagerly::Value;

    /// The server's URL.
    pub fn url() -> String {
        match std::env::var("EAGERLY_PG_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => "postgres://root@127.0.0.1:5432/test".to_owned(),
        }
    }

    /// A PostgreSQL connection working in a schema of its own, which it
    /// drops (over a second connection) when it is dropped.
    pub struct SchemaBackend {
        inner: Option<PostgresBackend>,
        url: String,
        schema: String,
    }

    impl SchemaBackend {
        pub fn new() -> SchemaBackend {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let schema = format!(
                "eagerly_suite_{}_{}_{}",
                std::process::id(),
                nanos,
                NEXT.fetch_add(1, Ordering::Relaxed)
            );
            let url = url();
            let mut inner = PostgresBackend::connect(&url)
                .unwrap_or_else(|e| panic!("EAGERLY_ENGINE=postgres: connect to {url}: {e}"));
            inner
                .execute(&format!("CREATE SCHEMA \"{schema}\""), &[])
                .expect("create the test's schema");
            inner
                .execute(&format!("SET search_path TO \"{schema}\""), &[])
                .expect("use the test's schema");
            SchemaBackend {
                inner: Some(inner),
                url,
                schema,
            }
        }

        fn inner(&mut self) -> &mut PostgresBackend {
            self.inner.as_mut().expect("backend")
        }
    }

    impl Backend for SchemaBackend {
        fn dialect(&self) -> &'static dyn eagerly::Dialect {
            self.inner.as_ref().expect("backend").dialect()
        }

        fn execute(&mut self, sql: &str, params: &[Value]) -> eagerly::Result<u64> {
            self.inner().execute(sql, params)
        }

        fn query(
            &mut self,
            sql: &str,
            params: &[Value],
            on_row: &mut dyn FnMut(&dyn Row) -> eagerly::Result<()>,
        ) -> eagerly::Result<()> {
            self.inner().query(sql, params, on_row)
        }

        fn last_insert_id(&self) -> i64 {
            self.inner.as_ref().expect("backend").last_insert_id()
        }

        fn transaction_open(&self) -> bool {
            self.inner.as_ref().expect("backend").transaction_open()
        }

        // Pipelined as the backend pipelines, so the suite's loads on the
        // server go in the round trips a program's would.
        fn query_batch(
            &mut self,
            statements: &[(&str, &[Value])],
            on_row: &mut dyn FnMut(usize, &dyn Row) -> eagerly::Result<()>,
        ) -> eagerly::Result<()> {
            self.inner().query_batch(statements, on_row)
        }

        fn pipelines(&self) -> bool {
            self.inner.as_ref().expect("backend").pipelines()
        }
    }

    impl Drop for SchemaBackend {
        fn drop(&mut self) {
            // The test's connection first: a transaction it left open would
            // hold locks the DROP waits for.
            drop(self.inner.take());
            if let Ok(mut client) = postgres::Client::connect(&self.url, postgres::NoTls) {
                let _ = client.batch_execute(&format!("DROP SCHEMA \"{}\" CASCADE", self.schema));
            }
        }
    }
}

/// Stops enforcing foreign keys on `session`'s connection, so a test can
/// write dangling keys: `PRAGMA foreign_keys = OFF` on SQLite,
/// `SET session_replication_role = replica` (no constraint triggers; the
/// test server's user is a superuser) on PostgreSQL.
pub fn foreign_keys_off(session: &mut Session) {
    let sql = either(
        "PRAGMA foreign_keys = OFF",
        "SET session_replication_role = replica",
    );
    session.execute(sql, &[]).expect("foreign keys off");
}

/// `sql` written with `?` placeholders as this engine's dialect writes it:
/// as is on SQLite, numbered `$1, $2, ...` on PostgreSQL.
pub fn numbered(sql: &str) -> String {
    if !is_postgres() {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether the test must stop here because it runs on PostgreSQL but only
/// holds on SQLite (`why` is printed past the harness's capture, so the
/// skip is seen): `if sqlite_only("...") { return; }`.
pub fn sqlite_only(why: &str) -> bool {
    if !is_postgres() {
        return false;
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SQLite only, skipped on PostgreSQL: {why}"
    );
    true
}

/// `sql` with PostgreSQL's numbered placeholders (`$1`, `$2`, ...) written
/// as SQLite's `?`, so one expected text serves both engines (the numbering
/// itself is checked by the dialect's tests). SQLite's SQL is unchanged.
pub fn unnumbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}
