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
//     #[relationship(
//         foreign_key = "author_id",
//         lazy = "selectin",
//         order_by = "title desc, id",
//         chunk_size = 100
//     )]
//     pub books: Many<Book>,
// }

::eagerly::__entity_serde! {
    Author; "id" => id; "books" => books
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
    ///Relation `books`: one-to-many to `Book`, foreign key `author_id` on `Book`; default strategy `selectin`. Pass it to `session.load` or to loader options such as `selectin(Author::BOOKS)`. Its type is `Relation<Author, Book, Many<Book>>`.
    pub const BOOKS: ::eagerly::Relation<
        Author,
        <Book as ::eagerly::Entity>::Itself,
        Many<Book>,
    > = {
        #[allow(non_camel_case_types)]
        enum author_id {}
        #[allow(non_camel_case_types)]
        enum id {}
        #[allow(non_camel_case_types)]
        enum title {}
        #[allow(dead_code, non_camel_case_types)]
        trait target_columns {
            const AUTHOR_ID: ::eagerly::__private::NoColumn<Self, author_id>;
            const ID: ::eagerly::__private::NoColumn<Self, id>;
            const TITLE: ::eagerly::__private::NoColumn<Self, title>;
        }
        impl<T: ?::core::marker::Sized> target_columns for T {
            const AUTHOR_ID: ::eagerly::__private::NoColumn<Self, author_id> = ::eagerly::__private::NoColumn::NEW;
            const ID: ::eagerly::__private::NoColumn<Self, id> = ::eagerly::__private::NoColumn::NEW;
            const TITLE: ::eagerly::__private::NoColumn<Self, title> = ::eagerly::__private::NoColumn::NEW;
        }
        ::eagerly::Relation::new(
            &::eagerly::__private::RelationMetaParts {
                owner: "Author",
                name: "books",
                target: "Book",
                kind: ::eagerly::RelationKind::OneToMany,
                lazy: ::eagerly::Strategy::Selectin,
                innerjoin: false,
                chunk_size: 100usize,
                chunk_size_explicit: true,
                join_depth: 0usize,
                order_by: &[
                    (<<Book as ::eagerly::Entity>::Itself>::TITLE.name(), true),
                    (<<Book as ::eagerly::Entity>::Itself>::ID.name(), false),
                ],
                foreign_key: &[<<Book as ::eagerly::Entity>::Itself>::AUTHOR_ID.name()],
                secondary: ::core::option::Option::None,
                target_foreign_key: &[],
                optional: false,
                cascade_delete: false,
                delete_orphan: false,
                on_delete: ::eagerly::OnDelete::NoAction,
                owner_meta: || <Author as ::eagerly::Record>::META,
                target_meta: || {
                    <<Book as ::eagerly::Entity>::Itself as ::eagerly::Record>::META
                },
                owner_type: ::core::any::TypeId::of::<Author>,
                target_type: ::core::any::TypeId::of::<
                    <Book as ::eagerly::Entity>::Itself,
                >,
            }
                .build(),
            |parent: &Author| &parent.books,
            ::eagerly::__private::Link::Remote {
                foreign_key: |target: &<Book as ::eagerly::Entity>::Itself| {
                    let field0 = <<Book as ::eagerly::Entity>::Itself>::AUTHOR_ID
                        .value(target);
                    ::eagerly::__private::ForeignKey::<
                        <Author as ::eagerly::Record>::Key,
                    >::referenced_key(field0)
                },
                set_foreign_key: |
                    target: &mut <Book as ::eagerly::Entity>::Itself,
                    key: &<Author as ::eagerly::Record>::Key|
                {
                    let field0 = <<Book as ::eagerly::Entity>::Itself>::AUTHOR_ID
                        .value_mut(target);
                    ::eagerly::__private::ForeignKey::<
                        <Author as ::eagerly::Record>::Key,
                    >::set_key(field0, key)
                },
            },
        )
    };
}
impl ::eagerly::Entity for Author {
    type Itself = Self;
    fn relations() -> &'static [&'static dyn ::eagerly::__private::ErasedRelation<
        Self,
    >] {
        const RELATIONS: &[&dyn ::eagerly::__private::ErasedRelation<Author>] = &[
            &Author::BOOKS,
        ];
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
        ],
        primary_key: &[0usize],
        auto_key: true,
        relations: &[Author::BOOKS.meta()],
    }
        .build();
    fn cells() -> &'static [&'static dyn ::eagerly::__private::RelationCell<Self>] {
        const CELLS: &[&dyn ::eagerly::__private::RelationCell<Author>] = &[
            &Author::BOOKS,
        ];
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
            books: ::eagerly::Many::for_relation(
                {
                    static INDEX: ::eagerly::__private::RelationIndex = ::eagerly::__private::RelationIndex::new();
                    &INDEX
                },
                Author::BOOKS.meta(),
            ),
        })
    }
    fn column_values(&self, out: &mut ::std::vec::Vec<::eagerly::Value>) {
        out.push(<i64 as ::eagerly::ColumnType>::to_value(&self.id));
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
