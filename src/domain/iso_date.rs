//! `YYYY-MM-DD` dates in JSON (serde `with`), and their parsing.

use serde::{de, Deserialize, Deserializer, Serializer};
use time::macros::format_description;
use time::Date;

pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(date)
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse(&text).ok_or_else(|| de::Error::custom(format!("{text:?} is not a YYYY-MM-DD date")))
}

/// `2026-11-27`, trimmed.
pub fn parse(text: &str) -> Option<Date> {
    Date::parse(text.trim(), format_description!("[year]-[month]-[day]")).ok()
}
