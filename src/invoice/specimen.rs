//! `pieces invoice render input.json -o out.pdf`: an invoice rendered without the server, from a
//! file that gives the request and what the dossier would otherwise say. No number is used: the
//! PDF says "SPÉCIMEN" (and its Factur-X XML carries the identifier `SPECIMEN`).

use std::path::PathBuf;

use serde::Deserialize;

use super::document::{freeze, Assistant, DossierRef, Employer, Frozen, Printable, TypeCode};
use super::{compute, print, DossierFacts, InvoiceRequest};
use crate::domain::opco::Opco;
use crate::domain::Hours;

/// `pieces invoice …`
#[derive(clap::Subcommand)]
pub enum InvoiceCommand {
    /// Render an invoice to PDF without the server: a specimen, no number used.
    Render {
        /// JSON: `{"invoice": <the API's request body>, "employer": {…}, "dossier": {"number": …,
        /// "action": {…}}, "assistant": {"name": …, "phone": …}}`; only `invoice` is required.
        input: PathBuf,
        /// Where to write the PDF.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        opco: Opco,
    },
}

/// The file `pieces invoice render` reads.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecimenInput {
    pub invoice: serde_json::Value,
    #[serde(default)]
    pub employer: Employer,
    #[serde(default)]
    pub dossier: DossierRef,
    #[serde(default)]
    pub assistant: Option<Assistant>,
}

/// Runs the command; the error is what to tell the user.
pub fn run(command: InvoiceCommand) -> anyhow::Result<()> {
    let InvoiceCommand::Render { input, output, opco } = command;
    let text = std::fs::read(&input).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", input.display()))?;
    let pdf = specimen_pdf(&text, &opco)?;
    std::fs::write(&output, &pdf).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", output.display()))?;
    println!("{}: {} bytes (spécimen)", output.display(), pdf.len());
    Ok(())
}

/// The specimen PDF of `input` (a [`SpecimenInput`] as JSON).
pub fn specimen_pdf(input: &[u8], opco: &Opco) -> anyhow::Result<Vec<u8>> {
    let frozen = specimen(input, opco)?;
    let printable = Printable {
        number: None,
        type_code: TypeCode::Invoice,
        credits: None,
        issue_date: frozen.signed.date,
        frozen: &frozen,
    };
    Ok(print::invoice_pdf(&printable, "specimen")?)
}

