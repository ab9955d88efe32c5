//! Every attribute name, once.

pub const ORM: &str = "orm";

pub const TABLE: &str = "table";
pub const CRATE: &str = "crate";
pub const PRIMARY_KEY: &str = "primary_key";
pub const COLUMN: &str = "column";

/// Keys accepted in a struct's `#[orm(...)]`.
pub const CONTAINER_KEYS: &[&str] = &[TABLE, CRATE];
/// Keys accepted in a field's `#[orm(...)]`.
pub const FIELD_KEYS: &[&str] = &[PRIMARY_KEY, COLUMN];
