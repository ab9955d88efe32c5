// `join_depth` on a self-referential relation.
use eagerly::prelude::*;
use eagerly::{Many, One};

#[derive(Entity, Debug)]
pub struct Node {
    #[orm(primary_key)]
    pub id: i64,
    pub parent_id: Option<i64>,
    #[relationship(foreign_key = "parent_id")]
    pub parent: One<Node>,
    #[relationship(foreign_key = "parent_id", lazy = "joined", join_depth = 2, order_by = "id")]
    pub children: Many<Node>,
}

fn main() -> eagerly::Result<()> {
    assert_eq!(Node::CHILDREN.meta().join_depth(), 2);
    assert!(Node::PARENT.meta().optional());
    let mut session = Session::in_memory()?;
    session.create_all(&[Node::META])?;
    session.execute("INSERT INTO nodes (id, parent_id) VALUES (1, NULL), (2, 1), (3, 2)", &[])?;
    let root = session.query::<Node>().filter(Node::PARENT_ID.is_null()).one()?;
    let child = &root.children.get()?[0];
    assert_eq!(child.id, 2);
    assert_eq!(session.load(Node::CHILDREN, child)?[0].id, 3);
    assert_eq!(session.load(Node::PARENT, child)?.map(|p| p.id), Some(1));
    Ok(())
}
