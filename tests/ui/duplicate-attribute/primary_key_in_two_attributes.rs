use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    #[orm(primary_key)]
    pub id: i64,
}

fn main() {}
