//! Table and column metadata, column types, generated constants and DDL.

use eagerly::prelude::*;
use eagerly::{DecodeFailure, SqlType, Value, ValueRef};

#[derive(Entity, Debug)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[orm(column = "birth_year")]
    pub born: Option<i32>,
}

/// No `table` attribute: the name is derived from the struct's name.
#[derive(Entity, Debug)]
pub struct BookTag {
    #[orm(primary_key)]
    pub book_id: i64,
    #[orm(primary_key)]
    pub tag_id: i64,
    pub weight: f64,
}

/// A user type mapped through `ColumnType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cents(pub i64);

impl ColumnType for Cents {
    const SQL_TYPE: SqlType = SqlType::Integer;
    fn to_value(&self) -> Value {
        Value::Integer(self.0)
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        i64::from_value(value).map(Cents)
    }
}

/// A user type stored as text, with its own validation.
#[derive(Debug, Clone, PartialEq)]
pub enum Colour {
    Red,
    Green,
}

impl ColumnType for Colour {
    const SQL_TYPE: SqlType = SqlType::Text;
    fn to_value(&self) -> Value {
        Value::Text(match self {
            Colour::Red => "red".into(),
            Colour::Green => "green".into(),
        })
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        match value {
            ValueRef::Text(b"red") => Ok(Colour::Red),
            ValueRef::Text(b"green") => Ok(Colour::Green),
            ValueRef::Text(other) => Err(DecodeFailure {
                expected: "Colour",
                found: format!("TEXT {:?}", String::from_utf8_lossy(other)),
            }),
            other => Err(DecodeFailure::wrong_class("Colour", other)),
        }
    }
}

/// Every supported column type, plain and optional.
#[derive(Entity, Debug, Clone, PartialEq)]
#[orm(table = "all_types")]
pub struct AllTypes {
    #[orm(primary_key)]
    pub id: i64,
    pub small: i32,
    pub big: i64,
    pub unsigned: u32,
    pub real: f64,
    pub flag: bool,
    pub text: String,
    pub bytes: Vec<u8>,
    pub opt_small: Option<i32>,
    pub opt_big: Option<i64>,
    pub opt_unsigned: Option<u32>,
    pub opt_real: Option<f64>,
    pub opt_flag: Option<bool>,
    pub opt_text: Option<String>,
    pub opt_bytes: Option<Vec<u8>>,
    pub price: Cents,
    pub opt_price: Option<Cents>,
    pub colour: Colour,
}

/// SQL keywords as table and column names.
#[derive(Entity, Debug)]
#[orm(table = "order")]
pub struct Order {
    #[orm(primary_key)]
    pub id: i64,
    pub group: String,
    pub select: i32,
    #[orm(column = "from")]
    pub source: Option<String>,
}

/// Struct name `Group` gives the default table `groups`; a raw identifier
/// field maps to the unraw column name.
#[derive(Entity, Debug)]
pub struct Group {
    #[orm(primary_key)]
    pub id: i64,
    pub r#type: String,
}

/// Names that need quoting beyond keywords: spaces and embedded quotes.
#[derive(Entity, Debug)]
#[orm(table = "odd \"table\" name")]
pub struct Odd {
    #[orm(primary_key, column = "the id")]
    pub id: i64,
    #[orm(column = "say \"hi\"")]
    pub greeting: String,
}

/// The key is not the first field, and is a custom (non-integer) type.
#[derive(Entity, Debug)]
#[orm(table = "sku_items")]
pub struct SkuItem {
    pub label: String,
    #[orm(primary_key)]
    pub sku: String,
    pub price: Cents,
}

/// The CREATE TABLE statement `create_all` sends for `meta`.
fn ddl(meta: &'static eagerly::EntityMeta) -> String {
    let mut session = Session::in_memory().unwrap();
    session.create_all(&[meta]).unwrap();
    let create = session.statements()[0].clone();
    assert!(create.sql.starts_with("CREATE TABLE"), "{}", create.sql);
    assert_eq!(create.params, 0);
    create.sql
}

