//! The employer's invoice in the pages (the Factures tab of a granted or closed dossier): the
//! AKTO form prefilled from the dossier (its salariés, the action's hours), typed the French way,
//! its totals computed by the API's own preview (the same Rust as the issued invoice) and shown
//! as amounts are typed; issuing asks for confirmation and carries an Idempotency-Key from the
//! form, so that a double click issues one invoice. A credit note cancels an issued invoice.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect};
use axum::{Form, Json};
use serde_json::{json, Value};

use super::error::{PageError, PageResult};
use super::format;
use super::frame::Frame;
use super::person::{check_csrf, Acting, Person};
use super::request::fields::{date_input, decimal_input};
use crate::dossiers::{DossierRecord, DossierState};
use crate::error::AppError;
use crate::state::AppState;

/// One salarié's line of the form.
pub struct TraineeRow {
    pub index: usize,
    pub name: String,
    pub hourly_cost: String,
    pub hours: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "web/facture.html")]
struct InvoicePage {
    frame: Frame,
    csrf: String,
    d: DossierRecord,
    /// A fresh Idempotency-Key for this form: a second click sends the same.
    key: String,
    trainees: Vec<TraineeRow>,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    /// The totals of the last preview: (label, amount).
    totals: Vec<(&'static str, String)>,
    message: Option<String>,
    fees: Vec<Field>,
    certification: Vec<Field>,
    vat_choices: Vec<(&'static str, &'static str, bool)>,
    vat_error: Option<String>,
    confirm_error: Option<String>,
}

/// One plain field of the form.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub decimal: bool,
    pub value: String,
    pub error: Option<String>,
}

const FEES: [(&str, &str, &str, bool); 4] = [
    (
        "restauration",
        "Frais de restauration et d'hébergement (€)",
        "restauration : après déduction de la TVA récupérée, ou TTC sans assujettissement ; hébergement : TTC",
        true,
    ),
    ("deplacement", "Frais de déplacement (€)", "TTC quel que soit votre assujettissement à la TVA", true),
    ("autres", "Autres frais (€)", "frais divers : location de salle et matériel…", true),
    ("autres_libelle", "Autres frais : préciser", "", false),
];

const CERTIFICATION: [(&str, &str, &str, bool); 4] = [
    ("signataire", "L'entreprise représentée par", "nom et prénom", false),
    ("fonction", "occupant la fonction de", "", false),
    ("lieu", "Fait à", "", false),
    ("date", "le", "JJ/MM/AAAA", false),
];

impl InvoicePage {
    /// The fields' values and complaints, once both are known.
    fn settle(&mut self) {
        let field = |(name, label, help, decimal): (&'static str, &'static str, &'static str, bool)| Field {
            name,
            label,
            help,
            decimal,
            value: self.values.get(name).cloned().unwrap_or_default(),
            error: self.errors.get(name).cloned(),
        };
        self.fees = FEES.into_iter().map(field).collect();
        self.certification = CERTIFICATION.into_iter().map(field).collect();
        let vat = self.values.get("tva").cloned().unwrap_or_default();
        self.vat_choices = VAT_CHOICES.iter().map(|(code, label)| (*code, *label, *code == vat)).collect();
        self.vat_error = self.errors.get("tva").cloned();
        self.confirm_error = self.errors.get("confirme").cloned();
    }
}

const VAT_CHOICES: [(&str, &str); 5] = [
    ("hors_champ", "Hors champ d'application de la TVA"),
    ("20", "20 %"),
    ("10", "10 %"),
    ("5.5", "5,5 %"),
    ("2.1", "2,1 %"),
];

/// A dossier the employer invoices: granted or closed, of their périmètre.
async fn invoiceable(state: &AppState, acting: &Acting, number: &str) -> PageResult<DossierRecord> {
    let dossier = crate::dossiers::sql::find_visible(&state.db, &acting.session.caller, number)
        .await?
        .ok_or_else(PageError::not_found)?;
    if acting.session.caller.is_staff() || !matches!(dossier.state, DossierState::Granted | DossierState::Closed) {
        return Err(PageError::not_found());
    }
    Ok(dossier)
}

async fn page(
    state: &AppState,
    acting: &Acting,
    dossier: DossierRecord,
    values: HashMap<String, String>,
) -> PageResult<InvoicePage> {
    let frame = Frame::of(state, acting, &format!("Facture du dossier {}", dossier.number), "accorde").await?;
    let trainees = (0..dossier.fields.trainees.len())
        .map(|i| TraineeRow {
            index: i,
            name: values.get(&format!("nom_{i}")).cloned().unwrap_or_default(),
            hourly_cost: values.get(&format!("taux_{i}")).cloned().unwrap_or_default(),
            hours: values.get(&format!("heures_{i}")).cloned().unwrap_or_default(),
            error: None,
        })
        .collect();
    Ok(InvoicePage {
        frame,
        csrf: acting.session.csrf.clone(),
        key: values.get("cle").cloned().unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        trainees,
        values,
        errors: HashMap::new(),
        totals: Vec::new(),
        message: None,
        fees: Vec::new(),
        certification: Vec::new(),
        vat_choices: Vec::new(),
        vat_error: None,
        confirm_error: None,
        d: dossier,
    })
}

