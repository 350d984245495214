//! Issue 15, the invoices: what an employer's token could do to its own company's invoices (a date
//! that stops its numbering, a PDF that can never be made, a trainee billed three times, thousands
//! of lines) and what nothing checked (the amounts against the dossier's accord, a credit note's
//! date). Each test reproduces an attack of the review.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::invoices::{request, GRANTED_A};

fn dated(date: &str) -> Value {
    let mut body = request();
    body["date"] = json!(date);
    body
}

/// A trainee line of the request.
fn line(name: &str, hourly_cost: &str, hours: &str) -> Value {
    json!({"name": name, "hourly_cost": hourly_cost, "hours": hours})
}

/// Asserts a 422 whose problems are exactly `expected` (field, code), in order.
async fn assert_problems(response: reqwest::Response, expected: &[(&str, &str)]) {
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let found: Vec<(&str, &str)> = problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no list of problems in {problem}"))
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(found, expected, "{problem}");
}

fn days_from_now(days: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::days(days)).date().to_string()
}

#[tokio::test]
async fn an_invoice_dated_after_today_is_refused_and_blocks_nothing() {
    let app = spawn_app().await;
    for (date, code) in [("9999-12-31", "date_out_of_range"), (&days_from_now(2), "date_in_future")] {
        let response = app.issue(app.employer_a(), GRANTED_A, &dated(date), None).await;
        assert_problems(response, &[("date", code)]).await;
    }
    let response = app.issue(app.employer_a(), GRANTED_A, &dated(&days_from_now(0)), None).await;
    assert_eq!(response.status(), StatusCode::CREATED, "today is a valid date");
    let later = app.issue(app.employer_a(), GRANTED_A, &request(), None).await;
    assert_problems(later, &[("date", "before_last_invoice")]).await;
}

#[tokio::test]
async fn an_invoice_dated_before_its_training_or_outside_the_years_numbers_hold_is_refused() {
    let app = spawn_app().await;
    // GRANTED_A's training ran on 2026-11-02 and 03.
    for (date, code) in [
        ("-0001-01-01", "date_out_of_range"),
        ("1999-12-31", "date_out_of_range"),
        ("2026-11-01", "before_training_start"),
    ] {
        let path = format!("/api/v1/dossiers/{GRANTED_A}/invoices/preview");
        assert_problems(app.post_json(app.employer_a(), &path, &dated(date)).await, &[("date", code)]).await;
        let response = app.issue(app.employer_a(), GRANTED_A, &dated(date), None).await;
        assert_problems(response, &[("date", code)]).await;
    }
    let first = app.issue(app.employer_a(), GRANTED_A, &dated("2026-11-02"), None).await;
    assert_eq!(first.json::<Value>().await.unwrap()["number"], "FE2026-00001");
}

/// Dates `number` and its frozen data `date` as the service did before dates were checked, and
/// forgets its PDF.
async fn forge(app: &TestApp, number: &str, date: &str, new_number: &str) {
    let db = &app.state.db;
    let data: String =
        sqlx::query_scalar("select data from invoices where number = $1").bind(number).fetch_one(db).await.unwrap();
    let mut data: Value = serde_json::from_str(&data).unwrap();
    data["request"]["date"] = json!(date);
    data["signed"]["date"] = json!(date);
    sqlx::query("update invoices set number = $1, issue_date = $2, data = $3, document_id = null where number = $4")
        .bind(new_number)
        .bind(date)
        .bind(data.to_string())
        .bind(number)
        .execute(db)
        .await
        .unwrap();
}

#[tokio::test]
async fn invoices_stored_with_absurd_dates_block_nothing_and_get_their_pdf() {
    let app = spawn_app().await;
    for _ in 0..2 {
        assert_eq!(app.issue(app.employer_a(), GRANTED_A, &request(), None).await.status(), StatusCode::CREATED);
    }
    forge(&app, "FE2026-00001", "9999-12-31", "FE9999-00001").await;
    forge(&app, "FE2026-00002", "-0001-01-01", "FE-000-00002").await;

    let response = app.issue(app.employer_a(), GRANTED_A, &request(), None).await;
    assert_eq!(response.status(), StatusCode::CREATED, "the far-future invoice holds nothing back");
    assert_eq!(response.json::<Value>().await.unwrap()["number"], "FE2026-00003");
    let app = app.restart(|_| {}).await;
    for number in ["FE9999-00001", "FE-000-00002"] {
        let (status, kind, _) = app.bytes(app.employer_a(), &format!("/api/v1/invoices/{number}/pdf")).await;
        assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/pdf"), "{number}");
    }
    // The far-future invoice can still be cancelled, today.
    let credit = app.post_json(app.employer_a(), "/api/v1/invoices/FE9999-00001/credit-note", &json!({})).await;
    assert_eq!(credit.status(), StatusCode::CREATED);
    let credit: Value = credit.json().await.unwrap();
    let date = credit["issue_date"].as_str().unwrap();
    // Today in Paris: the UTC date, or the next one in the last two hours of a UTC day.
    let paris = (time::OffsetDateTime::now_utc() + time::Duration::hours(2)).date().to_string();
    assert!(date == days_from_now(0) || date == paris, "{credit}");
    assert_eq!(credit["number"], format!("FE{}-00004", &date[..4]));
}

