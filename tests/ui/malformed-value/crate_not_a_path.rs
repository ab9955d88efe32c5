use eagerly::Entity;

#[derive(Entity)]
#[orm(crate = "not a path")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
}

fn main() {}
