//! `pieces verify [--repair]`: re-reads every blob that a piece references against the SHA-256
//! and size recorded with it, and reports those that are missing or corrupt (the exit code is
//! then non-zero). Nothing can recreate a piece's bytes; `--repair` names the pieces that are
//! lost, by dossier and uploader, and says how they are repaired: storing the same bytes again
//! replaces the blob (see `Storage::put_file`), so the same file sent again, to its dossier or
//! another one, repairs every piece that shares the blob.

use futures_util::StreamExt;

use super::{Storage, StorageError};
use crate::db::Db;
use crate::domain::Sha256Hex;

/// Blobs read at the same time (S3 answers each request after a round trip).
const CONCURRENT_READS: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Damage {
    Missing,
    /// Its bytes do not hash to its SHA-256 or do not count its size.
    Corrupt,
}

/// A blob that a piece references and that cannot be read back as recorded.
#[derive(Debug, PartialEq, Eq)]
pub struct Bad {
    pub sha256: String,
    pub damage: Damage,
}

#[derive(Debug, Default)]
pub struct Audit {
    pub checked: u64,
    pub bytes: u64,
    pub bad: Vec<Bad>,
}

/// A piece whose blob is bad.
#[derive(Debug)]
pub struct Lost {
    pub id: String,
    pub title: String,
    pub dossier: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

/// The command: audits the store, prints the bad blobs (and with `repair` their pieces); fails
/// when there is one.
pub async fn run_command(config: crate::config::Config, repair: bool) -> anyhow::Result<()> {
    let config = config.with_env_credentials();
    let db = crate::db::connect(&config.database_url()).await?;
    let storage = Storage::from_config(&config)?;
    let audit = audit(&db, &storage).await?;
    let missing = audit.bad.iter().filter(|b| b.damage == Damage::Missing).count();
    println!(
        "pieces verify : blobs relus : {} ({} octets) ; intacts : {} ; manquants : {missing} ; corrompus : {}",
        audit.checked,
        audit.bytes,
        audit.checked - audit.bad.len() as u64,
        audit.bad.len() - missing,
    );
    for bad in &audit.bad {
        print_bad(&db, bad, repair).await?;
    }
    if audit.bad.is_empty() {
        return Ok(());
    }
    if repair {
        println!(
            "Ces pièces sont perdues : le service ne peut pas recréer leurs octets. Chacune est réparée dès que \
             le même fichier (mêmes octets, même SHA-256) est envoyé à nouveau, dans son dossier ou un autre ; \
             relancez ensuite `pieces verify`."
        );
    } else {
        println!("`pieces verify --repair` nomme les pièces perdues et dit comment les réparer.");
    }
    anyhow::bail!("blobs manquants ou corrompus : {} (missing or corrupt blobs)", audit.bad.len())
}

async fn print_bad(db: &Db, bad: &Bad, repair: bool) -> anyhow::Result<()> {
    let damage = match bad.damage {
        Damage::Missing => "manquant",
        Damage::Corrupt => "corrompu (ne correspond pas à son SHA-256 ou à sa taille)",
    };
    println!("blob {} {damage}", bad.sha256);
    if repair {
        for piece in lost_pieces(db, &bad.sha256).await? {
            println!(
                "  pièce perdue {} « {} », dossier {}, envoyée par {} le {} : à renvoyer",
                piece.id, piece.title, piece.dossier, piece.uploaded_by, piece.uploaded_at
            );
        }
    }
    Ok(())
}

/// Reads back every blob that a piece references, a page of 200 digests at a time.
pub async fn audit(db: &Db, storage: &Storage) -> anyhow::Result<Audit> {
    let mut audit = Audit::default();
    let mut after = String::new();
    loop {
        let page: Vec<(String, i64)> = sqlx::query_as(
            "select sha256, max(size) from documents where sha256 > $1 group by sha256 order by sha256 limit 200",
        )
        .bind(&after)
        .fetch_all(db)
        .await?;
        let Some((last, _)) = page.last() else { return Ok(audit) };
        after = last.clone();
        let mut reads = futures_util::stream::iter(page)
            .map(|(sha256, size)| async move { (check(storage, &sha256, size).await, sha256) })
            .buffered(CONCURRENT_READS);
        while let Some((read, sha256)) = reads.next().await {
            audit.checked += 1;
            match read? {
                Ok(bytes) => audit.bytes += bytes,
                Err(damage) => audit.bad.push(Bad { sha256, damage }),
            }
        }
    }
}

/// Reads one blob through the verifying stream: its size when sound, or its damage. A store
/// that does not answer is an error, not a damage.
async fn check(storage: &Storage, sha256: &str, size: i64) -> anyhow::Result<Result<u64, Damage>> {
    let Some(sha) = Sha256Hex::parse(sha256) else { return Ok(Err(Damage::Corrupt)) };
    let mut stream = match storage.get_verified(&sha, size.max(0) as u64).await {
        Ok(stream) => stream,
        Err(StorageError::NotFound(_)) => return Ok(Err(Damage::Missing)),
        Err(error) => return Err(error.into()),
    };
    let mut read = 0;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => read += chunk.len() as u64,
            Err(error) if error.kind() == std::io::ErrorKind::InvalidData => return Ok(Err(Damage::Corrupt)),
            Err(error) => return Err(anyhow::Error::new(error).context(format!("cannot read blob {sha256}"))),
        }
    }
    Ok(Ok(read))
}

/// The pieces whose bytes are the blob `sha256`, oldest first.
pub async fn lost_pieces(db: &Db, sha256: &str) -> sqlx::Result<Vec<Lost>> {
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "select doc.id, doc.title, dossier.number, uploader.login, doc.uploaded_at from documents doc \
         join dossiers dossier on dossier.id = doc.dossier_id join users uploader on uploader.id = doc.uploaded_by \
         where doc.sha256 = $1 order by doc.uploaded_at, doc.id",
    )
    .bind(sha256)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, title, dossier, uploaded_by, uploaded_at)| Lost { id, title, dossier, uploaded_by, uploaded_at })
        .collect())
}
