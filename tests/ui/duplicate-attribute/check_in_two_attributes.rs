use eagerly::Entity;

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(check = "price > 0")]
    #[orm(check = "price < 100")]
    pub price: i64,
}

fn main() {}
