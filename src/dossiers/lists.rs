//! The lists of dossiers: one page of the caller's dossiers by state, words, order and page
//! (`Listing`, `Sort`), and the counts per state; within the périmètre (`auth::companies_of`,
//! the one rule) resolved first into a list of companies.

use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use super::model::DossierState;
use super::sql::{record_from_row, state_of, SELECT};
use crate::auth::Caller;
use crate::db::Db;
use crate::domain::text::fold;

/// A line of the dossier list.
#[derive(Debug, Serialize, ToSchema)]
pub struct DossierSummary {
    pub number: String,
    pub state: DossierState,
    pub adherent: String,
    pub company_name: String,
    pub title: Option<String>,
    pub provider_name: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// The sum of the cost lines, in euros (`"1580.00"`), when there is at least one.
    pub total_cost: Option<String>,
    pub updated_at: String,
}

/// What a dossier list shows: its filters, its order and its page.
#[derive(Debug, Default)]
pub struct Listing<'a> {
    /// N° adhérent; empty: every company of the périmètre.
    pub company: &'a str,
    pub state: Option<DossierState>,
    /// Sent dossiers only (every state but draft): the guide's "Dossiers AF".
    pub sent_only: bool,
    /// Words, each found in the number, the intitulé or the organisme (in any case, with or
    /// without accents); the first 8 words of the first 100 characters.
    pub text: &'a str,
    pub sort: Sort,
    pub limit: i64,
    pub offset: i64,
    pub count: Count,
}

/// How a dossier list finds its total. A page that is not full tells it in every case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Count {
    /// Every match is counted.
    #[default]
    Exact,
    /// Up to this many. Counting every dossier a common word matches reads the company's whole
    /// list; a person's page needs only to know that there are more than one can browse. A total
    /// up to `max(n, offset + limit)` is exact; one more means "more than that" (and so that a
    /// next page exists).
    UpTo(i64),
    /// The caller knows it (a list without words: the counts per state of its menu); no count
    /// is run.
    Known(i64),
}

/// The order of a dossier list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Last changed first (the default).
    #[default]
    Updated,
    /// By number, the newest numbers first.
    Number,
    /// By the training's start date, the latest first.
    Start,
    /// By intitulé, A to Z.
    Title,
    /// Last changed last: what waits longest first (an assistant's dossiers to decide).
    Waiting,
}

impl Sort {
    fn order_by(self) -> &'static str {
        match self {
            Sort::Updated => "d.updated_at desc, d.number desc",
            Sort::Number => "d.number desc",
            Sort::Start => "d.start_date desc, d.number desc",
            Sort::Title => "d.title, d.number desc",
            Sort::Waiting => "d.updated_at, d.number",
        }
    }
}

/// The companies a list covers: the périmètre's (`auth::companies_of`, the one rule), narrowed
/// to the company of n° adhérent `company` when one is given; `None`: every company (an admin).
async fn listed_companies(db: &Db, caller: &Caller, company: &str) -> sqlx::Result<Option<Vec<String>>> {
    let allowed = crate::auth::companies_of(db, caller).await?;
    if company.is_empty() {
        return Ok(allowed);
    }
    let id: Option<String> = sqlx::query_scalar("select id from companies where adherent_number = $1")
        .bind(company)
        .fetch_optional(db)
        .await?;
    Ok(Some(id.into_iter().filter(|id| allowed.as_ref().is_none_or(|a| a.contains(id))).collect()))
}

/// The words of a list's filter, folded as `search_text` is; the first 8 words of the first 100
/// characters, each once.
fn filter_words(text: &str) -> Vec<String> {
    let text = fold(&text.chars().take(100).collect::<String>());
    let mut words: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        if !words.iter().any(|w| w == word) {
            words.push(word.to_string());
        }
    }
    words.truncate(8);
    words
}

/// The total of `listing` read from the counts per state of the same company
/// (`count_by_state`), when it has no words to filter by; `None` when it has.
pub fn known_total(counts: &[(DossierState, i64)], listing: &Listing<'_>) -> Option<i64> {
    if !filter_words(listing.text).is_empty() {
        return None;
    }
    let listed = |s: DossierState| {
        listing.state.is_none_or(|only| s == only) && !(listing.sent_only && s == DossierState::Draft)
    };
    Some(counts.iter().filter(|(s, _)| listed(*s)).map(|(_, n)| n).sum())
}

