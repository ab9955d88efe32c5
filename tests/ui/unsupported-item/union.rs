use eagerly::Entity;

#[derive(Entity)]
pub union Author {
    id: i64,
    code: u32,
}

fn main() {}
