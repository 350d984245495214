//! Nouvelle demande → Action de formation, in the guide's four steps: 1 Formation (the
//! establishment, the organisme, the action and its costs), 2 Modules complémentaires,
//! 3 Salariés, 4 Envoi. Each step is a plain form with the guide's three buttons: "Annulez la
//! saisie" (nothing is kept of what was typed), "Enregistrez et quittez" (the draft is kept, under
//! Brouillons) and "Validez l'étape". What people type the French way (`2 020,00`, `21,5`,
//! `06/06/2019`) is turned into the API's form, then the API's own functions create, change and
//! send the dossier: one validation, whose first complaint is shown next to its field.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use axum::Form;

use super::error::{PageError, PageResult};
use super::format;
use super::frame::Frame;
use super::person::{check_csrf, Acting};
use crate::dossiers::model::{Action, Costs, DossierInput, Provider, Trainee};
use crate::dossiers::{sql, DossierRecord, DossierState};
use crate::error::AppError;
use crate::input::{Json, Path as ApiPath};
use crate::state::AppState;

pub const STEPS: [&str; 4] = ["Formation", "Modules complémentaires", "Salariés", "Envoi"];

/// One field of a step: its name is the API's path of the value (`provider.siret`), so that the
/// API's complaint lands next to it.
pub struct Input {
    pub name: &'static str,
    pub label: String,
    /// `text`, `email`, `tel`, `date`, `decimal`, `checkbox`, `yes-no`, `select`, `textarea`.
    pub kind: &'static str,
    pub value: String,
    pub required: bool,
    pub help: &'static str,
    pub options: Vec<(String, String)>,
    pub error: Option<String>,
}

fn input(name: &'static str, label: &str, kind: &'static str, value: String) -> Input {
    Input { name, label: label.to_string(), kind, value, required: false, help: "", options: Vec::new(), error: None }
}

impl Input {
    fn required(mut self) -> Input {
        self.required = true;
        self
    }

    fn help(mut self, help: &'static str) -> Input {
        self.help = help;
        self
    }

    /// The id of the field in the page (`provider.siret` → `provider-siret`).
    pub fn id(&self) -> String {
        self.name.replace('.', "-")
    }
}

pub struct Section {
    pub title: &'static str,
    pub inputs: Vec<Input>,
}

pub struct TraineeRow {
    pub index: usize,
    pub last_name: String,
    pub first_name: String,
}

pub struct Required {
    pub label: &'static str,
    pub present: bool,
}

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
    /// The field at fault, to go to from the message at the top: (id, label).
    error_field: Option<(String, String)>,
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

/// French amounts and hours (`2 020,00 €`, `21,5`) as the API reads them (`2020.00`, `21.5`).
fn decimal_input(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '€'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect()
}

/// `06/06/2019` → `2019-06-06`; anything else as typed (the API says what is wrong with it).
fn date_input(text: &str) -> String {
    let parts: Vec<&str> = text.trim().split('/').collect();
    match parts.as_slice() {
        [d, m, y] if d.len() <= 2 && m.len() <= 2 && y.len() == 4 => format!("{y}-{m:0>2}-{d:0>2}"),
        _ => text.trim().to_string(),
    }
}

/// `2019-06-06` → `06/06/2019`, for a field shown again.
fn date_shown(text: &Option<String>) -> String {
    text.as_deref().map(format::day).unwrap_or_default()
}

/// `2020.00` → `2020,00`, for a field shown again.
fn decimal_shown(text: &Option<String>) -> String {
    text.as_deref().map(|t| t.replace('.', ",")).unwrap_or_default()
}

