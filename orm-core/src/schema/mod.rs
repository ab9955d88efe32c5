//! What a mapping is, below every use of it: static metadata of entities,
//! columns and relations (unquoted names and structure), the [`Record`]
//! trait the derive implements, and loader option paths as data.

mod meta;
mod options;
mod record;

pub use meta::{
    ColumnMeta, ColumnMetaParts, EntityMeta, EntityMetaParts, RelationKind, RelationMeta,
    RelationMetaParts, Strategy,
};
pub use options::OptionNode;
pub(crate) use options::{check_options, find_option, Recursion, WILDCARD};
pub use record::{Record, RelationCell, Written};
