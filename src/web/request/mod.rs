//! Nouvelle demande → Action de formation, in the guide's four steps: 1 Formation (the
//! establishment, the organisme, the action and its costs), 2 Modules complémentaires,
//! 3 Salariés, 4 Envoi. Each step is a plain form with the guide's three buttons: "Annulez la
//! saisie" (nothing is kept of what was typed), "Enregistrez et quittez" (the draft is kept, under
//! Brouillons) and "Validez l'étape". What people type the French way (`2 020,00`, `21,5`,
//! `06/06/2019`) is turned into the API's form, then the API's own functions create, change and
//! send the dossier: one validation, whose complaints are each shown next to their field, and
//! listed at the top of the page with a link to each field.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use axum::Form;

pub(super) mod fields;

use fields::{
    formation_input, formation_sections, modules_sections, place_errors, posted_rows, posted_trainees, refill,
    trainee_rows, Section, TraineeRow,
};

use super::dossier::Required;
use super::error::{PageError, PageResult};
use super::format;
use super::frame::Frame;
use super::person::{check_csrf, Acting};
use crate::dossiers::model::{Action, DossierInput, Provider};
use crate::dossiers::{sql, DossierRecord, DossierState};
use crate::error::AppError;
use crate::input::{Json, Path as ApiPath};
use crate::state::AppState;

pub const STEPS: [&str; 4] = ["Formation", "Modules complémentaires", "Salariés", "Envoi"];

#[derive(Template)]
#[template(path = "web/demande.html")]
struct StepPage {
    frame: Frame,
    csrf: String,
    /// `None` before step 1 is saved.
    number: Option<String>,
    step: usize,
    steps: [&'static str; 4],
    action: String,
    error: Option<String>,
    /// The fields at fault, to go to from the message at the top: (id, label).
    error_fields: Vec<(String, String)>,
    sections: Vec<Section>,
    trainees: Vec<TraineeRow>,
    missing: Vec<String>,
    required: Vec<Required>,
    confirm: bool,
    /// "Rechercher un organisme de formation" (step 1): the words searched, and the organismes
    /// found among the company's dossiers, each with the address that takes it.
    search: String,
    found: Vec<(String, String)>,
}

#[derive(serde::Deserialize, Default)]
pub struct StepQuery {
    /// Words of a known organisme's name, or digits of its SIRET.
    organisme: Option<String>,
    /// The SIRET (or the name) of the known organisme to fill in.
    prendre: Option<String>,
}

/// Step 1's search among the organismes of the company's dossiers: the list found, and the
/// organisme taken (its fields fill the form; nothing is saved until the step is).
async fn known_organismes(
    state: &AppState,
    company_id: &str,
    query: &StepQuery,
    base: &str,
) -> PageResult<(String, Vec<(String, String)>, Option<Provider>)> {
    let search: String = query.organisme.as_deref().unwrap_or_default().trim().chars().take(100).collect();
    let mut found = Vec::new();
    if !search.is_empty() {
        for p in sql::known_providers(&state.db, company_id, &search, 10).await? {
            let key = p.siret.clone().or_else(|| p.name.clone()).unwrap_or_default();
            let label = match (&p.name, &p.siret, &p.city) {
                (Some(name), Some(siret), Some(city)) => format!("{name} · {} · {city}", format::siret(siret)),
                (Some(name), Some(siret), None) => format!("{name} · {}", format::siret(siret)),
                (name, _, _) => name.clone().unwrap_or_default(),
            };
            found.push((label, format!("{base}?prendre={}", format::url(&key))));
        }
    }
    let taken = match query.prendre.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(key) => sql::known_providers(&state.db, company_id, key, 1).await?.into_iter().next(),
        None => None,
    };
    Ok((search, found, taken))
}

impl StepPage {
    fn step_name(&self) -> &'static str {
        STEPS[self.step - 1]
    }
}

/// Puts each of the API's complaints next to its field, and a message at the top of the page
/// that leads to each field at fault (and says what names no field of the page).
fn show_error(page: &mut StepPage, error: &AppError) {
    let elsewhere = place_errors(&mut page.sections, error);
    page.error_fields = page
        .sections
        .iter()
        .flat_map(|s| s.inputs.iter())
        .filter(|i| i.error.is_some())
        .map(|i| (i.id(), i.label.clone()))
        .collect();
    page.error = Some(match (elsewhere.is_empty(), page.error_fields.len()) {
        (false, _) => elsewhere.join(" "),
        (true, 1) => "La saisie est à corriger :".into(),
        (true, n) => format!("{n} champs sont à corriger :"),
    });
}

