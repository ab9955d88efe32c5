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
//     pub title: String,
//     pub author_id: Option<i64>,
//     #[relationship(foreign_key = "author_id", lazy = "bulk")]
//     pub author: One<Author>,
// }

::eagerly::__entity_serde! {
    Book; "id" => id, "title" => title, "author_id" => author_id; "author" => author
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
    ///Column `title` of table `books` (field `title`), for filters and ordering.
    pub const TITLE: ::eagerly::Column<Book, String> = ::eagerly::Column::new(
        "title",
        1usize,
        |entity: &Book| &entity.title,
        |entity: &mut Book| &mut entity.title,
    );
    ///Column `author_id` of table `books` (field `author_id`), for filters and ordering.
    pub const AUTHOR_ID: ::eagerly::Column<Book, Option<i64>> = ::eagerly::Column::new(
        "author_id",
        2usize,
        |entity: &Book| &entity.author_id,
        |entity: &mut Book| &mut entity.author_id,
    );
    ///Relation `author`: many-to-one to `Author`, foreign key `books.author_id`; default strategy `bulk`. Pass it to `session.load` or to loader options such as `selectin(Book::AUTHOR)`. Its type is `Relation<Book, Author, One<Author>>`.
    pub const AUTHOR: ::eagerly::Relation<
        Book,
        <Author as ::eagerly::Entity>::Itself,
        One<Author>,
    > = {
        ::eagerly::Relation::new(
            &::eagerly::__private::RelationMetaParts {
                owner: "Book",
                name: "author",
                target: "Author",
                kind: ::eagerly::RelationKind::ManyToOne,
                lazy: ::eagerly::Strategy::Bulk,
                innerjoin: false,
                chunk_size: 500usize,
                chunk_size_explicit: false,
                join_depth: 0usize,
                order_by: &[],
                foreign_key: &["author_id"],
                secondary: ::core::option::Option::None,
                target_foreign_key: &[],
                optional: true,
                cascade_delete: false,
                delete_orphan: false,
                on_delete: ::eagerly::OnDelete::NoAction,
                owner_meta: || <Book as ::eagerly::Record>::META,
                target_meta: || {
                    <<Author as ::eagerly::Entity>::Itself as ::eagerly::Record>::META
                },
                owner_type: ::core::any::TypeId::of::<Book>,
                target_type: ::core::any::TypeId::of::<
                    <Author as ::eagerly::Entity>::Itself,
                >,
            }
                .build(),
            |parent: &Book| &parent.author,
            ::eagerly::__private::Link::ManyToOne {
                foreign_key: |parent: &Book| ::eagerly::__private::ForeignKey::<
                    <<Author as ::eagerly::Entity>::Itself as ::eagerly::Record>::Key,
                >::referenced_key(&parent.author_id),
            },
        )
    };
}
impl ::eagerly::Entity for Book {
    type Itself = Self;
    fn relations() -> &'static [&'static dyn ::eagerly::__private::ErasedRelation<
        Self,
    >] {
        const RELATIONS: &[&dyn ::eagerly::__private::ErasedRelation<Book>] = &[
            &Book::AUTHOR,
        ];
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
                name: "title",
                field: "title",
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
                name: "author_id",
                field: "author_id",
                sql_type: <Option<i64> as ::eagerly::ColumnType>::SQL_TYPE,
                nullable: <Option<i64> as ::eagerly::ColumnType>::NULLABLE,
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
        relations: &[Book::AUTHOR.meta()],
    }
        .build();
    fn cells() -> &'static [&'static dyn ::eagerly::__private::RelationCell<Self>] {
        const CELLS: &[&dyn ::eagerly::__private::RelationCell<Book>] = &[&Book::AUTHOR];
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
            title: ::eagerly::__private::decode(
                row,
                offset + 1usize,
                "books",
                "title",
                <String as ::eagerly::ColumnType>::from_value,
            )?,
            author_id: ::eagerly::__private::decode(
                row,
                offset + 2usize,
                "books",
                "author_id",
                <Option<i64> as ::eagerly::ColumnType>::from_value,
            )?,
            author: ::eagerly::One::for_relation(
                {
                    static INDEX: ::eagerly::__private::RelationIndex = ::eagerly::__private::RelationIndex::new();
                    &INDEX
                },
                Book::AUTHOR.meta(),
            ),
        })
    }
    fn column_values(&self, out: &mut ::std::vec::Vec<::eagerly::Value>) {
        out.push(<i64 as ::eagerly::ColumnType>::to_value(&self.id));
        out.push(<String as ::eagerly::ColumnType>::to_value(&self.title));
        out.push(<Option<i64> as ::eagerly::ColumnType>::to_value(&self.author_id));
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