fn session_with(metas: &[&'static eagerly::EntityMeta]) -> Session {
    let mut session = Session::in_memory().unwrap();
    session.create_all(metas).unwrap();
    session
}

#[test]
fn entity_meta_names_table_columns_and_key() {
    let meta = Author::META;
    assert_eq!(meta.name(), "Author");
    assert_eq!(meta.table(), "authors");
    let names: Vec<&str> = meta.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["id", "name", "birth_year"]);
    let fields: Vec<&str> = meta.columns().iter().map(|c| c.field()).collect();
    assert_eq!(fields, ["id", "name", "born"]);
    assert_eq!(meta.primary_key(), &[0]);
    assert!(meta.auto_key());

    assert!(meta.columns()[0].primary_key());
    assert!(!meta.columns()[1].primary_key());
    assert_eq!(meta.columns()[0].sql_type(), SqlType::Integer);
    assert_eq!(meta.columns()[1].sql_type(), SqlType::Text);
    // `born` is an `Option<i32>`: a 32-bit integer (INTEGER on SQLite too).
    assert_eq!(meta.columns()[2].sql_type(), SqlType::Int32);
    assert!(!meta.columns()[0].nullable());
    assert!(!meta.columns()[1].nullable());
    assert!(meta.columns()[2].nullable());
}

#[test]
fn default_table_name_is_snake_case_plural() {
    assert_eq!(BookTag::META.table(), "book_tags");
    assert_eq!(BookTag::META.name(), "BookTag");
    assert_eq!(Group::META.table(), "groups");
}

#[test]
fn composite_primary_key_positions() {
    let meta = BookTag::META;
    assert_eq!(meta.primary_key(), &[0, 1]);
    assert!(!meta.auto_key());
    assert!(meta.columns()[0].primary_key() && meta.columns()[1].primary_key());
    assert!(!meta.columns()[2].primary_key());
    assert_eq!(meta.columns()[2].sql_type(), SqlType::Real);
}

#[test]
fn key_not_first_and_not_integer() {
    let meta = SkuItem::META;
    assert_eq!(meta.primary_key(), &[1]);
    assert!(!meta.auto_key());
    let mut session = session_with(&[SkuItem::META]);
    let item = session
        .insert(SkuItem {
            label: "pen".into(),
            sku: "P-1".into(),
            price: Cents(150),
        })
        .unwrap();
    assert_eq!(item.key(), "P-1");
    session.expunge_all();
    let again = session.get::<SkuItem>("P-1".to_owned()).unwrap().unwrap();
    assert_eq!(again.label, "pen");
    assert_eq!(again.price, Cents(150));
    let by_price = session
        .query::<SkuItem>()
        .filter(SkuItem::PRICE.eq(Cents(150)))
        .one()
        .unwrap();
    assert!(Handle::ptr_eq(&again, &by_price));
}

#[test]
fn column_rename_is_used_in_sql_and_constants() {
    assert_eq!(Author::BORN.name(), "birth_year");
    let mut session = session_with(&[Author::META]);
    session
        .insert(Author {
            id: 0,
            name: "Ann".into(),
            born: Some(1966),
        })
        .unwrap();
    // The renamed column exists in the table.
    session
        .execute("UPDATE authors SET birth_year = 1967", &[])
        .unwrap();
    session.expunge_all();
    session.reset_statements();
    let ann = session
        .query::<Author>()
        .filter(Author::BORN.eq(1967))
        .one()
        .unwrap();
    assert_eq!(ann.born, Some(1967));
    assert!(session.statements()[0].sql.contains("\"birth_year\" = ?"));
}

#[test]
fn generated_column_constants() {
    assert_eq!(Author::ID.name(), "id");
    assert_eq!(Author::ID.index(), 0);
    assert_eq!(Author::NAME.name(), "name");
    assert_eq!(Author::NAME.index(), 1);
    assert_eq!(Author::BORN.index(), 2);
    assert_eq!(AllTypes::OPT_BYTES.name(), "opt_bytes");
    assert_eq!(AllTypes::OPT_BYTES.index(), 14);
    assert_eq!(AllTypes::COLOUR.index(), 17);
    assert_eq!(Order::GROUP.name(), "group");
    assert_eq!(Order::SELECT.name(), "select");
    assert_eq!(Order::SOURCE.name(), "from");
    assert_eq!(Group::TYPE.name(), "type");
    // Constants are usable in const context.
    const NAME: &str = Author::NAME.name();
    assert_eq!(NAME, "name");
}

fn sample(id: i64) -> AllTypes {
    AllTypes {
        id,
        small: i32::MIN,
        big: i64::MAX,
        unsigned: u32::MAX,
        real: -1.5e300,
        flag: true,
        text: "héllo \"wörld\" 'x' \u{1F600} nul:\0 end".into(),
        bytes: vec![0, 1, 2, 255, 0],
        opt_small: Some(i32::MAX),
        opt_big: Some(i64::MIN),
        opt_unsigned: Some(0),
        opt_real: Some(0.25),
        opt_flag: Some(false),
        opt_text: Some(String::new()),
        opt_bytes: Some(Vec::new()),
        price: Cents(-42),
        opt_price: Some(Cents(7)),
        colour: Colour::Green,
    }
}

