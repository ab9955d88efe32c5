//! A small service without a web framework: a loop hands each request
//! (`GET /authors/1`, `GET /authors?limit=2`, `GET /books/3`) to a router,
//! which opens a session for that request, loads a graph through the
//! strategies the mapping declares, and answers it as JSON. Each response is
//! printed with the statements its session sent.
//!
//! ```sh
//! cargo run --example service --features serde                    # SQLite, a file in the temp dir
//! cargo run --example service --features serde -- "GET /books/4"  # these requests instead of the fixed list
//! DATABASE_URL=postgres://root@127.0.0.1:5432/test \
//!     cargo run --example service --features "serde postgres"
//! cargo test --example service --features serde                   # the responses, checked (tests below)
//! ```
//!
//! One session per request, as a web handler would have one: nothing
//! cached in one request's identity map is seen by the next, and each
//! statement log holds exactly that request's statements. The database is
//! seeded once: a SQLite file in the temp directory, or on PostgreSQL a
//! schema of its own (sessions of other connections see it, unlike the
//! quickstart's temporary tables); both are removed at the end. The
//! handler is synchronous, so this is a plain loop; examples/async_service.rs
//! makes each request a tokio task with an async session.

use eagerly::prelude::*;

/// The declared strategies: an author's books load right after it
/// (`selectin`, one IN statement for every author of the request), their
/// tags after them the same way; a book's author loads on first access, for
/// every book of the session at once (`bulk`).
#[derive(Entity, Debug, Default)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "author_id", lazy = "selectin", order_by = "title")]
    pub books: Many<Book>,
}

#[derive(Entity, Debug, Default)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author_id: i64,
    #[relationship(foreign_key = "author_id", lazy = "bulk")]
    pub author: One<Author>,
    #[relationship(
        secondary = "book_tags",
        foreign_key = "book_id",
        target_foreign_key = "tag_id",
        lazy = "selectin",
        order_by = "name"
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

/// What the handler answers: a status, a JSON body, and the statements its
/// session sent.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: serde_json::Value,
    pub statements: Vec<String>,
}

/// Where every request's session connects: a SQLite file, or a PostgreSQL
/// server and the schema seeded for this process.
enum Database {
    Sqlite(std::path::PathBuf),
    #[cfg(feature = "postgres")]
    Postgres(String),
}

/// The service: the database, seeded once; one session per request.
pub struct Service {
    database: Database,
}

/// `GET /authors?limit=N` without a limit.
const DEFAULT_LIMIT: u64 = 10;

impl Service {
    /// PostgreSQL when `DATABASE_URL` is set (and the feature `postgres` is
    /// on), else a SQLite file in the temp directory; seeded here.
    pub fn start() -> eagerly::Result<Service> {
        let name = format!("eagerly_service_{}", std::process::id());
        #[cfg(feature = "postgres")]
        if std::env::var_os("DATABASE_URL").is_some() {
            let mut session = Session::from_env()?;
            session.execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"), &[])?;
            session.execute(&format!("CREATE SCHEMA {name}"), &[])?;
            let service = Service {
                database: Database::Postgres(name),
            };
            service.seed()?;
            return Ok(service);
        }
        if std::env::var_os("DATABASE_URL").is_some() && !cfg!(feature = "postgres") {
            eprintln!("DATABASE_URL is set but the feature `postgres` is off: using SQLite (add --features postgres)");
        }
        let path = std::env::temp_dir().join(format!("{name}.db"));
        // A file left by an earlier process with the same id.
        let _ = std::fs::remove_file(&path);
        let service = Service {
            database: Database::Sqlite(path),
        };
        service.seed()?;
        Ok(service)
    }

    /// A fresh session on the service's database, its statement log empty.
    fn session(&self) -> eagerly::Result<Session> {
        match &self.database {
            Database::Sqlite(path) => Session::open(path),
            #[cfg(feature = "postgres")]
            Database::Postgres(schema) => {
                let mut session = Session::from_env()?;
                session.execute(&format!("SET search_path TO {schema}"), &[])?;
                session.reset_statements();
                Ok(session)
            }
        }
    }