#[tokio::test]
async fn a_trainee_is_invoiced_on_one_line_only() {
    let app = spawn_app().await;
    let mut body = request();
    let julie = line("Julie DURAND", "28.50", "14");
    body["trainees"] = json!([julie, julie, line(" durand julie ", "28.50", "14")]);
    let response = app.issue(app.employer_a(), GRANTED_A, &body, None).await;
    let expected = [
        ("trainees", "too_many_trainees"),
        ("trainees[1].name", "duplicate_trainee"),
        ("trainees[2].name", "duplicate_trainee"),
    ];
    assert_problems(response, &expected).await;
}

/// Replaces the trainees of dossier `number` in the database, as legacy data or an OPCO
/// correction may have them.
async fn set_trainees(app: &TestApp, number: &str, names: &[(&str, &str)]) {
    let id: String = sqlx::query_scalar("select id from dossiers where number = $1")
        .bind(number)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    sqlx::query("delete from trainees where dossier_id = $1").bind(&id).execute(&app.state.db).await.unwrap();
    for (position, (last_name, first_name)) in names.iter().enumerate() {
        sqlx::query(
            "insert into trainees (id, dossier_id, position, last_name, first_name) values ($1, $2, $3, $4, $5)",
        )
        .bind(format!("{id}-t{position}"))
        .bind(&id)
        .bind(position as i64)
        .bind(*last_name)
        .bind(*first_name)
        .execute(&app.state.db)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_dossier_without_trainees_is_neither_sent_nor_invoiced() {
    let app = spawn_app().await;
    // Sent: step 3 of the request (Salariés) is required, like the fields of step 1.
    let created: Value =
        app.post_json(app.employer_a(), "/api/v1/dossiers", &json!({"adherent": "1.001"})).await.json().await.unwrap();
    let number = created["number"].as_str().unwrap();
    let mut fields = crate::dossiers::complete_dossier();
    fields["trainees"] = json!([]);
    let filled = app.patch_json(app.employer_a(), &format!("/api/v1/dossiers/{number}"), &fields).await;
    assert_eq!(filled.status(), StatusCode::OK);
    let submit = format!("/api/v1/dossiers/{number}/submit");
    let refused = app.post_json(app.employer_a(), &submit, &json!({})).await;
    let problem = assert_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, "dossier_incomplete").await;
    assert_eq!(problem["field"], "trainees", "{problem}");

    // Invoiced: a granted dossier whose list is empty (data from before the rule) names nobody, so
    // "Paul Durand" and "Durand Paul" cannot be two lines for one person.
    set_trainees(&app, GRANTED_A, &[]).await;
    let mut body = request();
    body["trainees"] = json!([line("Paul Durand", "28.50", "14"), line("Durand Paul", "28.50", "14")]);
    let response = app.issue(app.employer_a(), GRANTED_A, &body, None).await;
    assert_problems(response, &[("trainees", "dossier_without_trainees")]).await;
}

#[tokio::test]
async fn namesakes_each_have_their_line_and_no_more() {
    let app = spawn_app().await;
    set_trainees(&app, GRANTED_A, &[("DURAND", "Julie"), ("DURAND", "Julie")]).await;
    let mut body = request();
    body["trainees"] = json!([line("Julie DURAND", "28.50", "7"), line("DURAND Julie", "30.00", "7")]);
    let two = app.post_json(app.employer_a(), &format!("/api/v1/dossiers/{GRANTED_A}/invoices/preview"), &body).await;
    assert_eq!(two.status(), StatusCode::OK, "two namesakes, two lines");
    body["trainees"] = json!([
        line("Julie DURAND", "28.50", "7"),
        line("DURAND Julie", "30.00", "7"),
        line("julie durand", "30.00", "7")
    ]);
    let three = app.issue(app.employer_a(), GRANTED_A, &body, None).await;
    assert_problems(three, &[("trainees", "too_many_trainees"), ("trainees[2].name", "duplicate_trainee")]).await;
}

#[tokio::test]
async fn thousands_of_lines_are_refused_before_any_work() {
    let app = spawn_app().await;
    let path = format!("/api/v1/dossiers/{GRANTED_A}/invoices/preview");
    let mut body = request();
    body["trainees"] = json!(vec![line("Julie DURAND", "28.50", "14"); 8_000]);
    let response = app.post_json(app.employer_a(), &path, &body).await;
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "request_too_large").await;
    // Under the body's limit, more lines than a dossier may have trainees: one problem, no line read.
    let lines: Vec<Value> = (0..501).map(|i| line(&format!("x{i}"), "1", "1")).collect();
    body["trainees"] = json!(lines);
    let response = app.issue(app.employer_a(), GRANTED_A, &body, None).await;
    assert_problems(response, &[("trainees", "too_many_trainees")]).await;
}

