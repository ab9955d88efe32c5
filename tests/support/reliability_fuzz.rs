//! The fuzz harness shared by the cargo-fuzz target (fuzz/fuzz_targets/
//! decode_values.rs) and the normal suite (tests/reliability_fuzz_regressions.rs):
//! arbitrary bytes become SQLite values of every storage class (NULL,
//! INTEGER, REAL, valid and invalid UTF-8 TEXT, BLOB), written by raw SQL
//! into untyped columns, then decoded into every column type eagerly maps
//! (`i32`, `i64`, `u32`, `f64`, `bool`, `String`, `Vec<u8>` and their
//! `Option`s), as a primary key too, and through every loader; the same
//! values are bound into filters. The contract it checks: decoding gives
//! `Ok` with exactly the stored value or `Error::Decode` naming the first
//! column that does not fit (never a panic), every loader agrees with a
//! plain `get`, and a bound value is either accepted or refused as a
//! database error (NaN).

#![allow(dead_code)]

use eagerly::prelude::*;
use eagerly::Value;

#[derive(Entity, Debug)]
#[orm(table = "fuzz_parents")]
pub struct FuzzParent {
    #[orm(primary_key)]
    pub id: i64,
    #[relationship(foreign_key = "parent_id", order_by = "id")]
    pub rows: Many<FuzzRow>,
}

#[derive(Entity, Debug)]
#[orm(table = "fuzz_rows")]
pub struct FuzzRow {
    #[orm(primary_key)]
    pub id: i64,
    pub parent_id: i64,
    pub a_i32: i32,
    pub a_i64: i64,
    pub a_u32: u32,
    pub a_f64: f64,
    pub a_bool: bool,
    pub a_string: String,
    pub a_bytes: Vec<u8>,
    pub o_i32: Option<i32>,
    pub o_i64: Option<i64>,
    pub o_u32: Option<u32>,
    pub o_f64: Option<f64>,
    pub o_bool: Option<bool>,
    pub o_string: Option<String>,
    pub o_bytes: Option<Vec<u8>>,
    #[relationship(foreign_key = "parent_id")]
    pub parent: One<FuzzParent>,
}

/// A composite key of arbitrary values.
#[derive(Entity, Debug)]
#[orm(table = "fuzz_keys")]
pub struct FuzzKey {
    #[orm(primary_key)]
    pub name: String,
    #[orm(primary_key)]
    pub n: u32,
    pub note: Option<f64>,
}

/// The mapped value columns of `fuzz_rows`, in field order, with the Rust
/// type each is decoded as.
pub const COLUMNS: [(&str, Kind); 14] = [
    ("a_i32", Kind::I32),
    ("a_i64", Kind::I64),
    ("a_u32", Kind::U32),
    ("a_f64", Kind::F64),
    ("a_bool", Kind::Bool),
    ("a_string", Kind::String),
    ("a_bytes", Kind::Bytes),
    ("o_i32", Kind::OptI32),
    ("o_i64", Kind::OptI64),
    ("o_u32", Kind::OptU32),
    ("o_f64", Kind::OptF64),
    ("o_bool", Kind::OptBool),
    ("o_string", Kind::OptString),
    ("o_bytes", Kind::OptBytes),
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    I32,
    I64,
    U32,
    F64,
    Bool,
    String,
    Bytes,
    OptI32,
    OptI64,
    OptU32,
    OptF64,
    OptBool,
    OptString,
    OptBytes,
}

/// A value as stored, from the fuzzer's bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    Null,
    Integer(i64),
    Real(f64),
    /// Valid UTF-8, bound as text.
    Text(String),
    /// Any bytes, stored as TEXT by `CAST(? AS TEXT)`.
    RawText(Vec<u8>),
    Blob(Vec<u8>),
}

