//! The benchmark harness of eagerly, a workspace member of its own so that
//! building an example or the test suite never compiles criterion or the
//! hand-written reference. Shared by `benches/strategies.rs` (criterion)
//! and `examples/strategies.rs` (the whole table): the dataset, the
//! workloads, and every implementation of them, eagerly's strategies and
//! hand-written rusqlite, or (feature `postgres`) hand-written code on the
//! `postgres` crate against a PostgreSQL server.

pub mod data;
pub mod hand;
#[cfg(feature = "postgres")]
pub mod hand_pg;
pub mod orm;

use std::any::Any;
use std::path::Path;
use std::sync::Arc;

use eagerly::Session;

/// The workloads; each ends in a checksum of the loaded graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// All authors with their books.
    W1,
    /// All books with their author.
    W2,
    /// The first 100 authors by name (LIMIT) with their books.
    W3,
    /// All authors, their books, and each book's tags.
    W4,
}

/// W3's page size.
pub const PAGE: u64 = 100;

impl Workload {
    pub const ALL: [Workload; 4] = [Workload::W1, Workload::W2, Workload::W3, Workload::W4];

    pub fn name(self) -> &'static str {
        match self {
            Workload::W1 => "W1",
            Workload::W2 => "W2",
            Workload::W3 => "W3",
            Workload::W4 => "W4",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Workload::W1 => "all authors with their books",
            Workload::W2 => "all books with their author",
            Workload::W3 => "first 100 authors by name (LIMIT) with their books",
            Workload::W4 => "all authors, their books, each book's tags",
        }
    }

    pub fn parse(s: &str) -> Option<Workload> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name().eq_ignore_ascii_case(s))
    }
}

/// The database engine a run measures on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// An SQLite file (the default).
    Sqlite,
    /// A PostgreSQL server (feature `postgres`).
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }

    pub fn parse(s: &str) -> Option<Engine> {
        [Engine::Sqlite, Engine::Postgres]
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(s))
    }
}

/// Where a run's connection goes.
#[derive(Debug, Clone, Copy)]
pub enum Db<'a> {
    /// An SQLite database file.
    Sqlite(&'a Path),
    /// A PostgreSQL URL (the dataset's schema in its search_path).
    Postgres(&'a str),
}

impl Db<'_> {
    pub fn engine(self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }
}

/// Every implementation measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imp {
    Orm(orm::Strategy),
    Hand(hand::Shape),
}

impl Imp {
    /// Every implementation on SQLite, in table order.
    pub const ALL: [Imp; 8] = [
        Imp::Orm(orm::Strategy::Select),
        Imp::Orm(orm::Strategy::Dynamic),
        Imp::Hand(hand::Shape::NPlus1),
        Imp::Orm(orm::Strategy::Joined),
        Imp::Hand(hand::Shape::Join),
        Imp::Orm(orm::Strategy::Selectin),
        Imp::Orm(orm::Strategy::Bulk),
        Imp::Hand(hand::Shape::In),
    ];

    /// Every implementation on PostgreSQL, in table order: selectin and
    /// bulk beside `= ANY($1)` (their statements there), IN-500 after it
    /// for reference.
    pub const ALL_POSTGRES: [Imp; 9] = [
        Imp::Orm(orm::Strategy::Select),
        Imp::Orm(orm::Strategy::Dynamic),
        Imp::Hand(hand::Shape::NPlus1),
        Imp::Orm(orm::Strategy::Joined),
        Imp::Hand(hand::Shape::Join),
        Imp::Orm(orm::Strategy::Selectin),
        Imp::Orm(orm::Strategy::Bulk),
        Imp::Hand(hand::Shape::Any),
        Imp::Hand(hand::Shape::In),
    ];