/// `GET /dossiers/{number}/facture`: the form, prefilled from the dossier.
pub async fn form(State(state): State<AppState>, acting: Acting, Path(number): Path<String>) -> PageResult {
    let dossier = invoiceable(&state, &acting, &number).await?;
    let hours = dossier.fields.action.hours.as_deref().map(|h| h.replace('.', ",")).unwrap_or_default();
    let mut values = HashMap::new();
    for (i, t) in dossier.fields.trainees.iter().enumerate() {
        values.insert(format!("nom_{i}"), format!("{} {}", t.last_name, t.first_name).trim().to_string());
        values.insert(format!("heures_{i}"), hours.clone());
    }
    values.insert("date".into(), format::day(&crate::db::now()[..10]));
    values.insert("tva".into(), "hors_champ".into());
    let mut page = page(&state, &acting, dossier, values).await?;
    page.settle();
    Ok(Html(page.render()?).into_response())
}

/// The API's request body from the form, typed the French way.
fn request_of(form: &HashMap<String, String>, count: usize) -> Value {
    let get = |name: &str| form.get(name).map(|v| v.trim().to_string()).unwrap_or_default();
    let amount = |name: &str| {
        let v = decimal_input(&get(name));
        if v.is_empty() {
            "0".to_string()
        } else {
            v
        }
    };
    let trainees: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "name": get(&format!("nom_{i}")),
                "hourly_cost": decimal_input(&get(&format!("taux_{i}"))),
                "hours": decimal_input(&get(&format!("heures_{i}"))),
            })
        })
        .collect();
    json!({
        "date": date_input(&get("date")),
        "place": get("lieu"),
        "signatory": { "name": get("signataire"), "function": get("fonction") },
        "trainees": trainees,
        "meals_lodging": amount("restauration"),
        "travel": amount("deplacement"),
        "other": { "label": get("autres_libelle"), "amount": amount("autres") },
        "vat": get("tva"),
    })
}

/// The API's field paths → the form's names.
fn form_name(path: &str) -> String {
    if let Some(rest) = path.strip_prefix("trainees[") {
        let (index, field) = rest.split_once("].").unwrap_or((rest.trim_end_matches(']'), "name"));
        let name = match field {
            "hourly_cost" => "taux",
            "hours" => "heures",
            _ => "nom",
        };
        return format!("{name}_{index}");
    }
    match path {
        "date" => "date",
        "place" => "lieu",
        "signatory.name" | "signatory" => "signataire",
        "signatory.function" => "fonction",
        "meals_lodging" => "restauration",
        "travel" => "deplacement",
        "other.label" => "autres_libelle",
        "other.amount" | "other" => "autres",
        "vat" => "tva",
        "trainees" => "nom_0",
        other => other,
    }
    .to_string()
}

/// The totals of a preview, in French.
fn totals_of(computed: &Value) -> Vec<(&'static str, String)> {
    let money = |key: &str| computed.get(key).and_then(|v| v.as_str()).map(format::eur).unwrap_or_default();
    vec![
        ("Rémunération des stagiaires", money("remuneration")),
        ("TOTAL HT", money("total_ht")),
        ("TOTAL TVA", money("total_tva")),
        ("TOTAL TTC", money("total_ttc")),
    ]
}

/// `POST /dossiers/{number}/facture`: `apercu` computes the totals (the API's preview); `emettre`
/// issues the invoice once confirmed, with the form's Idempotency-Key.
/// What both the form and its live totals start with: the CSRF token checked, the dossier (one
/// that can be invoiced, of the périmètre), the API's request made of the form, and the API's
/// preview of it (the computed invoice as JSON, or why not).
async fn previewed(
    state: &AppState,
    acting: &Acting,
    number: &str,
    form: &HashMap<String, String>,
) -> PageResult<(DossierRecord, Value, Result<Value, AppError>)> {
    check_csrf(&acting.session.csrf, form.get("csrf").map(String::as_str).unwrap_or_default())?;
    let dossier = invoiceable(state, acting, number).await?;
    let body = request_of(form, dossier.fields.trainees.len());
    let preview = crate::invoice::routes::preview_invoice(
        State(state.clone()),
        acting.session.caller.clone(),
        crate::input::Path(number.to_string()),
        crate::input::Json(body.clone()),
    )
    .await
    .map(|crate::input::Json(computed)| serde_json::to_value(&computed).unwrap_or_default());
    Ok((dossier, body, preview))
}