impl Stored {
    /// The bound parameter and the SQL expression that stores it.
    fn bind(&self) -> (&'static str, Value) {
        match self {
            Stored::Null => ("?", Value::Null),
            Stored::Integer(i) => ("?", Value::Integer(*i)),
            Stored::Real(f) => ("?", Value::Real(*f)),
            Stored::Text(t) => ("?", Value::Text(t.clone())),
            Stored::RawText(b) => ("CAST(? AS TEXT)", Value::Blob(b.clone())),
            Stored::Blob(b) => ("?", Value::Blob(b.clone())),
        }
    }

    /// What SQLite reads back: the storage class and value, or `None` for a
    /// NaN, which SQLite cannot store (eagerly refuses to bind it).
    fn read_back(&self) -> Option<Stored> {
        Some(match self {
            Stored::Real(f) if f.is_nan() => return None,
            Stored::RawText(b) => match String::from_utf8(b.clone()) {
                Ok(t) => Stored::Text(t),
                Err(_) => Stored::RawText(b.clone()),
            },
            other => other.clone(),
        })
    }

    fn class(&self) -> &'static str {
        match self {
            Stored::Null => "NULL",
            Stored::Integer(_) => "INTEGER",
            Stored::Real(_) => "REAL",
            Stored::Text(_) | Stored::RawText(_) => "TEXT",
            Stored::Blob(_) => "BLOB",
        }
    }
}

/// Reads values off the fuzzer's bytes; runs out as NULLs.
pub struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Input(data)
    }

    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }

    fn eight(&mut self) -> [u8; 8] {
        let mut out = [0; 8];
        out[..].copy_from_slice(&{
            let mut b = self.bytes(8).to_vec();
            b.resize(8, 0);
            b
        });
        out
    }

    /// A value for a column of `kind`: three times in four one that fits
    /// (so whole rows decode and their values are compared), else any.
    pub fn stored_for(&mut self, kind: Kind) -> Stored {
        let choice = self.byte();
        if choice >= 192 {
            return self.stored();
        }
        let four = |b: &[u8]| {
            let mut x = [0; 4];
            x[..b.len()].copy_from_slice(b);
            x
        };
        match kind {
            Kind::OptI32
            | Kind::OptI64
            | Kind::OptU32
            | Kind::OptF64
            | Kind::OptBool
            | Kind::OptString
            | Kind::OptBytes
                if choice.is_multiple_of(4) =>
            {
                Stored::Null
            }
            Kind::I32 | Kind::OptI32 => {
                Stored::Integer(i64::from(i32::from_le_bytes(four(self.bytes(4)))))
            }
            Kind::U32 | Kind::OptU32 => {
                Stored::Integer(i64::from(u32::from_le_bytes(four(self.bytes(4)))))
            }
            Kind::I64 | Kind::OptI64 => Stored::Integer(i64::from_le_bytes(self.eight())),
            Kind::F64 | Kind::OptF64 if choice.is_multiple_of(2) => {
                Stored::Integer(i64::from(self.byte() as i8))
            }
            Kind::F64 | Kind::OptF64 => {
                let f = f64::from_le_bytes(self.eight());
                Stored::Real(if f.is_nan() { 0.5 } else { f })
            }
            Kind::Bool | Kind::OptBool => Stored::Integer(i64::from(self.byte() % 2)),
            Kind::String | Kind::OptString => {
                let n = self.byte() as usize % 24;
                Stored::Text(String::from_utf8_lossy(self.bytes(n)).into_owned())
            }
            Kind::Bytes | Kind::OptBytes => {
                let n = self.byte() as usize % 24;
                Stored::Blob(self.bytes(n).to_vec())
            }
        }
    }

    /// Any stored value; small integers are likely, so bools and narrow
    /// integers are hit.
    pub fn stored(&mut self) -> Stored {
        match self.byte() % 8 {
            0 => Stored::Null,
            1 => Stored::Integer(i64::from_le_bytes(self.eight())),
            2 => Stored::Integer(i64::from(self.byte() as i8)),
            3 => Stored::Real(f64::from_le_bytes(self.eight())),
            4 => {
                let n = self.byte() as usize % 24;
                Stored::Text(String::from_utf8_lossy(self.bytes(n)).into_owned())
            }
            5 => {
                let n = self.byte() as usize % 24;
                Stored::RawText(self.bytes(n).to_vec())
            }
            6 => {
                let n = self.byte() as usize % 24;
                Stored::Blob(self.bytes(n).to_vec())
            }
            _ => Stored::Integer(i64::from(self.byte() % 3)),
        }
    }
}

