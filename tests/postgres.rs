//! PostgreSQL on a real server: the dialect, the backend and the loaders,
//! with exact statement counts, and the graphs compared with SQLite's on
//! the same data.
//!
//! Set `EAGERLY_PG_URL=postgres://root@127.0.0.1:5432/test` to run them
//! (`.ci/run` does, and sets `EAGERLY_PG_REQUIRED=1` so that a skip fails);
//! without it each test prints one line and passes. Each test works in a
//! schema of its own (`support::pg`), dropped at its end.
//!
//! Where the engines differ, the test says both: key lists are one array
//! parameter on PostgreSQL (`"author_id" = ANY($1)`, one statement per
//! level for any number of parents), `ceil(N / 500)` placeholder lists on
//! SQLite.

mod support;

/// The cases, compiled with the feature `postgres`
/// (`cargo test --features postgres --test postgres`).
#[cfg(feature = "postgres")]
#[path = "postgres/cases.rs"]
mod cases;

/// Isolation levels and retried transactions.
#[cfg(feature = "postgres")]
#[path = "postgres/retry.rs"]
mod retry;

/// Sessions from an r2d2 pool (`--features r2d2`).
#[cfg(feature = "r2d2")]
#[path = "postgres/pool.rs"]
mod pool;

/// Without the feature there is no PostgreSQL backend to test: one line
/// says how to run them (a failure where `EAGERLY_PG_REQUIRED=1`).
#[cfg(not(feature = "postgres"))]
#[test]
fn postgres_tests_need_the_postgres_feature() {
    let how =
        "skipped the PostgreSQL tests: run `EAGERLY_PG_URL=postgres://root@127.0.0.1:5432/test \
               cargo test --features postgres --test postgres`";
    if std::env::var("EAGERLY_PG_REQUIRED").is_ok_and(|v| v == "1") {
        panic!("EAGERLY_PG_REQUIRED=1 but this build lacks the feature `postgres`; {how}");
    }
    // Past the harness's capture, so the line is seen.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{how}");
}
