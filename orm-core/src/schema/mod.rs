//! What a mapping is, below every use of it: static metadata of entities,
//! columns and relations (unquoted names and structure), the [`Record`]
//! trait the derive implements.

mod meta;
mod record;

pub use meta::{
    ColumnMeta, ColumnMetaParts, EntityMeta, EntityMetaParts, OnDelete, RelationKind, RelationMeta,
    RelationMetaParts, Strategy,
};
pub use record::{Linked, Record, RelationCell, Written};