    /// Every implementation on `engine`.
    pub fn all(engine: Engine) -> &'static [Imp] {
        match engine {
            Engine::Sqlite => &Imp::ALL,
            Engine::Postgres => &Imp::ALL_POSTGRES,
        }
    }

    /// The name in tables, on SQLite.
    pub fn name(self) -> &'static str {
        self.name_on(Engine::Sqlite)
    }

    /// The name in tables on `engine` (the hand-written rows name their
    /// driver).
    pub fn name_on(self, engine: Engine) -> &'static str {
        match (self, engine) {
            (Imp::Orm(orm::Strategy::Select), _) => "eagerly select",
            (Imp::Orm(orm::Strategy::Joined), _) => "eagerly joined",
            (Imp::Orm(orm::Strategy::Selectin), _) => "eagerly selectin",
            (Imp::Orm(orm::Strategy::Bulk), _) => "eagerly bulk",
            (Imp::Orm(orm::Strategy::Dynamic), _) => "eagerly dynamic",
            (Imp::Hand(hand::Shape::NPlus1), Engine::Sqlite) => "rusqlite N+1",
            (Imp::Hand(hand::Shape::Join), Engine::Sqlite) => "rusqlite JOIN",
            (Imp::Hand(hand::Shape::In), Engine::Sqlite) => "rusqlite IN-500",
            (Imp::Hand(hand::Shape::Any), Engine::Sqlite) => "rusqlite ANY",
            (Imp::Hand(hand::Shape::NPlus1), Engine::Postgres) => "postgres N+1",
            (Imp::Hand(hand::Shape::Join), Engine::Postgres) => "postgres JOIN",
            (Imp::Hand(hand::Shape::In), Engine::Postgres) => "postgres IN-500",
            (Imp::Hand(hand::Shape::Any), Engine::Postgres) => "postgres ANY",
        }
    }

    /// A short name for command-line filters and benchmark ids.
    pub fn short(self) -> &'static str {
        match self {
            Imp::Orm(orm::Strategy::Select) => "select",
            Imp::Orm(orm::Strategy::Joined) => "joined",
            Imp::Orm(orm::Strategy::Selectin) => "selectin",
            Imp::Orm(orm::Strategy::Bulk) => "bulk",
            Imp::Orm(orm::Strategy::Dynamic) => "dynamic",
            Imp::Hand(hand::Shape::NPlus1) => "hand-n1",
            Imp::Hand(hand::Shape::Join) => "hand-join",
            Imp::Hand(hand::Shape::In) => "hand-in",
            Imp::Hand(hand::Shape::Any) => "hand-any",
        }
    }

    pub fn parse(s: &str) -> Option<Imp> {
        Imp::ALL_POSTGRES.into_iter().find(|i| i.short() == s)
    }

    /// The hand-written code of the same statement shape, the reference of
    /// an eagerly row, on SQLite.
    pub fn reference(self) -> Option<Imp> {
        self.reference_on(Engine::Sqlite)
    }

    /// The same on `engine`: on PostgreSQL selectin and bulk send one
    /// `= ANY($1)` statement per level.
    pub fn reference_on(self, engine: Engine) -> Option<Imp> {
        match self {
            Imp::Orm(orm::Strategy::Selectin | orm::Strategy::Bulk)
                if engine == Engine::Postgres =>
            {
                Some(Imp::Hand(hand::Shape::Any))
            }
            Imp::Orm(orm::Strategy::Select | orm::Strategy::Dynamic) => {
                Some(Imp::Hand(hand::Shape::NPlus1))
            }
            Imp::Orm(orm::Strategy::Joined) => Some(Imp::Hand(hand::Shape::Join)),
            Imp::Orm(orm::Strategy::Selectin | orm::Strategy::Bulk) => {
                Some(Imp::Hand(hand::Shape::In))
            }
            Imp::Hand(_) => None,
        }
    }

    /// The target ratio to the reference (time and peak memory), on SQLite.
    pub fn target(self) -> Option<f64> {
        self.target_on(Engine::Sqlite)
    }

    /// The same on `engine`: on PostgreSQL every strategy within 1.25x of
    /// its shape.
    pub fn target_on(self, engine: Engine) -> Option<f64> {
        match self {
            Imp::Orm(_) if engine == Engine::Postgres => Some(1.25),
            Imp::Orm(orm::Strategy::Selectin | orm::Strategy::Bulk) => Some(1.25),
            Imp::Orm(orm::Strategy::Joined | orm::Strategy::Select) => Some(1.5),
            _ => None,
        }
    }

    /// Whether this implementation runs `workload` (dynamic is a per-parent
    /// collection query: W1 and W3).
    pub fn runs(self, workload: Workload) -> bool {
        match self {
            Imp::Orm(orm::Strategy::Dynamic) => matches!(workload, Workload::W1 | Workload::W3),
            _ => true,
        }
    }
}

/// A fresh connection for one run, opened outside the measurement.
pub enum Prepared {
    Orm(Session),
    Hand(hand::Conn),
    #[cfg(feature = "postgres")]
    HandPg(hand_pg::Conn),
}

/// What a load answers: the statements sent and the loaded graph (so the
/// caller can walk it and drop it outside the clock).
pub struct Loaded {
    pub statements: u64,
    pub graph: Box<dyn Any>,
}

/// A load and its checksum.
pub struct Outcome {
    pub checksum: u64,
    pub statements: u64,
    pub graph: Box<dyn Any>,
}

/// Opens a fresh session (empty identity map) or connection for `imp` on
/// an SQLite file.
pub fn prepare(imp: Imp, db: &Path) -> Prepared {
    prepare_on(imp, Db::Sqlite(db))
}

