//! Sessions on a real PostgreSQL server, each in a schema of its own.
//!
//! The server is named by `EAGERLY_PG_URL` (on this project's machines
//! `postgres://root@127.0.0.1:5432/test`). Without it, each PostgreSQL test
//! prints one line saying how to enable it and returns; with
//! `EAGERLY_PG_REQUIRED=1` (CI) a missing URL fails the test instead.
//!
//! A [`PgSession`] works in a fresh schema with a random name (its
//! `search_path`), so tests run in parallel and see nothing of each other;
//! the schema is dropped when the session is, over a connection of its own,
//! so a test that fails halfway (even inside a transaction) leaves nothing.

#![allow(dead_code)]

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, Ordering};

use eagerly::backend::postgres::postgres;
use eagerly::Session;

/// The environment variable naming the server.
pub const URL_VAR: &str = "EAGERLY_PG_URL";

/// The server's URL, or `None` (after saying how to set it) to skip.
pub fn url(test: &str) -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("EAGERLY_PG_REQUIRED").is_ok_and(|v| v == "1") => {
            panic!("{test}: EAGERLY_PG_REQUIRED=1 but {URL_VAR} is not set")
        }
        _ => {
            say(&format!(
                "skipped {test}: set {URL_VAR}=postgres://root@127.0.0.1:5432/test to run the PostgreSQL tests"
            ));
            None
        }
    }
}

/// Writes `line` to stderr past the test harness's capture (which holds
/// `eprintln!` of a passing test back), so a skip is seen.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A session in a schema of its own, dropped with it.
pub struct PgSession {
    session: Option<Session>,
    url: String,
    schema: String,
}

/// A session on the server in a new schema, or `None` to skip the test.
pub fn session(test: &str) -> Option<PgSession> {
    let url = url(test)?;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let schema = format!(
        "eagerly_test_{}_{}_{}",
        std::process::id(),
        nanos,
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut session = Session::connect(&url).expect("connect to EAGERLY_PG_URL");
    session
        .execute(&format!("CREATE SCHEMA \"{schema}\""), &[])
        .expect("create the test's schema");
    session
        .execute(&format!("SET search_path TO \"{schema}\""), &[])
        .expect("use the test's schema");
    session.reset_statements();
    Some(PgSession {
        session: Some(session),
        url,
        schema,
    })
}

impl PgSession {
    /// The test's schema.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Another session in the same schema (a second connection).
    pub fn another(&self) -> Session {
        let mut session = Session::connect(&self.url).expect("connect");
        session
            .execute(&format!("SET search_path TO \"{}\"", self.schema), &[])
            .expect("use the test's schema");
        session.reset_statements();
        session
    }

    /// Hands the session to `fill` (a fixture taking a `Session` by value)
    /// and keeps what it returns.
    pub fn with(mut self, fill: impl FnOnce(Session) -> Session) -> Self {
        let session = self.session.take().expect("session");
        self.session = Some(fill(session));
        self
    }

    /// A plain driver client, outside eagerly: for catalog queries.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("connect")
    }
}

impl Deref for PgSession {
    type Target = Session;
    fn deref(&self) -> &Session {
        self.session.as_ref().expect("session")
    }
}

impl DerefMut for PgSession {
    fn deref_mut(&mut self) -> &mut Session {
        self.session.as_mut().expect("session")
    }
}

impl Drop for PgSession {
    fn drop(&mut self) {
        // Close the test's connection first: a transaction it left open
        // would hold locks the DROP waits for.
        drop(self.session.take());
        if let Ok(mut client) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA \"{}\" CASCADE", self.schema));
        }
    }
}
