//! What a dossier holds, as the API shows and takes it; `validate` checks its input.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Amount;
use crate::error::AppResult;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DossierState {
    /// brouillon
    Draft,
    /// en cours (sent to the OPCO)
    Pending,
    /// accordé
    Granted,
    /// refusé
    Refused,
    /// clôturé
    Closed,
}

impl DossierState {
    pub const ALL: [DossierState; 5] = [Self::Draft, Self::Pending, Self::Granted, Self::Refused, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Pending => "pending",
            Self::Granted => "granted",
            Self::Refused => "refused",
            Self::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<DossierState> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Draft => "brouillon",
            Self::Pending => "en cours",
            Self::Granted => "accordé",
            Self::Refused => "refusé",
            Self::Closed => "clôturé",
        }
    }

    /// The moves OPCO staff may make once a dossier is sent.
    pub fn staff_can_move_to(self, to: DossierState) -> bool {
        use DossierState::*;
        matches!((self, to), (Pending, Granted) | (Pending, Refused) | (Granted, Closed) | (Refused, Closed))
    }
}

/// The training provider (organisme de formation).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Provider {
    pub name: Option<String>,
    /// Type of organisme, as on the form (e.g. "Organisme privé").
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Paiement direct (subrogation): the OPCO pays the provider.
    pub direct_payment: bool,
    pub address: Option<String>,
    pub siret: Option<String>,
    /// Numéro de déclaration d'activité (11 digits).
    pub nda: Option<String>,
    pub contact: Option<String>,
    /// Formation interne: the company trains its own staff (no outside organisme).
    pub internal: bool,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// The training action.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Action {
    pub title: Option<String>,
    pub cpf_code: Option<String>,
    /// Duration in hours, a decimal string such as "21".
    pub hours: Option<String>,
    /// `YYYY-MM-DD`
    pub start_date: Option<String>,
    /// `YYYY-MM-DD`
    pub end_date: Option<String>,
    /// The modules complémentaires of the training, one per line (step 2 of the guide's form).
    pub modules: Option<String>,
}

/// The nine cost lines of the form, in euros, as decimal strings ("2020.00").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Costs {
    pub pedagogy: Option<String>,
    pub remuneration: Option<String>,
    pub accommodation: Option<String>,
    pub meals: Option<String>,
    pub transport: Option<String>,
    pub tutor_training: Option<String>,
    pub training_allowance: Option<String>,
    pub misc: Option<String>,
    pub engineering: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Trainee {
    pub last_name: String,
    pub first_name: String,
}

/// The editable part of a dossier.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DossierFields {
    /// The SIRET of the company's establishment concerned.
    pub siret: Option<String>,
    pub provider: Provider,
    pub action: Action,
    pub costs: Costs,
    pub comment: Option<String>,
    pub trainees: Vec<Trainee>,
}

/// Body of `POST /dossiers` and `PATCH /dossiers/{number}`: each section given replaces the
/// stored one; sections left out stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DossierInput {
    /// N° adhérent of the company (required on creation when the caller acts for several).
    pub adherent: Option<String>,
    pub siret: Option<String>,
    pub provider: Option<Provider>,
    pub action: Option<Action>,
    pub costs: Option<Costs>,
    pub comment: Option<String>,
    pub trainees: Option<Vec<Trainee>>,
}

impl Costs {
    /// The nine cells of the guide's cost grid, in its order: the field's name in the API (and in
    /// the request form), the guide's label, the value.
    pub fn lines(&self) -> [(&'static str, &'static str, &Option<String>); 9] {
        [
            ("costs.pedagogy", "Coûts Péda (HT)", &self.pedagogy),
            ("costs.remuneration", "Remun. (HT)", &self.remuneration),
            ("costs.accommodation", "Héberg. (HT)", &self.accommodation),
            ("costs.meals", "Repas (HT)", &self.meals),
            ("costs.transport", "Transp. (HT)", &self.transport),
            ("costs.tutor_training", "Form. Tuteur (HT)", &self.tutor_training),
            ("costs.training_allowance", "Allocat. Form. (HT)", &self.training_allowance),
            ("costs.misc", "Divers (HT)", &self.misc),
            ("costs.engineering", "Frais d'ingénierie (HT)", &self.engineering),
        ]
    }

    /// The sum of the lines that are filled in (stored amounts are valid decimals).
    pub fn total(&self) -> Option<rust_decimal::Decimal> {
        let amounts: Vec<_> =
            self.lines().iter().filter_map(|(_, _, v)| v.as_deref()).filter_map(|v| Amount::parse(v).ok()).collect();
        (!amounts.is_empty()).then(|| amounts.iter().map(|a| a.value()).sum())
    }
}

