use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(colour = "red")]
    pub name: String,
}

fn main() {}
