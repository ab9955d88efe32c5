use eagerly::prelude::*;

#[derive(Entity, Debug)]
#[orm(table = "book_tags")]
pub struct BookTag {
    #[orm(primary_key)]
    pub book_id: i64,
    #[orm(primary_key)]
    pub tag_id: i64,
    pub weight: i32,
}

fn main() -> eagerly::Result<()> {
    assert_eq!(BookTag::META.primary_key(), &[0, 1]);
    let mut session = Session::in_memory()?;
    session.create_all(&[BookTag::META])?;
    session.insert(BookTag {
        book_id: 1,
        tag_id: 2,
        weight: 3,
    })?;
    let key: <BookTag as Record>::Key = (1, 2);
    let found = session.get::<BookTag>(key)?.expect("inserted above");
    assert_eq!(found.weight, 3);
    Ok(())
}
