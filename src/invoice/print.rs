//! The invoice's PDF: the AKTO form (`templates/invoice.typ`) filled with strings formatted here,
//! as PDF/A-3b with its Factur-X XML attached and the Factur-X XMP fields added.

use serde::Serialize;

use super::document::Printable;
use super::facturx;
use crate::domain::french::{format_date, format_eur, format_hours, format_siret};
use crate::render::{self, xmp, PdfIdentity, RenderError, Template};

pub const INVOICE_TEMPLATE: Template =
    Template { name: "invoice", source: include_str!("../../templates/invoice.typ") };

/// What the template prints, every value a ready string.
#[derive(Serialize)]
struct Form {
    title: &'static str,
    number: String,
    specimen: bool,
    /// "Annule la facture N° …" on a credit note.
    credits: Option<String>,
    date: String,
    employer: Party,
    opco: Party,
    dossier: String,
    assistant: String,
    direct_line: String,
    training: String,
    training_dates: String,
    employees: String,
    trainee_count: String,
    trainees: Vec<TraineeRow>,
    remuneration: String,
    meals_lodging: String,
    travel: String,
    other_label: String,
    other: String,
    vat_rate: String,
    vat_mention: Option<&'static str>,
    total_ht: String,
    total_tva: String,
    total_ttc: String,
    signatory: String,
    signatory_function: String,
    place: String,
    signed_on: String,
}

#[derive(Serialize)]
struct Party {
    name: String,
    /// Lines under the name: "Forme juridique : …", "N° SIRET : …", the address…
    lines: Vec<(String, String)>,
}

#[derive(Serialize)]
struct TraineeRow {
    name: String,
    hourly_cost: String,
    hours: String,
    remuneration: String,
}

/// The PDF of `invoice`: the same invoice always gives the same bytes.
pub fn invoice_pdf(invoice: &Printable, ident: &str) -> Result<Vec<u8>, RenderError> {
    let xml = facturx::cii_xml(invoice);
    let form = form(invoice);
    let identity = PdfIdentity { ident, date: invoice.issue_date };
    let pdf = render::render_pdf(&INVOICE_TEMPLATE, &form, &[("/factur-x.xml", xml.into_bytes())], &identity)?;
    let fields = xmp::FacturX {
        document_type: "INVOICE",
        file_name: "factur-x.xml",
        version: "1.0",
        conformance_level: "BASIC",
    };
    xmp::add_facturx(pdf, &fields)
}

/// What the template reads as `/data.json` (also given to the benchmark's alternatives).
pub fn form_data(invoice: &Printable) -> serde_json::Value {
    serde_json::to_value(form(invoice)).unwrap_or_default()
}

fn form(invoice: &Printable) -> Form {
    let frozen = invoice.frozen;
    let computed = &frozen.computed;
    let employer = &frozen.employer;
    let opco = &frozen.opco;
    let action = &frozen.dossier.action;
    let text = render::or_dash;
    let city_line = |postcode: &str, city: &str| format!("{postcode} {city}").trim().to_string();
    let employer_city = city_line(employer.postcode.as_deref().unwrap_or(""), employer.city.as_deref().unwrap_or(""));
    let names: Vec<&str> = computed.trainees.iter().map(|t| t.name.as_str()).collect();
    Form {
        title: if invoice.is_credit_note() { "AVOIR" } else { "FACTURE" },
        number: invoice.number.unwrap_or("SPÉCIMEN").to_string(),
        specimen: invoice.number.is_none(),
        credits: invoice.credits.map(|number| format!("Annule la facture N° {number}")),
        date: format_date(invoice.issue_date),
        employer: Party {
            name: text(&employer.name),
            lines: vec![
                ("Forme juridique".into(), text(&employer.legal_form)),
                ("N° adhérent".into(), text(&employer.adherent)),
                ("N° Siret".into(), text(&employer.siret.as_deref().map(format_siret))),
                ("N° TVA intracommunautaire".into(), text(&employer.vat_number)),
                ("Adresse".into(), text(&employer.address)),
                (String::new(), if employer_city.is_empty() { "—".into() } else { employer_city }),
            ],
        },
        opco: Party {
            name: opco.name.clone(),
            lines: vec![
                (String::new(), opco.address.clone()),
                (String::new(), city_line(&opco.postcode, &opco.city)),
                ("N° TVA intracommunautaire".into(), opco.vat_number.clone()),
            ],
        },
        dossier: frozen.dossier.number.clone(),
        assistant: frozen.assistant.as_ref().map_or("—".into(), |a| a.name.clone()),
        direct_line: frozen.assistant.as_ref().map_or("—".into(), |a| text(&a.phone)),
        training: text(&action.title),
        training_dates: training_dates(action.start_date.as_deref(), action.end_date.as_deref()),
        employees: if names.is_empty() { "—".into() } else { names.join(", ") },
        trainee_count: computed.trainee_count.to_string(),
        trainees: computed
            .trainees
            .iter()
            .map(|t| TraineeRow {
                name: t.name.clone(),
                hourly_cost: format_eur(t.hourly_cost),
                hours: format_hours(t.hours),
                remuneration: format_eur(t.remuneration),
            })
            .collect(),
        remuneration: format_eur(computed.remuneration),
        meals_lodging: format_eur(computed.meals_lodging),
        travel: format_eur(computed.travel),
        other_label: computed.other.label.clone(),
        other: format_eur(computed.other.amount),
        vat_rate: computed.vat.label_fr().to_string(),
        vat_mention: computed.vat.exemption_reason(),
        total_ht: format_eur(computed.total_ht),
        total_tva: format_eur(computed.total_tva),
        total_ttc: format_eur(computed.total_ttc),
        signatory: frozen.signed.name.clone(),
        signatory_function: frozen.signed.function.clone(),
        place: frozen.signed.place.clone(),
        signed_on: format_date(frozen.signed.date),
    }
}

/// "du 02/11/2026 au 06/11/2026", or what is known of it.
fn training_dates(start: Option<&str>, end: Option<&str>) -> String {
    let day = |text: Option<&str>| crate::domain::iso_date::parse(text?).map(format_date);
    match (day(start), day(end)) {
        (Some(start), Some(end)) if start == end => format!("le {start}"),
        (Some(start), Some(end)) => format!("du {start} au {end}"),
        (Some(start), None) => format!("à partir du {start}"),
        (None, Some(end)) => format!("jusqu'au {end}"),
        (None, None) => "—".into(),
    }
}
