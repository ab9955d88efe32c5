//! # eagerly
//!
//! A Rust ORM built around relationship loading. Annotate plain structs with
//! `#[derive(Entity)]`; the derive generates their loaders and metadata at
//! compile time, the runtime renders their SQL once per dialect, and the
//! [`Session`] runs it, keeps an identity map and counts every statement.
//!
//! ```
//! use eagerly::prelude::*;
//!
//! #[derive(Entity, Debug)]
//! #[orm(table = "authors")]
//! pub struct Author {
//!     #[orm(primary_key)]
//!     pub id: i64,
//!     pub name: String,
//! }
//!
//! # fn main() -> eagerly::Result<()> {
//! let mut session = Session::in_memory()?;
//! session.create_all(&[Author::META])?;
//! let ann = session.insert(Author { id: 0, name: "Ann".into() })?;
//! let found = session.query::<Author>().filter(Author::NAME.eq("Ann")).one()?;
//! assert!(Handle::ptr_eq(&ann, &found));
//!
//! // A query is a value too, run on whichever session is at hand.
//! let named = Query::<Author>::new().filter(Author::NAME.like("A%"));
//! assert_eq!(named.count(&mut session)?, 1);
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub use orm_core::*;
pub use orm_derive::Entity;

/// What most programs need: `use eagerly::prelude::*;` brings the derive,
/// the session, the relation field types and the loader options.
pub mod prelude {
    pub use orm_core::params;
    #[cfg(feature = "async")]
    pub use orm_core::AsyncSession;
    pub use orm_core::{
        all_relations, bulk, defaultload, joined, noload, raise, raise_on_sql, select, selectin,
        selectin_recursive, Changes, Column, ColumnType, Dynamic, Entity, Error, Filter, Handle,
        Many, NPlusOneGuard, One, Query, Record, Result, Session,
    };
    pub use orm_derive::Entity;
}
