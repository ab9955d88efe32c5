// Errors from parsing (unknown key) and from cross-field rules (no primary
// key, a column mapped twice) are all reported in one build.
use eagerly::Entity;

#[derive(Entity)]
pub struct Author {
    #[orm(primay_key)]
    pub id: i64,
    pub name: String,
    #[orm(column = "name")]
    pub pen_name: String,
}

fn main() {}