fn sample_nones(id: i64) -> AllTypes {
    AllTypes {
        id,
        small: 0,
        big: 0,
        unsigned: 0,
        real: 0.0,
        flag: false,
        text: String::new(),
        bytes: Vec::new(),
        opt_small: None,
        opt_big: None,
        opt_unsigned: None,
        opt_real: None,
        opt_flag: None,
        opt_text: None,
        opt_bytes: None,
        price: Cents(0),
        opt_price: None,
        colour: Colour::Red,
    }
}

#[test]
fn every_column_type_round_trips() {
    let mut session = session_with(&[AllTypes::META]);
    session.insert(sample(1)).unwrap();
    session.insert(sample_nones(2)).unwrap();
    session
        .insert(AllTypes {
            real: 3.0, // a whole number in a REAL column
            ..sample(3)
        })
        .unwrap();
    session.expunge_all();

    let rows = session
        .query::<AllTypes>()
        .order_by(AllTypes::ID)
        .all()
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(*rows[0], sample(1));
    assert_eq!(*rows[1], sample_nones(2));
    assert_eq!(rows[2].real, 3.0);

    // None is stored as NULL.
    let typed = session
        .query::<AllTypes>()
        .filter(AllTypes::OPT_TEXT.is_null())
        .filter(AllTypes::OPT_BYTES.is_null())
        .filter(AllTypes::OPT_PRICE.is_null())
        .all()
        .unwrap();
    assert_eq!(typed.len(), 1);
    assert_eq!(typed[0].id, 2);
    // Empty text and empty blob are not NULL.
    assert_eq!(
        session
            .query::<AllTypes>()
            .filter(AllTypes::OPT_TEXT.eq(""))
            .count()
            .unwrap(),
        2
    );
}

#[test]
fn user_column_type_in_filters_and_order() {
    let mut session = session_with(&[AllTypes::META]);
    for (id, cents) in [(1, 300), (2, 100), (3, 200)] {
        session
            .insert(AllTypes {
                price: Cents(cents),
                ..sample(id)
            })
            .unwrap();
    }
    let cheap = session
        .query::<AllTypes>()
        .filter(AllTypes::PRICE.lt(Cents(250)))
        .order_by(AllTypes::PRICE.desc())
        .all()
        .unwrap();
    let ids: Vec<i64> = cheap.iter().map(|r| r.id).collect();
    assert_eq!(ids, [3, 2]);
    let greens = session
        .query::<AllTypes>()
        .filter(AllTypes::COLOUR.eq(Colour::Green))
        .count()
        .unwrap();
    assert_eq!(greens, 3);
    let with_opt = session
        .query::<AllTypes>()
        .filter(AllTypes::OPT_PRICE.eq(Some(Cents(7))))
        .count()
        .unwrap();
    assert_eq!(with_opt, 3);
}

