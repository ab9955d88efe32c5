//! Hostile values round-trip unchanged through insert, query, filter, get,
//! update, dynamic queries and every loader: quotes and SQL injection text,
//! NUL bytes, emoji and other non-ASCII, placeholder look-alikes, LIKE
//! wildcards, a 1 MB string, empty strings; i64::MIN/MAX; f64 extremes and
//! ±infinity; empty and large blobs. Hostile strings are primary and
//! foreign keys too. Tables and columns named `order`, `group`, `select`,
//! `from`, `where` load with every strategy.
//!
//! NaN: SQLite has no NaN (it stores a NaN parameter as NULL), so a NaN
//! could never read back. eagerly refuses to bind one: `Error::Database`
//! whose message says "NaN", at insert, update or filter, and nothing is
//! written. A NULL found in a non-`Option` `f64` column (a NaN written by
//! another program) is `Error::Decode { expected: "f64", found: "NULL" }`.
//! -0.0 reads back as 0.0 (SQLite stores it as the integer 0), which
//! compares equal; the sign is not kept.

use eagerly::prelude::*;
use eagerly::Value;

#[derive(Entity, Debug)]
#[orm(table = "owners")]
pub struct Owner {
    #[orm(primary_key)]
    pub key: String,
    pub text: String,
    pub maybe: Option<String>,
    pub blob: Vec<u8>,
    pub maybe_blob: Option<Vec<u8>>,
    pub int: i64,
    pub real: f64,
    pub maybe_real: Option<f64>,
    #[relationship(foreign_key = "owner_key", order_by = "id")]
    pub pets: Many<Pet>,
    #[relationship(
        secondary = "owner_toys",
        foreign_key = "owner_key",
        target_foreign_key = "toy_key",
        order_by = "key"
    )]
    pub toys: Many<Toy>,
    #[relationship(foreign_key = "owner_key")]
    pub pet_query: Dynamic<Pet>,
}

#[derive(Entity, Debug)]
#[orm(table = "pets")]
pub struct Pet {
    #[orm(primary_key)]
    pub id: i64,
    pub owner_key: String,
    pub name: String,
    #[relationship(foreign_key = "owner_key")]
    pub owner: One<Owner>,
}

#[derive(Entity, Debug)]
#[orm(table = "toys")]
pub struct Toy {
    #[orm(primary_key)]
    pub key: String,
    #[relationship(
        secondary = "owner_toys",
        foreign_key = "toy_key",
        target_foreign_key = "owner_key",
        order_by = "key"
    )]
    pub owners: Many<Owner>,
}

/// The hostile strings: every one is a key, a value and a filter operand.
fn hostile_strings() -> Vec<String> {
    static STRINGS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    STRINGS.get_or_init(make_strings).clone()
}

fn make_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "'",
        "''",
        "\"",
        "\"\"",
        "`",
        "'; DROP TABLE authors; --",
        "'; DROP TABLE owners; --",
        "\"; DROP TABLE owners; --",
        "Robert'); DROP TABLE pets;--",
        "1 OR 1=1",
        "' OR '1'='1",
        "/* comment */",
        "-- comment",
        "\0",
        "a\0b",
        "\0\0\0trailing",
        "😀",
        "👩‍👩‍👧‍👦 family",
        "é",
        "e\u{301}",
        "中文字符",
        "עברית",
        "\u{202E}rtl override",
        "\u{FEFF}bom",
        "\u{FFFF}",
        "\u{10FFFF}",
        "\r\n\t",
        "\\",
        "\\0",
        "%",
        "_",
        "%_\\",
        "?",
        "?1",
        ":name",
        "@x",
        "$y",
        "NULL",
        "null",
        "0",
        "x'00'",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // 1 MB of mixed text, NUL and quotes included.
    let mut large = String::with_capacity(1 << 20);
    while large.len() < (1 << 20) - 8 {
        large.push_str("ab'\"\0é😀;");
    }
    v.push(large);
    v
}

fn hostile_ints() -> Vec<i64> {
    vec![
        i64::MIN,
        i64::MIN + 1,
        -1,
        1,
        i64::MAX - 1,
        i64::MAX,
        (1 << 53) + 1,
        -(1 << 53) - 1,
        i64::from(i32::MAX) + 1,
    ]
}