/// What decoding `stored` as `kind` must give: `Ok(debug text of the
/// value)` or `Err((expected type, found))`.
pub fn expected(kind: Kind, stored: &Stored) -> Result<String, (&'static str, String)> {
    let (optional, base) = match kind {
        Kind::OptI32 => (true, Kind::I32),
        Kind::OptI64 => (true, Kind::I64),
        Kind::OptU32 => (true, Kind::U32),
        Kind::OptF64 => (true, Kind::F64),
        Kind::OptBool => (true, Kind::Bool),
        Kind::OptString => (true, Kind::String),
        Kind::OptBytes => (true, Kind::Bytes),
        other => (false, other),
    };
    if optional && *stored == Stored::Null {
        return Ok("None".into());
    }
    let wrong = |name: &'static str| Err((name, stored.class().to_owned()));
    let value = match (base, stored) {
        (Kind::I64, Stored::Integer(i)) => format!("{i:?}"),
        (Kind::I64, _) => return wrong("i64"),
        (Kind::I32, Stored::Integer(i)) => match i32::try_from(*i) {
            Ok(v) => format!("{v:?}"),
            Err(_) => return Err(("i32", format!("INTEGER {i} (out of range)"))),
        },
        (Kind::I32, _) => return wrong("i32"),
        (Kind::U32, Stored::Integer(i)) => match u32::try_from(*i) {
            Ok(v) => format!("{v:?}"),
            Err(_) => return Err(("u32", format!("INTEGER {i} (out of range)"))),
        },
        (Kind::U32, _) => return wrong("u32"),
        // An untyped column keeps -0.0 (a REAL column stores it as 0).
        (Kind::F64, Stored::Real(f)) => format!("{f:?}"),
        (Kind::F64, Stored::Integer(i)) => format!("{:?}", *i as f64),
        (Kind::F64, _) => return wrong("f64"),
        (Kind::Bool, Stored::Integer(0)) => "false".into(),
        (Kind::Bool, Stored::Integer(1)) => "true".into(),
        (Kind::Bool, Stored::Integer(i)) => {
            return Err(("bool", format!("INTEGER {i} (not 0 or 1)")))
        }
        (Kind::Bool, _) => return wrong("bool"),
        (Kind::String, Stored::Text(t)) => format!("{t:?}"),
        (Kind::String, Stored::RawText(_)) => {
            return Err(("String", "TEXT that is not valid UTF-8".into()))
        }
        (Kind::String, _) => return wrong("String"),
        (Kind::Bytes, Stored::Blob(b)) => format!("{b:?}"),
        (Kind::Bytes, _) => return wrong("Vec<u8>"),
        _ => unreachable!(),
    };
    Ok(if optional {
        format!("Some({value})")
    } else {
        value
    })
}

/// The decoded row's values, as the oracle writes them.
fn actual(row: &FuzzRow) -> Vec<String> {
    let f = |x: f64| format!("{x:?}");
    vec![
        format!("{:?}", row.a_i32),
        format!("{:?}", row.a_i64),
        format!("{:?}", row.a_u32),
        f(row.a_f64),
        format!("{:?}", row.a_bool),
        format!("{:?}", row.a_string),
        format!("{:?}", row.a_bytes),
        format!("{:?}", row.o_i32),
        format!("{:?}", row.o_i64),
        format!("{:?}", row.o_u32),
        match row.o_f64 {
            Some(x) => format!("Some({})", f(x)),
            None => "None".into(),
        },
        format!("{:?}", row.o_bool),
        format!("{:?}", row.o_string),
        format!("{:?}", row.o_bytes),
    ]
}