#[test]
fn user_column_type_decode_failure_names_column() {
    let mut session = session_with(&[AllTypes::META]);
    session.insert(sample(1)).unwrap();
    session
        .execute("UPDATE all_types SET colour = 'blue'", &[])
        .unwrap();
    session.expunge_all();
    match session.get::<AllTypes>(1) {
        Err(Error::Decode {
            table,
            column,
            expected,
            found,
        }) => {
            assert_eq!(table, "all_types");
            assert_eq!(column, "colour");
            assert_eq!(expected, "Colour");
            assert!(found.contains("blue"), "{found}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn ddl_declares_types_not_null_and_primary_key() {
    let sql = ddl(Author::META);
    assert_eq!(
        sql,
        "CREATE TABLE IF NOT EXISTS \"authors\" (\"id\" INTEGER PRIMARY KEY NOT NULL, \
         \"name\" TEXT NOT NULL, \"birth_year\" INTEGER)"
    );

    let composite = ddl(BookTag::META);
    assert_eq!(
        composite,
        "CREATE TABLE IF NOT EXISTS \"book_tags\" (\"book_id\" INTEGER NOT NULL, \
         \"tag_id\" INTEGER NOT NULL, \"weight\" REAL NOT NULL, \
         PRIMARY KEY (\"book_id\", \"tag_id\"))"
    );

    let all = ddl(AllTypes::META);
    for fragment in [
        "\"small\" INTEGER NOT NULL",
        "\"unsigned\" INTEGER NOT NULL",
        "\"real\" REAL NOT NULL",
        "\"flag\" INTEGER NOT NULL",
        "\"text\" TEXT NOT NULL",
        "\"bytes\" BLOB NOT NULL",
        "\"opt_small\" INTEGER,",
        "\"opt_real\" REAL,",
        "\"opt_text\" TEXT,",
        "\"opt_bytes\" BLOB,",
        "\"price\" INTEGER NOT NULL",
        "\"opt_price\" INTEGER,",
        "\"colour\" TEXT NOT NULL",
    ] {
        assert!(all.contains(fragment), "{fragment} missing from {all}");
    }
}

#[test]
fn create_all_sends_one_statement_per_entity_and_is_idempotent() {
    let mut session = Session::in_memory().unwrap();
    session
        .create_all(&[Author::META, BookTag::META, Order::META])
        .unwrap();
    assert_eq!(session.statement_count(), 3);
    assert!(session.statements()[0].sql.starts_with("CREATE TABLE"));
    session
        .create_all(&[Author::META, BookTag::META, Order::META])
        .unwrap();
    assert_eq!(session.statement_count(), 6);
}

#[test]
fn ddl_enforces_not_null_and_composite_key() {
    let mut session = session_with(&[Author::META, BookTag::META]);
    let err = session
        .execute("INSERT INTO authors (id, name) VALUES (1, NULL)", &[])
        .unwrap_err();
    assert!(matches!(err, Error::Database(_)), "{err:?}");

    session
        .insert(BookTag {
            book_id: 1,
            tag_id: 1,
            weight: 1.0,
        })
        .unwrap();
    session
        .insert(BookTag {
            book_id: 1,
            tag_id: 2,
            weight: 1.0,
        })
        .unwrap();
    let err = session
        .insert(BookTag {
            book_id: 1,
            tag_id: 2,
            weight: 2.0,
        })
        .unwrap_err();
    assert!(matches!(err, Error::Database(_)), "{err:?}");
    assert_eq!(session.query::<BookTag>().count().unwrap(), 2);
}

#[test]
fn keyword_table_and_column_names() {
    let mut session = session_with(&[Order::META, Group::META]);
    let ddl = ddl(Order::META);
    assert!(ddl.contains("\"order\""));
    assert!(ddl.contains("\"group\" TEXT NOT NULL"));
    assert!(ddl.contains("\"select\" INTEGER NOT NULL"));
    assert!(ddl.contains("\"from\" TEXT"));

    let order = session
        .insert(Order {
            id: 0,
            group: "g1".into(),
            select: 3,
            source: Some("web".into()),
        })
        .unwrap();
    session
        .insert(Order {
            id: 0,
            group: "g2".into(),
            select: 5,
            source: None,
        })
        .unwrap();
    assert_eq!(order.id, 1);
    let found = session
        .query::<Order>()
        .filter(Order::GROUP.eq("g1") & Order::SELECT.ge(3))
        .order_by(Order::SELECT.desc())
        .order_by(Order::GROUP)
        .one()
        .unwrap();
    assert!(Handle::ptr_eq(&order, &found));
    assert_eq!(
        session
            .query::<Order>()
            .filter(Order::SOURCE.is_null())
            .count()
            .unwrap(),
        1
    );
    session
        .update(Order {
            id: 1,
            group: "g3".into(),
            select: 4,
            source: None,
        })
        .unwrap();
    session.delete_by_key::<Order>(2).unwrap();
    session.expunge_all();
    let left = session.query::<Order>().all().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].group, "g3");

    session
        .insert(Group {
            id: 0,
            r#type: "admin".into(),
        })
        .unwrap();
    let g = session
        .query::<Group>()
        .filter(Group::TYPE.eq("admin"))
        .one()
        .unwrap();
    assert_eq!(g.r#type, "admin");
}

#[test]
fn names_with_spaces_and_quotes() {
    assert_eq!(Odd::META.table(), "odd \"table\" name");
    assert_eq!(Odd::GREETING.name(), "say \"hi\"");
    let ddl = ddl(Odd::META);
    assert!(ddl.contains("\"odd \"\"table\"\" name\""), "{ddl}");
    assert!(ddl.contains("\"say \"\"hi\"\"\" TEXT NOT NULL"), "{ddl}");

    let mut session = session_with(&[Odd::META]);
    let odd = session
        .insert(Odd {
            id: 0,
            greeting: "hello".into(),
        })
        .unwrap();
    assert_eq!(odd.id, 1);
    session
        .update(Odd {
            id: 1,
            greeting: "bye".into(),
        })
        .unwrap();
    session.expunge_all();
    let found = session
        .query::<Odd>()
        .filter(Odd::GREETING.eq("bye"))
        .order_by(Odd::ID.desc())
        .one()
        .unwrap();
    assert_eq!(found.id, 1);
    assert_eq!(session.query::<Odd>().limit(5).count().unwrap(), 1);
    session.delete_by_key::<Odd>(1).unwrap();
    assert_eq!(session.query::<Odd>().count().unwrap(), 0);
}