/// Finite floats and infinities: all round-trip bit for bit (NaN is
/// refused, -0.0 is tested apart).
fn hostile_reals() -> Vec<f64> {
    vec![
        0.0,
        f64::MIN,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324, // the smallest subnormal
        -5e-324,
        f64::EPSILON,
        0.1 + 0.2,
        1e308,
        -1e-308,
        9007199254740993.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        std::f64::consts::PI,
    ]
}

fn hostile_blobs() -> &'static [Vec<u8>] {
    static BLOBS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    BLOBS.get_or_init(make_blobs)
}

fn make_blobs() -> Vec<Vec<u8>> {
    let mut large = Vec::with_capacity(4 << 20);
    let mut x: u32 = 0x9E37_79B9;
    while large.len() < 4 << 20 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        large.extend_from_slice(&x.to_le_bytes());
    }
    vec![
        Vec::new(),
        vec![0],
        vec![0; 17],
        vec![0xFF, 0xFE, 0xFD],
        b"'; DROP TABLE owners; --".to_vec(),
        vec![0xC3, 0x28], // invalid UTF-8
        large,
    ]
}

fn owner(i: usize, key: &str) -> Owner {
    let ints = hostile_ints();
    let reals = hostile_reals();
    let blobs = hostile_blobs();
    Owner {
        key: key.to_owned(),
        text: key.to_owned(),
        maybe: (!i.is_multiple_of(3)).then(|| key.to_owned()),
        blob: blobs[i % blobs.len()].clone(),
        maybe_blob: i.is_multiple_of(2).then(|| key.as_bytes().to_vec()),
        int: ints[i % ints.len()],
        real: reals[i % reals.len()],
        maybe_real: (i % 4 != 1).then(|| reals[(i + 3) % reals.len()]),
        pets: Many::new(),
        toys: Many::new(),
        pet_query: Dynamic::new(),
    }
}

/// Field-by-field equality, floats bit for bit.
fn same(a: &Owner, b: &Owner) -> bool {
    a.key == b.key
        && a.text == b.text
        && a.maybe == b.maybe
        && a.blob == b.blob
        && a.maybe_blob == b.maybe_blob
        && a.int == b.int
        && a.real.to_bits() == b.real.to_bits()
        && a.maybe_real.map(f64::to_bits) == b.maybe_real.map(f64::to_bits)
}

fn short(s: &str) -> String {
    let mut out: String = format!("{s:?}").chars().take(40).collect();
    if s.len() > 40 {
        out.push_str("...");
    }
    out
}

/// Pet ids: hostile integers and neighbours, never 0 (which asks the
/// database for a key).
fn pet_id(owner: usize, n: usize) -> i64 {
    let ints = hostile_ints();
    let base = ints[(owner * 2 + n) % ints.len()];
    base.wrapping_sub((owner * 2 + n) as i64 * 7919 * base.signum())
}

fn seeded() -> (Session, Vec<Owner>) {
    let mut s = Session::in_memory().unwrap();
    s.create_all(&[Owner::META, Pet::META, Toy::META]).unwrap();
    let keys = hostile_strings();
    let expected: Vec<Owner> = keys.iter().enumerate().map(|(i, k)| owner(i, k)).collect();
    s.transaction(|s| {
        for (i, k) in keys.iter().enumerate() {
            s.insert(owner(i, k))?;
            // Owner i has i % 3 pets, named after the next hostile string.
            for n in 0..i % 3 {
                s.insert(Pet {
                    id: pet_id(i, n),
                    owner_key: k.clone(),
                    name: keys[(i + n + 1) % keys.len()].clone(),
                    owner: One::new(),
                })?;
            }
            s.insert(Toy {
                key: format!("toy {k}"),
                owners: Many::new(),
            })?;
        }
        // Toys shared by several owners, and owners with none.
        for (i, k) in keys.iter().enumerate() {
            for t in [i, (i * 7 + 3) % keys.len()] {
                if i % 5 == 4 || (t != i && i % 2 == 1) {
                    continue;
                }
                s.execute(
                    "INSERT OR IGNORE INTO owner_toys (owner_key, toy_key) VALUES (?, ?)",
                    &[
                        Value::Text(k.clone()),
                        Value::Text(format!("toy {}", keys[t])),
                    ],
                )?;
            }
        }
        Ok(())
    })
    .unwrap();
    s.expunge_all();
    s.reset_statements();
    (s, expected)
}

