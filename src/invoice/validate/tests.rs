//! The validation of invoice requests, case by case: every problem with its path, names and
//! dates against the dossier, messages in English and French.

use serde_json::json;

use super::*;
use crate::invoice::test_support::{lenient_facts, parse, request};

fn problems(body: serde_json::Value, facts: &DossierFacts) -> Vec<(String, &'static str)> {
    let errors = validate(&parse(body), facts).expect_err("an invalid request").errors;
    errors.into_iter().map(|e| (e.field, e.code)).collect()
}

fn pairs(expected: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    expected.iter().map(|(field, code)| (field.to_string(), *code)).collect()
}

/// The dossier's trainees, `(first name, last name)`.
fn listed(names: &[(&str, &str)]) -> Vec<DossierTrainee> {
    names
        .iter()
        .map(|(first, last)| DossierTrainee { first_name: first.to_string(), last_name: last.to_string() })
        .collect()
}

fn line(name: &str) -> serde_json::Value {
    json!({"name": name, "hourly_cost": "28.50", "hours": "14"})
}

#[test]
fn the_issue_example_is_valid_against_its_dossier() {
    let names = listed(&[("Paul", "Durand"), ("Léa", "Petit")]);
    let facts = DossierFacts {
        total_hours: Some(Hours::parse("21").unwrap()),
        trainees: Some(&names),
        start_date: Some(time::macros::date!(2026 - 11 - 02)),
        latest_date: Some(time::macros::date!(2026 - 11 - 27)),
        employer_vat_number: None,
    };
    let invoice = validate(&parse(request()), &facts).unwrap();
    assert_eq!(invoice.date, time::macros::date!(2026 - 11 - 27));
    assert_eq!(invoice.trainees[0].hourly_cost.to_text(), "28.50");
    assert_eq!(invoice.vat, VatRegime::HorsChamp);
    assert_eq!(invoice.other.amount, Amount::ZERO);
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let body = json!({
        "trainees": [
            {"name": "Paul Durand", "hourly_cost": "28.50", "hours": "21"},
            {"name": "Inconnu", "hourly_cost": "12.345", "hours": "40"},
            {"hourly_cost": 28.5, "hours": "-3"}
        ],
        "meals_lodging": "-1", "travel": "1.234", "other": {"amount": "5.00"}, "vat": "19.6"
    });
    let names = listed(&[("Paul", "Durand"), ("Léa", "Petit"), ("Louis", "Madi")]);
    let hours = Hours::parse("35").ok();
    let facts = DossierFacts { total_hours: hours, trainees: Some(&names), ..DossierFacts::default() };
    let expected = [
        ("date", "required"),
        ("place", "required"),
        ("signatory.name", "required"),
        ("trainees[1].name", "unknown_trainee"),
        ("trainees[1].hourly_cost", "too_many_decimals"),
        ("trainees[1].hours", "above_duration"),
        ("trainees[2].name", "required"),
        ("trainees[2].hourly_cost", "not_a_string"),
        ("trainees[2].hours", "negative"),
        ("meals_lodging", "negative"),
        ("travel", "too_many_decimals"),
        ("other.label", "required"),
        ("vat", "unknown_vat_rate"),
    ];
    assert_eq!(problems(body, &facts), pairs(&expected));
}

#[test]
fn messages_are_in_english_and_french() {
    let mut body = request();
    body["trainees"][0]["hourly_cost"] = json!(28.5);
    body["trainees"][0]["hours"] = json!("22");
    let facts = DossierFacts { total_hours: Hours::parse("21").ok(), ..lenient_facts() };
    let error = validate(&parse(body), &facts).unwrap_err();
    let [cost, hours] = &error.errors[..] else { panic!("{error}") };
    assert!(cost.detail.contains("not a JSON number"), "{}", cost.detail);
    assert!(cost.detail_fr.contains("pas un nombre JSON"), "{}", cost.detail_fr);
    assert_eq!(hours.detail, "More hours than the training lasts (21 h).");
    assert_eq!(hours.detail_fr, "Plus d'heures que la durée de la formation (21\u{a0}h).");
    assert!(error.to_string().starts_with("invalid invoice: trainees[0].hourly_cost: Expected"));
}

#[test]
fn trainees_match_trimmed_and_case_insensitively() {
    let mut body = request();
    body["trainees"][0]["name"] = json!("  paul DURAND ");
    let names = listed(&[("Paul", "Durand")]);
    let facts = DossierFacts { trainees: Some(&names), ..lenient_facts() };
    assert_eq!(validate(&parse(body.clone()), &facts).unwrap().trainees[0].name, "paul DURAND");
    body["trainees"][0]["name"] = json!("Durand Paul");
    assert!(validate(&parse(body), &facts).is_ok(), "last name first");
}

