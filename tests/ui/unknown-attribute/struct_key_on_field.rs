use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(table = "names")]
    pub name: String,
}

fn main() {}
