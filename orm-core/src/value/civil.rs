//! The text forms of dates and times: what SQLite stores, what PostgreSQL
//! is sent (it parses them) and what its binary results are turned into, so
//! the date/time column types of `chrono` and `time` read one form on both
//! engines. Fixed widths (four-digit year, nine fractional digits) make
//! text order the order in time for years 0 to 9999, so comparisons and
//! `ORDER BY` work on SQLite's text; the space separator is the one
//! SQLite's own date functions write.

use std::fmt::Write;

/// A calendar date in the proleptic Gregorian calendar, year 0 being 1 BC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// A time of day; `nano` may reach 1_999_999_999 for a leap second
/// (written as second 60).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Time {
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nano: u32,
}

/// Days between 0000-03-01 and 1970-01-01, for the conversions below.
const UNIX_EPOCH_DAYS: i64 = 719_468;

impl Date {
    /// Days since 1970-01-01 (negative before), as civil-calendar
    /// arithmetic in 400-year eras does it; the inverse of the reading.
    #[cfg(test)]
    pub fn days_since_unix_epoch(self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month = i64::from(self.month);
        let day_of_year =
            (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - UNIX_EPOCH_DAYS
    }

    /// The date `days` after 1970-01-01 (`None` beyond an `i32` year).
    pub fn from_days_since_unix_epoch(days: i64) -> Option<Date> {
        let days = days.checked_add(UNIX_EPOCH_DAYS)?;
        let era = days.div_euclid(146_097);
        let day_of_era = days - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Some(Date {
            year: i32::try_from(year).ok()?,
            month: month as u32,
            day: day as u32,
        })
    }

    /// `YYYY-MM-DD`; a year before 0 or after 9999 is written with its
    /// sign or its extra digits (ISO 8601's expanded form).
    pub fn write(self, out: &mut String) {
        if self.year < 0 {
            let _ = write!(out, "-{:04}", self.year.unsigned_abs());
        } else {
            let _ = write!(out, "{:04}", self.year);
        }
        let _ = write!(out, "-{:02}-{:02}", self.month, self.day);
    }
}

impl Time {
    /// `HH:MM:SS.fffffffff`.
    pub fn write(self, out: &mut String) {
        let (second, nano) = if self.nano >= 1_000_000_000 {
            (self.second + 1, self.nano - 1_000_000_000)
        } else {
            (self.second, self.nano)
        };
        let _ = write!(
            out,
            "{:02}:{:02}:{:02}.{:09}",
            self.hour, self.minute, second, nano
        );
    }

