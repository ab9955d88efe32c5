use eagerly::Entity;

#[derive(Entity)]
pub struct Author<'a> {
    #[orm(primary_key)]
    pub id: i64,
    pub name: &'a str,
}

fn main() {}
