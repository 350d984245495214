//! Dossier SQL. Every read takes the caller and filters by its périmètre in the query itself.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use utoipa::ToSchema;

use super::model::{Action, Costs, DossierFields, DossierState, Provider, Trainee};
use crate::auth::{perimetre_sql, Caller};
use crate::db::{now, Db};
use crate::domain::text::fold;
use crate::domain::DossierNumber;

/// A dossier as stored, and as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DossierRecord {
    #[serde(skip)]
    pub id: String,
    #[serde(skip)]
    pub company_id: String,
    /// e.g. `19.A.21056.1`
    pub number: String,
    pub state: DossierState,
    /// N° adhérent of the company.
    pub adherent: String,
    pub company_name: String,
    #[serde(flatten)]
    pub fields: DossierFields,
    pub created_at: String,
    pub updated_at: String,
}

pub(super) const SELECT: &str = "select d.*, c.adherent_number, c.name as company_name \
                      from dossiers d join companies c on c.id = d.company_id";

/// The dossier `number` with its trainees, if it exists and the caller may see it.
pub async fn find_visible(db: &Db, caller: &Caller, number: &str) -> sqlx::Result<Option<DossierRecord>> {
    let Some(mut record) = find_visible_header(db, caller, number).await? else { return Ok(None) };
    record.fields.trainees = trainees(db, &record.id).await?;
    Ok(Some(record))
}

/// A dossier by its id, without its trainees, whoever asks: for the service's own work (an
/// invoice's PDF), never to answer a request.
pub async fn find_header_by_id(db: &Db, id: &str) -> sqlx::Result<DossierRecord> {
    let row = sqlx::query(&format!("{SELECT} where d.id = $1")).bind(id).fetch_one(db).await?;
    record_from_row(&row)
}

/// The same, without its trainees (one query: what attaching a piece needs).
pub async fn find_visible_header(db: &Db, caller: &Caller, number: &str) -> sqlx::Result<Option<DossierRecord>> {
    if DossierNumber::parse(number).is_none() {
        return Ok(None);
    }
    let sql = format!("{SELECT} where d.number = $1 and {}", perimetre_sql("d.company_id", 2, 3));
    let row =
        sqlx::query(&sql).bind(number).bind(caller.role.as_str()).bind(&caller.user_id).fetch_optional(db).await?;
    row.as_ref().map(record_from_row).transpose()
}

/// The organismes of a company's dossiers whose name or SIRET holds `text` (any case), the most
/// recently used first, each once (by SIRET, or by name without one); at most `limit`.
pub async fn known_providers(db: &Db, company_id: &str, text: &str, limit: usize) -> sqlx::Result<Vec<Provider>> {
    let text = text.trim().to_lowercase();
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let rows = sqlx::query(&format!(
        "{SELECT} where d.company_id = $1 and d.provider_name is not null \
         and (lower(d.provider_name) like $2 escape '\\' or ($3 <> '' and d.provider_siret like $3)) \
         order by d.updated_at desc limit 200"
    ))
    .bind(company_id)
    .bind(format!("%{escaped}%"))
    .bind(if digits.len() >= 3 { format!("%{digits}%") } else { String::new() })
    .fetch_all(db)
    .await?;
    let mut found: Vec<Provider> = Vec::new();
    for row in &rows {
        let provider = record_from_row(row)?.fields.provider;
        let same = |p: &Provider| match (&p.siret, &provider.siret) {
            (Some(a), Some(b)) => a == b,
            _ => p.name == provider.name,
        };
        if !found.iter().any(same) {
            found.push(provider);
        }
        if found.len() == limit {
            break;
        }
    }
    Ok(found)
}

/// The establishments of a company: (SIRET, name), by SIRET.
pub async fn establishments_of(db: &Db, company_id: &str) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as("select siret, name from establishments where company_id = $1 order by siret")
        .bind(company_id)
        .fetch_all(db)
        .await
}

/// The company ids (with their n° adhérent) the caller may create dossiers for.
pub async fn visible_companies(db: &Db, caller: &Caller) -> sqlx::Result<Vec<(String, String)>> {
    let sql = format!(
        "select id, adherent_number from companies where {} order by adherent_number",
        perimetre_sql("id", 1, 2)
    );
    let rows = sqlx::query(&sql).bind(caller.role.as_str()).bind(&caller.user_id).fetch_all(db).await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("adherent_number")?))).collect()
}

