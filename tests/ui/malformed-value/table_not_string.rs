use eagerly::Entity;

#[derive(Entity)]
#[orm(table = authors)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
}

fn main() {}
