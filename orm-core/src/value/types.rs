//! Column types of other crates, each behind the cargo feature of the same
//! name (`json` for `serde_json`, `decimal` for `rust_decimal`). Each is
//! carried as [`Value::Text`] in the form SQLite stores; on PostgreSQL the
//! backend sends that text to the column's native type, which parses it,
//! and turns what it reads back into the same text, so one `from_value`
//! serves both engines.

#[allow(unused_imports)] // Which of these are used depends on the features.
use super::{ColumnType, DecodeFailure, IntoColumnValue, SqlType, Value, ValueRef};

/// The UTF-8 text of a `TEXT` value, or the failure to read an `expected`.
#[allow(dead_code)] // Unused when no feature is on.
fn text_of<'a>(expected: &'static str, value: ValueRef<'a>) -> Result<&'a str, DecodeFailure> {
    match value {
        ValueRef::Text(bytes) => std::str::from_utf8(bytes).map_err(|_| DecodeFailure {
            expected,
            found: "TEXT that is not valid UTF-8".to_owned(),
        }),
        other => Err(DecodeFailure::wrong_class(expected, other)),
    }
}

/// The failure for a text that is not in the form of an `expected`
/// (`form` says which).
#[allow(dead_code)] // Unused when no feature is on.
fn not_in_form(expected: &'static str, text: &str, form: &str) -> DecodeFailure {
    DecodeFailure {
        expected,
        found: format!("TEXT {text:?} (not {form})"),
    }
}

#[cfg(any(feature = "chrono", feature = "time"))]
const DATE_FORM: &str = "a date, YYYY-MM-DD";
#[cfg(any(feature = "chrono", feature = "time"))]
const TIME_FORM: &str = "a time of day, HH:MM:SS.fffffffff";
#[cfg(any(feature = "chrono", feature = "time"))]
const TIMESTAMP_FORM: &str = "a date and time, YYYY-MM-DD HH:MM:SS.fffffffff";
#[cfg(any(feature = "chrono", feature = "time"))]
const INSTANT_FORM: &str = "a date and time with an offset, YYYY-MM-DD HH:MM:SS.fffffffffZ";

/// `IntoColumnValue<Option<T>> for T` and `From<T> for Value` (with its
/// `Option`), as the built-in types have them.
#[allow(unused_macros)] // Unused when no feature is on.
macro_rules! plain_value {
    ($($ty:ty),*) => {
        $(
            impl From<$ty> for Value {
                fn from(value: $ty) -> Value {
                    value.to_value()
                }
            }
            impl From<Option<$ty>> for Value {
                fn from(value: Option<$ty>) -> Value {
                    value.map_or(Value::Null, |v| v.to_value())
                }
            }
            impl IntoColumnValue<Option<$ty>> for $ty {
                fn into_column_value(self) -> Value {
                    self.to_value()
                }
            }
        )*
    };
}

#[cfg(feature = "chrono")]
mod chrono_types {
    use chrono::{
        DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Utc,
    };

    use super::*;
    use crate::value::civil;

    fn parts_of_date(date: NaiveDate) -> civil::Date {
        civil::Date {
            year: date.year(),
            month: date.month(),
            day: date.day(),
        }
    }

    fn parts_of_time(time: NaiveTime) -> civil::Time {
        civil::Time {
            hour: time.hour(),
            minute: time.minute(),
            second: time.second(),
            nano: time.nanosecond(),
        }
    }

