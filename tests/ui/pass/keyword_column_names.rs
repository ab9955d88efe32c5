use eagerly::prelude::*;

#[derive(Entity, Debug)]
#[orm(table = "select")]
pub struct Line {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(column = "order")]
    pub position: i32,
    #[orm(column = "group")]
    pub group_name: String,
    #[orm(column = "odd \"quoted\" name")]
    pub odd: bool,
}

fn main() -> eagerly::Result<()> {
    assert_eq!(Line::POSITION.name(), "order");
    assert_eq!(Line::GROUP_NAME.name(), "group");
    let mut session = Session::in_memory()?;
    session.create_all(&[Line::META])?;
    session.insert(Line {
        id: 0,
        position: 2,
        group_name: "a".into(),
        odd: true,
    })?;
    let found = session
        .query::<Line>()
        .filter(Line::POSITION.eq(2).and(Line::ODD.eq(true)))
        .order_by(Line::GROUP_NAME.desc())
        .one()?;
    assert_eq!(found.group_name, "a");
    Ok(())
}
