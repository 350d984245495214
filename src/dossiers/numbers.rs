//! Dossier numbers such as `26.A.48213907.1`: the year, then a sequence part drawn at random, so
//! that a number tells nothing of how many dossiers were made before it (a counter shared by every
//! company told each how many the others made). Numbers already taken (imported or demo dossiers,
//! an earlier draw) are drawn again.

use sqlx::{Any, Transaction};

use crate::domain::DossierNumber;

/// The sequence parts new dossier numbers are drawn from: 8 digits, 90 million of them.
const SEQUENCES: std::ops::Range<u64> = 10_000_000..100_000_000;

/// How many taken numbers a creation draws before it gives up. A draw is taken as often as the
/// year's share of used numbers (1 in 300 with 300,000 dossiers): twenty in a row only when the
/// year is nearly full.
const DRAWS: usize = 20;

/// A free number of the year `yy`, its sequence part drawn at random.
pub async fn next_number(tx: &mut Transaction<'_, Any>, yy: u8) -> anyhow::Result<DossierNumber> {
    first_free(tx, yy, std::iter::repeat_with(|| rand::random_range(SEQUENCES))).await
}

/// The number of the first of the `sequences` that no dossier of the year `yy` has; an error past
/// [`DRAWS`] taken ones.
pub async fn first_free(
    tx: &mut Transaction<'_, Any>,
    yy: u8,
    sequences: impl IntoIterator<Item = u64>,
) -> anyhow::Result<DossierNumber> {
    for sequence in sequences.into_iter().take(DRAWS) {
        let number = DossierNumber::new_in_year(yy, sequence);
        let taken = sqlx::query("select 1 as one from dossiers where number = $1")
            .bind(number.as_str())
            .fetch_optional(&mut **tx)
            .await?;
        if taken.is_none() {
            return Ok(number);
        }
    }
    anyhow::bail!("no free dossier number in {DRAWS} draws")
}
