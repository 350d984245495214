//! Invoice SQL: the number of the next invoice of a company, taken from its counter row inside
//! the transaction that records the invoice (so a rolled-back or crashed issue leaves no gap),
//! and the invoices as stored. Every read filters by the caller's périmètre in the query itself.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use utoipa::ToSchema;

use super::accord::AboveAccord;
use super::compute::Computed;
use super::document::TypeCode;
use crate::auth::{perimetre_sql, Caller};
use crate::db::Db;
use crate::error::UniqueConstraint;

/// An issued invoice or credit note, as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InvoiceRecord {
    #[serde(skip)]
    pub id: String,
    #[serde(skip)]
    pub company_id: String,
    #[serde(skip)]
    pub dossier_id: String,
    #[serde(skip)]
    pub request_sha256: Option<String>,
    /// The user who issued it.
    #[serde(skip)]
    pub issued_by: String,
    /// e.g. `FE2026-00001`.
    pub number: String,
    /// `380` for an invoice, `381` for a credit note (avoir).
    #[schema(value_type = String, example = "380")]
    pub type_code: TypeCode,
    /// The invoice a credit note cancels.
    pub credits: Option<String>,
    /// Set once this invoice is cancelled by a credit note.
    pub credited_by: Option<String>,
    /// N° adhérent of the issuing company.
    pub adherent: String,
    pub dossier: String,
    pub issue_date: String,
    pub issued_at: String,
    pub total_ht: String,
    pub total_tva: String,
    pub total_ttc: String,
    /// The computed lines (as the preview gives them).
    #[schema(value_type = Object)]
    pub lines: serde_json::Value,
    /// The issuing employer as it was at issue (name, legal form, n° adhérent, SIRET, VAT
    /// number, address): an issued invoice never changes.
    #[schema(value_type = Object)]
    pub employer: serde_json::Value,
    /// The PDF piece of the dossier, once rendered.
    pub document_id: Option<String>,
    /// The lines the dossier's invoices (this one included, those cancelled not) claim above its
    /// accord, for the assistant to see: `[]` when within it; null for a credit note and for an
    /// invoice issued before the comparison existed.
    pub above_accord: Option<Vec<AboveAccord>>,
}

const SELECT: &str = "select i.*, c.adherent_number, d.number as dossier_number, \
     (select o.number from invoices o where o.id = i.credited_invoice_id) as credits, \
     (select n.number from invoices n where n.credited_invoice_id = i.id) as credited_by \
     from invoices i join companies c on c.id = i.company_id join dossiers d on d.id = i.dossier_id";

fn record(row: &AnyRow) -> sqlx::Result<InvoiceRecord> {
    let data: String = row.try_get("data")?;
    let data: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
    Ok(InvoiceRecord {
        id: row.try_get("id")?,
        company_id: row.try_get("company_id")?,
        dossier_id: row.try_get("dossier_id")?,
        request_sha256: row.try_get("request_sha256")?,
        issued_by: row.try_get("issued_by")?,
        number: row.try_get("number")?,
        type_code: {
            let code: String = row.try_get("type_code")?;
            TypeCode::parse(&code).ok_or_else(|| crate::db::unexpected("type_code", &code))?
        },
        credits: row.try_get("credits")?,
        credited_by: row.try_get("credited_by")?,
        adherent: row.try_get("adherent_number")?,
        dossier: row.try_get("dossier_number")?,
        issue_date: row.try_get("issue_date")?,
        issued_at: row.try_get("issued_at")?,
        total_ht: row.try_get("total_ht")?,
        total_tva: row.try_get("total_tva")?,
        total_ttc: row.try_get("total_ttc")?,
        lines: data["computed"].clone(),
        employer: data["employer"].clone(),
        document_id: row.try_get("document_id")?,
        above_accord: row
            .try_get::<Option<String>, _>("above_accord")?
            .and_then(|text| serde_json::from_str(&text).ok()),
    })
}

/// The invoices numbered `number` that the caller may see (several companies may each have one),
/// optionally of one company (n° adhérent).
pub async fn find_visible(
    db: &Db,
    caller: &Caller,
    number: &str,
    adherent: Option<&str>,
) -> sqlx::Result<Vec<InvoiceRecord>> {
    let sql = format!(
        "{SELECT} where i.number = $1 and ($2 = '' or c.adherent_number = $2) and {} order by c.adherent_number",
        perimetre_sql("i.company_id", 3, 4)
    );
    let rows = sqlx::query(&sql)
        .bind(number)
        .bind(adherent.unwrap_or(""))
        .bind(caller.role.as_str())
        .bind(&caller.user_id)
        .fetch_all(db)
        .await?;
    rows.iter().map(record).collect()
}

/// A dossier's invoices and credit notes, in the order of their numbers (the caller has seen
/// the dossier).
pub async fn list_for_dossier(db: &Db, dossier_id: &str) -> sqlx::Result<Vec<InvoiceRecord>> {
    let rows = sqlx::query(&format!("{SELECT} where i.dossier_id = $1 order by i.issue_date, i.number"))
        .bind(dossier_id)
        .fetch_all(db)
        .await?;
    rows.iter().map(record).collect()
}

