// Expansion of #[derive(Entity)] for the struct below, checked by
// orm-derive/src/tests.rs. After an intended change, rewrite with
// EAGERLY_SNAPSHOTS=overwrite cargo test -p orm-derive
// and review the diff.
//
// #[derive(Entity)]
// #[orm(table = "authors")]
// pub struct Author {
//     #[orm(primary_key)]
//     pub id: i64,
//     pub name: String,
//     #[orm(column = "birth_year")]
//     pub born: Option<i32>,
// }

::eagerly::__entity_serde! {
    Author; "id" => id, "name" => name, "born" => born;
}
impl Author {
    /// Table, columns and relations of this entity (the same as
    /// `<Self as Record>::META`, nameable without the trait in scope).
    pub const META: &'static ::eagerly::EntityMeta = <Self as ::eagerly::Record>::META;
    ///Column `id` of table `authors` (field `id`, part of the primary key), for filters and ordering.
    pub const ID: ::eagerly::Column<Author, i64> = ::eagerly::Column::new(
        "id",
        0usize,
        |entity: &Author| &entity.id,
        |entity: &mut Author| &mut entity.id,
    );
    ///Column `name` of table `authors` (field `name`), for filters and ordering.
    pub const NAME: ::eagerly::Column<Author, String> = ::eagerly::Column::new(
        "name",
        1usize,
        |entity: &Author| &entity.name,
        |entity: &mut Author| &mut entity.name,
    );
    ///Column `birth_year` of table `authors` (field `born`), for filters and ordering.
    pub const BORN: ::eagerly::Column<Author, Option<i32>> = ::eagerly::Column::new(
        "birth_year",
        2usize,
        |entity: &Author| &entity.born,
        |entity: &mut Author| &mut entity.born,
    );
}
impl ::eagerly::Entity for Author {
    type Itself = Self;
    fn relations() -> &'static [&'static dyn ::eagerly::__private::ErasedRelation<
        Self,
    >] {
        const RELATIONS: &[&dyn ::eagerly::__private::ErasedRelation<Author>] = &[];
        RELATIONS
    }
}
impl ::eagerly::Record for Author {
    type Key = i64;
    const META: &'static ::eagerly::EntityMeta = &::eagerly::__private::EntityMetaParts {
        name: "Author",
        table: "authors",
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
                name: "name",
                field: "name",
                sql_type: <String as ::eagerly::ColumnType>::SQL_TYPE,
                nullable: <String as ::eagerly::ColumnType>::NULLABLE,
                primary_key: false,
                unique: ::core::option::Option::None,
                index: false,
                default: ::core::option::Option::None,
                check: ::core::option::Option::None,
            }
                .build(),
            ::eagerly::__private::ColumnMetaParts {
                name: "birth_year",
                field: "born",
                sql_type: <Option<i32> as ::eagerly::ColumnType>::SQL_TYPE,
                nullable: <Option<i32> as ::eagerly::ColumnType>::NULLABLE,
                primary_key: false,
                unique: ::core::option::Option::None,
                index: false,
                default: ::core::option::Option::None,
                check: ::core::option::Option::None,
            }
                .build(),
        ],
        primary_key: &[0usize],
        auto_key: true,
        relations: &[],
    }
        .build();
    fn cells() -> &'static [&'static dyn ::eagerly::__private::RelationCell<Self>] {
        const CELLS: &[&dyn ::eagerly::__private::RelationCell<Author>] = &[];
        CELLS
    }
    fn key_at(
        row: &dyn ::eagerly::__private::Row,
        start: usize,
    ) -> ::eagerly::Result<Self::Key> {
        let key = ::eagerly::__private::decode(
            row,
            start + 0usize,
            "authors",
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
            "authors",
            "id",
            <i64 as ::eagerly::ColumnType>::from_value,
        )?;
        ::core::result::Result::Ok(key)
    }
    fn from_row(
        row: &dyn ::eagerly::__private::Row,
        offset: usize,
    ) -> ::eagerly::Result<Self> {
        ::core::result::Result::Ok(Author {
            id: ::eagerly::__private::decode(
                row,
                offset + 0usize,
                "authors",
                "id",
                <i64 as ::eagerly::ColumnType>::from_value,
            )?,
            name: ::eagerly::__private::decode(
                row,
                offset + 1usize,
                "authors",
                "name",
                <String as ::eagerly::ColumnType>::from_value,
            )?,
            born: ::eagerly::__private::decode(
                row,
                offset + 2usize,
                "authors",
                "birth_year",
                <Option<i32> as ::eagerly::ColumnType>::from_value,
            )?,
        })
    }
    fn column_values(&self, out: &mut ::std::vec::Vec<::eagerly::Value>) {
        out.push(<i64 as ::eagerly::ColumnType>::to_value(&self.id));
        out.push(<String as ::eagerly::ColumnType>::to_value(&self.name));
        out.push(<Option<i32> as ::eagerly::ColumnType>::to_value(&self.born));
    }
    fn key_unassigned(&self) -> bool {
        self.id == 0
    }
    fn assign_key(&mut self, id: i64) -> ::eagerly::Result<()> {
        self.id = ::eagerly::__private::assigned_key(id, "authors", "id", "i64")?;
        ::core::result::Result::Ok(())
    }
    fn assigned_key_fits(id: i64) -> bool {
        <i64 as ::core::convert::TryFrom<i64>>::try_from(id).is_ok()
    }
}
