use std::collections::HashMap;

use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub links: HashMap<String, String>,
}

fn main() {}