#[test]
fn insert_query_get_round_trip() {
    let (mut s, expected) = seeded();
    let all = s.query::<Owner>().order_by(Owner::KEY).all().unwrap();
    let mut sorted: Vec<&Owner> = expected.iter().collect();
    sorted.sort_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
    assert_eq!(all.len(), expected.len());
    for (got, want) in all.iter().zip(&sorted) {
        assert!(same(got, want), "{} changed: {got:?}", short(&want.key));
    }
    // get by a hostile key, from the database (map emptied) and the map.
    drop(all);
    s.expunge_all();
    for want in &expected {
        let got = s.get::<Owner>(want.key.clone()).unwrap();
        let got = got.unwrap_or_else(|| panic!("get {} found nothing", short(&want.key)));
        assert!(same(&got, want), "get {}", short(&want.key));
        s.reset_statements();
        let again = s.get::<Owner>(want.key.clone()).unwrap().unwrap();
        assert!(Handle::ptr_eq(&got, &again));
        assert_eq!(s.statement_count(), 0);
    }
    // The tables the injection strings name are all still there.
    assert_eq!(s.query::<Owner>().count().unwrap(), expected.len() as u64);
}

#[test]
fn filters_match_exactly_the_hostile_value() {
    let (mut s, expected) = seeded();
    for want in &expected {
        let by_text = s
            .query::<Owner>()
            .filter(Owner::TEXT.eq(want.text.as_str()))
            .all()
            .unwrap();
        assert_eq!(by_text.len(), 1, "text = {}", short(&want.text));
        assert!(same(&by_text[0], want));
        let by_key = s
            .query::<Owner>()
            .filter(Owner::KEY.in_([want.key.clone(), "\0absent".to_owned()]))
            .count()
            .unwrap();
        assert_eq!(by_key, 1, "key in {}", short(&want.key));
        let by_blob = s
            .query::<Owner>()
            .filter(
                Owner::BLOB
                    .eq(want.blob.clone())
                    .and(Owner::KEY.eq(want.key.as_str())),
            )
            .count()
            .unwrap();
        assert_eq!(by_blob, 1, "blob of {}", short(&want.key));
        let by_numbers = s
            .query::<Owner>()
            .filter(
                Owner::INT
                    .eq(want.int)
                    .and(Owner::REAL.eq(want.real))
                    .and(Owner::KEY.eq(want.key.as_str())),
            )
            .count()
            .unwrap();
        assert_eq!(by_numbers, 1, "int/real of {}", short(&want.key));
        let maybe = match &want.maybe {
            Some(v) => Owner::MAYBE.eq(v.as_str()),
            None => Owner::MAYBE.is_null(),
        };
        let by_maybe = s
            .query::<Owner>()
            .filter(maybe.and(Owner::KEY.eq(want.key.as_str())))
            .count()
            .unwrap();
        assert_eq!(by_maybe, 1, "maybe of {}", short(&want.key));
        // Not equal leaves exactly this one out.
        let others = s
            .query::<Owner>()
            .filter(Owner::TEXT.ne(want.text.as_str()))
            .count()
            .unwrap();
        assert_eq!(others, expected.len() as u64 - 1);
    }
    // Ordering and range comparisons on the extremes.
    let min = s
        .query::<Owner>()
        .order_by(Owner::INT)
        .first()
        .unwrap()
        .unwrap();
    assert_eq!(min.int, i64::MIN);
    let max = s
        .query::<Owner>()
        .order_by(Owner::INT.desc())
        .first()
        .unwrap()
        .unwrap();
    assert_eq!(max.int, i64::MAX);
    let infinite = s
        .query::<Owner>()
        .filter(Owner::REAL.gt(f64::MAX))
        .all()
        .unwrap();
    assert!(infinite.iter().all(|o| o.real == f64::INFINITY));
    assert!(!infinite.is_empty());
    // LIKE with hostile patterns: no error; `%` alone matches every row.
    for pattern in ["%", "%'%", "%\0%", "_", "%😀%", "%\\%"] {
        let n = s
            .query::<Owner>()
            .filter(Owner::TEXT.like(pattern))
            .count()
            .unwrap();
        assert!(n >= 1, "like {pattern:?}");
    }
}

#[derive(Debug, Clone, Copy)]
enum S {
    Joined,
    Selectin,
    Select,
    Bulk,
}