    /// Three authors, five books, three tags.
    fn seed(&self) -> eagerly::Result<()> {
        let mut session = self.session()?;
        session.create_all(&[Author::META, Book::META, Tag::META])?;
        session.transaction(|s| {
            for (id, name) in [(1, "Ann Leckie"), (2, "Ted Chiang"), (3, "Jo Walton")] {
                s.insert(Author {
                    id,
                    name: name.into(),
                    ..Default::default()
                })?;
            }
            for (id, name) in [(1, "novel"), (2, "short stories"), (3, "space")] {
                s.insert(Tag {
                    id,
                    name: name.into(),
                })?;
            }
            let books: [(i64, &str, i64, &[i64]); 5] = [
                (1, "Ancillary Justice", 1, &[1, 3]),
                (2, "Ancillary Sword", 1, &[1, 3]),
                (3, "Stories of Your Life", 2, &[2]),
                (4, "Exhalation", 2, &[2, 3]),
                (5, "Among Others", 3, &[1]),
            ];
            // The association rows by hand: the mapping has no `dynamic`
            // relation to `append` through.
            let link = match s.dialect().name() {
                "postgres" => "INSERT INTO book_tags (book_id, tag_id) VALUES ($1, $2)",
                _ => "INSERT INTO book_tags (book_id, tag_id) VALUES (?, ?)",
            };
            for (id, title, author_id, tags) in books {
                s.insert(Book {
                    id,
                    title: title.into(),
                    author_id,
                    ..Default::default()
                })?;
                for &tag in tags {
                    s.execute(link, &[id.into(), tag.into()])?;
                }
            }
            Ok(())
        })
    }

