//! The fields of the request's steps: what each shows (`Input`, `Section`), the French way
//! people type amounts, hours and dates turned into the API's, and the form posted turned into
//! the API's input, with the API's complaint put back next to its field.

use std::collections::HashMap;

use super::super::format;
use crate::dossiers::model::{Action, Costs, DossierInput, Provider, Trainee};
use crate::error::AppError;

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

pub(super) fn input(name: &'static str, label: &str, kind: &'static str, value: String) -> Input {
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

/// French amounts and hours (`2 020,00 €`, `21,5`) as the API reads them (`2020.00`, `21.5`).
pub(in crate::web) fn decimal_input(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '€'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect()
}

/// `06/06/2019` → `2019-06-06`; anything else as typed (the API says what is wrong with it).
pub(in crate::web) fn date_input(text: &str) -> String {
    let parts: Vec<&str> = text.trim().split('/').collect();
    match parts.as_slice() {
        [d, m, y] if d.len() <= 2 && m.len() <= 2 && y.len() == 4 => format!("{y}-{m:0>2}-{d:0>2}"),
        _ => text.trim().to_string(),
    }
}

/// `2019-06-06` → `06/06/2019`, for a field shown again.
pub(super) fn date_shown(text: &Option<String>) -> String {
    text.as_deref().map(format::day).unwrap_or_default()
}

/// `2020.00` → `2020,00`, for a field shown again.
pub(super) fn decimal_shown(text: &Option<String>) -> String {
    text.as_deref().map(|t| t.replace('.', ",")).unwrap_or_default()
}

pub(super) fn text_of(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// Step 1's sections, filled with the dossier's values.
pub(super) fn formation_sections(
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

pub(super) fn modules_sections(fields: &crate::dossiers::DossierFields) -> Vec<Section> {
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
pub(super) fn formation_input(form: &HashMap<String, String>, adherent: &str) -> DossierInput {
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
pub(super) fn refill(sections: &mut [Section], form: &HashMap<String, String>) {
    for input in sections.iter_mut().flat_map(|s| s.inputs.iter_mut()) {
        input.value = form.get(input.name).cloned().unwrap_or_default();
        if input.kind == "yes-no" && input.value.is_empty() {
            input.value = "non".into();
        }
    }
}

/// Puts each of the API's complaints next to its field; returns those that name no field of the
/// page.
pub(super) fn place_errors(sections: &mut [Section], error: &AppError) -> Vec<String> {
    let mut elsewhere = Vec::new();
    for (field, detail) in error.field_problems() {
        let message = if field.ends_with("_date") && detail.contains("AAAA-MM-JJ") {
            "Date attendue au format JJ/MM/AAAA.".to_string()
        } else {
            detail
        };
        match sections.iter_mut().flat_map(|s| s.inputs.iter_mut()).find(|i| i.name == field) {
            Some(input) if input.error.is_none() => input.error = Some(message),
            Some(_) => {}
            None => elsewhere.push(message),
        }
    }
    elsewhere
}

pub(super) fn trainee_rows(trainees: &[Trainee], blank: usize) -> Vec<TraineeRow> {
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

/// The salariés of step 3: the rows with a name, in order.
pub(super) fn posted_trainees(form: &HashMap<String, String>) -> Vec<Trainee> {
    posted_rows(form)
        .into_iter()
        .filter(|r| !r.last_name.trim().is_empty() || !r.first_name.trim().is_empty())
        .map(|r| Trainee { last_name: r.last_name.trim().to_string(), first_name: r.first_name.trim().to_string() })
        .collect()
}

pub(super) fn posted_rows(form: &HashMap<String, String>) -> Vec<TraineeRow> {
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