/// The invoice a retried request already issued, by its idempotency key.
pub async fn find_by_key(
    tx: &mut Transaction<'_, Any>,
    company_id: &str,
    key: &str,
) -> sqlx::Result<Option<InvoiceRecord>> {
    let sql = format!("{SELECT} where i.company_id = $1 and i.idempotency_key = $2");
    let row = sqlx::query(&sql).bind(company_id).bind(key).fetch_optional(&mut **tx).await?;
    row.as_ref().map(record).transpose()
}

/// An invoice by its id, whoever asks (the service's own work, or a caller already checked).
pub async fn find_by_id<'e, E: sqlx::Executor<'e, Database = Any>>(
    executor: E,
    id: &str,
) -> sqlx::Result<InvoiceRecord> {
    let row = sqlx::query(&format!("{SELECT} where i.id = $1")).bind(id).fetch_one(executor).await?;
    record(&row)
}

/// The ids of the invoices whose PDF is not stored yet (a crash between the issue's commit and
/// the PDF's), oldest first.
pub async fn without_pdf(db: &Db) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("select id from invoices where document_id is null order by issued_at").fetch_all(db).await
}

/// Links an invoice to its PDF piece, once.
pub async fn set_document(db: &Db, id: &str, document_id: &str) -> sqlx::Result<()> {
    sqlx::query("update invoices set document_id = $1 where id = $2 and document_id is null")
        .bind(document_id)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// The next number of the company's one sequence: atomic on both engines, and undone with the
/// transaction when the issue fails.
pub async fn next_sequence(tx: &mut Transaction<'_, Any>, company_id: &str) -> sqlx::Result<i64> {
    crate::db::next_counter(tx, &format!("invoice:{company_id}")).await
}

/// The issue date of the company's last invoice up to `latest` (a new one may not be dated before
/// it: the numbering is chronological). Later ones were stored before dates were checked: they
/// hold nothing back.
pub async fn last_issue_date(
    tx: &mut Transaction<'_, Any>,
    company_id: &str,
    latest: &str,
) -> sqlx::Result<Option<String>> {
    let row = sqlx::query("select max(issue_date) as last from invoices where company_id = $1 and issue_date <= $2")
        .bind(company_id)
        .bind(latest)
        .fetch_one(&mut **tx)
        .await?;
    row.try_get("last")
}

/// The computed lines of the dossier's invoices that no credit note cancels.
pub async fn uncancelled_on_dossier(tx: &mut Transaction<'_, Any>, dossier_id: &str) -> sqlx::Result<Vec<Computed>> {
    let rows = sqlx::query(
        "select i.data from invoices i where i.dossier_id = $1 and i.type_code = '380' \
         and not exists (select 1 from invoices c where c.credited_invoice_id = i.id)",
    )
    .bind(dossier_id)
    .fetch_all(&mut **tx)
    .await?;
    let computed = |row: &AnyRow| {
        let data: serde_json::Value = serde_json::from_str(&row.try_get::<String, _>("data").ok()?).ok()?;
        serde_json::from_value(data["computed"].clone()).ok()
    };
    Ok(rows.iter().filter_map(computed).collect())
}

/// One Idempotency-Key per company (`unique (company_id, idempotency_key)`).
pub const SAME_KEY: UniqueConstraint = UniqueConstraint {
    postgres: "invoices_company_id_idempotency_key_key",
    sqlite: "invoices.company_id, invoices.idempotency_key",
};
/// One credit note per invoice (`invoices_credited`).
pub const CREDITED_ONCE: UniqueConstraint =
    UniqueConstraint { postgres: "invoices_credited", sqlite: "invoices.credited_invoice_id" };

/// What an issue records.
pub struct NewInvoice<'a> {
    pub id: &'a str,
    pub company_id: &'a str,
    pub dossier_id: &'a str,
    pub sequence: i64,
    pub number: &'a str,
    pub type_code: TypeCode,
    pub credited_invoice_id: Option<&'a str>,
    pub issue_date: &'a str,
    pub issued_by: &'a str,
    pub data: &'a serde_json::Value,
    pub totals: [String; 3],
    pub idempotency_key: Option<&'a str>,
    pub request_sha256: Option<&'a str>,
    /// JSON, see [`InvoiceRecord::above_accord`].
    pub above_accord: Option<String>,
}

pub async fn insert(tx: &mut Transaction<'_, Any>, new: &NewInvoice<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into invoices (id, company_id, dossier_id, sequence, number, type_code, credited_invoice_id, \
         issue_date, issued_at, issued_by, data, total_ht, total_tva, total_ttc, idempotency_key, request_sha256, \
         above_accord) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(new.id)
    .bind(new.company_id)
    .bind(new.dossier_id)
    .bind(new.sequence)
    .bind(new.number)
    .bind(new.type_code.code())
    .bind(new.credited_invoice_id)
    .bind(new.issue_date)
    .bind(crate::db::now())
    .bind(new.issued_by)
    .bind(new.data.to_string())
    .bind(&new.totals[0])
    .bind(&new.totals[1])
    .bind(&new.totals[2])
    .bind(new.idempotency_key)
    .bind(new.request_sha256)
    .bind(new.above_accord.as_deref())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The stored data of an invoice (its request and computed lines), for a credit note.
pub async fn data<'e, E: sqlx::Executor<'e, Database = Any>>(executor: E, id: &str) -> sqlx::Result<serde_json::Value> {
    let row = sqlx::query("select data from invoices where id = $1").bind(id).fetch_one(executor).await?;
    let data: String = row.try_get("data")?;
    Ok(serde_json::from_str(&data).unwrap_or_default())
}
