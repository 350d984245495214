//! The employer's invoice: preview, issue with continuous numbering (under concurrency too),
//! idempotency, credit notes, and who may do what.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// Company A's granted dossier: 14 h, one trainee, Julie DURAND.
pub const GRANTED_A: &str = "25.A.90103.1";

/// 28.50 × 14 = 399.00; + 120.00 + 45.60 + 10.15 = 574.75 HT; TVA 20 % 114.95; TTC 689.70.
pub fn request() -> Value {
    json!({
        "date": "2026-11-27", "place": "Paris",
        "signatory": {"name": "Claire Martin", "function": "DRH"},
        "trainees": [{"name": "Julie DURAND", "hourly_cost": "28.50", "hours": "14"}],
        "meals_lodging": "120.00", "travel": "45.60",
        "other": {"label": "Support de cours", "amount": "10.15"},
        "vat": "20"
    })
}

impl TestApp {
    pub(crate) async fn issue(&self, token: &str, number: &str, body: &Value, key: Option<&str>) -> reqwest::Response {
        let mut request =
            self.http.post(self.url(&format!("/api/v1/dossiers/{number}/invoices"))).bearer_auth(token).json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.unwrap()
    }
}

#[tokio::test]
async fn a_preview_computes_to_the_cent_and_uses_no_number() {
    let app = spawn_app().await;
    let path = format!("/api/v1/dossiers/{GRANTED_A}/invoices/preview");
    let response = app.post_json(app.employer_a(), &path, &request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let computed: Value = response.json().await.unwrap();
    // 28.50 × 14 = 399.00; + 120.00 + 45.60 + 10.15 = 574.75; TVA 20 % = 114.95; TTC 689.70.
    assert_eq!(computed["trainees"][0]["remuneration"], "399.00");
    assert_eq!(
        (&computed["total_ht"], &computed["total_tva"], &computed["total_ttc"]),
        (&json!("574.75"), &json!("114.95"), &json!("689.70"))
    );
    let first = app.issue(app.employer_a(), GRANTED_A, &request(), None).await;
    assert_eq!(first.json::<Value>().await.unwrap()["number"], "FE2026-00001", "the preview took no number");
}

#[tokio::test]
async fn bad_invoice_input_lists_every_problem_with_its_field() {
    let app = spawn_app().await;
    let mut body = request();
    body["trainees"] = json!([
        {"name": "Julie DURAND", "hourly_cost": "28.505", "hours": "15"},
        {"name": "Inconnu", "hourly_cost": 28.5, "hours": "1"}
    ]);
    body["vat"] = json!("19.6");
    let path = format!("/api/v1/dossiers/{GRANTED_A}/invoices/preview");
    let problem = assert_problem(
        app.post_json(app.employer_a(), &path, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for field in ["trainees[0].hourly_cost", "trainees[0].hours", "trainees[1].name", "trainees[1].hourly_cost", "vat"]
    {
        assert!(fields.contains(&field), "{field} missing from {problem}");
    }
    let response = app.issue(app.employer_a(), GRANTED_A, &body, None).await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let response = app.post_json(app.employer_a(), &path, &json!({"date": "2026-11-27", "meals": "1.00"})).await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_json_data").await;
}

#[tokio::test]
async fn issuing_numbers_invoices_in_sequence_and_only_for_the_employer_of_a_granted_dossier() {
    let app = spawn_app().await;
    let response = app.issue(app.employer_a(), GRANTED_A, &request(), None).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let invoice: Value = response.json().await.unwrap();
    assert_eq!(
        (&invoice["number"], &invoice["type_code"], &invoice["total_ttc"]),
        (&json!("FE2026-00001"), &json!("380"), &json!("689.70"))
    );
    assert_eq!(invoice["lines"]["trainees"][0]["remuneration"], "399.00");
    assert_eq!(
        (&invoice["employer"]["name"], &invoice["employer"]["vat_number"]),
        (&json!("AGENCE FICTIVE"), &json!("FR32065501231"))
    );
    let second = app.issue(app.employer_a(), GRANTED_A, &request(), None).await.json::<Value>().await.unwrap();
    assert_eq!(second["number"], "FE2026-00002");
    // Company B numbers its own invoices from 1.
    let read = app.get(app.assistant(), "/api/v1/invoices/FE2026-00002").await.json::<Value>().await.unwrap();
    assert_eq!(read["total_ht"], "574.75");
    assert_problem(
        app.get(app.employer_b(), "/api/v1/invoices/FE2026-00001").await,
        StatusCode::NOT_FOUND,
        "invoice_not_found",
    )
    .await;
    assert_problem(app.issue(app.assistant(), GRANTED_A, &request(), None).await, StatusCode::FORBIDDEN, "forbidden")
        .await;
    assert_problem(
        app.issue(app.employer_b(), GRANTED_A, &request(), None).await,
        StatusCode::NOT_FOUND,
        "dossier_not_found",
    )
    .await;
    let draft = app.issue(app.employer_a(), DRAFT_A, &request(), None).await;
    assert_problem(draft, StatusCode::CONFLICT, "dossier_not_invoiceable").await;
    // Chronological: no invoice dated before the last one.
    let mut earlier = request();
    earlier["date"] = json!("2026-01-05");
    assert_invalid(app.issue(app.employer_a(), GRANTED_A, &earlier, None).await, "date").await;
    let history = app.get(app.employer_a(), &format!("/api/v1/dossiers/{GRANTED_A}/history")).await;
    let history: Value = history.json().await.unwrap();
    let issued = history.as_array().unwrap().iter().filter(|e| e["action"] == "invoice_issued").count();
    assert_eq!(issued, 2, "{history}");
}

#[tokio::test]
async fn a_retried_issue_with_the_same_idempotency_key_returns_the_same_invoice() {
    let app = spawn_app().await;
    let first = app.issue(app.employer_a(), GRANTED_A, &request(), Some("k-1")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again: Value = app.issue(app.employer_a(), GRANTED_A, &request(), Some("k-1")).await.json().await.unwrap();
    assert_eq!(again["number"], first["number"]);
    let other: Value = app.issue(app.employer_a(), GRANTED_A, &request(), Some("k-2")).await.json().await.unwrap();
    assert_eq!(other["number"], "FE2026-00002", "no number lost to the retry");
    let mut changed = request();
    changed["travel"] = json!("99.00");
    let reused = app.issue(app.employer_a(), GRANTED_A, &changed, Some("k-1")).await;
    assert_problem(reused, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused").await;
}

#[tokio::test]
async fn a_credit_note_cancels_an_invoice_once_with_the_next_number() {
    let app = spawn_app().await;
    app.issue(app.employer_a(), GRANTED_A, &request(), None).await;
    let path = "/api/v1/invoices/FE2026-00001/credit-note";
    let response = app.post_json(app.employer_a(), path, &json!({"date": "2026-11-28"})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let credit: Value = response.json().await.unwrap();
    assert_eq!(
        (&credit["number"], &credit["type_code"], &credit["credits"]),
        (&json!("FE2026-00002"), &json!("381"), &json!("FE2026-00001"))
    );
    assert_eq!(credit["total_ttc"], "689.70");
    let invoice: Value = app.get(app.employer_a(), "/api/v1/invoices/FE2026-00001").await.json().await.unwrap();
    assert_eq!(invoice["credited_by"], "FE2026-00002");
    assert_eq!(invoice["total_ttc"], "689.70", "an issued invoice never changes");
    let twice = app.post_json(app.employer_a(), path, &json!({})).await;
    assert_problem(twice, StatusCode::CONFLICT, "already_credited").await;
    let of_credit = app.post_json(app.employer_a(), "/api/v1/invoices/FE2026-00002/credit-note", &json!({})).await;
    assert_problem(of_credit, StatusCode::CONFLICT, "not_an_invoice").await;
}

#[tokio::test]
async fn two_hundred_invoices_from_twenty_concurrent_clients_are_numbered_one_to_two_hundred() {
    let app = std::sync::Arc::new(spawn_app().await);
    let mut clients = Vec::new();
    for client in 0..20 {
        let app = app.clone();
        clients.push(tokio::spawn(async move {
            let mut numbers = Vec::new();
            for i in 0..10 {
                let key = format!("client-{client}-{i}");
                let response = app.issue(app.employer_a(), GRANTED_A, &request(), Some(&key)).await;
                assert_eq!(response.status(), StatusCode::CREATED, "{key}");
                numbers.push(response.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_string());
            }
            numbers
        }));
    }
    let mut numbers = Vec::new();
    for client in clients {
        numbers.extend(client.await.unwrap());
    }
    numbers.sort();
    let expected: Vec<String> = (1..=200).map(|n| format!("FE2026-{n:05}")).collect();
    assert_eq!(numbers, expected);
    // Every one of them is a valid Factur-X PDF/A-3 printing its own number.
    let mut pdfs = Vec::new();
    for number in &numbers {
        let (status, _, pdf) = app.bytes(app.employer_a(), &format!("/api/v1/invoices/{number}/pdf")).await;
        assert_eq!(status, StatusCode::OK, "{number}");
        let text =
            pieces::extract::pdf_text::read_text(&pieces::extract::pdf_text::load(&pdf).unwrap(), 5).1.join("\n");
        assert!(text.contains(&format!("FACTURE N° {number}")), "{number}");
        pdfs.push(pdf);
    }
    crate::invoice_pdf::check_invoice_pdfs(&pdfs, &["TOTAL TTC 689,70 €"]);
}
