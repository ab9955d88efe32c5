use eagerly::Entity;

#[derive(Entity)]
pub struct Reading {
    #[orm(primary_key)]
    pub at: f64,
    pub value: f64,
}

fn main() {}