    fn date_of(parts: civil::Date) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(parts.year, parts.month, parts.day)
    }

    /// A leap second (second 60) is chrono's nanoseconds past 1e9.
    fn time_of(parts: civil::Time) -> Option<NaiveTime> {
        if parts.second == 60 {
            NaiveTime::from_hms_nano_opt(parts.hour, parts.minute, 59, parts.nano + 1_000_000_000)
        } else {
            NaiveTime::from_hms_nano_opt(parts.hour, parts.minute, parts.second, parts.nano)
        }
    }

    fn date_time_of(date: civil::Date, time: civil::Time) -> Option<NaiveDateTime> {
        Some(date_of(date)?.and_time(time_of(time)?))
    }

    impl ColumnType for NaiveDate {
        const SQL_TYPE: SqlType = SqlType::Date;
        fn to_value(&self) -> Value {
            let mut text = String::with_capacity(10);
            parts_of_date(*self).write(&mut text);
            Value::Text(text)
        }
        fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
            const EXPECTED: &str = "chrono::NaiveDate";
            let text = text_of(EXPECTED, value)?;
            civil::parse_date(text)
                .and_then(date_of)
                .ok_or_else(|| not_in_form(EXPECTED, text, DATE_FORM))
        }
    }

    impl ColumnType for NaiveTime {
        const SQL_TYPE: SqlType = SqlType::Time;
        fn to_value(&self) -> Value {
            let mut text = String::with_capacity(18);
            parts_of_time(*self).write(&mut text);
            Value::Text(text)
        }
        fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
            const EXPECTED: &str = "chrono::NaiveTime";
            let text = text_of(EXPECTED, value)?;
            civil::parse_time(text)
                .and_then(time_of)
                .ok_or_else(|| not_in_form(EXPECTED, text, TIME_FORM))
        }
    }

    impl ColumnType for NaiveDateTime {
        const SQL_TYPE: SqlType = SqlType::Timestamp;
        fn to_value(&self) -> Value {
            Value::Text(civil::write_timestamp(
                parts_of_date(self.date()),
                parts_of_time(self.time()),
            ))
        }
        /// A text with an offset is refused: a naive value has no zone
        /// to convert it to.
        fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
            const EXPECTED: &str = "chrono::NaiveDateTime";
            let text = text_of(EXPECTED, value)?;
            match civil::parse_timestamp(text) {
                Some((date, time, None)) => date_time_of(date, time),
                _ => None,
            }
            .ok_or_else(|| not_in_form(EXPECTED, text, TIMESTAMP_FORM))
        }
    }

    impl ColumnType for DateTime<Utc> {
        const SQL_TYPE: SqlType = SqlType::TimestampTz;
        fn to_value(&self) -> Value {
            let utc = self.naive_utc();
            Value::Text(civil::write_timestamp_utc(
                parts_of_date(utc.date()),
                parts_of_time(utc.time()),
            ))
        }
        /// A text with another offset is converted to UTC; one without an
        /// offset is refused (its zone is unknown).
        fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
            const EXPECTED: &str = "chrono::DateTime<Utc>";
            let text = text_of(EXPECTED, value)?;
            match civil::parse_timestamp(text) {
                Some((date, time, Some(offset))) => date_time_of(date, time)
                    .and_then(|local| {
                        local.checked_sub_signed(TimeDelta::seconds(i64::from(offset)))
                    })
                    .map(|utc| DateTime::from_naive_utc_and_offset(utc, Utc)),
                _ => None,
            }
            .ok_or_else(|| not_in_form(EXPECTED, text, INSTANT_FORM))
        }
    }

    plain_value!(NaiveDate, NaiveTime, NaiveDateTime, DateTime<Utc>);
}

#[cfg(feature = "time")]
mod time_types {
    use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

    use super::*;
    use crate::value::civil;

    fn parts_of_date(date: Date) -> civil::Date {
        civil::Date {
            year: date.year(),
            month: u8::from(date.month()).into(),
            day: date.day().into(),
        }
    }

    fn parts_of_time(time: Time) -> civil::Time {
        civil::Time {
            hour: time.hour().into(),
            minute: time.minute().into(),
            second: time.second().into(),
            nano: time.nanosecond(),
        }
    }

    fn date_of(parts: civil::Date) -> Option<Date> {
        let month = Month::try_from(u8::try_from(parts.month).ok()?).ok()?;
        Date::from_calendar_date(parts.year, month, u8::try_from(parts.day).ok()?).ok()
    }

    /// `time` has no leap seconds: second 60 is refused.
    fn time_of(parts: civil::Time) -> Option<Time> {
        Time::from_hms_nano(
            u8::try_from(parts.hour).ok()?,
            u8::try_from(parts.minute).ok()?,
            u8::try_from(parts.second).ok()?,
            parts.nano,
        )
        .ok()
    }

    fn date_time_of(date: civil::Date, time: civil::Time) -> Option<PrimitiveDateTime> {
        Some(PrimitiveDateTime::new(date_of(date)?, time_of(time)?))
    }

    impl ColumnType for Date {
        const SQL_TYPE: SqlType = SqlType::Date;
        fn to_value(&self) -> Value {
            let mut text = String::with_capacity(10);
            parts_of_date(*self).write(&mut text);
            Value::Text(text)
        }
        fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
            const EXPECTED: &str = "time::Date";
            let text = text_of(EXPECTED, value)?;
            civil::parse_date(text)
                .and_then(date_of)
                .ok_or_else(|| not_in_form(EXPECTED, text, DATE_FORM))
        }
    }

    impl ColumnType for Time {
        const SQL_TYPE: SqlType = SqlType::Time;
        fn to_value(&self) -> Value {
            let mut text = String::with_capacity(18);
            parts_of_time(*self).write(&mut text);
            Value::Text(text)
        }
        fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
            const EXPECTED: &str = "time::Time";
            let text = text_of(EXPECTED, value)?;
            civil::parse_time(text)
                .and_then(time_of)
                .ok_or_else(|| not_in_form(EXPECTED, text, TIME_FORM))
        }
    }

    impl ColumnType for PrimitiveDateTime {
        const SQL_TYPE: SqlType = SqlType::Timestamp;
        fn to_value(&self) -> Value {
            Value::Text(civil::write_timestamp(
                parts_of_date(self.date()),
                parts_of_time(self.time()),
            ))
        }
        /// A text with an offset is refused, as for `NaiveDateTime`.
        fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
            const EXPECTED: &str = "time::PrimitiveDateTime";
            let text = text_of(EXPECTED, value)?;
            match civil::parse_timestamp(text) {
                Some((date, time, None)) => date_time_of(date, time),
                _ => None,
            }
            .ok_or_else(|| not_in_form(EXPECTED, text, TIMESTAMP_FORM))
        }
    }

    /// The instant is stored, in UTC, as PostgreSQL's `TIMESTAMPTZ` does:
    /// the offset a value carried is not kept, and it reads back at UTC
    /// (`OffsetDateTime`'s equality compares instants, so it compares
    /// equal).
    impl ColumnType for OffsetDateTime {
        const SQL_TYPE: SqlType = SqlType::TimestampTz;
        fn to_value(&self) -> Value {
            let utc = self.to_offset(UtcOffset::UTC);
            Value::Text(civil::write_timestamp_utc(
                parts_of_date(utc.date()),
                parts_of_time(utc.time()),
            ))
        }
        fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
            const EXPECTED: &str = "time::OffsetDateTime";
            let text = text_of(EXPECTED, value)?;
            match civil::parse_timestamp(text) {
                Some((date, time, Some(offset))) => date_time_of(date, time).and_then(|local| {
                    let offset = UtcOffset::from_whole_seconds(offset).ok()?;
                    local
                        .assume_offset(offset)
                        .checked_to_offset(UtcOffset::UTC)
                }),
                _ => None,
            }
            .ok_or_else(|| not_in_form(EXPECTED, text, INSTANT_FORM))
        }
    }

    plain_value!(Date, Time, PrimitiveDateTime, OffsetDateTime);
}

