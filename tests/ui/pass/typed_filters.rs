use eagerly::prelude::*;

#[derive(Entity, Debug)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub pages: u32,
    pub rating: f64,
    pub author_id: Option<i64>,
    pub subtitle: Option<String>,
}

fn main() -> eagerly::Result<()> {
    let title = String::from("Dune");
    let filters: Vec<Filter<Book>> = vec![
        Book::TITLE.eq("Dune"),
        Book::TITLE.eq(title.clone()),
        Book::TITLE.eq(&title),
        Book::TITLE.ne("Emma"),
        Book::TITLE.like("D%"),
        Book::PAGES.gt(100u32),
        Book::PAGES.le(900),
        Book::RATING.ge(4.5),
        Book::AUTHOR_ID.eq(3),
        Book::AUTHOR_ID.eq(None),
        Book::AUTHOR_ID.eq(Some(3)),
        Book::AUTHOR_ID.is_not_null(),
        Book::SUBTITLE.eq("A novel"),
        Book::SUBTITLE.like("%novel"),
        Book::SUBTITLE.is_null(),
        Book::ID.in_([1, 2, 3]),
        Book::ID.not_in(Vec::<i64>::new()),
    ];
    let combined = filters
        .into_iter()
        .reduce(|a, b| a.and(b))
        .expect("not empty");
    let either = Book::ID.eq(1) | !Book::ID.lt(0) & Book::PAGES.eq(1u32);

    let mut session = Session::in_memory()?;
    session.create_all(&[Book::META])?;
    let count = session
        .query::<Book>()
        .filter(combined.or(either))
        .order_by(Book::TITLE)
        .order_by(Book::RATING.desc())
        .limit(10)
        .count()?;
    assert_eq!(count, 0);
    Ok(())
}
