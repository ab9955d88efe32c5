use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key = true)]
    pub id: i64,
}

fn main() {}