/// Hyphenated lower case, the form PostgreSQL writes; any form `uuid`
/// parses (upper case, braces, no hyphens) is read.
#[cfg(feature = "uuid")]
impl ColumnType for uuid::Uuid {
    const SQL_TYPE: SqlType = SqlType::Uuid;
    fn to_value(&self) -> Value {
        Value::Text(self.hyphenated().to_string())
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        const EXPECTED: &str = "uuid::Uuid";
        let text = text_of(EXPECTED, value)?;
        uuid::Uuid::parse_str(text).map_err(|_| not_in_form(EXPECTED, text, "a UUID"))
    }
}

#[cfg(feature = "uuid")]
plain_value!(uuid::Uuid);

/// The document's compact JSON text. PostgreSQL's `JSONB` keeps a
/// document, not its text: objects read back with keys sorted and
/// duplicates dropped, which a `serde_json::Value` (a sorted map) cannot
/// tell apart anyway.
#[cfg(feature = "json")]
impl ColumnType for serde_json::Value {
    const SQL_TYPE: SqlType = SqlType::Json;
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        const EXPECTED: &str = "serde_json::Value";
        let text = text_of(EXPECTED, value)?;
        serde_json::from_str(text).map_err(|error| DecodeFailure {
            expected: EXPECTED,
            found: format!("TEXT that is not JSON ({error})"),
        })
    }
}

#[cfg(feature = "json")]
plain_value!(serde_json::Value);

/// Its digits with its scale (`1.50` stays `1.50`). A number that does
/// not fit a `Decimal` exactly (more than 28 digits, as a `NUMERIC` may
/// hold) is refused, not rounded; so are `NaN` and the infinities.
#[cfg(feature = "decimal")]
impl ColumnType for rust_decimal::Decimal {
    const SQL_TYPE: SqlType = SqlType::Decimal;
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
    fn from_value(value: ValueRef<'_>) -> Result<Self, DecodeFailure> {
        const EXPECTED: &str = "rust_decimal::Decimal";
        let text = text_of(EXPECTED, value)?;
        rust_decimal::Decimal::from_str_exact(text)
            .map_err(|_| not_in_form(EXPECTED, text, "a decimal number that fits"))
    }
}

#[cfg(feature = "decimal")]
plain_value!(rust_decimal::Decimal);

#[cfg(all(test, feature = "chrono"))]
mod tests {
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

    use super::*;

    #[test]
    fn a_chrono_leap_second_is_second_60_and_reads_back() {
        let leap = NaiveTime::from_hms_nano_opt(23, 59, 59, 1_250_000_000).unwrap();
        let at = NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_time(leap);
        let value = at.to_value();
        assert_eq!(
            value,
            Value::Text("2016-12-31 23:59:60.250000000".to_owned())
        );
        let Value::Text(text) = &value else {
            unreachable!()
        };
        assert_eq!(
            NaiveDateTime::from_value(ValueRef::Text(text.as_bytes())),
            Ok(at)
        );
    }

    #[test]
    fn a_naive_type_refuses_an_offset_and_an_instant_requires_one() {
        assert_eq!(
            NaiveDateTime::from_value(ValueRef::Text(b"2024-01-01 00:00:00Z")),
            Err(DecodeFailure {
                expected: "chrono::NaiveDateTime",
                found: r#"TEXT "2024-01-01 00:00:00Z" (not a date and time, YYYY-MM-DD HH:MM:SS.fffffffff)"#.to_owned(),
            })
        );
        assert_eq!(
            NaiveDate::from_value(ValueRef::Integer(3)),
            Err(DecodeFailure {
                expected: "chrono::NaiveDate",
                found: "INTEGER".to_owned(),
            })
        );
    }
}
