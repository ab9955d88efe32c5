use eagerly::Entity;

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(default)]
    pub price: i64,
}

fn main() {}
