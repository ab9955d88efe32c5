use eagerly::prelude::*;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

fn main() {
    let _ = Author::NAME.eq(5);
}
