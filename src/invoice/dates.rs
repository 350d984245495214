//! When an invoice or a credit note may be dated: an invoice from its training's first day to
//! today, a credit note from the day of the invoice it cancels to today, and no later than the
//! company's last invoice (the numbering is chronological). Always from [`FIRST`] to [`LAST`]: the
//! years an invoice number (`FE2026-00001`) holds. "Today" is the server's day in Paris
//! ([`latest`]).

use time::macros::date;
use time::{Date, Duration, OffsetDateTime, UtcOffset};

use super::error::{InvalidInvoice, Problem};
use crate::domain::french::format_date;
use crate::domain::iso_date;

/// The first day an invoice may bear.
pub const FIRST: Date = date!(2000 - 01 - 01);
/// The last day an invoice may bear.
pub const LAST: Date = date!(2099 - 12 - 31);

/// What is wrong with a real date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateProblem {
    OutOfRange,
    /// The training's first day.
    BeforeTrainingStart(Date),
    /// The day of the invoice a credit note cancels.
    BeforeInvoice(Date),
    /// The day of the company's last invoice.
    BeforeLastInvoice(Date),
    InFuture,
}

impl DateProblem {
    pub fn code(self) -> &'static str {
        match self {
            DateProblem::OutOfRange => "date_out_of_range",
            DateProblem::BeforeTrainingStart(_) => "before_training_start",
            DateProblem::BeforeInvoice(_) => "before_invoice_date",
            DateProblem::BeforeLastInvoice(_) => "before_last_invoice",
            DateProblem::InFuture => "date_in_future",
        }
    }

    /// In English and in French.
    pub fn messages(self) -> (String, String) {
        match self {
            DateProblem::OutOfRange => (
                format!("Expected a date from {FIRST} to {LAST}."),
                format!("Une date du {} au {} est attendue.", format_date(FIRST), format_date(LAST)),
            ),
            DateProblem::BeforeTrainingStart(day) => (
                format!("An invoice cannot be dated before its training starts ({day})."),
                format!("Une facture ne peut être datée d'avant le début de sa formation ({}).", format_date(day)),
            ),
            DateProblem::BeforeInvoice(day) => (
                format!("A credit note cannot be dated before the invoice it cancels ({day})."),
                format!("Un avoir ne peut être daté d'avant la facture qu'il annule ({}).", format_date(day)),
            ),
            DateProblem::BeforeLastInvoice(day) => (
                format!("The company's last invoice is dated {day}: a new one cannot be dated before it."),
                format!(
                    "La dernière facture de l'entreprise est datée du {} : une nouvelle ne peut l'être avant.",
                    format_date(day)
                ),
            ),
            DateProblem::InFuture => {
                ("The date is after today.".into(), "La date est postérieure à aujourd'hui.".into())
            }
        }
    }
}

/// The latest day a document may bear at `now`: today in Paris. Without a time-zone database, the
/// UTC day two hours on: Paris is UTC+1 in winter and UTC+2 in summer, so today in Paris is
/// always accepted, and tomorrow too during the last hour of a winter's day (23:00 to midnight).
pub fn latest(now: OffsetDateTime) -> Date {
    let utc = now.to_offset(UtcOffset::UTC);
    utc.checked_add(Duration::hours(2)).unwrap_or(utc).date()
}

/// The problem with an invoice's `date`, if any: the training starts on `start`; `latest` is
/// today ([`latest`]). `None` skips that check.
pub fn invoice_date_problem(date: Date, start: Option<Date>, latest: Option<Date>) -> Option<DateProblem> {
    problem(date, start, latest, DateProblem::BeforeTrainingStart)
}

/// A credit note's date: `text` (`YYYY-MM-DD`), or today (UTC) by default, from the day of the
/// invoice it cancels (`invoice_date`, as stored) to today. An invoice stored dated after today
/// (before dates were checked) can be cancelled today.
pub fn credit_note_date(text: Option<&str>, invoice_date: &str, now: OffsetDateTime) -> Result<Date, InvalidInvoice> {
    let latest = latest(now);
    let today = now.to_offset(UtcOffset::UTC).date();
    let earliest = iso_date::parse(invoice_date).map(|day| day.min(latest));
    let date = match text.map(str::trim).filter(|text| !text.is_empty()) {
        None => earliest.map_or(today, |day| day.max(today)),
        Some(text) => iso_date::parse(text).ok_or_else(|| InvalidInvoice::one("date", Problem::InvalidDate))?,
    };
    match problem(date, earliest, Some(latest), DateProblem::BeforeInvoice) {
        Some(why) => Err(InvalidInvoice::one("date", Problem::Date(why))),
        None => Ok(date),
    }
}

