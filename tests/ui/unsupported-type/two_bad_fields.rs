// Each unsupported field is reported at its own type.
use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub followers: u64,
    pub ratio: f32,
}

fn main() {}
