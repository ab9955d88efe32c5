// Expansion of #[derive(Entity)] for the struct below, checked by
// orm-derive/src/tests.rs. After an intended change, rewrite with
// EAGERLY_SNAPSHOTS=overwrite cargo test -p orm-derive
// and review the diff.
//
// #[derive(Entity)]
// #[orm(table = "books")]
// pub struct Book {
//     #[orm(primary_key)]
//     pub id: i64,
//     #[orm(unique)]
//     pub isbn: String,
//     #[orm(unique = "uq_books_shelf_slot", column = "shelf_no")]
//     pub shelf: i64,
//     #[orm(unique = "uq_books_shelf_slot")]
//     pub slot: i64,
//     #[orm(index, default = "'draft'")]
//     pub status: String,
//     #[orm(check = "price > 0")]
//     pub price: f64,
// }

::eagerly::__entity_serde! {
    Book; "id" => id, "isbn" => isbn, "shelf" => shelf, "slot" => slot, "status" =>
    status, "price" => price;
}
impl Book {
    /// Table, columns and relations of this entity (the same as
    /// `<Self as Record>::META`, nameable without the trait in scope).
    pub const META: &'static ::eagerly::EntityMeta = <Self as ::eagerly::Record>::META;
    ///Column `id` of table `books` (field `id`, part of the primary key), for filters and ordering.
    pub const ID: ::eagerly::Column<Book, i64> = ::eagerly::Column::new(
        "id",
        0usize,
        |entity: &Book| &entity.id,
        |entity: &mut Book| &mut entity.id,
    );
    ///Column `isbn` of table `books` (field `isbn`), for filters and ordering.
    pub const ISBN: ::eagerly::Column<Book, String> = ::eagerly::Column::new(
        "isbn",
        1usize,
        |entity: &Book| &entity.isbn,
        |entity: &mut Book| &mut entity.isbn,
    );
    ///Column `shelf_no` of table `books` (field `shelf`), for filters and ordering.
    pub const SHELF: ::eagerly::Column<Book, i64> = ::eagerly::Column::new(
        "shelf_no",
        2usize,
        |entity: &Book| &entity.shelf,
        |entity: &mut Book| &mut entity.shelf,
    );
    ///Column `slot` of table `books` (field `slot`), for filters and ordering.
    pub const SLOT: ::eagerly::Column<Book, i64> = ::eagerly::Column::new(
        "slot",
        3usize,
        |entity: &Book| &entity.slot,
        |entity: &mut Book| &mut entity.slot,
    );
    ///Column `status` of table `books` (field `status`), for filters and ordering.
    pub const STATUS: ::eagerly::Column<Book, String> = ::eagerly::Column::new(
        "status",
        4usize,
        |entity: &Book| &entity.status,
        |entity: &mut Book| &mut entity.status,
    );
    ///Column `price` of table `books` (field `price`), for filters and ordering.
    pub const PRICE: ::eagerly::Column<Book, f64> = ::eagerly::Column::new(
        "price",
        5usize,
        |entity: &Book| &entity.price,
        |entity: &mut Book| &mut entity.price,
    );
}
impl ::eagerly::Entity for Book {
    type Itself = Self;
    fn relations() -> &'static [&'static dyn ::eagerly::__private::ErasedRelation<
        Self,
    >] {
        const RELATIONS: &[&dyn ::eagerly::__private::ErasedRelation<Book>] = &[];
        RELATIONS
    }
}
impl ::eagerly::Record for Book {
    type Key = i64;
    const META: &'static ::eagerly::EntityMeta = &::eagerly::__private::EntityMetaParts {
        name: "Book",
        table: "books",
        columns: &[
            ::eagerly::__private::ColumnMetaParts {
                name: "id",
                field: "id",
                sql_type: <i64 as ::eagerly::ColumnType>::SQL_TYPE,
                nullable: <i64 as ::eagerly::ColumnType>::NULLABLE,
                primary_key: true,
                unique: ::core::option::Option::None,
                index: false,
                default: ::core::option::Option::None,
                check: ::core::option::Option::None,
            }
                .build(),
            ::eagerly::__private::ColumnMetaParts {
                name: "isbn",
                field: "isbn",
                sql_type: <String as ::eagerly::ColumnType>::SQL_TYPE,
                nullable: <String as ::eagerly::ColumnType>::NULLABLE,
                primary_key: false,
                unique: ::core::option::Option::Some("uq_books_isbn"),
                index: false,
                default: ::core::option::Option::None,
                check: ::core::option::Option::None,
            }
                .build(),
            ::eagerly::__private::ColumnMetaParts {
                name: "shelf_no",
                field: "shelf",
                sql_type: <i64 as ::eagerly::ColumnType>::SQL_TYPE,
                nullable: <i64 as ::eagerly::ColumnType>::NULLABLE,
                primary_key: false,
                unique: ::core::option::Option::Some("uq_books_shelf_slot"),
                index: false,
                default: ::core::option::Option::None,
                check: ::core::option::Option::None,
            }
                .build(),
            ::eagerly::__private::ColumnMetaParts {
                name: "slot",
                field: "slot",
                sql_type: <i64 as ::eagerly::ColumnType>::SQL_TYPE,
                nullable: <i64 as ::eagerly::ColumnType>::NULLABLE,
                primary_key: false,
                unique: ::core::option::Option::Some("uq_books_shelf_slot"),
                index: false,
                default: ::core::option::Option::None,
                check: ::core::option::Option::None,
            }
                .build(),
            ::eagerly::__private::ColumnMetaParts {
                name: "status",
                field: "status",
                sql_type: <String as ::eagerly::ColumnType>::SQL_TYPE,
                nullable: <String as ::eagerly::ColumnType>::NULLABLE,
                primary_key: false,
                unique: ::core::option::Option::None,
                index: true,
                default: ::core::option::Option::Some("'draft'"),
                check: ::core::option::Option::None,
            }
                .build(),
            ::eagerly::__private::ColumnMetaParts {
                name: "price",
                field: "price",
                sql_type: <f64 as ::eagerly::ColumnType>::SQL_TYPE,
                nullable: <f64 as ::eagerly::ColumnType>::NULLABLE,
                primary_key: false,
                unique: ::core::option::Option::None,
                index: false,
                default: ::core::option::Option::None,
                check: ::core::option::Option::Some("price > 0"),
            }
                .build(),
        ],
        primary_key: &[0usize],
        auto_key: true,
        relations: &[],
    }
        .build();
    fn cells() -> &'static [&'static dyn ::eagerly::__private::RelationCell<Self>] {
        const CELLS: &[&dyn ::eagerly::__private::RelationCell<Book>] = &[];
        CELLS
    }
    fn key_at(
        row: &dyn ::eagerly::__private::Row,
        start: usize,
    ) -> ::eagerly::Result<Self::Key> {
        let key = ::eagerly::__private::decode(
            row,
            start + 0usize,
            "books",
            "id",
            <i64 as ::eagerly::ColumnType>::from_value,
        )?;
        ::core::result::Result::Ok(key)
    }
    fn key(&self) -> Self::Key {
        ::core::clone::Clone::clone(&self.id)
    }
    fn key_values(key: &Self::Key, out: &mut ::std::vec::Vec<::eagerly::Value>) {
        out.push(<i64 as ::eagerly::ColumnType>::to_value(key));
    }
    fn key_from_row(
        row: &dyn ::eagerly::__private::Row,
        offset: usize,
    ) -> ::eagerly::Result<Self::Key> {
        let key = ::eagerly::__private::decode(
            row,
            offset + 0usize,
            "books",
            "id",
            <i64 as ::eagerly::ColumnType>::from_value,
        )?;
        ::core::result::Result::Ok(key)
    }
    fn from_row(
        row: &dyn ::eagerly::__private::Row,
        offset: usize,
    ) -> ::eagerly::Result<Self> {
        ::core::result::Result::Ok(Book {
            id: ::eagerly::__private::decode(
                row,
                offset + 0usize,
                "books",
                "id",
                <i64 as ::eagerly::ColumnType>::from_value,
            )?,
            isbn: ::eagerly::__private::decode(
                row,
                offset + 1usize,
                "books",
                "isbn",
                <String as ::eagerly::ColumnType>::from_value,
            )?,
            shelf: ::eagerly::__private::decode(
                row,
                offset + 2usize,
                "books",
                "shelf_no",
                <i64 as ::eagerly::ColumnType>::from_value,
            )?,
            slot: ::eagerly::__private::decode(
                row,
                offset + 3usize,
                "books",
                "slot",
                <i64 as ::eagerly::ColumnType>::from_value,
            )?,
            status: ::eagerly::__private::decode(
                row,
                offset + 4usize,
                "books",
                "status",
                <String as ::eagerly::ColumnType>::from_value,
            )?,
            price: ::eagerly::__private::decode(
                row,
                offset + 5usize,
                "books",
                "price",
                <f64 as ::eagerly::ColumnType>::from_value,
            )?,
        })
    }
    fn column_values(&self, out: &mut ::std::vec::Vec<::eagerly::Value>) {
        out.push(<i64 as ::eagerly::ColumnType>::to_value(&self.id));
        out.push(<String as ::eagerly::ColumnType>::to_value(&self.isbn));
        out.push(<i64 as ::eagerly::ColumnType>::to_value(&self.shelf));
        out.push(<i64 as ::eagerly::ColumnType>::to_value(&self.slot));
        out.push(<String as ::eagerly::ColumnType>::to_value(&self.status));
        out.push(<f64 as ::eagerly::ColumnType>::to_value(&self.price));
    }
    fn key_unassigned(&self) -> bool {
        self.id == 0
    }
    fn assign_key(&mut self, id: i64) -> ::eagerly::Result<()> {
        self.id = ::eagerly::__private::assigned_key(id, "books", "id", "i64")?;
        ::core::result::Result::Ok(())
    }
    fn assigned_key_fits(id: i64) -> bool {
        <i64 as ::core::convert::TryFrom<i64>>::try_from(id).is_ok()
    }
}