    /// Answers one request line (`METHOD PATH`) on a session of its own.
    pub fn handle(&self, request: &str) -> Response {
        let mut session = match self.session() {
            Ok(session) => session,
            Err(error) => {
                return Response {
                    status: 503,
                    body: serde_json::json!({ "error": error.to_string() }),
                    statements: Vec::new(),
                }
            }
        };
        let (status, body) = match route(&mut session, request) {
            Ok(answer) => answer,
            Err(error) => (500, serde_json::json!({ "error": error.to_string() })),
        };
        let statements = session.statements().iter().map(|s| s.sql.clone()).collect();
        Response {
            status,
            body,
            statements,
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        match &self.database {
            Database::Sqlite(path) => {
                let _ = std::fs::remove_file(path);
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(schema) => {
                if let Ok(mut session) = Session::from_env() {
                    let _ =
                        session.execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"), &[]);
                }
            }
        }
    }
}

/// The router: the path picks the graph to load. An error (of the database
/// or of serializing) is the handler's 500.
fn route(
    session: &mut Session,
    request: &str,
) -> Result<(u16, serde_json::Value), Box<dyn std::error::Error>> {
    let not_found = |what: &str| (404, serde_json::json!({ "error": format!("no {what}") }));
    let Some(("GET", target)) = request.split_once(' ') else {
        return Ok((405, serde_json::json!({ "error": "only GET requests" })));
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments[..] {
        ["authors"] => {
            let limit = match query.strip_prefix("limit=") {
                None if query.is_empty() => DEFAULT_LIMIT,
                Some(n) => match n.parse() {
                    Ok(n) => n,
                    Err(_) => {
                        return Ok((400, serde_json::json!({ "error": "limit is a number" })))
                    }
                },
                None => {
                    return Ok((
                        400,
                        serde_json::json!({ "error": "the only parameter is limit" }),
                    ))
                }
            };
            // The authors, then their books and the books' tags as the
            // mapping declares: 3 statements for any number of authors.
            let authors = session
                .query::<Author>()
                .order_by(Author::ID)
                .limit(limit)
                .all()?;
            Ok((200, serde_json::to_value(&authors)?))
        }
        ["authors", id] => {
            let Ok(id) = id.parse::<i64>() else {
                return Ok(not_found("such author"));
            };
            match session.get::<Author>(id)? {
                Some(author) => Ok((200, serde_json::to_value(&author)?)),
                None => Ok(not_found("such author")),
            }
        }
        ["books", id] => {
            let Ok(id) = id.parse::<i64>() else {
                return Ok(not_found("such book"));
            };
            let Some(book) = session.get::<Book>(id)? else {
                return Ok(not_found("such book"));
            };
            // `bulk` is lazy: the author loads here, on access (its own
            // books do not: eager defaults do not lead back to `Book`).
            session.load(Book::AUTHOR, &book)?;
            // Serializing sends nothing: what is loaded is written.
            Ok((200, serde_json::to_value(&book)?))
        }
        _ => Ok(not_found("such resource")),
    }
}

/// The requests `main` sends when it is given none.
const REQUESTS: &[&str] = &[
    "GET /authors?limit=2",
    "GET /authors/3",
    "GET /books/4",
    "GET /authors/9",
    "DELETE /authors/1",
];

fn main() -> eagerly::Result<()> {
    let service = Service::start()?;
    let given: Vec<String> = std::env::args().skip(1).collect();
    let requests: Vec<&str> = if given.is_empty() {
        REQUESTS.to_vec()
    } else {
        given.iter().map(String::as_str).collect()
    };
    for request in requests {
        let response = service.handle(request);
        println!(
            "{request} -> {} ({} statements)",
            response.status,
            response.statements.len()
        );
        println!("{}", response.body);
        for sql in &response.statements {
            println!("  {sql}");
        }
        println!();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tag(id: i64, name: &str) -> serde_json::Value {
        json!({ "id": id, "name": name })
    }

    // One test: the requests share one seeded database, as in `main`.
    #[test]
    fn each_request_loads_its_graph_on_a_session_of_its_own() {
        let service = Service::start().unwrap();
        let (novel, stories, space) = (tag(1, "novel"), tag(2, "short stories"), tag(3, "space"));

        // Authors, their books (selectin), the books' tags (selectin):
        // three statements; each book's `author` (bulk) is not loaded, so
        // the JSON leaves it out.
        let response = service.handle("GET /authors?limit=2");
        assert_eq!(response.status, 200);
        assert_eq!(
            response.body,
            json!([
                { "id": 1, "name": "Ann Leckie", "books": [
                    { "id": 1, "title": "Ancillary Justice", "author_id": 1, "tags": [novel, space] },
                    { "id": 2, "title": "Ancillary Sword", "author_id": 1, "tags": [novel, space] },
                ] },
                { "id": 2, "name": "Ted Chiang", "books": [
                    { "id": 4, "title": "Exhalation", "author_id": 2, "tags": [stories, space] },
                    { "id": 3, "title": "Stories of Your Life", "author_id": 2, "tags": [stories] },
                ] },
            ])
        );
        assert_eq!(response.statements.len(), 3, "{:#?}", response.statements);
        assert!(response.statements[0].contains("LIMIT"));
        assert!(response.statements[1].contains("\"books\""));
        assert!(response.statements[2].contains("\"book_tags\""));

        // A fresh session: the same three statements for one author, none
        // of them answered from the previous request's identity map.
        let response = service.handle("GET /authors/3");
        assert_eq!(response.status, 200);
        assert_eq!(
            response.body,
            json!({ "id": 3, "name": "Jo Walton", "books": [
                { "id": 5, "title": "Among Others", "author_id": 3, "tags": [novel] },
            ] })
        );
        assert_eq!(response.statements.len(), 3, "{:#?}", response.statements);

        // The book and its tags (selectin); then its author on access
        // (bulk). The author's books are not loaded with it: eager defaults
        // do not lead back along the path they came by (book, author,
        // books), so the author is written with its columns.
        let response = service.handle("GET /books/4");
        assert_eq!(response.status, 200);
        assert_eq!(
            response.body,
            json!({ "id": 4, "title": "Exhalation", "author_id": 2,
                "author": { "id": 2, "name": "Ted Chiang" },
                "tags": [stories, space],
            })
        );
        assert_eq!(response.statements.len(), 3, "{:#?}", response.statements);
        assert!(response.statements[2].contains("\"authors\""));

        let response = service.handle("GET /authors/9");
        assert_eq!(
            (response.status, &response.body),
            (404, &json!({ "error": "no such author" }))
        );
        assert_eq!(response.statements.len(), 1);

        let response = service.handle("GET /authors?limit=many");
        assert_eq!(response.status, 400);
        assert!(
            response.statements.is_empty(),
            "refused before any statement"
        );

        let response = service.handle("DELETE /authors/1");
        assert_eq!(response.status, 405);
        let response = service.handle("GET /publishers/1");
        assert_eq!(response.status, 404);
    }
}