/// `input` (a [`SpecimenInput`] as JSON) validated, computed and frozen as an issue would.
pub fn specimen(input: &[u8], opco: &Opco) -> anyhow::Result<Frozen> {
    let input: SpecimenInput = serde_json::from_slice(input).map_err(|e| anyhow::anyhow!("invalid input: {e}"))?;
    let request: InvoiceRequest =
        serde_json::from_value(input.invoice.clone()).map_err(|e| anyhow::anyhow!("invalid \"invoice\": {e}"))?;
    let action = &input.dossier.action;
    let facts = DossierFacts {
        total_hours: action.hours.as_deref().and_then(|h| Hours::parse(h).ok()),
        employer_vat_number: input.employer.vat_number.as_deref().filter(|v| !v.trim().is_empty()),
        start_date: action.start_date.as_deref().and_then(crate::domain::iso_date::parse),
        ..DossierFacts::default()
    };
    let invoice = super::validate(&request, &facts)?;
    let computed = compute(&invoice);
    Ok(freeze(input.invoice, &invoice, computed, input.employer, input.dossier, opco.clone(), input.assistant))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::extract::pdf_text;

    fn demo() -> Value {
        serde_json::from_str(include_str!("../../samples/invoice/demo.json")).unwrap()
    }

    fn render(input: &Value) -> anyhow::Result<Vec<u8>> {
        specimen_pdf(&serde_json::to_vec(input).unwrap(), &Opco::default())
    }

    /// The text of each page, as the service's own PDF reader sees it.
    fn pages(pdf: &[u8]) -> Vec<String> {
        pdf_text::read_text(&pdf_text::load(pdf).unwrap(), 100).1
    }

    fn with_trainees(count: usize) -> Value {
        let mut input = demo();
        let trainees: Vec<Value> = (1..=count)
            .map(|i| json!({"name": format!("Stagiaire numéro {i}"), "hourly_cost": "20.00", "hours": "7"}))
            .collect();
        input["invoice"]["trainees"] = Value::Array(trainees);
        input
    }

    #[test]
    fn the_same_invoice_renders_to_the_same_bytes() {
        let first = render(&demo()).unwrap();
        assert!(first.starts_with(b"%PDF-"));
        assert_eq!(first, render(&demo()).unwrap(), "dates and identifiers come from the data, not the clock");
    }

    #[test]
    fn a_specimen_prints_the_form_with_french_amounts() {
        let text = pages(&render(&demo()).unwrap()).join("\n");
        // 28.50 × 14 = 399.00; 31.25 × 10.5 = 328.13 (328.125 half-up); 1250.40 × 3 = 3751.20;
        // remuneration 4478.33; + 120.00 + 45.60 + 35.00 = 4678.93, outside the scope of VAT.
        for wanted in [
            "FACTURE N° SPÉCIMEN",
            "Zoë Ångström-Nguyễn",
            "Łukasz ŻÓŁĆ",
            "328,13\u{202F}€",
            "3\u{202F}751,20\u{202F}€",
            "4\u{202F}478,33\u{202F}€",
            "4\u{202F}678,93\u{202F}€",
            "TVA non applicable",
            "Fait à : Lyon le : 27/11/2026",
            // The guide's words: the certification, the notes of the lines, the labels.
            "certifie sincères et exactes les informations",
            "pendant une durée minimale de 10 ans",
            "location de salle et matériel",
            "indiquer les frais TTC quel que soit votre assujettissement à la TVA",
            "Nombre total de stagiaires",
            "N° Siret : 123456782 00077",
            "Ligne directe",
            "du 02/11/2026 au 03/11/2026",
            "Cachet et signature",
            "Sophie Bernard",
            "01 99 00 12 34",
        ] {
            assert!(text.contains(wanted), "{wanted:?} not in:\n{text}");
        }
    }

    #[test]
    fn twelve_trainees_fit_on_one_page_and_more_flow_onto_a_second_with_the_totals_together() {
        assert_eq!(pages(&render(&with_trainees(12)).unwrap()).len(), 1);
        let pages = pages(&render(&with_trainees(40)).unwrap());
        assert_eq!(pages.len(), 2);
        let last = &pages[1];
        for together in ["TOTAL HT", "TOTAL TVA", "TOTAL TTC", "représentée par", "Cachet et signature"] {
            assert!(last.contains(together), "{together:?} is not on the last page:\n{last}");
        }
        assert!(last.contains("Stagiaire numéro 40"), "the table flows onto the second page");
    }

    #[test]
    fn names_are_printed_as_text_never_run_as_typst_code() {
        let mut input = demo();
        input["employer"]["name"] = json!("#panic(\"injected\") *gras* $x$ <label> @ref ] [");
        let text = pages(&render(&input).unwrap()).join("\n");
        assert!(text.contains("#panic(\"injected\") *gras* $x$ <label> @ref ] ["), "{text}");
    }

    #[test]
    fn an_invoice_stored_with_a_date_before_year_one_still_renders() {
        let frozen = specimen(&serde_json::to_vec(&demo()).unwrap(), &Opco::default()).unwrap();
        let issue_date = time::Date::from_calendar_date(-1, time::Month::January, 1).unwrap();
        let printable = Printable {
            number: Some("FE-000-00001"),
            type_code: TypeCode::Invoice,
            credits: None,
            issue_date,
            frozen: &frozen,
        };
        let pdf = print::invoice_pdf(&printable, "test").expect("a PDF, whatever the stored date");
        assert!(pages(&pdf).join("\n").contains("FACTURE N° FE-000-00001"));
    }

    #[test]
    fn a_character_no_font_has_is_refused_at_its_field() {
        let mut input = demo();
        input["invoice"]["trainees"][0]["name"] = json!("Julie 王");
        let error = render(&input).unwrap_err().downcast::<crate::invoice::InvalidInvoice>().unwrap();
        assert_eq!(
            (error.errors[0].field.as_str(), error.errors[0].code),
            ("trainees[0].name", "unprintable_character")
        );
        // Data from elsewhere (the company's name) is printed with U+FFFD instead of failing.
        let mut input = demo();
        input["employer"]["name"] = json!("Boulangerie 王");
        assert!(pages(&render(&input).unwrap()).join("\n").contains("Boulangerie \u{FFFD}"));
    }
}