fn text_of(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// Step 1's sections, filled with the dossier's values.
fn formation_sections(
    fields: &crate::dossiers::DossierFields,
    establishments: &[(String, String)],
    opco: &str,
) -> Vec<Section> {
    let p = &fields.provider;
    let a = &fields.action;
    let mut siret = input("siret", "Etablissement", "select", text_of(&fields.siret));
    siret.options = establishments.iter().map(|(s, n)| (s.clone(), format!("{} ({})", n, format::siret(s)))).collect();
    let mut direct = input(
        "provider.direct_payment",
        &format!("Paiement direct par {opco} à l'organisme"),
        "yes-no",
        if p.direct_payment { "oui" } else { "non" }.into(),
    );
    direct.help = "Subrogation : l'OPCO paie l'organisme directement.";
    let mut costs = Vec::new();
    for (name, label, value) in fields.costs.lines() {
        costs.push(input(name, label, "decimal", decimal_shown(value)).help("en euros"));
    }
    vec![
        Section { title: "Etablissement", inputs: vec![siret] },
        Section {
            title: "Organisme de formation",
            inputs: vec![
                input("provider.internal", "Formation interne", "checkbox", if p.internal { "oui" } else { "" }.into()),
                input("provider.name", "Nom de l'organisme", "text", text_of(&p.name)).required(),
                input("provider.type", "Type", "text", text_of(&p.kind)).help("par exemple : Organisme privé"),
                direct,
                input("provider.address", "Adresse", "text", text_of(&p.address)),
                input("provider.postcode", "Code postal", "text", text_of(&p.postcode)),
                input("provider.city", "Ville", "text", text_of(&p.city)),
                input("provider.siret", "N° de Siret", "text", text_of(&p.siret)).help("14 chiffres"),
                input("provider.nda", "N° formateur", "text", text_of(&p.nda))
                    .help("numéro de déclaration d'activité, 11 chiffres"),
                input("provider.contact", "Contact", "text", text_of(&p.contact)),
                input("provider.phone", "Téléphone", "tel", text_of(&p.phone)),
                input("provider.email", "Email", "email", text_of(&p.email)),
            ],
        },
        Section {
            title: "Action de formation",
            inputs: vec![
                input("action.title", "Intitulé du stage", "text", text_of(&a.title)).required(),
                input("action.cpf_code", "Code formation éligible CPF", "text", text_of(&a.cpf_code)),
                input("action.hours", "Durée (Heures)", "decimal", decimal_shown(&a.hours))
                    .required()
                    .help("par exemple : 21 ou 7,5"),
                input("action.start_date", "Dates de la formation : du", "date", date_shown(&a.start_date))
                    .required()
                    .help("JJ/MM/AAAA"),
                input("action.end_date", "au", "date", date_shown(&a.end_date)).required().help("JJ/MM/AAAA"),
            ],
        },
        Section { title: "Coûts", inputs: costs },
        Section {
            title: "Commentaire",
            inputs: vec![input("comment", "Commentaire", "textarea", text_of(&fields.comment))],
        },
    ]
}

fn modules_sections(fields: &crate::dossiers::DossierFields) -> Vec<Section> {
    vec![Section {
        title: "Modules complémentaires",
        inputs: vec![input(
            "action.modules",
            "Modules complémentaires de la formation",
            "textarea",
            text_of(&fields.action.modules),
        )
        .help("un module par ligne ; laissez vide si la formation n'en comporte pas")],
    }]
}

/// What step 1 posts, as the API's input.
fn formation_input(form: &HashMap<String, String>, adherent: &str) -> DossierInput {
    let get = |name: &str| form.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let decimal = |name: &str| get(name).map(|v| decimal_input(&v));
    DossierInput {
        adherent: Some(adherent.to_string()),
        siret: get("siret"),
        provider: Some(Provider {
            name: get("provider.name"),
            kind: get("provider.type"),
            direct_payment: get("provider.direct_payment").as_deref() == Some("oui"),
            address: get("provider.address"),
            siret: get("provider.siret"),
            nda: get("provider.nda"),
            contact: get("provider.contact"),
            internal: get("provider.internal").is_some(),
            postcode: get("provider.postcode"),
            city: get("provider.city"),
            phone: get("provider.phone"),
            email: get("provider.email"),
        }),
        action: Some(Action {
            title: get("action.title"),
            cpf_code: get("action.cpf_code"),
            hours: decimal("action.hours"),
            start_date: get("action.start_date").map(|v| date_input(&v)),
            end_date: get("action.end_date").map(|v| date_input(&v)),
            modules: None,
        }),
        costs: Some(Costs {
            pedagogy: decimal("costs.pedagogy"),
            remuneration: decimal("costs.remuneration"),
            accommodation: decimal("costs.accommodation"),
            meals: decimal("costs.meals"),
            transport: decimal("costs.transport"),
            tutor_training: decimal("costs.tutor_training"),
            training_allowance: decimal("costs.training_allowance"),
            misc: decimal("costs.misc"),
            engineering: decimal("costs.engineering"),
        }),
        comment: Some(get("comment").unwrap_or_default()),
        trainees: None,
    }
}

/// The values posted, shown again in their fields (after a complaint).
fn refill(sections: &mut [Section], form: &HashMap<String, String>) {
    for input in sections.iter_mut().flat_map(|s| s.inputs.iter_mut()) {
        input.value = form.get(input.name).cloned().unwrap_or_default();
        if input.kind == "yes-no" && input.value.is_empty() {
            input.value = "non".into();
        }
    }
}

/// Puts the API's complaint next to its field, and a message at the top of the page that leads to
/// it (or says it all, when it names no field of the page).
fn show_error(page: &mut StepPage, error: &AppError) {
    match place_error(&mut page.sections, error) {
        None => {
            let input = page.sections.iter().flat_map(|s| s.inputs.iter()).find(|i| i.error.is_some());
            page.error = Some("La saisie est à corriger :".into());
            page.error_field = input.map(|i| (i.id(), i.label.clone()));
        }
        Some(message) => page.error = Some(message),
    }
}

/// Puts the API's complaint next to its field; `None` when it names none of them.
fn place_error(sections: &mut [Section], error: &AppError) -> Option<String> {
    let field = error.field.as_deref().unwrap_or_default();
    let message = if field.ends_with("_date") && error.detail_fr.contains("AAAA-MM-JJ") {
        "Date attendue au format JJ/MM/AAAA.".to_string()
    } else {
        error.detail_fr.clone()
    };
    match sections.iter_mut().flat_map(|s| s.inputs.iter_mut()).find(|i| i.name == field) {
        Some(input) => {
            input.error = Some(message);
            None
        }
        None => Some(message),
    }
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
        error_field: None,
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
    if button == "enregistrer" {
        Redirect::to("/dossiers?etat=brouillon").into_response()
    } else {
        Redirect::to(&format!("/dossiers/{}/etape/{}", record.number, (step + 1).min(4))).into_response()
    }
}

/// A draft of the person's périmètre, or the dossier's page when it is no longer a draft.
async fn draft(
    state: &AppState,
    acting: &Acting,
    number: &str,
) -> PageResult<Result<DossierRecord, axum::response::Response>> {
    let record =
        sql::find_visible(&state.db, &acting.session.caller, number).await?.ok_or_else(PageError::not_found)?;
    if record.state != DossierState::Draft {
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
    let mut record = match draft(&state, &acting, &number).await? {
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

fn trainee_rows(trainees: &[Trainee], blank: usize) -> Vec<TraineeRow> {
    let mut rows: Vec<TraineeRow> = trainees
        .iter()
        .enumerate()
        .map(|(index, t)| TraineeRow { index, last_name: t.last_name.clone(), first_name: t.first_name.clone() })
        .collect();
    let count = rows.len();
    rows.extend((count..count + blank).map(|index| TraineeRow {
        index,
        last_name: String::new(),
        first_name: String::new(),
    }));
    rows
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

/// The pieces the guide asks for before a request is sent: the programme détaillé, and the
/// convention or the devis signé; known from the kind given, or else the kind read.
async fn required_pieces(state: &AppState, record: &DossierRecord) -> PageResult<Vec<Required>> {
    use crate::domain::DocKind;
    let documents = crate::documents::sql::list_for_dossier(&state.db, &record.id).await?;
    let kinds: Vec<DocKind> =
        documents.iter().filter_map(|d| d.kind.or_else(|| d.classification.as_ref().map(|c| c.kind))).collect();
    Ok(vec![
        Required { label: "Programme détaillé de la formation", present: kinds.contains(&DocKind::Programme) },
        Required {
            label: "Convention de formation ou devis signé",
            present: kinds.contains(&DocKind::Convention) || kinds.contains(&DocKind::Devis),
        },
    ])
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
    let record = match draft(&state, &acting, &number).await? {
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

/// The salariés of step 3: the rows with a name, in order.
fn posted_trainees(form: &HashMap<String, String>) -> Vec<Trainee> {
    posted_rows(form)
        .into_iter()
        .filter(|r| !r.last_name.trim().is_empty() || !r.first_name.trim().is_empty())
        .map(|r| Trainee { last_name: r.last_name.trim().to_string(), first_name: r.first_name.trim().to_string() })
        .collect()
}

fn posted_rows(form: &HashMap<String, String>) -> Vec<TraineeRow> {
    let mut rows: Vec<TraineeRow> = form
        .iter()
        .filter_map(|(key, value)| {
            let index: usize = key.strip_prefix("nom_")?.parse().ok()?;
            let first_name = form.get(&format!("prenom_{index}")).cloned().unwrap_or_default();
            Some(TraineeRow { index, last_name: value.clone(), first_name })
        })
        .filter(|r| r.index < crate::dossiers::model::MAX_TRAINEES + 10)
        .collect();
    rows.sort_by_key(|r| r.index);
    rows
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