    /// The time `micros` microseconds after midnight (`None` past a day).
    pub fn from_micros(micros: i64) -> Option<Time> {
        if !(0..86_400_000_000).contains(&micros) {
            return None;
        }
        let seconds = micros / 1_000_000;
        Some(Time {
            hour: (seconds / 3600) as u32,
            minute: (seconds / 60 % 60) as u32,
            second: (seconds % 60) as u32,
            nano: (micros % 1_000_000) as u32 * 1000,
        })
    }
}

/// `date time` as SQLite stores a timestamp.
pub(crate) fn write_timestamp(date: Date, time: Time) -> String {
    let mut out = String::with_capacity(29);
    date.write(&mut out);
    out.push(' ');
    time.write(&mut out);
    out
}

/// `date timeZ`: an instant, written in UTC.
pub(crate) fn write_timestamp_utc(date: Date, time: Time) -> String {
    let mut out = write_timestamp(date, time);
    out.push('Z');
    out
}

/// `YYYY-MM-DD` (a year of 4 to 9 digits, signed when negative). The day
/// is checked against its month by the date type built from it.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let mut cursor = Cursor(text.as_bytes());
    let date = cursor.date()?;
    cursor.end(date)
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f` with 1 to 9 fractional digits.
pub(crate) fn parse_time(text: &str) -> Option<Time> {
    let mut cursor = Cursor(text.as_bytes());
    let time = cursor.time()?;
    cursor.end(time)
}

/// A date and a time separated by a space or `T`, then an optional offset
/// (`Z`, `+HH`, `+HHMM`, `+HH:MM`, or with `-`), returned in seconds east
/// of UTC.
pub(crate) fn parse_timestamp(text: &str) -> Option<(Date, Time, Option<i32>)> {
    let mut cursor = Cursor(text.as_bytes());
    let date = cursor.date()?;
    if !(cursor.eat(b' ') || cursor.eat(b'T')) {
        return None;
    }
    let time = cursor.time()?;
    let offset = cursor.offset()?;
    cursor.end((date, time, offset))
}

/// The bytes of a text not read yet.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    /// Exactly `count` digits.
    fn digits(&mut self, count: usize) -> Option<u32> {
        let (head, tail) = self.0.split_at_checked(count)?;
        if !head.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.0 = tail;
        Some(
            head.iter()
                .fold(0, |n, digit| n * 10 + u32::from(digit - b'0')),
        )
    }

    fn eat(&mut self, byte: u8) -> bool {
        match self.0.split_first() {
            Some((&first, rest)) if first == byte => {
                self.0 = rest;
                true
            }
            _ => false,
        }
    }

    /// `parsed` when nothing is left.
    fn end<T>(&self, parsed: T) -> Option<T> {
        self.0.is_empty().then_some(parsed)
    }

    fn date(&mut self) -> Option<Date> {
        let negative = self.eat(b'-');
        let width = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(4..=9).contains(&width) {
            return None;
        }
        let year = i32::try_from(self.digits(width)?).ok()?;
        if !self.eat(b'-') {
            return None;
        }
        let month = self.digits(2)?;
        if !self.eat(b'-') {
            return None;
        }
        let day = self.digits(2)?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Date {
            year: if negative { -year } else { year },
            month,
            day,
        })
    }

    fn time(&mut self) -> Option<Time> {
        let hour = self.digits(2)?;
        if !self.eat(b':') {
            return None;
        }
        let minute = self.digits(2)?;
        let mut second = 0;
        let mut nano = 0;
        if self.eat(b':') {
            second = self.digits(2)?;
            if self.eat(b'.') {
                let width = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
                if !(1..=9).contains(&width) {
                    return None;
                }
                nano = self.digits(width)? * 10u32.pow(9 - width as u32);
            }
        }
        (hour < 24 && minute < 60 && second <= 60).then_some(Time {
            hour,
            minute,
            second,
            nano,
        })
    }

    /// `Some(None)` when there is no offset, `None` when it is malformed.
    fn offset(&mut self) -> Option<Option<i32>> {
        if self.0.is_empty() {
            return Some(None);
        }
        if self.eat(b'Z') {
            return Some(Some(0));
        }
        let sign = if self.eat(b'+') {
            1
        } else if self.eat(b'-') {
            -1
        } else {
            return None;
        };
        let hours = self.digits(2)?;
        let minutes = if self.0.is_empty() {
            0
        } else {
            self.eat(b':');
            self.digits(2)?
        };
        (hours < 24 && minutes < 60).then_some(Some(sign * (hours * 3600 + minutes * 60) as i32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_count_from_the_unix_epoch_both_ways() {
        for (date, days) in [
            ((1970, 1, 1), 0),
            ((2000, 1, 1), 10_957),
            ((2000, 3, 1), 11_017),
            ((1969, 12, 31), -1),
            ((0, 1, 1), -719_528),
            ((9999, 12, 31), 2_932_896),
            ((2024, 2, 29), 19_782),
        ] {
            let date = Date {
                year: date.0,
                month: date.1,
                day: date.2,
            };
            assert_eq!(date.days_since_unix_epoch(), days, "{date:?}");
            assert_eq!(Date::from_days_since_unix_epoch(days), Some(date));
        }
    }

    #[test]
    fn forms_are_written_fixed_width() {
        let date = Date {
            year: 987,
            month: 6,
            day: 5,
        };
        let time = Time {
            hour: 4,
            minute: 3,
            second: 2,
            nano: 1000,
        };
        assert_eq!(write_timestamp(date, time), "0987-06-05 04:03:02.000001000");
        assert_eq!(
            write_timestamp_utc(date, time),
            "0987-06-05 04:03:02.000001000Z"
        );
        let mut out = String::new();
        Date { year: -44, ..date }.write(&mut out);
        assert_eq!(out, "-0044-06-05");
        let leap = Time {
            hour: 23,
            minute: 59,
            second: 59,
            nano: 1_500_000_000,
        };
        let mut out = String::new();
        leap.write(&mut out);
        assert_eq!(out, "23:59:60.500000000");
    }

    #[test]
    fn texts_parse_with_or_without_fraction_and_offset() {
        let date = Date {
            year: 2024,
            month: 2,
            day: 29,
        };
        assert_eq!(parse_date("2024-02-29"), Some(date));
        assert_eq!(
            parse_timestamp("2024-02-29T13:45"),
            Some((
                date,
                Time {
                    hour: 13,
                    minute: 45,
                    second: 0,
                    nano: 0
                },
                None
            ))
        );
        assert_eq!(
            parse_timestamp("2024-02-29 13:45:06.25+05:30"),
            Some((
                date,
                Time {
                    hour: 13,
                    minute: 45,
                    second: 6,
                    nano: 250_000_000
                },
                Some(19_800)
            ))
        );
        assert_eq!(
            parse_timestamp("2024-02-29 13:45:06-08").map(|t| t.2),
            Some(Some(-28_800))
        );
        assert_eq!(parse_time("24:00:00"), None);
        assert_eq!(parse_time("12:00:00.1234567891"), None);
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("24-01-01"), None);
        assert_eq!(parse_date("2024-01-01 "), None);
        assert_eq!(parse_timestamp("2024-01-01 12:00:00 UTC"), None);
        assert_eq!(parse_timestamp("not a date"), None);
    }
}