/// Opens a fresh session (empty identity map) or connection for `imp`.
pub fn prepare_on(imp: Imp, db: Db<'_>) -> Prepared {
    match (imp, db) {
        (Imp::Orm(_), Db::Sqlite(path)) => Prepared::Orm(orm::open(path).expect("open session")),
        (Imp::Hand(_), Db::Sqlite(path)) => {
            Prepared::Hand(hand::Conn::open(path).expect("open connection"))
        }
        #[cfg(feature = "postgres")]
        (Imp::Orm(_), Db::Postgres(url)) => {
            Prepared::Orm(orm::connect(url).expect("connect a session"))
        }
        #[cfg(feature = "postgres")]
        (Imp::Hand(_), Db::Postgres(url)) => {
            Prepared::HandPg(hand_pg::Conn::connect(url).expect("connect"))
        }
        #[cfg(not(feature = "postgres"))]
        (_, Db::Postgres(_)) => panic!("built without the `postgres` feature"),
    }
}

/// Runs `workload` with `imp` on `prepared`: the query and every load until
/// the whole graph is in memory.
pub fn load(imp: Imp, workload: Workload, prepared: &mut Prepared) -> Loaded {
    match (imp, prepared) {
        (Imp::Orm(strategy), Prepared::Orm(session)) => {
            let before = session.statement_count();
            let graph: Box<dyn Any> = match workload {
                Workload::W1 | Workload::W3 => {
                    let limit = (workload == Workload::W3).then_some(PAGE);
                    Box::new(orm::authors_with_books(session, strategy, limit).expect("W1/W3"))
                }
                Workload::W2 => Box::new(orm::books_with_author(session, strategy).expect("W2")),
                Workload::W4 => Box::new(orm::authors_books_tags(session, strategy).expect("W4")),
            };
            Loaded {
                statements: session.statement_count() - before,
                graph,
            }
        }
        (Imp::Hand(shape), Prepared::Hand(conn)) => {
            let before = conn.statements;
            let graph: Box<dyn Any> = match workload {
                Workload::W1 => Box::new(conn.authors_with_books(shape, None).expect("W1")),
                Workload::W3 => Box::new(
                    conn.authors_with_books(shape, Some(PAGE as i64))
                        .expect("W3"),
                ),
                Workload::W2 => Box::new(conn.books_with_author(shape).expect("W2")),
                Workload::W4 => Box::new(conn.authors_books_tags(shape).expect("W4")),
            };
            Loaded {
                statements: conn.statements - before,
                graph,
            }
        }
        #[cfg(feature = "postgres")]
        (Imp::Hand(shape), Prepared::HandPg(conn)) => {
            let before = conn.statements;
            let graph: Box<dyn Any> = match workload {
                Workload::W1 => Box::new(conn.authors_with_books(shape, None).expect("W1")),
                Workload::W3 => Box::new(
                    conn.authors_with_books(shape, Some(PAGE as i64))
                        .expect("W3"),
                ),
                Workload::W2 => Box::new(conn.books_with_author(shape).expect("W2")),
                Workload::W4 => Box::new(conn.authors_books_tags(shape).expect("W4")),
            };
            Loaded {
                statements: conn.statements - before,
                graph,
            }
        }
        _ => unreachable!("prepared for another implementation"),
    }
}

/// Folds a graph that `load` answered for `imp` and `workload` into the
/// checksum every implementation must agree on.
pub fn checksum(imp: Imp, workload: Workload, graph: &dyn Any) -> u64 {
    fn graph_as<T: 'static>(graph: &dyn Any) -> &T {
        graph
            .downcast_ref()
            .expect("a graph of this implementation")
    }
    match (imp, workload) {
        (Imp::Orm(_), Workload::W1) => orm::checksum_authors(graph_as(graph)),
        (Imp::Orm(_), Workload::W3) => orm::checksum_ordered(graph_as(graph)),
        (Imp::Orm(_), Workload::W2) => orm::checksum_books(graph_as::<Vec<Arc<orm::Book>>>(graph)),
        (Imp::Orm(_), Workload::W4) => {
            orm::checksum_nested(graph_as::<Vec<Arc<orm::Author>>>(graph))
        }
        (Imp::Hand(_), Workload::W1) => {
            hand::checksum_authors(graph_as::<Vec<hand::Author>>(graph), false)
        }
        (Imp::Hand(_), Workload::W3) => {
            hand::checksum_ordered(graph_as::<Vec<hand::Author>>(graph))
        }
        (Imp::Hand(_), Workload::W2) => {
            hand::checksum_books(graph_as::<Vec<hand::BookWithAuthor>>(graph))
        }
        (Imp::Hand(_), Workload::W4) => {
            hand::checksum_authors(graph_as::<Vec<hand::Author>>(graph), true)
        }
    }
}

/// `load`, then `checksum`.
pub fn execute(imp: Imp, workload: Workload, prepared: &mut Prepared) -> Outcome {
    let Loaded { statements, graph } = load(imp, workload, prepared);
    Outcome {
        checksum: checksum(imp, workload, graph.as_ref()),
        statements,
        graph,
    }
}