/// A decode outcome reduced to what must agree across ways of reading.
fn outcome(result: eagerly::Result<Vec<String>>) -> Result<Vec<String>, String> {
    match result {
        Ok(values) => Ok(values),
        Err(Error::Decode {
            table,
            column,
            expected,
            found,
        }) => Err(format!(
            "{table}.{column}: expected {expected}, found {found}"
        )),
        Err(other) => panic!("decoding gave a non-decode error: {other:?}"),
    }
}

/// Runs the harness on one input. Panics only when the contract breaks.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let stored: Vec<Stored> = COLUMNS
        .iter()
        .map(|(_, kind)| input.stored_for(*kind))
        .collect();
    let key: (Stored, Stored) = (input.stored_for(Kind::String), input.stored_for(Kind::U32));

    let mut s = Session::in_memory().expect("in-memory database");
    let mut columns = String::from("id INTEGER PRIMARY KEY, parent_id");
    for (name, _) in COLUMNS {
        columns.push_str(", ");
        columns.push_str(name);
    }
    s.execute("CREATE TABLE fuzz_parents (id INTEGER PRIMARY KEY)", &[])
        .unwrap();
    s.execute(&format!("CREATE TABLE fuzz_rows ({columns})"), &[])
        .unwrap();
    s.execute("CREATE TABLE fuzz_keys (name, n, note)", &[])
        .unwrap();
    s.execute("INSERT INTO fuzz_parents VALUES (1)", &[])
        .unwrap();

    // Store the values; a NaN is refused as a database error.
    let mut marks = vec!["?", "?"];
    let mut params = vec![Value::Integer(1), Value::Integer(1)];
    for v in &stored {
        let (mark, value) = v.bind();
        marks.push(mark);
        params.push(value);
    }
    let insert = format!("INSERT INTO fuzz_rows VALUES ({})", marks.join(", "));
    let read_back: Option<Vec<Stored>> = stored.iter().map(Stored::read_back).collect();
    let written = s.execute(&insert, &params);
    let Some(read_back) = read_back else {
        match written {
            Err(Error::Database(db)) => assert!(db.message().contains("NaN"), "{db}"),
            other => panic!("a NaN was bound: {other:?}"),
        }
        check_filters(&mut s, &stored);
        return;
    };
    written.expect("insert of storable values");

    // The oracle: the first column that does not fit, or every value.
    let mut want: Result<Vec<String>, String> = Ok(Vec::new());
    for ((name, kind), v) in COLUMNS.iter().zip(&read_back) {
        match (expected(*kind, v), &mut want) {
            (Ok(text), Ok(values)) => values.push(text),
            (Err((ty, found)), Ok(_)) => {
                want = Err(format!("fuzz_rows.{name}: expected {ty}, found {found}"));
            }
            (_, Err(_)) => {}
        }
    }

    // Every way of reading agrees with the oracle.
    let got = outcome(s.get::<FuzzRow>(1).map(|r| actual(&r.expect("row 1"))));
    assert_eq!(got, want, "get");
    for strategy in 0..4 {
        s.expunge_all();
        let result = (|| -> eagerly::Result<Vec<String>> {
            let option = match strategy {
                0 => joined(FuzzParent::ROWS),
                1 => selectin(FuzzParent::ROWS),
                2 => select(FuzzParent::ROWS),
                _ => bulk(FuzzParent::ROWS),
            };
            let parents = s.query::<FuzzParent>().options(option).all()?;
            let rows = s.load(FuzzParent::ROWS, &parents[0])?;
            Ok(actual(&rows[0]))
        })();
        assert_eq!(outcome(result), want, "loader {strategy}");
    }
    // Many-to-one back to the parent, whose row decodes.
    s.expunge_all();
    if want.is_ok() {
        let rows = s.query::<FuzzRow>().options(joined(FuzzRow::PARENT)).all();
        assert_eq!(rows.expect("rows").len(), 1);
    }

    // Arbitrary values as a composite key.
    if let (Some(name), Some(n)) = (key.0.read_back(), key.1.read_back()) {
        let (m1, v1) = key.0.bind();
        let (m2, v2) = key.1.bind();
        s.execute(
            &format!("INSERT INTO fuzz_keys VALUES ({m1}, {m2}, NULL)"),
            &[v1, v2],
        )
        .unwrap();
        let want = match (expected(Kind::String, &name), expected(Kind::U32, &n)) {
            (Ok(a), Ok(b)) => Ok(vec![a, b]),
            (Err((ty, found)), _) => Err(format!("fuzz_keys.name: expected {ty}, found {found}")),
            (_, Err((ty, found))) => Err(format!("fuzz_keys.n: expected {ty}, found {found}")),
        };
        let got = outcome(
            s.query::<FuzzKey>()
                .one()
                .map(|k| vec![format!("{:?}", k.name), format!("{:?}", k.n)]),
        );
        assert_eq!(got, want, "composite key");
    }

    check_filters(&mut s, &stored);
}