async fn page(
    state: &AppState,
    acting: &Acting,
    number: Option<&str>,
    step: usize,
    sections: Vec<Section>,
) -> PageResult<StepPage> {
    let title = format!("Nouvelle demande : {}", STEPS[step - 1]);
    let frame = Frame::of(state, acting, &title, "nouvelle").await?;
    let action = match number {
        Some(number) => format!("/dossiers/{number}/etape/{step}"),
        None => "/demandes/nouvelle".to_string(),
    };
    Ok(StepPage {
        frame,
        csrf: acting.session.csrf.clone(),
        number: number.map(str::to_string),
        step,
        steps: STEPS,
        action,
        error: None,
        error_fields: Vec::new(),
        sections,
        trainees: Vec::new(),
        missing: Vec::new(),
        required: Vec::new(),
        confirm: false,
        search: String::new(),
        found: Vec::new(),
    })
}

fn render(page: StepPage, status: StatusCode) -> PageResult {
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /demandes/nouvelle`: step 1 of a new request, empty (or with a known organisme taken).
pub async fn start(State(state): State<AppState>, acting: Acting, Query(query): Query<StepQuery>) -> PageResult {
    let establishments = sql::establishments_of(&state.db, &acting.company.id).await?;
    let mut fields = crate::dossiers::DossierFields::default();
    if let [(siret, _)] = establishments.as_slice() {
        fields.siret = Some(siret.clone());
    }
    let (search, found, taken) = known_organismes(&state, &acting.company.id, &query, "/demandes/nouvelle").await?;
    if let Some(provider) = taken {
        fields.provider = provider;
    }
    let sections = formation_sections(&fields, &establishments, &state.config.opco.name);
    let mut page = page(&state, &acting, None, 1, sections).await?;
    (page.search, page.found) = (search, found);
    render(page, StatusCode::OK)
}

/// `POST /demandes/nouvelle`: step 1 saved as a new draft.
pub async fn create(
    State(state): State<AppState>,
    acting: Acting,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&acting.session.csrf, form.get("csrf").map(String::as_str).unwrap_or_default())?;
    let button = form.get("bouton").map(String::as_str).unwrap_or_default();
    if button == "annuler" {
        return Ok(Redirect::to("/").into_response());
    }
    let input = formation_input(&form, &acting.company.adherent);
    let created =
        crate::dossiers::routes::create_dossier(State(state.clone()), acting.session.caller.clone(), Json(input)).await;
    match created {
        Ok((_, _, Json(record))) => Ok(after_save(&record, 1, button)),
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let establishments = sql::establishments_of(&state.db, &acting.company.id).await?;
            let mut sections = formation_sections(&Default::default(), &establishments, &state.config.opco.name);
            refill(&mut sections, &form);
            let mut page = page(&state, &acting, None, 1, sections).await?;
            show_error(&mut page, &error);
            render(page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(error) => Err(error.into()),
    }
}

/// Where a saved step goes: the next step, or the drafts when the person leaves.
fn after_save(record: &DossierRecord, step: usize, button: &str) -> axum::response::Response {
    if record.state == DossierState::Pending {
        // Staff's correction of a dossier en cours: back to it, the history tells what changed.
        let next = if button == "valider" && step < 3 {
            format!("/dossiers/{}/etape/{}", record.number, step + 1)
        } else {
            format!("/dossiers/{}?onglet=historique&corrige=1#onglets", record.number)
        };
        return Redirect::to(&next).into_response();
    }
    if button == "enregistrer" {
        Redirect::to("/dossiers?etat=brouillon").into_response()
    } else {
        Redirect::to(&format!("/dossiers/{}/etape/{}", record.number, (step + 1).min(4))).into_response()
    }
}

/// A draft of the person's périmètre (or, for OPCO staff, a dossier en cours, which they may
/// correct: steps 1 to 3), or the dossier's page when it cannot be changed here.
async fn draft(
    state: &AppState,
    acting: &Acting,
    number: &str,
    step: usize,
) -> PageResult<Result<DossierRecord, axum::response::Response>> {
    let record =
        sql::find_visible(&state.db, &acting.session.caller, number).await?.ok_or_else(PageError::not_found)?;
    let correction = record.state == DossierState::Pending && acting.session.caller.is_staff() && step < 4;
    if record.state != DossierState::Draft && !correction {
        return Ok(Err(Redirect::to(&format!("/dossiers/{}", record.number)).into_response()));
    }
    Ok(Ok(record))
}

/// `GET /dossiers/{number}/etape/{step}`
pub async fn show(
    State(state): State<AppState>,
    acting: Acting,
    Path((number, step)): Path<(String, usize)>,
    Query(query): Query<StepQuery>,
) -> PageResult {
    if !(1..=4).contains(&step) {
        return Err(PageError::not_found());
    }
    let mut record = match draft(&state, &acting, &number, step).await? {
        Ok(record) => record,
        Err(elsewhere) => return Ok(elsewhere),
    };
    if step != 1 {
        return render(step_page(&state, &acting, &record, step).await?, StatusCode::OK);
    }
    let base = format!("/dossiers/{}/etape/1", record.number);
    let (search, found, taken) = known_organismes(&state, &record.company_id, &query, &base).await?;
    if let Some(provider) = taken {
        record.fields.provider = provider;
    }
    let mut page = step_page(&state, &acting, &record, 1).await?;
    (page.search, page.found) = (search, found);
    render(page, StatusCode::OK)
}

async fn step_page(state: &AppState, acting: &Acting, record: &DossierRecord, step: usize) -> PageResult<StepPage> {
    let f = &record.fields;
    let sections = match step {
        1 => {
            let establishments = sql::establishments_of(&state.db, &record.company_id).await?;
            formation_sections(f, &establishments, &state.config.opco.name)
        }
        2 => modules_sections(f),
        _ => Vec::new(),
    };
    let mut page = page(state, acting, Some(&record.number), step, sections).await?;
    if step == 3 {
        page.trainees = trainee_rows(&f.trainees, 3);
    }
    if step == 4 {
        page.missing = f.missing_for_submission().into_iter().map(missing_label).collect();
        page.required = required_pieces(state, record).await?;
    }
    Ok(page)
}

fn missing_label(field: &str) -> String {
    match field {
        "provider.name" => "Nom de l'organisme (étape 1)",
        "action.title" => "Intitulé du stage (étape 1)",
        "action.hours" => "Durée en heures (étape 1)",
        "action.start_date" => "Date de début (étape 1)",
        "action.end_date" => "Date de fin (étape 1)",
        "trainees" => "Au moins un salarié (étape 3)",
        other => other,
    }
    .to_string()
}

/// The pieces the guide asks for before a request is sent (`dossier::required_pieces`).
async fn required_pieces(state: &AppState, record: &DossierRecord) -> PageResult<Vec<Required>> {
    let documents = crate::documents::sql::list_for_dossier(&state.db, &record.id).await?;
    Ok(super::dossier::required_pieces(record, &documents).0)
}

/// `POST /dossiers/{number}/etape/{step}`
pub async fn save(
    State(state): State<AppState>,
    acting: Acting,
    Path((number, step)): Path<(String, usize)>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&acting.session.csrf, form.get("csrf").map(String::as_str).unwrap_or_default())?;
    if !(1..=4).contains(&step) {
        return Err(PageError::not_found());
    }
    let record = match draft(&state, &acting, &number, step).await? {
        Ok(record) => record,
        Err(elsewhere) => return Ok(elsewhere),
    };
    let button = form.get("bouton").map(String::as_str).unwrap_or_default();
    if button == "annuler" {
        return Ok(Redirect::to(&format!("/dossiers/{}", record.number)).into_response());
    }
    let caller = acting.session.caller.clone();
    let input = match step {
        1 => formation_input(&form, &acting.company.adherent),
        2 => DossierInput {
            action: Some(Action { modules: form.get("action.modules").cloned(), ..record.fields.action.clone() }),
            ..DossierInput::default()
        },
        3 => DossierInput { trainees: Some(posted_trainees(&form)), ..DossierInput::default() },
        _ => DossierInput::default(),
    };
    if step == 4 && button == "envoyer" {
        return send(&state, &acting, &record, &form).await;
    }
    let updated =
        crate::dossiers::routes::update_dossier(State(state.clone()), caller, ApiPath(number.clone()), Json(input))
            .await;
    match updated {
        Ok(Json(record)) if step == 3 && button == "lignes" => {
            let mut page = step_page(&state, &acting, &record, 3).await?;
            page.trainees = trainee_rows(&record.fields.trainees, 6);
            render(page, StatusCode::OK)
        }
        Ok(Json(record)) => Ok(after_save(&record, step, button)),
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let mut page = step_page(&state, &acting, &record, step).await?;
            refill(&mut page.sections, &form);
            if step == 3 {
                page.trainees = posted_rows(&form);
            }
            show_error(&mut page, &error);
            render(page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(error) => Err(error.into()),
    }
}

/// Step 4's "Envoyez la demande": asks to confirm when a required piece is missing, then sends
/// the dossier as the API does.
async fn send(state: &AppState, acting: &Acting, record: &DossierRecord, form: &HashMap<String, String>) -> PageResult {
    let mut page = step_page(state, acting, record, 4).await?;
    let lacking = page.required.iter().any(|r| !r.present);
    if lacking && form.get("sans-pieces").map(String::as_str) != Some("oui") {
        page.confirm = true;
        page.error = Some(
            "Des pièces demandées manquent. Cochez « Envoyer sans ces pièces » pour envoyer quand même ; vous pourrez \
             les joindre au dossier ensuite."
                .into(),
        );
        return render(page, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let sent = crate::dossiers::routes::submit_dossier(
        State(state.clone()),
        acting.session.caller.clone(),
        ApiPath(record.number.clone()),
    )
    .await;
    match sent {
        Ok(_) => Ok(Redirect::to(&format!("/dossiers/{}?envoye=1", record.number)).into_response()),
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            page.error = Some(error.detail_fr.clone());
            render(page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(error) => Err(error.into()),
    }
}