fn opt<P: Entity, T: Entity, F: eagerly::relation::Loadable<T>>(
    s: S,
    r: eagerly::Relation<P, T, F>,
) -> eagerly::LoadOption<P, T> {
    match s {
        S::Joined => joined(r),
        S::Selectin => selectin(r),
        S::Select => select(r),
        S::Bulk => bulk(r),
    }
}

/// Owner key -> (pet ids and names, toy keys).
type OwnerGraph = Vec<(String, Vec<(i64, String)>, Vec<String>)>;

/// The owners' graph through `strategy`.
fn graph(s: &mut Session, strategy: S) -> OwnerGraph {
    s.expunge_all();
    let owners = s
        .query::<Owner>()
        .options(opt(strategy, Owner::PETS))
        .options(opt(strategy, Owner::TOYS))
        .order_by(Owner::KEY)
        .all()
        .unwrap();
    owners
        .iter()
        .map(|o| {
            let pets = s
                .load(Owner::PETS, o)
                .unwrap()
                .iter()
                .map(|p| {
                    assert_eq!(p.owner_key, o.key);
                    (p.id, p.name.clone())
                })
                .collect();
            let toys = s
                .load(Owner::TOYS, o)
                .unwrap()
                .iter()
                .map(|t| t.key.clone())
                .collect();
            (o.key.clone(), pets, toys)
        })
        .collect()
}

#[test]
fn every_loader_carries_hostile_keys_and_values() {
    let (mut s, expected) = seeded();
    let reference = graph(&mut s, S::Select);
    assert_eq!(reference.len(), expected.len());
    let pets: usize = reference.iter().map(|(_, p, _)| p.len()).sum();
    let toys: usize = reference.iter().map(|(_, _, t)| t.len()).sum();
    assert!(pets > 20 && toys > 20, "pets {pets}, toys {toys}");
    for strategy in [S::Joined, S::Selectin, S::Bulk] {
        assert!(graph(&mut s, strategy) == reference, "{strategy:?}");
    }
    // Many-to-one and the reverse many-to-many with every strategy.
    for strategy in [S::Joined, S::Selectin, S::Select, S::Bulk] {
        s.expunge_all();
        let all = s
            .query::<Pet>()
            .options(opt(strategy, Pet::OWNER))
            .order_by(Pet::ID)
            .all()
            .unwrap();
        assert_eq!(all.len(), pets);
        for p in &all {
            let o = s.load(Pet::OWNER, p).unwrap().expect("owner");
            assert_eq!(o.key, p.owner_key, "{strategy:?}");
            let want = expected.iter().find(|w| w.key == o.key).unwrap();
            assert!(same(&o, want), "{strategy:?} owner of pet {}", p.id);
        }
        drop(all);
        s.expunge_all();
        let toys = s
            .query::<Toy>()
            .options(opt(strategy, Toy::OWNERS))
            .all()
            .unwrap();
        for t in &toys {
            for o in s.load(Toy::OWNERS, t).unwrap().iter() {
                let (_, _, theirs) = reference.iter().find(|(k, _, _)| *k == o.key).unwrap();
                assert!(theirs.contains(&t.key), "{strategy:?}");
            }
        }
    }
}

#[test]
fn dynamic_update_delete_with_hostile_keys() {
    let (mut s, expected) = seeded();
    let keys = hostile_strings();
    for (i, want) in expected.iter().enumerate() {
        let o = s.get::<Owner>(want.key.clone()).unwrap().unwrap();
        let n = s.dynamic(Owner::PET_QUERY, &o).count().unwrap();
        assert_eq!(n, (i % 3) as u64, "pets of {}", short(&want.key));
        let named = s
            .dynamic(Owner::PET_QUERY, &o)
            .filter(Pet::NAME.eq(keys[(i + 1) % keys.len()].as_str()))
            .count()
            .unwrap();
        assert_eq!(named, u64::from(i % 3 >= 1));
    }
    // Update every owner's text to the next hostile string and read back.
    for (i, want) in expected.iter().enumerate() {
        let mut changed = owner(i, &want.key);
        changed.text = keys[(i + 1) % keys.len()].clone();
        changed.int = i64::MIN + i as i64;
        s.update(changed).unwrap();
    }
    s.expunge_all();
    for (i, want) in expected.iter().enumerate() {
        let got = s.get::<Owner>(want.key.clone()).unwrap().unwrap();
        assert_eq!(got.text, keys[(i + 1) % keys.len()]);
        assert_eq!(got.int, i64::MIN + i as i64);
    }
    // Delete by hostile key (pets first: foreign keys are enforced).
    s.execute("DELETE FROM owner_toys", &[]).unwrap();
    s.execute("DELETE FROM pets", &[]).unwrap();
    for want in &expected {
        s.delete_by_key::<Owner>(want.key.clone()).unwrap();
    }
    assert_eq!(s.query::<Owner>().count().unwrap(), 0);
}