/// The first problem of `date`: outside [`FIRST`]..=[`LAST`], before `earliest` (`too_early`
/// names that day), or after `latest`.
fn problem(
    date: Date,
    earliest: Option<Date>,
    latest: Option<Date>,
    too_early: fn(Date) -> DateProblem,
) -> Option<DateProblem> {
    if !(FIRST..=LAST).contains(&date) {
        Some(DateProblem::OutOfRange)
    } else if let Some(day) = earliest.filter(|day| date < *day) {
        Some(too_early(day))
    } else if latest.is_some_and(|day| date > day) {
        Some(DateProblem::InFuture)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn codes(result: Result<Date, InvalidInvoice>) -> Vec<(String, &'static str)> {
        result.unwrap_err().errors.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn today_in_paris_is_never_refused() {
        // 23:30 UTC is 00:30 in Paris in winter (UTC+1), 01:30 in summer (UTC+2): the next day.
        assert_eq!(latest(datetime!(2026-12-06 23:30 UTC)), date!(2026 - 12 - 07));
        assert_eq!(latest(datetime!(2026-07-06 22:30 UTC)), date!(2026 - 07 - 07));
        assert_eq!(latest(datetime!(2026-12-06 12:00 UTC)), date!(2026 - 12 - 06));
        assert_eq!(latest(datetime!(2026-12-07 00:30 +01:00)), date!(2026 - 12 - 07), "any offset in");
    }

    #[test]
    fn an_invoice_is_dated_from_its_training_to_today() {
        let (start, today) = (Some(date!(2026 - 11 - 02)), Some(date!(2026 - 12 - 06)));
        let check = |date: Date| invoice_date_problem(date, start, today);
        assert_eq!(check(date!(2026 - 11 - 02)), None);
        assert_eq!(check(date!(2026 - 12 - 06)), None);
        assert_eq!(check(date!(2026 - 11 - 01)), Some(DateProblem::BeforeTrainingStart(date!(2026 - 11 - 02))));
        assert_eq!(check(date!(2026 - 12 - 07)), Some(DateProblem::InFuture));
        assert_eq!(check(date!(9999 - 12 - 31)), Some(DateProblem::OutOfRange));
        let before_year_one = Date::from_calendar_date(-1, time::Month::January, 1).unwrap();
        assert_eq!(check(before_year_one), Some(DateProblem::OutOfRange));
        // Without a training start or a today, the years numbers hold still bound the date.
        assert_eq!(invoice_date_problem(date!(1999 - 12 - 31), None, None), Some(DateProblem::OutOfRange));
        assert_eq!(invoice_date_problem(date!(2100 - 01 - 01), None, None), Some(DateProblem::OutOfRange));
        assert_eq!(invoice_date_problem(LAST, None, None), None);
    }

    #[test]
    fn a_credit_note_is_dated_from_its_invoice_to_today() {
        let now = datetime!(2026-12-06 10:00 UTC);
        let credit = |text: Option<&str>| credit_note_date(text, "2026-11-27", now);
        assert_eq!(credit(None).unwrap(), date!(2026 - 12 - 06), "today by default");
        assert_eq!(credit(Some(" 2026-11-27 ")).unwrap(), date!(2026 - 11 - 27));
        assert_eq!(codes(credit(Some("2026-11-26"))), [("date".to_string(), "before_invoice_date")]);
        assert_eq!(codes(credit(Some("2026-12-07"))), [("date".to_string(), "date_in_future")]);
        assert_eq!(codes(credit(Some("9999-12-31"))), [("date".to_string(), "date_out_of_range")]);
        assert_eq!(codes(credit(Some("27/11/2026"))), [("date".to_string(), "invalid_date")]);
    }

    #[test]
    fn an_invoice_stored_with_an_absurd_date_can_be_cancelled_today() {
        let now = datetime!(2026-12-06 10:00 UTC);
        for stored in ["9999-12-31", "-0001-01-01", "garbage"] {
            assert_eq!(credit_note_date(None, stored, now).unwrap(), date!(2026 - 12 - 06), "{stored}");
            let error = credit_note_date(Some("2026-12-07"), stored, now).unwrap_err();
            assert_eq!(error.errors[0].code, "date_in_future", "{stored}");
        }
    }

    #[test]
    fn date_problems_are_explained_in_english_and_french() {
        let (en, fr) = DateProblem::BeforeTrainingStart(date!(2026 - 11 - 02)).messages();
        assert_eq!(en, "An invoice cannot be dated before its training starts (2026-11-02).");
        assert_eq!(fr, "Une facture ne peut être datée d'avant le début de sa formation (02/11/2026).");
        let (en, fr) = DateProblem::OutOfRange.messages();
        assert_eq!(
            (en.as_str(), fr.as_str()),
            ("Expected a date from 2000-01-01 to 2099-12-31.", "Une date du 01/01/2000 au 31/12/2099 est attendue.")
        );
    }
}
