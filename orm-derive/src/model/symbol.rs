//! Every attribute name, once.

pub const ORM: &str = "orm";

pub const TABLE: &str = "table";
pub const CRATE: &str = "crate";
pub const PRIMARY_KEY: &str = "primary_key";
pub const COLUMN: &str = "column";
pub const UNIQUE: &str = "unique";
pub const INDEX: &str = "index";
pub const DEFAULT: &str = "default";
pub const CHECK: &str = "check";

/// Keys accepted in a struct's `#[orm(...)]`.
pub const CONTAINER_KEYS: &[&str] = &[TABLE, CRATE];
/// Keys accepted in a field's `#[orm(...)]`.
pub const FIELD_KEYS: &[&str] = &[PRIMARY_KEY, COLUMN, UNIQUE, INDEX, DEFAULT, CHECK];

pub const RELATIONSHIP: &str = "relationship";
pub const LAZY: &str = "lazy";
pub const FOREIGN_KEY: &str = "foreign_key";
pub const SECONDARY: &str = "secondary";
pub const TARGET_FOREIGN_KEY: &str = "target_foreign_key";
pub const ORDER_BY: &str = "order_by";
pub const INNERJOIN: &str = "innerjoin";
pub const CHUNK_SIZE: &str = "chunk_size";
pub const JOIN_DEPTH: &str = "join_depth";
pub const CASCADE: &str = "cascade";
pub const ON_DELETE: &str = "on_delete";

/// Keys accepted in `#[relationship(...)]`.
pub const RELATIONSHIP_KEYS: &[&str] = &[
    LAZY,
    FOREIGN_KEY,
    SECONDARY,
    TARGET_FOREIGN_KEY,
    ORDER_BY,
    INNERJOIN,
    CHUNK_SIZE,
    JOIN_DEPTH,
    CASCADE,
    ON_DELETE,
];

/// Words of `cascade` (a comma-separated list); `all` is `delete`, as in
/// SQLAlchemy (saving the graph always cascades).
pub const CASCADES: &[&str] = &["delete", "delete-orphan", "all"];
/// Values of `on_delete`, the foreign key's action in the DDL.
pub const ON_DELETE_ACTIONS: &[&str] = &["cascade", "set null", "no action"];

/// Values of `lazy`, in the order the docs list them.
pub const STRATEGIES: &[&str] = &[
    "select", "joined", "selectin", "dynamic", "bulk", "raise", "noload",
];
