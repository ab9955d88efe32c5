use eagerly::prelude::*;

#[derive(Entity, Debug)]
#[orm(table = "products")]
pub struct Product {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique)]
    pub sku: String,
    #[orm(unique = "uq_products_place")]
    pub shelf: i64,
    #[orm(unique = "uq_products_place")]
    pub slot: i64,
    #[orm(index, default = "'draft'")]
    pub status: String,
    #[orm(check = "price > 0")]
    pub price: i64,
}

fn main() -> eagerly::Result<()> {
    let columns = Product::META.columns();
    assert_eq!(columns[1].unique(), Some("uq_products_sku"));
    assert_eq!(columns[2].unique(), Some("uq_products_place"));
    assert_eq!(columns[3].unique(), Some("uq_products_place"));
    assert!(columns[4].index());
    assert_eq!(columns[4].default(), Some("'draft'"));
    assert_eq!(columns[5].check(), Some("price > 0"));
    let mut session = Session::in_memory()?;
    session.create_all(&[Product::META])?;
    session.drop_all(&[Product::META])?;
    Ok(())
}
