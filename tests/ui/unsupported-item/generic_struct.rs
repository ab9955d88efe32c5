use eagerly::Entity;

#[derive(Entity)]
pub struct Author<T> {
    #[orm(primary_key)]
    pub id: i64,
    pub extra: T,
}

fn main() {}
