use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[orm(column = "name")]
    pub pen_name: String,
}

fn main() {}
