// Expansion of #[derive(Entity)] for the struct below, checked by
// orm-derive/src/tests.rs. After an intended change, rewrite with
// EAGERLY_SNAPSHOTS=overwrite cargo test -p orm-derive
// and review the diff.
//
// #[derive(Entity)]
// pub struct Edition {
//     #[orm(primary_key)]
//     pub book_id: i64,
//     #[orm(primary_key)]
//     pub number: i32,
//     #[relationship(foreign_key = "edition_book_id, edition_number", order_by = "id")]
//     pub printings: Many<Printing>,
// }

::eagerly::__entity_serde! {
    Edition; "book_id" => book_id, "number" => number; "printings" => printings
}
impl Edition {
    /// Table, columns and relations of this entity (the same as
    /// `<Self as Record>::META`, nameable without the trait in scope).
    pub const META: &'static ::eagerly::EntityMeta = <Self as ::eagerly::Record>::META;
    ///Column `book_id` of table `editions` (field `book_id`, part of the primary key), for filters and ordering.
    pub const BOOK_ID: ::eagerly::Column<Edition, i64> = ::eagerly::Column::new(
        "book_id",
        0usize,
        |entity: &Edition| &entity.book_id,
        |entity: &mut Edition| &mut entity.book_id,
    );
    ///Column `number` of table `editions` (field `number`, part of the primary key), for filters and ordering.
    pub const NUMBER: ::eagerly::Column<Edition, i32> = ::eagerly::Column::new(
        "number",
        1usize,
        |entity: &Edition| &entity.number,
        |entity: &mut Edition| &mut entity.number,
    );
    ///Relation `printings`: one-to-many to `Printing`, foreign key `edition_book_id, edition_number` on `Printing`; default strategy `select`. Pass it to `session.load` or to loader options such as `selectin(Edition::PRINTINGS)`. Its type is `Relation<Edition, Printing, Many<Printing>>`.
    pub const PRINTINGS: ::eagerly::Relation<
        Edition,
        <Printing as ::eagerly::Entity>::Itself,
        Many<Printing>,
    > = {
        #[allow(non_camel_case_types)]
        enum edition_book_id {}
        #[allow(non_camel_case_types)]
        enum edition_number {}
        #[allow(non_camel_case_types)]
        enum id {}
        #[allow(dead_code, non_camel_case_types)]
        trait target_columns {
            const EDITION_BOOK_ID: ::eagerly::__private::NoColumn<Self, edition_book_id>;
            const EDITION_NUMBER: ::eagerly::__private::NoColumn<Self, edition_number>;
            const ID: ::eagerly::__private::NoColumn<Self, id>;
        }
        impl<T: ?::core::marker::Sized> target_columns for T {
            const EDITION_BOOK_ID: ::eagerly::__private::NoColumn<
                Self,
                edition_book_id,
            > = ::eagerly::__private::NoColumn::NEW;
            const EDITION_NUMBER: ::eagerly::__private::NoColumn<Self, edition_number> = ::eagerly::__private::NoColumn::NEW;
            const ID: ::eagerly::__private::NoColumn<Self, id> = ::eagerly::__private::NoColumn::NEW;
        }
        ::eagerly::Relation::new(
            &::eagerly::__private::RelationMetaParts {
                owner: "Edition",
                name: "printings",
                target: "Printing",
                kind: ::eagerly::RelationKind::OneToMany,
                lazy: ::eagerly::Strategy::Select,
                innerjoin: false,
                chunk_size: 500usize,
                chunk_size_explicit: false,
                join_depth: 0usize,
                order_by: &[
                    (<<Printing as ::eagerly::Entity>::Itself>::ID.name(), false),
                ],
                foreign_key: &[
                    <<Printing as ::eagerly::Entity>::Itself>::EDITION_BOOK_ID.name(),
                    <<Printing as ::eagerly::Entity>::Itself>::EDITION_NUMBER.name(),
                ],
                secondary: ::core::option::Option::None,
                target_foreign_key: &[],
                optional: false,
                cascade_delete: false,
                delete_orphan: false,
                on_delete: ::eagerly::OnDelete::NoAction,
                owner_meta: || <Edition as ::eagerly::Record>::META,
                target_meta: || {
                    <<Printing as ::eagerly::Entity>::Itself as ::eagerly::Record>::META
                },
                owner_type: ::core::any::TypeId::of::<Edition>,
                target_type: ::core::any::TypeId::of::<
                    <Printing as ::eagerly::Entity>::Itself,
                >,
            }
                .build(),
            |parent: &Edition| &parent.printings,
            ::eagerly::__private::Link::Remote {
                foreign_key: |target: &<Printing as ::eagerly::Entity>::Itself| {
                    let field0 = <<Printing as ::eagerly::Entity>::Itself>::EDITION_BOOK_ID
                        .value(target);
                    let field1 = <<Printing as ::eagerly::Entity>::Itself>::EDITION_NUMBER
                        .value(target);
                    ::core::option::Option::Some((
                        ::eagerly::__private::ForeignKey::referenced_key(field0)?,
                        ::eagerly::__private::ForeignKey::referenced_key(field1)?,
                    ))
                },
                set_foreign_key: |
                    target: &mut <Printing as ::eagerly::Entity>::Itself,
                    key: &<Edition as ::eagerly::Record>::Key|
                {
                    {
                        let field0 = <<Printing as ::eagerly::Entity>::Itself>::EDITION_BOOK_ID
                            .value_mut(target);
                        ::eagerly::__private::ForeignKey::set_key(field0, &key.0);
                    }
                    {
                        let field1 = <<Printing as ::eagerly::Entity>::Itself>::EDITION_NUMBER
                            .value_mut(target);
                        ::eagerly::__private::ForeignKey::set_key(field1, &key.1);
                    }
                },
            },
        )
    };
}
impl ::eagerly::Entity for Edition {
    type Itself = Self;
    fn relations() -> &'static [&'static dyn ::eagerly::__private::ErasedRelation<
        Self,
    >] {
        const RELATIONS: &[&dyn ::eagerly::__private::ErasedRelation<Edition>] = &[
            &Edition::PRINTINGS,
        ];
        RELATIONS
    }
}
impl ::eagerly::Record for Edition {
    type Key = (i64, i32);
    const META: &'static ::eagerly::EntityMeta = &::eagerly::__private::EntityMetaParts {
        name: "Edition",
        table: "editions",
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
                name: "number",
                field: "number",
                sql_type: <i32 as ::eagerly::ColumnType>::SQL_TYPE,
                nullable: <i32 as ::eagerly::ColumnType>::NULLABLE,
                primary_key: true,
                unique: ::core::option::Option::None,
                index: false,
                default: ::core::option::Option::None,
                check: ::core::option::Option::None,
            }
                .build(),
        ],
        primary_key: &[0usize, 1usize],
        auto_key: false,
        relations: &[Edition::PRINTINGS.meta()],
    }
        .build();
    fn cells() -> &'static [&'static dyn ::eagerly::__private::RelationCell<Self>] {
        const CELLS: &[&dyn ::eagerly::__private::RelationCell<Edition>] = &[
            &Edition::PRINTINGS,
        ];
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
                "editions",
                "book_id",
                <i64 as ::eagerly::ColumnType>::from_value,
            )?,
            ::eagerly::__private::decode(
                row,
                start + 1usize,
                "editions",
                "number",
                <i32 as ::eagerly::ColumnType>::from_value,
            )?,
        );
        ::core::result::Result::Ok(key)
    }
    fn key(&self) -> Self::Key {
        (
            ::core::clone::Clone::clone(&self.book_id),
            ::core::clone::Clone::clone(&self.number),
        )
    }
    fn key_values(key: &Self::Key, out: &mut ::std::vec::Vec<::eagerly::Value>) {
        out.push(<i64 as ::eagerly::ColumnType>::to_value(&key.0));
        out.push(<i32 as ::eagerly::ColumnType>::to_value(&key.1));
    }
    fn key_from_row(
        row: &dyn ::eagerly::__private::Row,
        offset: usize,
    ) -> ::eagerly::Result<Self::Key> {
        let key = (
            ::eagerly::__private::decode(
                row,
                offset + 0usize,
                "editions",
                "book_id",
                <i64 as ::eagerly::ColumnType>::from_value,
            )?,
            ::eagerly::__private::decode(
                row,
                offset + 1usize,
                "editions",
                "number",
                <i32 as ::eagerly::ColumnType>::from_value,
            )?,
        );
        ::core::result::Result::Ok(key)
    }
    fn from_row(
        row: &dyn ::eagerly::__private::Row,
        offset: usize,
    ) -> ::eagerly::Result<Self> {
        ::core::result::Result::Ok(Edition {
            book_id: ::eagerly::__private::decode(
                row,
                offset + 0usize,
                "editions",
                "book_id",
                <i64 as ::eagerly::ColumnType>::from_value,
            )?,
            number: ::eagerly::__private::decode(
                row,
                offset + 1usize,
                "editions",
                "number",
                <i32 as ::eagerly::ColumnType>::from_value,
            )?,
            printings: ::eagerly::Many::for_relation(
                {
                    static INDEX: ::eagerly::__private::RelationIndex = ::eagerly::__private::RelationIndex::new();
                    &INDEX
                },
                Edition::PRINTINGS.meta(),
            ),
        })
    }
    fn column_values(&self, out: &mut ::std::vec::Vec<::eagerly::Value>) {
        out.push(<i64 as ::eagerly::ColumnType>::to_value(&self.book_id));
        out.push(<i32 as ::eagerly::ColumnType>::to_value(&self.number));
    }
}
