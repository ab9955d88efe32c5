use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(column = "name")]
    pub first_name: String,
    #[orm(column = "name")]
    pub last_name: String,
}

fn main() {}