/// Whether `siret` is an establishment of `company_id`.
pub async fn establishment_belongs(db: &Db, company_id: &str, siret: &str) -> sqlx::Result<bool> {
    let row = sqlx::query("select 1 as one from establishments where siret = $1 and company_id = $2")
        .bind(siret)
        .bind(company_id)
        .fetch_optional(db)
        .await?;
    Ok(row.is_some())
}

/// Inserts an empty draft row; the caller then saves its fields.
pub async fn insert_draft(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    number: &DossierNumber,
    company_id: &str,
    created_by: &str,
) -> sqlx::Result<()> {
    let at = now();
    sqlx::query(
        "insert into dossiers (id, number, company_id, state, created_by, created_at, updated_at, search_text) \
         values ($1, $2, $3, 'draft', $4, $5, $5, lower($2) || ' ')",
    )
    .bind(id)
    .bind(number.as_str())
    .bind(company_id)
    .bind(created_by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What the lists' filter by words reads of a dossier, `search_text`, is
/// `lower(number) || ' ' || searched_words(…)`: its number (ASCII), its intitulé and its
/// organisme, folded (lower case, no accent: `domain::text::fold`). The three writes below say so.
///
/// The folded words: at most 1,000 bytes (the fields allow 300 and 200 characters), so that a list
/// index's entry stays far below PostgreSQL's 2,704 bytes.
fn searched_words(title: Option<&str>, provider: Option<&str>) -> String {
    let mut text = [title, provider].into_iter().flatten().map(fold).collect::<Vec<_>>().join(" ");
    let mut end = text.len().min(1000);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text
}

/// Fills in `search_text` where it is missing: the dossiers written before it existed (migration
/// 0017), folded here since SQL cannot fold accents alike on both engines. Returns how many.
pub async fn fill_search_text(db: &Db) -> sqlx::Result<u64> {
    let mut filled = 0;
    loop {
        let rows = sqlx::query("select id, title, provider_name from dossiers where search_text is null limit 500")
            .fetch_all(db)
            .await?;
        if rows.is_empty() {
            return Ok(filled);
        }
        let mut tx = crate::db::begin(db).await?;
        for row in &rows {
            let title: Option<String> = row.try_get("title")?;
            let provider: Option<String> = row.try_get("provider_name")?;
            sqlx::query(
                "update dossiers set search_text = lower(number) || ' ' || $1 where id = $2 and search_text is null",
            )
            .bind(searched_words(title.as_deref(), provider.as_deref()))
            .bind(row.try_get::<String, _>("id")?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        filled += rows.len() as u64;
    }
}

/// Writes every editable field of dossier `id`, and its trainees, while it is a draft. Returns
/// false (writing nothing) when it no longer is.
pub async fn save_fields(tx: &mut Transaction<'_, Any>, id: &str, f: &DossierFields) -> sqlx::Result<bool> {
    save_fields_in(tx, id, f, DossierState::Draft).await
}

/// The same, while the dossier is in `state` (OPCO staff correct a dossier en cours).
pub async fn save_fields_in(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    f: &DossierFields,
    state: DossierState,
) -> sqlx::Result<bool> {
    let (p, a, c) = (&f.provider, &f.action, &f.costs);
    let done = sqlx::query(
        "update dossiers set siret = $2, provider_name = $3, provider_type = $4, provider_direct_payment = $5, \
         provider_address = $6, provider_siret = $7, provider_nda = $8, provider_contact = $9, title = $10, \
         cpf_code = $11, hours = $12, start_date = $13, end_date = $14, cost_pedagogy = $15, \
         cost_remuneration = $16, cost_accommodation = $17, cost_meals = $18, cost_transport = $19, \
         cost_tutor_training = $20, cost_training_allowance = $21, cost_misc = $22, cost_engineering = $23, \
         comment = $24, updated_at = $25, provider_internal = $26, provider_postcode = $27, provider_city = $28, \
         provider_phone = $29, provider_email = $30, modules = $31, \
         search_text = lower(number) || ' ' || $33 where id = $1 and state = $32",
    )
    .bind(id)
    .bind(&f.siret)
    .bind(&p.name)
    .bind(&p.kind)
    .bind(i64::from(p.direct_payment))
    .bind(&p.address)
    .bind(&p.siret)
    .bind(&p.nda)
    .bind(&p.contact)
    .bind(&a.title)
    .bind(&a.cpf_code)
    .bind(&a.hours)
    .bind(&a.start_date)
    .bind(&a.end_date)
    .bind(&c.pedagogy)
    .bind(&c.remuneration)
    .bind(&c.accommodation)
    .bind(&c.meals)
    .bind(&c.transport)
    .bind(&c.tutor_training)
    .bind(&c.training_allowance)
    .bind(&c.misc)
    .bind(&c.engineering)
    .bind(&f.comment)
    .bind(now())
    .bind(i64::from(p.internal))
    .bind(&p.postcode)
    .bind(&p.city)
    .bind(&p.phone)
    .bind(&p.email)
    .bind(&a.modules)
    .bind(state.as_str())
    .bind(searched_words(a.title.as_deref(), p.name.as_deref()))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("delete from trainees where dossier_id = $1").bind(id).execute(&mut **tx).await?;
    for (position, t) in f.trainees.iter().enumerate() {
        sqlx::query(
            "insert into trainees (id, dossier_id, position, last_name, first_name) values ($1, $2, $3, $4, $5)",
        )
        .bind(crate::db::new_id())
        .bind(id)
        .bind(position as i64)
        .bind(&t.last_name)
        .bind(&t.first_name)
        .execute(&mut **tx)
        .await?;
    }
    crate::search::outbox::touch_dossier(tx, id).await?;
    Ok(true)
}

/// Moves dossier `id` from `from` to `to`; false when its state was no longer `from`, or when it
/// is sent (→ pending) without the fields of `DossierFields::missing_for_submission`, which the
/// statement checks again so that a concurrent edit cannot slip in between.
pub async fn set_state(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    from: DossierState,
    to: DossierState,
) -> sqlx::Result<bool> {
    let complete = "provider_name is not null and title is not null and hours is not null \
                    and start_date is not null and end_date is not null \
                    and exists (select 1 from trainees where trainees.dossier_id = dossiers.id)";
    let guard = if to == DossierState::Pending { complete } else { "1 = 1" };
    let sql = format!("update dossiers set state = $1, updated_at = $2 where id = $3 and state = $4 and {guard}");
    let done = sqlx::query(&sql).bind(to.as_str()).bind(now()).bind(id).bind(from.as_str()).execute(&mut **tx).await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    crate::search::outbox::touch_dossier(tx, id).await?;
    Ok(true)
}

async fn trainees(db: &Db, dossier_id: &str) -> sqlx::Result<Vec<Trainee>> {
    let rows = sqlx::query("select last_name, first_name from trainees where dossier_id = $1 order by position")
        .bind(dossier_id)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| Ok(Trainee { last_name: r.try_get("last_name")?, first_name: r.try_get("first_name")? }))
        .collect()
}

pub(super) fn state_of(row: &AnyRow) -> sqlx::Result<DossierState> {
    let text: String = row.try_get("state")?;
    DossierState::parse(&text).ok_or_else(|| sqlx::Error::Decode(format!("unknown dossier state {text:?}").into()))
}

pub(super) fn record_from_row(row: &AnyRow) -> sqlx::Result<DossierRecord> {
    let direct: i64 = row.try_get("provider_direct_payment")?;
    let internal: i64 = row.try_get("provider_internal")?;
    Ok(DossierRecord {
        id: row.try_get("id")?,
        company_id: row.try_get("company_id")?,
        number: row.try_get("number")?,
        state: state_of(row)?,
        adherent: row.try_get("adherent_number")?,
        company_name: row.try_get("company_name")?,
        fields: DossierFields {
            siret: row.try_get("siret")?,
            provider: Provider {
                name: row.try_get("provider_name")?,
                kind: row.try_get("provider_type")?,
                direct_payment: direct != 0,
                address: row.try_get("provider_address")?,
                siret: row.try_get("provider_siret")?,
                nda: row.try_get("provider_nda")?,
                contact: row.try_get("provider_contact")?,
                internal: internal != 0,
                postcode: row.try_get("provider_postcode")?,
                city: row.try_get("provider_city")?,
                phone: row.try_get("provider_phone")?,
                email: row.try_get("provider_email")?,
            },
            action: Action {
                title: row.try_get("title")?,
                cpf_code: row.try_get("cpf_code")?,
                hours: row.try_get("hours")?,
                start_date: row.try_get("start_date")?,
                end_date: row.try_get("end_date")?,
                modules: row.try_get("modules")?,
            },
            costs: Costs {
                pedagogy: row.try_get("cost_pedagogy")?,
                remuneration: row.try_get("cost_remuneration")?,
                accommodation: row.try_get("cost_accommodation")?,
                meals: row.try_get("cost_meals")?,
                transport: row.try_get("cost_transport")?,
                tutor_training: row.try_get("cost_tutor_training")?,
                training_allowance: row.try_get("cost_training_allowance")?,
                misc: row.try_get("cost_misc")?,
                engineering: row.try_get("cost_engineering")?,
            },
            comment: row.try_get("comment")?,
            trainees: Vec::new(),
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