impl DossierFields {
    /// What differs from `before` to `self`, field by field (`provider.name`, `trainees`…): the
    /// values before, and after.
    pub fn changes_from(&self, before: &DossierFields) -> (serde_json::Value, serde_json::Value) {
        fn flatten(prefix: &str, value: &serde_json::Value, out: &mut serde_json::Map<String, serde_json::Value>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, value) in map {
                        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                        flatten(&path, value, out);
                    }
                }
                other => {
                    out.insert(prefix.to_string(), other.clone());
                }
            }
        }
        let (mut old, mut new) = (serde_json::Map::new(), serde_json::Map::new());
        flatten("", &serde_json::to_value(before).unwrap_or_default(), &mut old);
        flatten("", &serde_json::to_value(self).unwrap_or_default(), &mut new);
        let (mut was, mut is) = (serde_json::Map::new(), serde_json::Map::new());
        for (path, value) in &new {
            let previous = old.get(path).cloned().unwrap_or(serde_json::Value::Null);
            if previous != *value {
                was.insert(path.clone(), previous);
                is.insert(path.clone(), value.clone());
            }
        }
        (serde_json::Value::Object(was), serde_json::Value::Object(is))
    }

    /// Replaces the sections `input` carries, then checks and normalises the result.
    pub fn merged(mut self, input: DossierInput) -> AppResult<DossierFields> {
        if let Some(siret) = input.siret {
            self.siret = Some(siret);
        }
        if let Some(provider) = input.provider {
            self.provider = provider;
        }
        if let Some(action) = input.action {
            self.action = action;
        }
        if let Some(costs) = input.costs {
            self.costs = costs;
        }
        if let Some(comment) = input.comment {
            self.comment = Some(comment);
        }
        if let Some(trainees) = input.trainees {
            self.trainees = trainees;
        }
        self.normalised()
    }

    /// The fields a dossier needs before it is sent to the OPCO.
    pub fn missing_for_submission(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        let checks = [
            ("provider.name", self.provider.name.is_some()),
            ("action.title", self.action.title.is_some()),
            ("action.hours", self.action.hours.is_some()),
            ("action.start_date", self.action.start_date.is_some()),
            ("action.end_date", self.action.end_date.is_some()),
            // Step 3 of the guide's request: the employees trained (each invoice line is one).
            ("trainees", !self.trainees.is_empty()),
        ];
        for (field, present) in checks {
            if !present {
                missing.push(field);
            }
        }
        missing
    }
}

/// A field's name as the guide says it (`provider.name` → `Nom de l'organisme`), for the history.
pub fn label_fr(path: &str) -> String {
    if let Some((_, label, _)) = Costs::default().lines().into_iter().find(|(p, _, _)| *p == path) {
        return label.to_string();
    }
    let label = match path {
        "siret" => "Etablissement",
        "provider.name" => "Nom de l'organisme",
        "provider.type" | "provider.kind" => "Type d'organisme",
        "provider.direct_payment" => "Paiement direct",
        "provider.internal" => "Formation interne",
        "provider.address" => "Adresse de l'organisme",
        "provider.postcode" => "Code postal de l'organisme",
        "provider.city" => "Ville de l'organisme",
        "provider.siret" => "N° de Siret de l'organisme",
        "provider.nda" => "N° formateur",
        "provider.contact" => "Contact",
        "provider.phone" => "Téléphone de l'organisme",
        "provider.email" => "Email de l'organisme",
        "action.title" => "Intitulé du stage",
        "action.cpf_code" => "Code formation éligible CPF",
        "action.hours" => "Durée (Heures)",
        "action.start_date" => "Début de la formation",
        "action.end_date" => "Fin de la formation",
        "action.modules" => "Modules complémentaires",
        "comment" => "Commentaire",
        "trainees" => "Salariés",
        other => other,
    };
    label.to_string()
}

/// The most trainees a dossier may have (and so the most lines of its invoice).
pub const MAX_TRAINEES: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_moves_follow_the_portal() {
        use DossierState::*;
        assert!(Pending.staff_can_move_to(Granted));
        assert!(Granted.staff_can_move_to(Closed));
        assert!(!Draft.staff_can_move_to(Granted));
        assert!(!Closed.staff_can_move_to(Pending));
    }

    #[test]
    fn input_is_normalised_and_checked() {
        let input = DossierInput {
            provider: Some(Provider {
                siret: Some("480 081 306 00130".into()),
                nda: Some("117 553 531 75".into()),
                ..Default::default()
            }),
            costs: Some(Costs { pedagogy: Some("2020".into()), ..Default::default() }),
            ..Default::default()
        };
        let fields = DossierFields::default().merged(input).unwrap();
        assert_eq!(fields.provider.siret.as_deref(), Some("48008130600130"));
        assert_eq!(fields.provider.nda.as_deref(), Some("11755353175"));
        assert_eq!(fields.costs.pedagogy.as_deref(), Some("2020.00"));

        let bad = DossierInput {
            costs: Some(Costs { meals: Some("-3".into()), ..Default::default() }),
            ..Default::default()
        };
        let error = DossierFields::default().merged(bad).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("costs.meals"));

        let reversed = DossierInput {
            action: Some(Action {
                start_date: Some("2019-07-05".into()),
                end_date: Some("2019-06-06".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(DossierFields::default().merged(reversed).unwrap_err().field.as_deref(), Some("action.end_date"));
    }

    #[test]
    fn every_wrong_field_is_named_at_once() {
        let input = DossierInput {
            provider: Some(Provider {
                siret: Some("480 081 306 00131".into()),
                nda: Some("1175".into()),
                name: Some("Organisme".into()),
                ..Default::default()
            }),
            action: Some(Action {
                start_date: Some("2019-07-05".into()),
                end_date: Some("2019-06-06".into()),
                ..Default::default()
            }),
            costs: Some(Costs { meals: Some("douze".into()), pedagogy: Some("2020".into()), ..Default::default() }),
            ..Default::default()
        };
        let error = DossierFields::default().merged(input).unwrap_err();
        let fields: Vec<String> = error.field_problems().into_iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["provider.siret", "provider.nda", "action.end_date", "costs.meals"]);
        assert_eq!(error.field.as_deref(), Some("provider.siret"), "the first one leads");
    }
}
