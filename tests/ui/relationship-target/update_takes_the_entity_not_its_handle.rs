use eagerly::prelude::*;

#[derive(Entity, Clone)]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    let tag = session.get::<Tag>(1)?.unwrap();
    // The handle is an `Handle<Tag>`: update takes the entity.
    session.update(tag)?;
    Ok(())
}
