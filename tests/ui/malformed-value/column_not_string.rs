use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(column = 5)]
    pub name: String,
}

fn main() {}