pub async fn submit(
    State(state): State<AppState>,
    acting: Acting,
    Path(number): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let (dossier, body, preview) = previewed(&state, &acting, &number, &form).await?;
    let issuing = form.get("bouton").map(String::as_str) == Some("emettre");
    let mut page = page(&state, &acting, dossier, form.clone()).await?;
    let caller = acting.session.caller.clone();
    let problem = match preview {
        Ok(computed) => {
            page.totals = totals_of(&computed);
            None
        }
        Err(error) => Some(error),
    };
    let problem = match (problem, issuing) {
        (None, true) if form.get("confirme").map(String::as_str) != Some("oui") => {
            page.errors.insert(
                "confirme".into(),
                "Cochez la case pour émettre : une facture émise ne peut plus être modifiée ; un avoir l'annule."
                    .into(),
            );
            None
        }
        (None, true) => {
            let mut headers = HeaderMap::new();
            if let Ok(key) = HeaderValue::from_str(form.get("cle").map(String::as_str).unwrap_or_default()) {
                headers.insert("idempotency-key", key);
            }
            let issued = crate::invoice::routes::issue_invoice(
                State(state.clone()),
                caller,
                crate::input::Path(number.clone()),
                headers,
                crate::input::Json(body),
            )
            .await;
            match issued {
                Ok((_, crate::input::Json(invoice))) => {
                    let to = format!(
                        "/dossiers/{}?onglet=factures&facture={}#onglets",
                        number,
                        format::url(&invoice.number)
                    );
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(error) => Some(error),
            }
        }
        (problem, _) => problem,
    };
    let status = match problem {
        Some(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            place(&mut page, &error);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Some(error) => return Err(error.into()),
        None if page.errors.is_empty() => StatusCode::OK,
        None => StatusCode::UNPROCESSABLE_ENTITY,
    };
    page.settle();
    Ok((status, Html(page.render()?)).into_response())
}

/// Each complaint next to its field (a salarié's line says it on its row).
fn place(page: &mut InvoicePage, error: &AppError) {
    for (path, detail) in error.field_problems() {
        let name = form_name(&path);
        if let Some((field, index)) = name.rsplit_once('_') {
            if let (Ok(i), true) = (index.parse::<usize>(), ["nom", "taux", "heures"].contains(&field)) {
                if let Some(row) = page.trainees.get_mut(i) {
                    row.error.get_or_insert(detail.clone());
                }
                page.errors.entry(name.clone()).or_insert(detail);
                continue;
            }
        }
        page.errors.entry(name).or_insert(detail);
    }
    page.message = Some(format!(
        "{} champ{} à corriger.",
        page.errors.len(),
        if page.errors.len() > 1 { "s sont" } else { " est" }
    ));
}

/// `POST /dossiers/{number}/facture/apercu`: the totals as the form stands, for the page's script.
pub async fn preview(
    State(state): State<AppState>,
    acting: Acting,
    Path(number): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let (_, _, preview) = previewed(&state, &acting, &number, &form).await?;
    let answer = match preview {
        Ok(computed) => {
            let lines: Vec<String> = computed["trainees"]
                .as_array()
                .map(|l| l.iter().map(|t| t["remuneration"].as_str().map(format::eur).unwrap_or_default()).collect())
                .unwrap_or_default();
            json!({ "totals": totals_of(&computed), "lines": lines })
        }
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let problems: Vec<Value> = error
                .field_problems()
                .into_iter()
                .map(|(path, detail)| json!({ "field": form_name(&path), "detail": detail }))
                .collect();
            json!({ "problems": problems })
        }
        Err(error) => return Err(error.into()),
    };
    Ok(Json(answer).into_response())
}

#[derive(serde::Deserialize)]
pub struct CreditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    company: String,
}

/// `POST /factures/{number}/avoir`: a credit note cancels the invoice, dated today.
pub async fn credit(
    State(state): State<AppState>,
    Person(session): Person,
    Path(number): Path<String>,
    Form(form): Form<CreditForm>,
) -> PageResult {
    check_csrf(&session.csrf, &form.csrf)?;
    let params = crate::invoice::routes::InvoiceParams { company: Some(form.company).filter(|c| !c.is_empty()) };
    let (_, crate::input::Json(note)) = crate::invoice::routes::credit_invoice(
        State(state),
        session.caller,
        crate::input::Path(number),
        crate::input::Query(params),
        crate::input::Json(crate::invoice::routes::CreditRequest { date: None }),
    )
    .await?;
    let to = format!("/dossiers/{}?onglet=factures&facture={}#onglets", note.dossier, format::url(&note.number));
    Ok(Redirect::to(&to).into_response())
}

/// `GET /factures/{number}/pdf?company=`: the invoice's PDF (the API's, as this person).
pub async fn pdf(
    State(state): State<AppState>,
    Person(session): Person,
    Path(number): Path<String>,
    axum::extract::Query(params): axum::extract::Query<crate::invoice::routes::InvoiceParams>,
    headers: HeaderMap,
) -> PageResult {
    Ok(crate::invoice::routes::get_invoice_pdf(
        State(state),
        session.caller,
        crate::input::Path(number),
        crate::input::Query(params),
        headers,
    )
    .await?)
}