/// One page of the caller's dossiers, and how many match in all (as `listing.count` says). The
/// périmètre is resolved first into a list of companies, so that each query reads an index that
/// holds the list's order and what it filters on (migrations 0017 and 0018), even filtered by
/// words; on PostgreSQL, a rare word is found through the trigram index on search_text (`db.rs`).
pub async fn list_visible(db: &Db, caller: &Caller, listing: &Listing<'_>) -> sqlx::Result<(i64, Vec<DossierSummary>)> {
    let companies = listed_companies(db, caller, listing.company.trim()).await?;
    if companies.as_ref().is_some_and(Vec::is_empty) {
        return Ok((0, Vec::new()));
    }
    let mut conditions = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    let mut bind = |value: String| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if let Some(ids) = &companies {
        let marks: Vec<String> = ids.iter().map(|id| bind(id.clone())).collect();
        conditions.push(format!("d.company_id in ({})", marks.join(", ")));
    }
    if let Some(state) = listing.state {
        conditions.push(format!("d.state = {}", bind(state.as_str().to_string())));
    }
    if listing.sent_only {
        conditions.push("d.state <> 'draft'".to_string());
    }
    let words = filter_words(listing.text);
    for word in &words {
        let escaped = word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        conditions.push(format!("d.search_text like {} escape '\\'", bind(format!("%{escaped}%"))));
    }
    let filter = if conditions.is_empty() { String::new() } else { format!("where {}", conditions.join(" and ")) };
    // The page's ids first, skipping rows in the indexes only; then its rows.
    let (limit, offset) = (listing.limit.clamp(0, 1000), listing.offset.max(0));
    let order = listing.sort.order_by();
    let sql = format!(
        "{SELECT} where d.id in (select d.id from dossiers d {filter} order by {order} limit {limit} offset {offset}) \
         order by {order}"
    );
    // Filtered by words, the page is planned for the words at hand (an unnamed statement; one
    // more round trip): PostgreSQL's generic plan for any words reads every match through the
    // trigram index and sorts them, 10 ms for a common word, where walking the list in order
    // stops after one page (0.1 ms). A rare word takes the trigram index (`db.rs`).
    let mut query = sqlx::query(&sql).persistent(words.is_empty());
    for value in &binds {
        query = query.bind(value);
    }
    let count_sql = match listing.count {
        Count::Known(total) => return Ok((total, summaries(query.fetch_all(db).await?)?)),
        Count::UpTo(most) => format!(
            "select count(*) from (select 1 from dossiers d {filter} limit {}) counted",
            most.max(offset + limit) + 1
        ),
        Count::Exact => format!("select count(*) from dossiers d {filter}"),
    };
    let count = || async {
        let mut count = sqlx::query_scalar(&count_sql);
        for value in &binds {
            count = count.bind(value);
        }
        count.fetch_one(db).await
    };
    // With a pool of several connections (PostgreSQL), the count runs beside the page; with one
    // (SQLite), which would run them in turn, only when the page does not tell the total.
    let (rows, counted) = if db.options().get_max_connections() > 1 {
        let (rows, counted) = tokio::try_join!(query.fetch_all(db), count())?;
        (rows, Some(counted))
    } else {
        (query.fetch_all(db).await?, None)
    };
    // A page that is not full is the last one: it tells the total (unless it is past the end).
    let found = rows.len() as i64;
    let total = match counted {
        _ if found < limit && (found > 0 || offset == 0) => offset + found,
        Some(counted) => counted,
        None => count().await?,
    };
    Ok((total, summaries(rows)?))
}

fn summaries(rows: Vec<sqlx::any::AnyRow>) -> sqlx::Result<Vec<DossierSummary>> {
    rows.iter()
        .map(|row| {
            let record = record_from_row(row)?;
            Ok(DossierSummary {
                total_cost: record.fields.costs.total().map(|t| t.to_string()),
                number: record.number,
                state: record.state,
                adherent: record.adherent,
                company_name: record.company_name,
                title: record.fields.action.title,
                provider_name: record.fields.provider.name,
                start_date: record.fields.action.start_date,
                end_date: record.fields.action.end_date,
                updated_at: record.updated_at,
            })
        })
        .collect()
}

/// The caller's dossiers per state, of company `company` (n° adhérent) only unless it is empty.
pub async fn count_by_state(db: &Db, caller: &Caller, company: &str) -> sqlx::Result<Vec<(DossierState, i64)>> {
    let companies = listed_companies(db, caller, company.trim()).await?;
    let (filter, ids) = match companies {
        Some(ids) if ids.is_empty() => return Ok(DossierState::ALL.iter().map(|s| (*s, 0)).collect()),
        Some(ids) => {
            let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
            (format!("where d.company_id in ({})", marks.join(", ")), ids)
        }
        None => (String::new(), Vec::new()),
    };
    let sql = format!("select d.state, count(*) as n from dossiers d {filter} group by d.state");
    let mut query = sqlx::query(&sql);
    for id in &ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(db).await?;
    let mut counts: Vec<(DossierState, i64)> = DossierState::ALL.iter().map(|s| (*s, 0)).collect();
    for row in rows {
        let state = state_of(&row)?;
        let n: i64 = row.try_get("n")?;
        if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
            slot.1 = n;
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_is_folded_words_each_once_and_bounded() {
        assert_eq!(filter_words("  Préparation   EXCEL préparation "), ["preparation", "excel"]);
        assert_eq!(filter_words("26.A.90102.1"), ["26.a.90102.1"]);
        assert_eq!(filter_words(&"mot ".repeat(20)), ["mot"]);
        assert_eq!(filter_words("a b c d e f g h i j").len(), 8);
        assert_eq!(filter_words(&"x".repeat(5000)), ["x".repeat(100)]);
        assert!(filter_words("   ").is_empty());
    }

    #[test]
    fn a_list_without_words_takes_its_total_from_the_counts_per_state() {
        use DossierState::*;
        let counts = [(Draft, 3), (Pending, 5), (Granted, 2), (Refused, 0), (Closed, 1)];
        let listing = |state, sent_only, text| Listing { state, sent_only, text, ..Listing::default() };
        assert_eq!(known_total(&counts, &listing(None, false, "")), Some(11));
        assert_eq!(known_total(&counts, &listing(None, true, "  ")), Some(8), "sent: every state but draft");
        assert_eq!(known_total(&counts, &listing(Some(Pending), false, "")), Some(5));
        assert_eq!(known_total(&counts, &listing(None, false, "excel")), None, "words are counted by the list");
    }
}
