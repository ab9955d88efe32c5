// A `One` whose foreign key is on the target (one-to-one), and a `One` over a
// nullable foreign key (optional many-to-one).
use eagerly::prelude::*;
use eagerly::One;

#[derive(Entity, Debug)]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub mentor_id: Option<i64>,
    #[relationship(foreign_key = "mentor_id")]
    pub mentor: One<Author>,
    #[relationship(foreign_key = "author_id")]
    pub bio: One<Biography>,
}

#[derive(Entity, Debug)]
#[orm(table = "biographies")]
pub struct Biography {
    #[orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    pub text: String,
}

fn main() -> eagerly::Result<()> {
    assert_eq!(Author::BIO.meta().kind(), eagerly::RelationKind::OneToOne);
    assert_eq!(Author::MENTOR.meta().kind(), eagerly::RelationKind::ManyToOne);
    assert!(Author::MENTOR.meta().optional());
    let mut session = Session::in_memory()?;
    session.create_all(&[Author::META, Biography::META])?;
    session.execute("INSERT INTO authors (id, mentor_id) VALUES (1, NULL), (2, 1)", &[])?;
    session.execute("INSERT INTO biographies (id, author_id, text) VALUES (1, 2, 'b')", &[])?;
    let first = session.get::<Author>(1)?.expect("author 1");
    let second = session.get::<Author>(2)?.expect("author 2");
    assert!(session.load(Author::MENTOR, &first)?.is_none());
    assert_eq!(session.load(Author::MENTOR, &second)?.map(|m| m.id), Some(1));
    assert!(session.load(Author::BIO, &first)?.is_none());
    assert_eq!(session.load(Author::BIO, &second)?.expect("bio").text, "b");
    Ok(())
}
