use eagerly::Entity;

#[derive(Entity)]
pub enum Author {
    Named { id: i64, name: String },
    Anonymous { id: i64 },
}

fn main() {}
