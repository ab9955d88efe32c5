
use eagerly::prelude::*;
use eagerly::relation::RelationField;

#[derive(Entity)]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
}

/// Only the loaders fill a relation: not even a `RelationField` bound
/// reaches the method that would.
fn forge<F: RelationField<Tag>>(field: &F, tags: Vec<Handle<Tag>>) {
    field.store(tags);
}

fn main() {}
