use eagerly::Entity;

#[derive(Entity)]
#[orm(tabel = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
}

fn main() {}
