use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primay_key)]
    pub id: i64,
    #[orm(primary_key)]
    pub code: i64,
}

fn main() {}