#[test]
fn negative_zero_reads_back_as_zero() {
    let mut s = Session::in_memory().unwrap();
    s.create_all(&[Owner::META, Pet::META, Toy::META]).unwrap();
    let mut o = owner(0, "z");
    o.real = -0.0;
    o.maybe_real = Some(-0.0);
    s.insert(o).unwrap();
    s.expunge_all();
    let got = s.get::<Owner>("z".to_owned()).unwrap().unwrap();
    assert_eq!(got.real, 0.0);
    assert_eq!(got.maybe_real, Some(0.0));
    // Documented: the sign of zero is not kept by SQLite.
    assert!(got.real.is_sign_positive());
}

#[test]
fn nan_is_refused_and_nothing_is_written() {
    let mut s = Session::in_memory().unwrap();
    s.create_all(&[Owner::META, Pet::META, Toy::META]).unwrap();
    s.insert(owner(0, "kept")).unwrap();
    for (real, maybe) in [
        (f64::NAN, None),
        (1.0, Some(f64::NAN)),
        (-f64::NAN, Some(2.0)),
    ] {
        let mut o = owner(1, "nan");
        o.real = real;
        o.maybe_real = maybe;
        let error = s.insert(o).unwrap_err();
        match &error {
            Error::Database(db) => assert!(db.message().contains("NaN"), "{db}"),
            other => panic!("expected a database error, got {other:?}"),
        }
        assert_eq!(s.query::<Owner>().count().unwrap(), 1);
    }
    // Update and filter refuse it too; the session keeps working.
    let mut o = owner(0, "kept");
    o.real = f64::NAN;
    assert!(matches!(s.update(o), Err(Error::Database(_))));
    let error = s
        .query::<Owner>()
        .filter(Owner::REAL.eq(f64::NAN))
        .all()
        .unwrap_err();
    assert!(error.to_string().contains("NaN"), "{error}");
    s.expunge_all();
    let kept = s.get::<Owner>("kept".to_owned()).unwrap().unwrap();
    assert!(same(&kept, &owner(0, "kept")));
}

#[test]
fn a_nan_written_by_another_program_is_a_decode_error() {
    // Without eagerly's check a NaN parameter becomes NULL; a table without
    // NOT NULL accepts it. Reading it into a non-Option f64 is a decode
    // error naming the column; into Option<f64> it is None.
    let mut s = Session::in_memory().unwrap();
    s.execute(
        "CREATE TABLE owners (key PRIMARY KEY, text, maybe, blob, maybe_blob, int, real, maybe_real)",
        &[],
    )
    .unwrap();
    let raw = rusqlite::Connection::open_in_memory().unwrap();
    let stored: Option<f64> = raw
        .query_row("SELECT ?", [f64::NAN], |row| row.get(0))
        .unwrap();
    assert_eq!(stored, None, "SQLite turns a NaN parameter into NULL");
    s.execute(
        "INSERT INTO owners VALUES ('k', 't', NULL, x'', NULL, 1, NULL, NULL)",
        &[],
    )
    .unwrap();
    match s.get::<Owner>("k".to_owned()).unwrap_err() {
        Error::Decode {
            table,
            column,
            expected,
            found,
        } => assert_eq!(
            (table, column, expected, found.as_str()),
            ("owners", "real", "f64", "NULL")
        ),
        other => panic!("expected a decode error, got {other:?}"),
    }
    s.execute("UPDATE owners SET real = 1.5", &[]).unwrap();
    let o = s.get::<Owner>("k".to_owned()).unwrap().unwrap();
    assert_eq!((o.real, o.maybe_real), (1.5, None));
}

// ----- SQL keywords as table and column names ----------------------------------

