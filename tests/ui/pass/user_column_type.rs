use eagerly::prelude::*;
use eagerly::{DecodeFailure, SqlType, Value, ValueRef};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cents(pub i64);

impl ColumnType for Cents {
    const SQL_TYPE: SqlType = SqlType::Integer;
    fn to_value(&self) -> Value {
        Value::Integer(self.0)
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        i64::from_value(value).map(Cents)
    }
}

#[derive(Entity, Debug)]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub price: Cents,
    pub discount: Option<Cents>,
}

fn main() -> eagerly::Result<()> {
    let mut session = Session::in_memory()?;
    session.create_all(&[Book::META])?;
    session.insert(Book {
        id: 0,
        price: Cents(250),
        discount: None,
    })?;
    let cheap = session
        .query::<Book>()
        .filter(Book::PRICE.lt(Cents(300)).and(Book::DISCOUNT.is_null()))
        .count()?;
    assert_eq!(cheap, 1);
    Ok(())
}
