//! The column types beyond the core ones: the small integers and `f32`,
//! and behind their features chrono's and time's date/times, `uuid::Uuid`,
//! `serde_json::Value` and `rust_decimal::Decimal`; then an enum mapped
//! through `ColumnType` (the pattern of its rustdoc). Each test runs on
//! SQLite, and on PostgreSQL with `EAGERLY_ENGINE=postgres` (support
//! ::engine): one body, the engines' differences stated with `either`.
//!
//! `cargo test --features "chrono time uuid json decimal" --test column_types`

mod support;

use std::str::FromStr;

use eagerly::prelude::*;
use eagerly::{DecodeFailure, Dialect, Error, SqlType, Value, ValueRef};
use support::engine::{either, session};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

#[derive(Entity, Debug, Clone, PartialEq)]
#[orm(table = "numbers")]
pub struct Numbers {
    #[orm(primary_key)]
    pub id: i64,
    pub tiny: u8,
    pub small: i16,
    pub word: u16,
    pub single: f32,
    pub opt_small: Option<i16>,
    pub opt_single: Option<f32>,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[orm(table = "chrono_times")]
pub struct ChronoTimes {
    #[orm(primary_key)]
    pub id: i64,
    pub at: DateTime<Utc>,
    pub local: NaiveDateTime,
    pub day: NaiveDate,
    pub clock: NaiveTime,
    pub opt_at: Option<DateTime<Utc>>,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[orm(table = "time_times")]
pub struct TimeTimes {
    #[orm(primary_key)]
    pub id: i64,
    pub at: time::OffsetDateTime,
    pub local: time::PrimitiveDateTime,
    pub day: time::Date,
    pub clock: time::Time,
    pub opt_day: Option<time::Date>,
}

/// A UUID key, a JSON document and an exact decimal.
#[derive(Entity, Debug, Clone, PartialEq)]
#[orm(table = "documents")]
pub struct Document {
    #[orm(primary_key)]
    pub id: Uuid,
    pub body: serde_json::Value,
    pub price: Decimal,
    pub opt_body: Option<serde_json::Value>,
    pub opt_price: Option<Decimal>,
    pub opt_ref: Option<Uuid>,
}

/// An enum stored as text, as `ColumnType`'s rustdoc shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Status {
    Draft,
    Published,
}

impl ColumnType for Status {
    const SQL_TYPE: SqlType = SqlType::Text;
    fn to_value(&self) -> Value {
        Value::from(match self {
            Status::Draft => "draft",
            Status::Published => "published",
        })
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        match String::from_value(value)?.as_str() {
            "draft" => Ok(Status::Draft),
            "published" => Ok(Status::Published),
            other => Err(DecodeFailure {
                expected: "Status",
                found: format!("TEXT {other:?}"),
            }),
        }
    }
}

/// An enum stored as an integer of its own choosing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Priority {
    Low = 1,
    High = 9,
}

