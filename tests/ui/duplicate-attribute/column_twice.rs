use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(column = "full_name", column = "display_name")]
    pub name: String,
}

fn main() {}
