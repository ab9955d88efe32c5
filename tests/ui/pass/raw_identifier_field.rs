use eagerly::prelude::*;

#[derive(Entity, Debug)]
pub struct Item {
    #[orm(primary_key)]
    pub id: i64,
    pub r#type: String,
    pub r#match: Option<i32>,
}

fn main() -> eagerly::Result<()> {
    assert_eq!(Item::TYPE.name(), "type");
    assert_eq!(Item::MATCH.name(), "match");
    let mut session = Session::in_memory()?;
    session.create_all(&[Item::META])?;
    session.insert(Item {
        id: 0,
        r#type: "book".into(),
        r#match: None,
    })?;
    let found = session
        .query::<Item>()
        .filter(Item::TYPE.eq("book"))
        .filter(Item::MATCH.is_null())
        .one()?;
    assert_eq!(found.r#type, "book");
    Ok(())
}
