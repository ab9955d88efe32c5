use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
}

fn main() {}