impl ColumnType for Priority {
    const SQL_TYPE: SqlType = SqlType::SmallInt;
    fn to_value(&self) -> Value {
        Value::from(*self as i16)
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        match i16::from_value(value)? {
            1 => Ok(Priority::Low),
            9 => Ok(Priority::High),
            other => Err(DecodeFailure {
                expected: "Priority",
                found: format!("INTEGER {other}"),
            }),
        }
    }
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[orm(table = "posts")]
pub struct Post {
    #[orm(primary_key)]
    pub id: i64,
    pub status: Status,
    pub priority: Priority,
    pub opt_status: Option<Status>,
}

fn session_with(metas: &[&'static eagerly::EntityMeta]) -> Session {
    let mut session = session();
    session.create_all(metas).unwrap();
    session
}

/// Inserts `object`, forgets it, and reads it back by its key.
fn round_trip<E: Entity + Clone>(session: &mut Session, object: E) -> E {
    let key = session.insert(object).unwrap().key();
    session.expunge_all();
    (*session.get::<E>(key).unwrap().expect("the row")).clone()
}

/// The decode failure of reading `E`'s rows, as (column, expected, found).
fn decode_failure<E: Entity>(session: &mut Session) -> (&'static str, &'static str, String) {
    session.expunge_all();
    match session.query::<E>().all() {
        Err(Error::Decode {
            table,
            column,
            expected,
            found,
        }) => {
            assert_eq!(table, E::META.table());
            (column, expected, found)
        }
        other => panic!(
            "expected a decode failure, got {:?}",
            other.map(|rows| rows.len())
        ),
    }
}

/// The one text column of `sql`'s rows, as the engine hands it back.
fn texts(session: &mut Session, sql: &str) -> Vec<String> {
    session
        .query_as::<(String,)>(sql, &[])
        .unwrap()
        .into_iter()
        .map(|(text,)| text)
        .collect()
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

// ----- DDL --------------------------------------------------------------------

#[test]
fn each_dialect_names_each_type() {
    let expected = [
        (SqlType::Integer, "INTEGER", "BIGINT"),
        (SqlType::Int32, "INTEGER", "INTEGER"),
        (SqlType::SmallInt, "INTEGER", "SMALLINT"),
        (SqlType::Boolean, "INTEGER", "BOOLEAN"),
        (SqlType::Real, "REAL", "DOUBLE PRECISION"),
        (SqlType::Real32, "REAL", "REAL"),
        (SqlType::Text, "TEXT", "TEXT"),
        (SqlType::Blob, "BLOB", "BYTEA"),
        (SqlType::Timestamp, "TEXT", "TIMESTAMP"),
        (SqlType::TimestampTz, "TEXT", "TIMESTAMPTZ"),
        (SqlType::Date, "TEXT", "DATE"),
        (SqlType::Time, "TEXT", "TIME"),
        (SqlType::Uuid, "TEXT", "UUID"),
        (SqlType::Json, "TEXT", "JSONB"),
        (SqlType::Decimal, "TEXT", "NUMERIC"),
    ];
    for (sql_type, sqlite, postgres) in expected {
        assert_eq!(
            eagerly::Sqlite.column_type(sql_type),
            sqlite,
            "{sql_type:?}"
        );
        assert_eq!(eagerly::Sqlite.column_type(sql_type), sql_type.ddl_name());
        assert_eq!(
            eagerly::Postgres.column_type(sql_type),
            postgres,
            "{sql_type:?}"
        );
    }
}

#[test]
fn create_all_declares_the_engine_types() {
    let mut session = session();
    session
        .create_all(&[
            Numbers::META,
            ChronoTimes::META,
            TimeTimes::META,
            Document::META,
        ])
        .unwrap();
    let creates: Vec<String> = session
        .statements()
        .iter()
        .map(|s| s.sql.clone())
        .filter(|sql| sql.starts_with("CREATE TABLE"))
        .collect();
    let expected = either(
        [
            r#"CREATE TABLE IF NOT EXISTS "numbers" ("id" INTEGER PRIMARY KEY NOT NULL, "tiny" INTEGER NOT NULL, "small" INTEGER NOT NULL, "word" INTEGER NOT NULL, "single" REAL NOT NULL, "opt_small" INTEGER, "opt_single" REAL)"#,
            r#"CREATE TABLE IF NOT EXISTS "chrono_times" ("id" INTEGER PRIMARY KEY NOT NULL, "at" TEXT NOT NULL, "local" TEXT NOT NULL, "day" TEXT NOT NULL, "clock" TEXT NOT NULL, "opt_at" TEXT)"#,
            r#"CREATE TABLE IF NOT EXISTS "time_times" ("id" INTEGER PRIMARY KEY NOT NULL, "at" TEXT NOT NULL, "local" TEXT NOT NULL, "day" TEXT NOT NULL, "clock" TEXT NOT NULL, "opt_day" TEXT)"#,
            r#"CREATE TABLE IF NOT EXISTS "documents" ("id" TEXT PRIMARY KEY NOT NULL, "body" TEXT NOT NULL, "price" TEXT NOT NULL, "opt_body" TEXT, "opt_price" TEXT, "opt_ref" TEXT)"#,
        ],
        [
            r#"CREATE TABLE IF NOT EXISTS "numbers" ("id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY NOT NULL, "tiny" SMALLINT NOT NULL, "small" SMALLINT NOT NULL, "word" INTEGER NOT NULL, "single" REAL NOT NULL, "opt_small" SMALLINT, "opt_single" REAL)"#,
            r#"CREATE TABLE IF NOT EXISTS "chrono_times" ("id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY NOT NULL, "at" TIMESTAMPTZ NOT NULL, "local" TIMESTAMP NOT NULL, "day" DATE NOT NULL, "clock" TIME NOT NULL, "opt_at" TIMESTAMPTZ)"#,
            r#"CREATE TABLE IF NOT EXISTS "time_times" ("id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY NOT NULL, "at" TIMESTAMPTZ NOT NULL, "local" TIMESTAMP NOT NULL, "day" DATE NOT NULL, "clock" TIME NOT NULL, "opt_day" DATE)"#,
            r#"CREATE TABLE IF NOT EXISTS "documents" ("id" UUID PRIMARY KEY NOT NULL, "body" JSONB NOT NULL, "price" NUMERIC NOT NULL, "opt_body" JSONB, "opt_price" NUMERIC, "opt_ref" UUID)"#,
        ],
    );
    assert_eq!(creates, expected);
}

// ----- integers and f32 -------------------------------------------------------

#[test]
fn small_integers_and_f32_round_trip_at_their_limits() {
    let mut session = session_with(&[Numbers::META]);
    let rows = [
        Numbers {
            id: 1,
            tiny: u8::MAX,
            small: i16::MIN,
            word: u16::MAX,
            single: f32::MAX,
            opt_small: Some(i16::MAX),
            opt_single: Some(f32::MIN_POSITIVE),
        },
        Numbers {
            id: 2,
            tiny: 0,
            small: i16::MAX,
            word: 0,
            single: f32::NEG_INFINITY,
            opt_small: None,
            opt_single: None,
        },
        Numbers {
            id: 3,
            tiny: 7,
            small: -1,
            word: 40_000,
            single: 0.1,
            opt_small: Some(0),
            opt_single: Some(f32::INFINITY),
        },
    ];
    for row in rows {
        let back = round_trip(&mut session, row.clone());
        assert_eq!(back, row);
        // Bit for bit: 0.1f32 is not 0.1f64, and reads back as itself.
        assert_eq!(back.single.to_bits(), row.single.to_bits());
    }
    let wide = session
        .query::<Numbers>()
        .filter(Numbers::WORD.gt(u16::MAX - 1))
        .filter(Numbers::SINGLE.gt(1.0))
        .all()
        .unwrap();
    assert_eq!(wide.iter().map(|n| n.id).collect::<Vec<_>>(), [1]);
}

/// NaN: PostgreSQL's REAL stores it; SQLite would store NULL for it, so
/// the SQLite backend refuses to bind it (as for `f64`).
#[test]
fn f32_nan_is_kept_by_postgres_and_refused_by_sqlite() {
    let mut session = session_with(&[Numbers::META]);
    let nan = Numbers {
        id: 1,
        tiny: 0,
        small: 0,
        word: 0,
        single: f32::NAN,
        opt_small: None,
        opt_single: Some(f32::NAN),
    };
    let inserted = session.insert(nan);
    if either(true, false) {
        let error = inserted.unwrap_err();
        assert!(
            error
                .to_string()
                .contains("cannot bind NaN: SQLite would store it as NULL"),
            "{error}"
        );
    } else {
        inserted.unwrap();
        session.expunge_all();
        let back = session.get::<Numbers>(1).unwrap().unwrap();
        assert!(back.single.is_nan());
        assert!(back.opt_single.unwrap().is_nan());
    }
}

#[test]
fn integers_and_floats_that_do_not_fit_are_refused_on_read() {
    let mut session = session();
    let error = session.query_as::<(u8,)>("SELECT 256", &[]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot decode column (raw query).0: expected u8, found INTEGER 256 (out of range)"
    );
    let error = session
        .query_as::<(f32,)>("SELECT CAST(1e300 AS DOUBLE PRECISION)", &[])
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot decode column (raw query).0: expected f32, found REAL 1e300 (out of range)"
    );
    // Within f32's range, a value written as f64 rounds to the nearest f32.
    let (near,) = session
        .query_as::<(f32,)>("SELECT CAST(0.1 AS DOUBLE PRECISION)", &[])
        .unwrap()[0];
    assert_eq!(near, 0.1f32);
}

// ----- chrono -----------------------------------------------------------------

#[test]
fn chrono_types_round_trip() {
    let mut session = session_with(&[ChronoTimes::META]);
    let at = utc("2024-02-29T23:59:58.123456789Z");
    let local = NaiveDate::from_ymd_opt(1969, 12, 31)
        .unwrap()
        .and_hms_nano_opt(23, 59, 59, 999_999_000)
        .unwrap();
    let row = ChronoTimes {
        id: 1,
        at,
        local,
        day: NaiveDate::from_ymd_opt(1, 1, 1).unwrap(),
        clock: NaiveTime::from_hms_micro_opt(0, 0, 0, 1).unwrap(),
        opt_at: None,
    };
    let back = round_trip(&mut session, row.clone());
    // PostgreSQL keeps microseconds (rounding the nanoseconds); SQLite's
    // text keeps all nine digits.
    let expected_at = either(at, utc("2024-02-29T23:59:58.123457Z"));
    assert_eq!(
        back,
        ChronoTimes {
            at: expected_at,
            ..row.clone()
        }
    );
    assert_eq!(
        texts(&mut session, r#"SELECT "at" FROM "chrono_times""#),
        [either(
            "2024-02-29 23:59:58.123456789Z",
            "2024-02-29 23:59:58.123457000Z"
        )]
    );
    assert_eq!(
        texts(&mut session, r#"SELECT "local" FROM "chrono_times""#),
        ["1969-12-31 23:59:59.999999000"]
    );
    assert_eq!(
        texts(&mut session, r#"SELECT "day" FROM "chrono_times""#),
        ["0001-01-01"]
    );

    // A time zone: the instant is kept, read back in UTC.
    let india: DateTime<FixedOffset> =
        DateTime::parse_from_rfc3339("2024-07-01T12:00:00+05:30").unwrap();
    let zoned = round_trip(
        &mut session,
        ChronoTimes {
            id: 2,
            at: india.to_utc(),
            opt_at: Some(india.to_utc()),
            ..row
        },
    );
    assert_eq!(zoned.at, utc("2024-07-01T06:30:00Z"));
    assert_eq!(zoned.opt_at, Some(utc("2024-07-01T06:30:00Z")));
}

/// A value written with an offset by other means (raw SQL) reads as the
/// same instant in UTC on both engines.
#[test]
fn chrono_reads_an_offset_written_by_raw_sql_as_utc() {
    let mut session = session_with(&[ChronoTimes::META]);
    session
        .execute(
            r#"INSERT INTO "chrono_times" ("id", "at", "local", "day", "clock") VALUES (1, '2024-01-01 12:00:00+05:30', '2024-01-01 12:00:00', '2024-01-01', '12:00:00')"#,
            &[],
        )
        .unwrap();
    let row = session.get::<ChronoTimes>(1).unwrap().unwrap();
    assert_eq!(row.at, utc("2024-01-01T06:30:00Z"));
    assert_eq!(row.clock, NaiveTime::from_hms_opt(12, 0, 0).unwrap());
}

#[test]
fn chrono_filters_compare_in_time_order() {
    let mut session = session_with(&[ChronoTimes::META]);
    let base = ChronoTimes {
        id: 0,
        at: utc("2024-01-01T00:00:00Z"),
        local: NaiveDate::from_ymd_opt(2024, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap(),
        day: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        clock: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        opt_at: None,
    };
    // Text order would put 10:00 before 9:30 if the hours were not padded,
    // and a whole second before its fractions without the fixed width.
    let moments = [
        (1, "2024-01-01T09:30:00Z", "2023-12-31"),
        (2, "2024-01-01T10:00:00Z", "2024-01-01"),
        (3, "2024-01-01T10:00:00.5Z", "2024-01-02"),
        (4, "2023-12-31T23:00:00-02:00", "2024-01-03"),
    ];
    for (id, at, day) in moments {
        session
            .insert(ChronoTimes {
                id,
                at: utc(at),
                day: NaiveDate::from_str(day).unwrap(),
                ..base.clone()
            })
            .unwrap();
    }
    let ids = |session: &mut Session, filter: Filter<ChronoTimes>| -> Vec<i64> {
        session
            .query::<ChronoTimes>()
            .filter(filter)
            .order_by(ChronoTimes::AT.asc())
            .all()
            .unwrap()
            .iter()
            .map(|row| row.id)
            .collect()
    };
    assert_eq!(
        ids(
            &mut session,
            ChronoTimes::AT.eq(utc("2024-01-01T10:00:00Z"))
        ),
        [2]
    );
    assert_eq!(
        ids(
            &mut session,
            ChronoTimes::AT
                .gt(utc("2024-01-01T09:30:00Z"))
                .and(ChronoTimes::AT.le(utc("2024-01-01T10:00:00.5Z")))
        ),
        [2, 3]
    );
    // 23:00 at -02:00 on December 31st is 01:00 UTC on January 1st: the
    // first, though its local day is the earliest.
    assert_eq!(
        ids(
            &mut session,
            ChronoTimes::AT.ge(utc("2024-01-01T00:00:00Z"))
        ),
        [4, 1, 2, 3]
    );
    assert_eq!(
        ids(
            &mut session,
            ChronoTimes::DAY.lt(NaiveDate::from_ymd_opt(2024, 1, 2).unwrap())
        ),
        [1, 2]
    );
    // A long list binds as one array (rarray on SQLite, timestamptz[] on
    // PostgreSQL).
    let many: Vec<DateTime<Utc>> = (0..40)
        .map(|minute| utc("2024-01-01T10:00:00Z") + chrono::TimeDelta::minutes(minute))
        .chain([utc("2024-01-01T10:00:00.5Z")])
        .collect();
    assert_eq!(ids(&mut session, ChronoTimes::AT.in_(many)), [2, 3]);
}

#[test]
fn a_text_that_is_not_a_date_is_a_decode_error() {
    let mut session = session_with(&[ChronoTimes::META]);
    session
        .insert(ChronoTimes {
            id: 1,
            at: utc("2024-01-01T00:00:00Z"),
            local: NaiveDate::from_ymd_opt(2024, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            day: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            clock: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            opt_at: None,
        })
        .unwrap();
    // PostgreSQL's DATE holds 'infinity', which no NaiveDate is; on SQLite
    // it is a text like any other.
    session
        .execute(r#"UPDATE "chrono_times" SET "day" = 'infinity'"#, &[])
        .unwrap();
    assert_eq!(
        decode_failure::<ChronoTimes>(&mut session),
        (
            "day",
            "chrono::NaiveDate",
            r#"TEXT "infinity" (not a date, YYYY-MM-DD)"#.to_owned()
        )
    );
    let error = session.query::<ChronoTimes>().all().unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"cannot decode column chrono_times.day: expected chrono::NaiveDate, found TEXT "infinity" (not a date, YYYY-MM-DD)"#
    );
}

/// SQLite only: a text PostgreSQL's own types would refuse to store.
#[test]
fn a_malformed_text_is_a_decode_error_on_sqlite() {
    if support::engine::sqlite_only("PostgreSQL refuses the text on write") {
        return;
    }
    let mut session = session_with(&[ChronoTimes::META]);
    session
        .execute(
            r#"INSERT INTO "chrono_times" ("id", "at", "local", "day", "clock") VALUES (1, '2024-01-01 00:00:00', '2024-01-01 00:00:00', '2024-01-01', '09:00:00')"#,
            &[],
        )
        .unwrap();
    assert_eq!(
        decode_failure::<ChronoTimes>(&mut session),
        (
            "at",
            "chrono::DateTime<Utc>",
            r#"TEXT "2024-01-01 00:00:00" (not a date and time with an offset, YYYY-MM-DD HH:MM:SS.fffffffffZ)"#
                .to_owned()
        )
    );
    session
        .execute(
            r#"UPDATE "chrono_times" SET "at" = '2024-02-30 00:00:00Z'"#,
            &[],
        )
        .unwrap();
    assert_eq!(decode_failure::<ChronoTimes>(&mut session).0, "at");
}

// ----- time -------------------------------------------------------------------

#[test]
fn time_types_round_trip() {
    use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};
    let mut session = session_with(&[TimeTimes::META]);
    let day = Date::from_calendar_date(2024, Month::February, 29).unwrap();
    let clock = Time::from_hms_nano(13, 14, 15, 500_000_000).unwrap();
    let at = PrimitiveDateTime::new(day, Time::from_hms(23, 0, 0).unwrap())
        .assume_offset(UtcOffset::from_hms(-2, 0, 0).unwrap());
    let row = TimeTimes {
        id: 1,
        at,
        local: PrimitiveDateTime::new(day, clock),
        day,
        clock,
        opt_day: Some(Date::from_calendar_date(9999, Month::December, 31).unwrap()),
    };
    let back = round_trip(&mut session, row.clone());
    assert_eq!(back, row);
    // The instant, in UTC: 23:00 at -02:00 is 01:00 on March 1st.
    assert_eq!(back.at.offset(), UtcOffset::UTC);
    assert_eq!(
        texts(&mut session, r#"SELECT "at" FROM "time_times""#),
        ["2024-03-01 01:00:00.000000000Z"]
    );
    assert_eq!(
        texts(&mut session, r#"SELECT "clock" FROM "time_times""#),
        ["13:14:15.500000000"]
    );
    let none = round_trip(
        &mut session,
        TimeTimes {
            id: 2,
            opt_day: None,
            ..row
        },
    );
    assert_eq!(none.opt_day, None);
    let later = session
        .query::<TimeTimes>()
        .filter(TimeTimes::LOCAL.ge(PrimitiveDateTime::new(day, clock)))
        .filter(TimeTimes::OPT_DAY.is_null())
        .all()
        .unwrap();
    assert_eq!(later.iter().map(|r| r.id).collect::<Vec<_>>(), [2]);
}

// ----- uuid, JSON, decimal ----------------------------------------------------

fn document(id: Uuid, price: &str) -> Document {
    Document {
        id,
        body: json!({}),
        price: Decimal::from_str(price).unwrap(),
        opt_body: None,
        opt_price: None,
        opt_ref: None,
    }
}

#[test]
fn uuid_json_and_decimal_round_trip() {
    let mut session = session_with(&[Document::META]);
    let id = Uuid::from_str("67E55044-10B1-426F-9247-BB680E5FE0C8").unwrap();
    let body = json!({
        "name": "caf\u{e9} \"quoted\" \\ back",
        "nested": {"list": [1, 2.5, null, true, {"deep": ["x"]}], "empty": {}},
        "big": i64::MAX,
    });
    let row = Document {
        id,
        body: body.clone(),
        price: Decimal::MAX,
        opt_body: Some(json!([])),
        opt_price: Some(Decimal::from_str("-0.0000000000000000000000000001").unwrap()),
        opt_ref: Some(Uuid::nil()),
    };
    assert_eq!(round_trip(&mut session, row.clone()), row);
    assert_eq!(
        texts(&mut session, r#"SELECT "price" FROM "documents""#),
        ["79228162514264337593543950335"]
    );
    assert_eq!(
        texts(&mut session, r#"SELECT "id" FROM "documents""#),
        ["67e55044-10b1-426f-9247-bb680e5fe0c8"]
    );

    // The scale is kept: 1.50 reads back as 1.50, not 1.5.
    let scaled = round_trip(&mut session, document(Uuid::from_u128(2), "1.50"));
    assert_eq!(scaled.price.to_string(), "1.50");
    assert_eq!(scaled.opt_body, None);
    assert_eq!(scaled.opt_price, None);
    assert_eq!(scaled.opt_ref, None);
}

#[test]
fn uuid_filters_and_in_lists() {
    let mut session = session_with(&[Document::META]);
    for n in 1..=5u128 {
        session.insert(document(Uuid::from_u128(n), "1")).unwrap();
    }
    let ids = |session: &mut Session, filter: Filter<Document>| -> Vec<u128> {
        let mut ids: Vec<u128> = session
            .query::<Document>()
            .filter(filter)
            .all()
            .unwrap()
            .iter()
            .map(|d| d.id.as_u128())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&mut session, Document::ID.eq(Uuid::from_u128(3))), [3]);
    assert_eq!(
        ids(
            &mut session,
            Document::ID.in_([Uuid::from_u128(2), Uuid::from_u128(4), Uuid::from_u128(9)])
        ),
        [2, 4]
    );
    // Past 32 values the list is one array parameter.
    let long: Vec<Uuid> = (5..60).map(Uuid::from_u128).collect();
    assert_eq!(ids(&mut session, Document::ID.in_(long.clone())), [5]);
    assert_eq!(ids(&mut session, Document::ID.not_in(long)), [1, 2, 3, 4]);
    session.expunge_all();
    assert_eq!(
        session
            .get::<Document>(Uuid::from_u128(4))
            .unwrap()
            .unwrap()
            .id,
        Uuid::from_u128(4)
    );
}

#[test]
fn decimal_and_json_filters() {
    let mut session = session_with(&[Document::META]);
    session
        .insert(document(Uuid::from_u128(1), "19.99"))
        .unwrap();
    let mut other = document(Uuid::from_u128(2), "5.25");
    other.body = json!({"tag": "b"});
    session.insert(other).unwrap();
    let found = session
        .query::<Document>()
        .filter(Document::PRICE.eq(Decimal::from_str("5.25").unwrap()))
        .all()
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].body, json!({"tag": "b"}));
    let found = session
        .query::<Document>()
        .filter(Document::BODY.eq(json!({"tag": "b"})))
        .all()
        .unwrap();
    assert_eq!(found[0].id, Uuid::from_u128(2));
    // Long lists are one array parameter: on PostgreSQL an array literal,
    // its elements quoted (the JSON's own quotes and backslashes escaped).
    let prices: Vec<Decimal> = (0..40)
        .map(|cents| Decimal::new(cents, 2))
        .chain([Decimal::from_str("19.99").unwrap()])
        .collect();
    let found = session
        .query::<Document>()
        .filter(Document::PRICE.in_(prices))
        .all()
        .unwrap();
    assert_eq!(
        found.iter().map(|d| d.id.as_u128()).collect::<Vec<_>>(),
        [1]
    );
    let bodies: Vec<serde_json::Value> = (0..40)
        .map(|n| json!({"tag": format!("\"{n}\\")}))
        .chain([json!({"tag": "b"})])
        .collect();
    let found = session
        .query::<Document>()
        .filter(Document::BODY.in_(bodies))
        .all()
        .unwrap();
    assert_eq!(
        found.iter().map(|d| d.id.as_u128()).collect::<Vec<_>>(),
        [2]
    );
}

#[test]
fn a_number_beyond_decimal_is_refused_not_rounded() {
    let mut session = session_with(&[Document::META]);
    session.insert(document(Uuid::from_u128(1), "1")).unwrap();
    session
        .execute(
            r#"UPDATE "documents" SET "price" = '123456789012345678901234567890.5'"#,
            &[],
        )
        .unwrap();
    assert_eq!(
        decode_failure::<Document>(&mut session),
        (
            "price",
            "rust_decimal::Decimal",
            r#"TEXT "123456789012345678901234567890.5" (not a decimal number that fits)"#
                .to_owned()
        )
    );
}

// ----- enums ------------------------------------------------------------------

#[test]
fn enums_as_text_and_as_integer() {
    let mut session = session_with(&[Post::META]);
    let draft = Post {
        id: 1,
        status: Status::Draft,
        priority: Priority::High,
        opt_status: None,
    };
    assert_eq!(round_trip(&mut session, draft.clone()), draft);
    let published = Post {
        id: 2,
        status: Status::Published,
        priority: Priority::Low,
        opt_status: Some(Status::Draft),
    };
    assert_eq!(round_trip(&mut session, published.clone()), published);
    let found = session
        .query::<Post>()
        .filter(Post::STATUS.eq(Status::Published))
        .filter(Post::PRIORITY.lt(Priority::High))
        .all()
        .unwrap();
    assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), [2]);
    assert_eq!(
        texts(
            &mut session,
            r#"SELECT "status" FROM "posts" ORDER BY "id""#
        ),
        ["draft", "published"]
    );

    session
        .execute(
            r#"UPDATE "posts" SET "status" = 'archived' WHERE "id" = 1"#,
            &[],
        )
        .unwrap();
    assert_eq!(
        decode_failure::<Post>(&mut session),
        ("status", "Status", r#"TEXT "archived""#.to_owned())
    );
}
