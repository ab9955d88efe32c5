use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    pub id: i64,
    pub name: String,
}

fn main() {}