#[test]
fn a_trainee_has_one_line_whatever_the_way_it_is_named() {
    let names = listed(&[("Paul", "Durand"), ("Léa", "Petit")]);
    let facts = DossierFacts { trainees: Some(&names), ..lenient_facts() };
    let mut body = request();
    body["trainees"] = json!([line("Paul Durand"), line("Léa Petit"), line("DURAND paul")]);
    let expected = [("trainees", "too_many_trainees"), ("trainees[2].name", "duplicate_trainee")];
    assert_eq!(problems(body.clone(), &facts), pairs(&expected));
    // Without the dossier's list, the same name twice.
    body["trainees"] = json!([line("Paul Durand"), line(" paul durand")]);
    assert_eq!(problems(body, &lenient_facts()), pairs(&[("trainees[1].name", "duplicate_trainee")]));
    let error = validate(&parse(json!({"trainees": [line("A"), line("a")]})), &lenient_facts()).unwrap_err();
    let duplicate = error.errors.iter().find(|e| e.code == "duplicate_trainee").unwrap();
    assert_eq!(duplicate.detail, "This trainee already has a line (trainees[0]): one line per trainee.");
    assert_eq!(duplicate.detail_fr, "Ce stagiaire a déjà une ligne (trainees[0]) : une ligne par stagiaire.");
}

#[test]
fn past_the_cap_no_line_is_read() {
    let mut body = request();
    // Every line is wrong, but none is read: one problem, whatever their number.
    body["trainees"] = json!(vec![json!({"hourly_cost": 1}); MAX_LINES + 1]);
    assert_eq!(problems(body.clone(), &lenient_facts()), pairs(&[("trainees", "too_many_trainees")]));
    let lines: Vec<_> = (0..MAX_LINES).map(|i| line(&format!("Stagiaire {i}"))).collect();
    body["trainees"] = json!(lines);
    assert!(validate(&parse(body), &lenient_facts()).is_ok(), "{MAX_LINES} lines are fine");
}

#[test]
fn the_date_is_from_the_training_start_to_today() {
    let facts = DossierFacts {
        start_date: Some(time::macros::date!(2026 - 11 - 02)),
        latest_date: Some(time::macros::date!(2026 - 12 - 06)),
        ..lenient_facts()
    };
    for (date, code) in [
        ("2026-11-01", "before_training_start"),
        ("2026-12-07", "date_in_future"),
        ("9999-12-31", "date_out_of_range"),
        ("-0001-01-01", "date_out_of_range"),
    ] {
        let mut body = request();
        body["date"] = json!(date);
        assert_eq!(problems(body, &facts), pairs(&[("date", code)]), "{date}");
    }
    for date in ["2026-11-02", "2026-12-06"] {
        let mut body = request();
        body["date"] = json!(date);
        assert!(validate(&parse(body), &facts).is_ok(), "{date}");
    }
}

#[test]
fn hours_up_to_the_duration_are_accepted() {
    let facts = DossierFacts { total_hours: Hours::parse("21.00").ok(), ..lenient_facts() };
    assert!(validate(&parse(request()), &facts).is_ok());
    let mut body = request();
    body["trainees"][0]["hours"] = json!("21.01");
    assert_eq!(problems(body, &facts), pairs(&[("trainees[0].hours", "above_duration")]));
}

#[test]
fn an_invoice_needs_trainees_and_a_real_date() {
    let mut body = request();
    body["trainees"] = json!([]);
    body["date"] = json!("27/11/2026");
    let expected = [("date", "invalid_date"), ("trainees", "no_trainees")];
    assert_eq!(problems(body, &lenient_facts()), pairs(&expected));
}

#[test]
fn charging_vat_needs_the_employer_vat_number() {
    for number in [None, Some(""), Some("  ")] {
        let mut body = request();
        body["vat"] = json!("20");
        let facts = DossierFacts { employer_vat_number: number, ..lenient_facts() };
        assert_eq!(problems(body, &facts), pairs(&[("vat", "missing_vat_number")]));
    }
    let mut body = request();
    body["vat"] = json!("5.5");
    assert_eq!(validate(&parse(body), &lenient_facts()).unwrap().vat, VatRegime::Reduced);
}

#[test]
fn vat_defaults_to_hors_champ_and_costs_to_zero() {
    let mut body = request();
    let object = body.as_object_mut().unwrap();
    for key in ["vat", "meals_lodging", "travel", "other"] {
        object.remove(key);
    }
    let facts = DossierFacts { employer_vat_number: None, ..lenient_facts() };
    let invoice = validate(&parse(body), &facts).unwrap();
    assert_eq!(invoice.vat, VatRegime::HorsChamp);
    assert_eq!(
        (invoice.meals_lodging, invoice.travel, invoice.other.amount),
        (Amount::ZERO, Amount::ZERO, Amount::ZERO)
    );
    let mut body = request();
    body["vat"] = json!(20);
    assert_eq!(problems(body, &lenient_facts()), pairs(&[("vat", "unknown_vat_rate")]));
}
