// Expansion of #[derive(Entity)] for the struct below, checked by
// orm-derive/src/tests.rs. After an intended change, rewrite with
// EAGERLY_SNAPSHOTS=overwrite cargo test -p orm-derive
// and review the diff.
//
// #[derive(Entity)]
// pub struct Node {
//     #[orm(primary_key)]
//     pub id: i64,
//     pub parent_id: Option<i64>,
//     #[relationship(foreign_key = "parent_id")]
//     pub parent: One<Node>,
//     #[relationship(foreign_key = "parent_id", lazy = "joined", join_depth = 3)]
//     pub children: Many<Node>,
// }

::eagerly::__entity_serde! {
    Node; "id" => id, "parent_id" => parent_id; "parent" => parent, "children" =>
    children
}
impl Node {
    /// Table, columns and relations of this entity (the same as
    /// `<Self as Record>::META`, nameable without the trait in scope).
    pub const META: &'static ::eagerly::EntityMeta = <Self as ::eagerly::Record>::META;
    ///Column `id` of table `nodes` (field `id`, part of the primary key), for filters and ordering.
    pub const ID: ::eagerly::Column<Node, i64> = ::eagerly::Column::new(
        "id",
        0usize,
        |entity: &Node| &entity.id,
        |entity: &mut Node| &mut entity.id,
    );
    ///Column `parent_id` of table `nodes` (field `parent_id`), for filters and ordering.
    pub const PARENT_ID: ::eagerly::Column<Node, Option<i64>> = ::eagerly::Column::new(
        "parent_id",
        1usize,
        |entity: &Node| &entity.parent_id,
        |entity: &mut Node| &mut entity.parent_id,
    );
    ///Relation `parent`: many-to-one to `Node`, foreign key `nodes.parent_id`; default strategy `select`. Pass it to `session.load` or to loader options such as `selectin(Node::PARENT)`. Its type is `Relation<Node, Node, One<Node>>`.
    pub const PARENT: ::eagerly::Relation<
        Node,
        <Node as ::eagerly::Entity>::Itself,
        One<Node>,
    > = {
        ::eagerly::Relation::new(
            &::eagerly::__private::RelationMetaParts {
                owner: "Node",
                name: "parent",
                target: "Node",
                kind: ::eagerly::RelationKind::ManyToOne,
                lazy: ::eagerly::Strategy::Select,
                innerjoin: false,
                chunk_size: 500usize,
                chunk_size_explicit: false,
                join_depth: 0usize,
                order_by: &[],
                foreign_key: &["parent_id"],
                secondary: ::core::option::Option::None,
                target_foreign_key: &[],
                optional: true,
                cascade_delete: false,
                delete_orphan: false,
                on_delete: ::eagerly::OnDelete::NoAction,
                owner_meta: || <Node as ::eagerly::Record>::META,
                target_meta: || {
                    <<Node as ::eagerly::Entity>::Itself as ::eagerly::Record>::META
                },
                owner_type: ::core::any::TypeId::of::<Node>,
                target_type: ::core::any::TypeId::of::<
                    <Node as ::eagerly::Entity>::Itself,
                >,
            }
                .build(),
            |parent: &Node| &parent.parent,
            ::eagerly::__private::Link::ManyToOne {
                foreign_key: |parent: &Node| ::eagerly::__private::ForeignKey::<
                    <<Node as ::eagerly::Entity>::Itself as ::eagerly::Record>::Key,
                >::referenced_key(&parent.parent_id),
            },
        )
    };
    ///Relation `children`: one-to-many to `Node`, foreign key `parent_id` on `Node`; default strategy `joined`. Pass it to `session.load` or to loader options such as `selectin(Node::CHILDREN)`. Its type is `Relation<Node, Node, Many<Node>>`.
    pub const CHILDREN: ::eagerly::Relation<
        Node,
        <Node as ::eagerly::Entity>::Itself,
        Many<Node>,
    > = {
        #[allow(non_camel_case_types)]
        enum parent_id {}
        #[allow(dead_code, non_camel_case_types)]
        trait target_columns {
            const PARENT_ID: ::eagerly::__private::NoColumn<Self, parent_id>;
        }
        impl<T: ?::core::marker::Sized> target_columns for T {
            const PARENT_ID: ::eagerly::__private::NoColumn<Self, parent_id> = ::eagerly::__private::NoColumn::NEW;
        }
        ::eagerly::Relation::new(
            &::eagerly::__private::RelationMetaParts {
                owner: "Node",
                name: "children",
                target: "Node",
                kind: ::eagerly::RelationKind::OneToMany,
                lazy: ::eagerly::Strategy::Joined,
                innerjoin: false,
                chunk_size: 500usize,
                chunk_size_explicit: false,
                join_depth: 3usize,
                order_by: &[],
                foreign_key: &[<<Node as ::eagerly::Entity>::Itself>::PARENT_ID.name()],
                secondary: ::core::option::Option::None,
                target_foreign_key: &[],
                optional: false,
                cascade_delete: false,
                delete_orphan: false,
                on_delete: ::eagerly::OnDelete::NoAction,
                owner_meta: || <Node as ::eagerly::Record>::META,
                target_meta: || {
                    <<Node as ::eagerly::Entity>::Itself as ::eagerly::Record>::META
                },
                owner_type: ::core::any::TypeId::of::<Node>,
                target_type: ::core::any::TypeId::of::<
                    <Node as ::eagerly::Entity>::Itself,
                >,
            }
                .build(),
            |parent: &Node| &parent.children,
            ::eagerly::__private::Link::Remote {
                foreign_key: |target: &<Node as ::eagerly::Entity>::Itself| {
                    let field0 = <<Node as ::eagerly::Entity>::Itself>::PARENT_ID
                        .value(target);
                    ::eagerly::__private::ForeignKey::<
                        <Node as ::eagerly::Record>::Key,
                    >::referenced_key(field0)
                },
                set_foreign_key: |
                    target: &mut <Node as ::eagerly::Entity>::Itself,
                    key: &<Node as ::eagerly::Record>::Key|
                {
                    let field0 = <<Node as ::eagerly::Entity>::Itself>::PARENT_ID
                        .value_mut(target);
                    ::eagerly::__private::ForeignKey::<
                        <Node as ::eagerly::Record>::Key,
                    >::set_key(field0, key)
                },
            },
        )
    };
}
impl ::eagerly::Entity for Node {
    type Itself = Self;
    fn relations() -> &'static [&'static dyn ::eagerly::__private::ErasedRelation<
        Self,
    >] {
        const RELATIONS: &[&dyn ::eagerly::__private::ErasedRelation<Node>] = &[
            &Node::PARENT,
            &Node::CHILDREN,
        ];
        RELATIONS
    }
}
impl ::eagerly::Record for Node {
    type Key = i64;
    const META: &'static ::eagerly::EntityMeta = &::eagerly::__private::EntityMetaParts {
        name: "Node",
        table: "nodes",
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
                name: "parent_id",
                field: "parent_id",
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
        relations: &[Node::PARENT.meta(), Node::CHILDREN.meta()],
    }
        .build();
    fn cells() -> &'static [&'static dyn ::eagerly::__private::RelationCell<Self>] {
        const CELLS: &[&dyn ::eagerly::__private::RelationCell<Node>] = &[
            &Node::PARENT,
            &Node::CHILDREN,
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
            "nodes",
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
            "nodes",
            "id",
            <i64 as ::eagerly::ColumnType>::from_value,
        )?;
        ::core::result::Result::Ok(key)
    }
    fn from_row(
        row: &dyn ::eagerly::__private::Row,
        offset: usize,
    ) -> ::eagerly::Result<Self> {
        ::core::result::Result::Ok(Node {
            id: ::eagerly::__private::decode(
                row,
                offset + 0usize,
                "nodes",
                "id",
                <i64 as ::eagerly::ColumnType>::from_value,
            )?,
            parent_id: ::eagerly::__private::decode(
                row,
                offset + 1usize,
                "nodes",
                "parent_id",
                <Option<i64> as ::eagerly::ColumnType>::from_value,
            )?,
            parent: ::eagerly::One::for_relation(
                {
                    static INDEX: ::eagerly::__private::RelationIndex = ::eagerly::__private::RelationIndex::new();
                    &INDEX
                },
                Node::PARENT.meta(),
            ),
            children: ::eagerly::Many::for_relation(
                {
                    static INDEX: ::eagerly::__private::RelationIndex = ::eagerly::__private::RelationIndex::new();
                    &INDEX
                },
                Node::CHILDREN.meta(),
            ),
        })
    }
    fn column_values(&self, out: &mut ::std::vec::Vec<::eagerly::Value>) {
        out.push(<i64 as ::eagerly::ColumnType>::to_value(&self.id));
        out.push(<Option<i64> as ::eagerly::ColumnType>::to_value(&self.parent_id));
    }
    fn key_unassigned(&self) -> bool {
        self.id == 0
    }
    fn assign_key(&mut self, id: i64) -> ::eagerly::Result<()> {
        self.id = ::eagerly::__private::assigned_key(id, "nodes", "id", "i64")?;
        ::core::result::Result::Ok(())
    }
    fn assigned_key_fits(id: i64) -> bool {
        <i64 as ::core::convert::TryFrom<i64>>::try_from(id).is_ok()
    }
}
