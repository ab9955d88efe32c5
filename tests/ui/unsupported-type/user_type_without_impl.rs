use eagerly::Entity;

pub struct Cents(pub i64);

#[derive(Entity)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub price: Cents,
}

fn main() {}
