// Each unsupported field is reported at its own type.
use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub followers: u64,
    pub total: i128,
}

fn main() {}
