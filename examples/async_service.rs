//! Concurrent requests on tokio, each a task with an async session of its
//! own: a page of books, then each book's author and each author's books,
//! loaded lazily with `session.load(...).await` in plain loops. Both
//! relations are `bulk`, so a request sends 3 statements whatever the size
//! of its page: the books, then at the first await of each loop one
//! statement for every object of the request.
//!
//! ```sh
//! cargo run --example async_service --features async                 # SQLite, a file in the temp dir
//! DATABASE_URL=postgres://root@127.0.0.1:5432/test \
//!     cargo run --example async_service --features "async postgres"
//! cargo test --example async_service --features async                # statements per request, checked
//! ```

use std::sync::Arc;

use eagerly::prelude::*;

#[derive(Entity, Debug, Default)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[relationship(foreign_key = "author_id", lazy = "bulk", order_by = "id")]
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
}

const AUTHORS: i64 = 40;
const BOOKS_PER_AUTHOR: i64 = 5;
/// Books a request pages through.
const PAGE: i64 = 25;

/// What one request found and what it cost.
#[derive(Debug, PartialEq)]
pub struct Report {
    pub request: i64,
    pub books: usize,
    pub authors: usize,
    /// Books of those authors, counted through `Author.books`.
    pub their_books: usize,
    pub statements: u64,
}

/// Where the sessions connect: a seeded database every request sees.
enum Database {
    Sqlite(std::path::PathBuf),
    #[cfg(feature = "postgres")]
    Postgres(String),
}

pub struct Service {
    database: Arc<Database>,
}

impl Service {
    /// PostgreSQL (a schema of its own) when `DATABASE_URL` is set and the
    /// feature `postgres` is on, else a SQLite file in the temp directory.
    pub async fn start() -> eagerly::Result<Service> {
        let name = format!("eagerly_async_service_{}", std::process::id());
        #[cfg(feature = "postgres")]
        let database = if std::env::var_os("DATABASE_URL").is_some() {
            let mut session = AsyncSession::from_env().await?;
            session
                .execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"), &[])
                .await?;
            session
                .execute(&format!("CREATE SCHEMA {name}"), &[])
                .await?;
            Database::Postgres(name)
        } else {
            Database::Sqlite(sqlite_file(&name))
        };
        #[cfg(not(feature = "postgres"))]
        let database = Database::Sqlite(sqlite_file(&name));
        let service = Service {
            database: Arc::new(database),
        };
        service.seed().await?;
        Ok(service)
    }

    /// A session for one request, opened on its own connection thread.
    async fn session(&self) -> eagerly::Result<AsyncSession> {
        let mut session = match self.database.as_ref() {
            Database::Sqlite(path) => AsyncSession::open(path).await?,
            #[cfg(feature = "postgres")]
            Database::Postgres(schema) => {
                let mut session = AsyncSession::from_env().await?;
                session
                    .execute(&format!("SET search_path TO {schema}"), &[])
                    .await?;
                session
            }
        };
        session.reset_statements().await?;
        Ok(session)
    }

    async fn seed(&self) -> eagerly::Result<()> {
        let mut session = self.session().await?;
        session.create_all(&[Author::META, Book::META]).await?;
        session
            .transaction(|s| {
                for a in 1..=AUTHORS {
                    let author = s.insert(Author {
                        id: a,
                        name: format!("Author {a}"),
                        ..Default::default()
                    })?;
                    for b in 1..=BOOKS_PER_AUTHOR {
                        let id = (a - 1) * BOOKS_PER_AUTHOR + b;
                        let book = Book {
                            id,
                            title: format!("Book {id}"),
                            ..Default::default()
                        };
                        s.append(Author::BOOKS, &author, book)?;
                    }
                }
                Ok(())
            })
            .await
    }

    /// Request `n`: the `n`-th page of books, their authors, the authors'
    /// books, each relation loaded on first await in a plain loop.
    pub async fn handle(&self, n: i64) -> eagerly::Result<Report> {
        let mut session = self.session().await?;
        let books = session
            .query::<Book>()
            .filter(Book::ID.gt(n * PAGE % (AUTHORS * BOOKS_PER_AUTHOR)))
            .order_by(Book::ID)
            .limit(PAGE as u64)
            .all()
            .await?;
        let mut authors: Vec<Handle<Author>> = Vec::new();
        for book in &books {
            // The first await loads every book's author; the rest send nothing.
            if let Some(author) = session.load(Book::AUTHOR, book).await? {
                if !authors.iter().any(|a| Handle::ptr_eq(a, &author)) {
                    authors.push(author);
                }
            }
        }
        let mut their_books = 0;
        for author in &authors {
            their_books += session.load(Author::BOOKS, author).await?.len();
        }
        Ok(Report {
            request: n,
            books: books.len(),
            authors: authors.len(),
            their_books,
            statements: session.statement_count().await?,
        })
    }

    /// Removes what `start` made.
    pub async fn stop(self) -> eagerly::Result<()> {
        match self.database.as_ref() {
            Database::Sqlite(path) => {
                let _ = std::fs::remove_file(path);
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(schema) => {
                let mut session = AsyncSession::from_env().await?;
                session
                    .execute(&format!("DROP SCHEMA {schema} CASCADE"), &[])
                    .await?;
            }
        }
        Ok(())
    }
}

fn sqlite_file(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("{name}.db"));
    // A file left by an earlier process with the same id.
    let _ = std::fs::remove_file(&path);
    path
}

/// Serves `requests` requests, each in a task of its own, all at once.
pub async fn serve(service: &Arc<Service>, requests: i64) -> eagerly::Result<Vec<Report>> {
    let tasks: Vec<_> = (0..requests)
        .map(|n| {
            let service = Arc::clone(service);
            tokio::spawn(async move { service.handle(n).await })
        })
        .collect();
    let mut reports = Vec::new();
    for task in tasks {
        reports.push(task.await.expect("request task")?);
    }
    Ok(reports)
}

fn main() -> eagerly::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let service = Arc::new(Service::start().await?);
        for report in serve(&service, 16).await? {
            println!(
                "request {:>2}: {} books, {} authors with {} books, {} statements",
                report.request, report.books, report.authors, report.their_books, report.statements
            );
        }
        match Arc::try_unwrap(service) {
            Ok(service) => service.stop().await,
            Err(_) => Ok(()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_sends_three_statements_whatever_its_page() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        runtime.block_on(async {
            let service = Arc::new(Service::start().await.unwrap());
            let reports = serve(&service, 12).await.unwrap();
            assert_eq!(reports.len(), 12);
            for report in &reports {
                // 25 books of 5 authors, each author's 5 books.
                assert_eq!(report.books, PAGE as usize, "{report:?}");
                assert_eq!(report.authors, 5, "{report:?}");
                assert_eq!(report.their_books, report.authors * 5, "{report:?}");
                // The page, every author at once, every author's books at once.
                assert_eq!(report.statements, 3, "{report:?}");
            }
            if let Ok(service) = Arc::try_unwrap(service) {
                service.stop().await.unwrap();
            }
        });
    }
}
