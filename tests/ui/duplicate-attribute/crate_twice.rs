use eagerly::Entity;

#[derive(Entity)]
#[orm(crate = "eagerly", crate = "eagerly")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
}

fn main() {}