/// Company A's accord on GRANTED_A: remuneration 380.00, nothing for meals, travel or other costs.
fn within_accord() -> Value {
    let mut body = request();
    body["trainees"] = json!([line("Julie DURAND", "28.50", "13")]);
    for cost in ["meals_lodging", "travel"] {
        body[cost] = json!("0.00");
    }
    body["other"] = json!({"label": "", "amount": "0.00"});
    body
}

#[tokio::test]
async fn amounts_above_the_accord_are_flagged_for_the_assistant() {
    let app = spawn_app().await;
    let issue = |body: Value| {
        let app = &app;
        async move { app.issue(app.employer_a(), GRANTED_A, &body, None).await.json::<Value>().await.unwrap() }
    };
    let first = issue(within_accord()).await;
    assert_eq!((&first["number"], &first["above_accord"]), (&json!("FE2026-00001"), &json!([])));
    // Cancelled, it counts no more: the next one is within the accord again.
    let path = "/api/v1/invoices/FE2026-00001/credit-note";
    let credit = app.post_json(app.employer_a(), path, &json!({"date": "2026-11-27"})).await;
    assert_eq!(credit.status(), StatusCode::CREATED);
    assert_eq!(issue(within_accord()).await["above_accord"], json!([]));
    // 370.50 + 399.00 claimed for remuneration on the dossier, 380.00 granted.
    let flagged = issue(request()).await;
    let expected = json!([
        {"line": "remuneration", "claimed": "769.50", "granted": "380.00"},
        {"line": "meals_lodging", "claimed": "120.00", "granted": "0.00"},
        {"line": "travel", "claimed": "45.60", "granted": "0.00"},
        {"line": "other", "claimed": "10.15", "granted": "0.00"}
    ]);
    assert_eq!(flagged["above_accord"], expected, "{flagged}");
    let number = flagged["number"].as_str().unwrap();
    let read: Value = app.get(app.assistant(), &format!("/api/v1/invoices/{number}")).await.json().await.unwrap();
    assert_eq!(read["above_accord"], expected);
    let credit: Value = app.get(app.assistant(), "/api/v1/invoices/FE2026-00002").await.json().await.unwrap();
    assert_eq!(credit["above_accord"], Value::Null, "a credit note claims nothing");
}

#[tokio::test]
async fn a_credit_note_is_dated_between_its_invoice_and_today() {
    let app = spawn_app().await;
    app.issue(app.employer_a(), GRANTED_A, &request(), None).await;
    let path = "/api/v1/invoices/FE2026-00001/credit-note";
    for (date, code) in [("2026-11-26", "before_invoice_date"), ("9999-12-31", "date_out_of_range")] {
        let response = app.post_json(app.employer_a(), path, &json!({ "date": date })).await;
        assert_problems(response, &[("date", code)]).await;
    }
    let response = app.post_json(app.employer_a(), path, &json!({ "date": days_from_now(2) })).await;
    assert_problems(response, &[("date", "date_in_future")]).await;
    let response = app.post_json(app.employer_a(), path, &json!({"date": "2026-11-27"})).await;
    assert_eq!(response.status(), StatusCode::CREATED, "the invoice's own day");
}