#[derive(Entity, Debug)]
#[orm(table = "group")]
pub struct Group {
    #[orm(primary_key, column = "select")]
    pub select: i64,
    #[orm(column = "from")]
    pub from: String,
    #[relationship(foreign_key = "group", order_by = "order")]
    pub orders: Many<Order>,
}

#[derive(Entity, Debug)]
#[orm(table = "order")]
pub struct Order {
    #[orm(primary_key)]
    pub order: i64,
    pub group: Option<i64>,
    #[orm(column = "where")]
    pub r#where: String,
    #[relationship(foreign_key = "group")]
    pub parent: One<Group>,
    #[relationship(
        secondary = "select",
        foreign_key = "order",
        target_foreign_key = "from",
        order_by = "from"
    )]
    pub froms: Many<From>,
}

#[derive(Entity, Debug)]
#[orm(table = "from")]
pub struct From {
    #[orm(primary_key)]
    pub from: String,
    #[orm(column = "group")]
    pub group: i64,
}

#[test]
fn keyword_tables_and_columns_with_every_strategy() {
    let mut s = Session::in_memory().unwrap();
    s.create_all(&[Group::META, Order::META, From::META])
        .unwrap();
    for g in 1..=3 {
        s.insert(Group {
            select: g,
            from: format!("'from' {g}"),
            orders: Many::new(),
        })
        .unwrap();
    }
    for f in ["select", "from", "'; DROP TABLE \"order\"; --"] {
        s.insert(From {
            from: f.to_owned(),
            group: 7,
        })
        .unwrap();
    }
    for o in 1..=7 {
        s.insert(Order {
            order: o,
            group: (o % 4 != 0).then_some(o % 3 + 1),
            r#where: format!("where {o}"),
            parent: One::new(),
            froms: Many::new(),
        })
        .unwrap();
        for f in ["select", "from"].iter().take((o % 3) as usize) {
            s.execute(
                "INSERT INTO \"select\" (\"order\", \"from\") VALUES (?, ?)",
                &[Value::Integer(o), Value::Text((*f).to_owned())],
            )
            .unwrap();
        }
    }
    type Graph = Vec<(i64, Vec<(i64, String, Option<i64>, Vec<String>)>)>;
    let read = |s: &mut Session, st: S| -> Graph {
        s.expunge_all();
        let groups = s
            .query::<Group>()
            .filter(Group::FROM.like("'from'%"))
            .order_by(Group::SELECT.desc())
            .options(opt(st, Group::ORDERS).then(opt(st, Order::FROMS)))
            .all()
            .unwrap();
        let mut out = Vec::new();
        for g in &groups {
            let orders = s.load(Group::ORDERS, g).unwrap().to_vec();
            let mut rows = Vec::new();
            for o in &orders {
                let froms = s.load(Order::FROMS, o).unwrap();
                let parent = s.load(Order::PARENT, o).unwrap().map(|p| p.select);
                rows.push((
                    o.order,
                    o.r#where.clone(),
                    parent,
                    froms.iter().map(|f| f.from.clone()).collect(),
                ));
            }
            out.push((g.select, rows));
        }
        out
    };
    let reference = read(&mut s, S::Select);
    assert_eq!(reference.len(), 3);
    assert_eq!(reference.iter().map(|(_, o)| o.len()).sum::<usize>(), 6);
    for st in [S::Joined, S::Selectin, S::Bulk] {
        assert_eq!(read(&mut s, st), reference, "{st:?}");
    }
    // Many-to-one on a column named `group`, with every strategy, and a
    // filter and order on `where` and `order`.
    for st in [S::Joined, S::Selectin, S::Select, S::Bulk] {
        s.expunge_all();
        let orders = s
            .query::<Order>()
            .filter(Order::WHERE.ne("x").and(Order::GROUP.is_not_null()))
            .order_by(Order::ORDER.desc())
            .limit(4)
            .options(opt(st, Order::PARENT))
            .all()
            .unwrap();
        assert_eq!(
            orders.iter().map(|o| o.order).collect::<Vec<_>>(),
            [7, 6, 5, 3]
        );
        for o in &orders {
            let p = s.load(Order::PARENT, o).unwrap().unwrap();
            assert_eq!(Some(p.select), o.group, "{st:?}");
        }
    }
    let n = s.query::<From>().filter(From::GROUP.eq(7)).count().unwrap();
    assert_eq!(n, 3);
}