/// Binds the values into filters of every column: accepted, or a NaN
/// refused as a database error; never a panic, and the session goes on.
fn check_filters(s: &mut Session, stored: &[Stored]) {
    for v in stored {
        let results: Vec<eagerly::Result<u64>> = match v {
            Stored::Null => vec![
                s.query::<FuzzRow>()
                    .filter(FuzzRow::O_I64.is_null())
                    .count(),
                s.query::<FuzzRow>()
                    .filter(FuzzRow::O_STRING.eq(None::<String>))
                    .count(),
            ],
            Stored::Integer(i) => vec![
                s.query::<FuzzRow>().filter(FuzzRow::A_I64.eq(*i)).count(),
                s.query::<FuzzRow>()
                    .filter(FuzzRow::A_I64.in_([*i, i.wrapping_neg()]))
                    .count(),
                s.query::<FuzzRow>()
                    .filter(FuzzRow::A_F64.le(*i as f64))
                    .count(),
            ],
            Stored::Real(f) => vec![
                s.query::<FuzzRow>().filter(FuzzRow::A_F64.gt(*f)).count(),
                s.query::<FuzzRow>().filter(FuzzRow::O_F64.ne(*f)).count(),
            ],
            Stored::Text(t) => vec![
                s.query::<FuzzRow>()
                    .filter(FuzzRow::A_STRING.eq(t.as_str()))
                    .count(),
                s.query::<FuzzRow>()
                    .filter(FuzzRow::A_STRING.like(t))
                    .count(),
                s.query::<FuzzRow>()
                    .filter(FuzzRow::O_STRING.not_in([t.clone()]))
                    .count(),
            ],
            Stored::RawText(b) | Stored::Blob(b) => vec![
                s.query::<FuzzRow>()
                    .filter(FuzzRow::A_BYTES.eq(b.clone()))
                    .count(),
                s.query::<FuzzRow>()
                    .filter(FuzzRow::A_STRING.eq(String::from_utf8_lossy(b).as_ref()))
                    .count(),
            ],
        };
        for result in results {
            match result {
                Ok(_) => {}
                Err(Error::Database(db)) if db.message().contains("NaN") => {
                    assert!(matches!(v, Stored::Real(f) if f.is_nan()))
                }
                Err(other) => panic!("filter on {v:?}: {other:?}"),
            }
        }
    }
    // The session still answers.
    s.query::<FuzzParent>().count().expect("session usable");
}
