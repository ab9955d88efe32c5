// Expansion of #[derive(Entity)] for the struct below, checked by
// orm-derive/src/tests.rs. After an intended change, rewrite with
// EAGERLY_SNAPSHOTS=overwrite cargo test -p orm-derive
// and review the diff.
//
// #[derive(Entity)]
// pub struct BookTag {
//     #[orm(primary_key)]
//     pub book_id: i64,
//     #[orm(primary_key)]
//     pub tag_id: i64,
//     pub weight: f64,
// }

::eagerly::__entity_serde! {
    BookTag; "book_id" => book_id, "tag_id" => tag_id, "weight" => weight;
}
impl BookTag {
    /// Table, columns and relations of this entity (the same as
    /// `<Self as Record>::META`, nameable without the trait in scope).
    pub const META: &'static ::eagerly::EntityMeta = <Self as ::eagerly::Record>::META;
    ///Column `book_id` of table `book_tags` (field `book_id`, part of the primary key), for filters and ordering.
    pub const BOOK_ID: ::eagerly::Column<BookTag, i64> = ::eagerly::Column::new(
        "book_id",
        0usize,
        |entity: &BookTag| &entity.book_id,
        |entity: &mut BookTag| &mut entity.book_id,
    );
    ///Column `tag_id` of table `book_tags` (field `tag_id`, part of the primary key), for filters and ordering.
    pub const TAG_ID: ::eagerly::Column<BookTag, i64> = ::eagerly::Column::new(
        "tag_id",
        1usize,
        |entity: &BookTag| &entity.tag_id,
        |entity: &mut BookTag| &mut entity.tag_id,
    );
    ///Column `weight` of table `book_tags` (field `weight`), for filters and ordering.
    pub const WEIGHT: ::eagerly::Column<BookTag, f64> = ::eagerly::Column::new(
        "weight",
        2usize,
        |entity: &BookTag| &entity.weight,
        |entity: &mut BookTag| &mut entity.weight,
    );
}
impl ::eagerly::Entity for BookTag {
    type Itself = Self;
    fn relations() -> &'static [&'static dyn ::eagerly::__private::ErasedRelation<
        Self,
    >] {
        const RELATIONS: &[&dyn ::eagerly::__private::ErasedRelation<BookTag>] = &[];
        RELATIONS
    }
}
impl ::eagerly::Record for BookTag {
    type Key = (i64, i64);
    const META: &'static ::eagerly::EntityMeta = &::eagerly::__private::EntityMetaParts {
        name: "BookTag",
        table: "book_tags",
        columns: &[
            ::eagerly::__private::ColumnMetaParts {
                name: "book_id",
                field: "book_id",
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
                name: "tag_id",
                field: "tag_id",
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
                name: "weight",
                field: "weight",
                sql_type: <f64 as ::eagerly::ColumnType>::SQL_TYPE,
                nullable: <f64 as ::eagerly::ColumnType>::NULLABLE,
                primary_key: false,
                unique: ::core::option::Option::None,
                index: false,
                default: ::core::option::Option::None,
                check: ::core::option::Option::None,
            }
                .build(),
        ],
        primary_key: &[0usize, 1usize],
        auto_key: false,
        relations: &[],
    }
        .build();
    fn cells() -> &'static [&'static dyn ::eagerly::__private::RelationCell<Self>] {
        const CELLS: &[&dyn ::eagerly::__private::RelationCell<BookTag>] = &[];
        CELLS
    }
    fn key_at(
        row: &dyn ::eagerly::__private::Row,
        start: usize,
    ) -> ::eagerly::Result<Self::Key> {
        let key = (
            ::eagerly::__private::decode(
                row,
                start + 0usize,
                "book_tags",
                "book_id",
                <i64 as ::eagerly::ColumnType>::from_value,
            )?,
            ::eagerly::__private::decode(
                row,
                start + 1usize,
                "book_tags",
                "tag_id",
                <i64 as ::eagerly::ColumnType>::from_value,
            )?,
        );
        ::core::result::Result::Ok(key)
    }
    fn key(&self) -> Self::Key {
        (
            ::core::clone::Clone::clone(&self.book_id),
            ::core::clone::Clone::clone(&self.tag_id),
        )
    }
    fn key_values(key: &Self::Key, out: &mut ::std::vec::Vec<::eagerly::Value>) {
        out.push(<i64 as ::eagerly::ColumnType>::to_value(&key.0));
        out.push(<i64 as ::eagerly::ColumnType>::to_value(&key.1));
    }
    fn key_from_row(
        row: &dyn ::eagerly::__private::Row,
        offset: usize,
    ) -> ::eagerly::Result<Self::Key> {
        let key = (
            ::eagerly::__private::decode(
                row,
                offset + 0usize,
                "book_tags",
                "book_id",
                <i64 as ::eagerly::ColumnType>::from_value,
            )?,
            ::eagerly::__private::decode(
                row,
                offset + 1usize,
                "book_tags",
                "tag_id",
                <i64 as ::eagerly::ColumnType>::from_value,
            )?,
        );
        ::core::result::Result::Ok(key)
    }
    fn from_row(
        row: &dyn ::eagerly::__private::Row,
        offset: usize,
    ) -> ::eagerly::Result<Self> {
        ::core::result::Result::Ok(BookTag {
            book_id: ::eagerly::__private::decode(
                row,
                offset + 0usize,
                "book_tags",
                "book_id",
                <i64 as ::eagerly::ColumnType>::from_value,
            )?,
            tag_id: ::eagerly::__private::decode(
                row,
                offset + 1usize,
                "book_tags",
                "tag_id",
                <i64 as ::eagerly::ColumnType>::from_value,
            )?,
            weight: ::eagerly::__private::decode(
                row,
                offset + 2usize,
                "book_tags",
                "weight",
                <f64 as ::eagerly::ColumnType>::from_value,
            )?,
        })
    }
    fn column_values(&self, out: &mut ::std::vec::Vec<::eagerly::Value>) {
        out.push(<i64 as ::eagerly::ColumnType>::to_value(&self.book_id));
        out.push(<i64 as ::eagerly::ColumnType>::to_value(&self.tag_id));
        out.push(<f64 as ::eagerly::ColumnType>::to_value(&self.weight));
    }
}
