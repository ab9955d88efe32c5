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
//     #[relationship(secondary = "book_tags", lazy = "joined", innerjoin = true)]
//     pub tags: Many<Tag>,
// }

::eagerly::__entity_serde! {
    Book; "id" => id; "tags" => tags
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
    ///Relation `tags`: many-to-many to `Tag`, through `book_tags` (book_id -> tag_id); default strategy `joined`. Pass it to `session.load` or to loader options such as `selectin(Book::TAGS)`. Its type is `Relation<Book, Tag, Many<Tag>>`.
    pub const TAGS: ::eagerly::Relation<
        Book,
        <Tag as ::eagerly::Entity>::Itself,
        Many<Tag>,
    > = {
        ::eagerly::Relation::new(
            &::eagerly::__private::RelationMetaParts {
                owner: "Book",
                name: "tags",
                target: "Tag",
                kind: ::eagerly::RelationKind::ManyToMany,
                lazy: ::eagerly::Strategy::Joined,
                innerjoin: true,
                chunk_size: 500usize,
                chunk_size_explicit: false,
                join_depth: 0usize,
                order_by: &[],
                foreign_key: &["book_id"],
                secondary: ::core::option::Option::Some("book_tags"),
                target_foreign_key: &["tag_id"],
                optional: false,
                cascade_delete: false,
                delete_orphan: false,
                on_delete: ::eagerly::OnDelete::NoAction,
                owner_meta: || <Book as ::eagerly::Record>::META,
                target_meta: || {
                    <<Tag as ::eagerly::Entity>::Itself as ::eagerly::Record>::META
                },
                owner_type: ::core::any::TypeId::of::<Book>,
                target_type: ::core::any::TypeId::of::<
                    <Tag as ::eagerly::Entity>::Itself,
                >,
            }
                .build(),
            |parent: &Book| &parent.tags,
            ::eagerly::__private::Link::Secondary,
        )
    };
}
impl ::eagerly::Entity for Book {
    type Itself = Self;
    fn relations() -> &'static [&'static dyn ::eagerly::__private::ErasedRelation<
        Self,
    >] {
        const RELATIONS: &[&dyn ::eagerly::__private::ErasedRelation<Book>] = &[
            &Book::TAGS,
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
        ],
        primary_key: &[0usize],
        auto_key: true,
        relations: &[Book::TAGS.meta()],
    }
        .build();
    fn cells() -> &'static [&'static dyn ::eagerly::__private::RelationCell<Self>] {
        const CELLS: &[&dyn ::eagerly::__private::RelationCell<Book>] = &[&Book::TAGS];
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
            tags: ::eagerly::Many::for_relation(
                {
                    static INDEX: ::eagerly::__private::RelationIndex = ::eagerly::__private::RelationIndex::new();
                    &INDEX
                },
                Book::TAGS.meta(),
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
        self.id = ::eagerly::__private::assigned_key(id, "books", "id", "i64")?;
        ::core::result::Result::Ok(())
    }
    fn assigned_key_fits(id: i64) -> bool {
        <i64 as ::core::convert::TryFrom<i64>>::try_from(id).is_ok()
    }
}
