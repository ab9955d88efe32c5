use eagerly::Entity;

#[derive(Entity)]
#[orm(primary_key)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
}

fn main() {}
