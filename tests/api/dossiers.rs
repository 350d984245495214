//! Dossiers: creation, reading within the périmètre, edits of drafts, the state machine, history.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

pub(crate) fn complete_dossier() -> Value {
    json!({
        "adherent": "1.001",
        "siret": "065 501 231 00040",
        "provider": { "name": "WOLTERS KLUWER FRANCE SAS", "type": "Organisme privé", "direct_payment": true,
                      "siret": "48008130600130", "nda": "11755353175", "address": "14 rue Fructidor, 75017 PARIS" },
        "action": { "title": "PILOTER LA FORMATION PROFESSIONNELLE", "hours": "21",
                    "start_date": "2026-12-01", "end_date": "2026-12-03" },
        "costs": { "pedagogy": "2020", "remuneration": "557.13" },
        "trainees": [{ "last_name": "DURAND", "first_name": "Julie" }, { "last_name": "PETIT", "first_name": "Louis" }]
    })
}

#[tokio::test]
async fn an_employer_creates_a_draft_and_reads_it_back() {
    let app = spawn_app().await;
    let response = app.post_json(app.employer_a(), "/api/v1/dossiers", &complete_dossier()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let created: Value = response.json().await.unwrap();
    let number = created["number"].as_str().unwrap();
    assert_eq!(location, format!("/api/v1/dossiers/{number}"));
    assert!(pieces::domain::DossierNumber::parse(number).is_some(), "{number}");
    assert_eq!(created["state"], "draft");
    assert_eq!(created["adherent"], "1.001");
    assert_eq!(created["siret"], "06550123100040", "spaces dropped");
    assert_eq!(created["costs"]["pedagogy"], "2020.00", "cents kept exactly");
    assert_eq!(created["trainees"][1]["last_name"], "PETIT");

    let read: Value = app.get(app.employer_a(), &location).await.json().await.unwrap();
    assert_eq!(read, created);

    let second: Value = app.post_json(app.employer_a(), "/api/v1/dossiers", &json!({})).await.json().await.unwrap();
    assert_ne!(second["number"], created["number"], "numbers are never reused");
}

#[tokio::test]
async fn the_list_counts_dossiers_per_state_within_the_perimetre() {
    let app = spawn_app().await;
    let list: Value = app.get(app.employer_a(), "/api/v1/dossiers").await.json().await.unwrap();
    let counts = &list["counts"];
    for (i, state) in ["draft", "pending", "granted", "refused", "closed"].iter().enumerate() {
        assert_eq!(counts[i]["state"], *state);
        assert_eq!(counts[i]["count"], 1, "employer A has one dossier per state");
    }
    assert_eq!(counts[4]["label"], "clôturé");
    let numbers: Vec<&str> =
        list["dossiers"].as_array().unwrap().iter().map(|d| d["number"].as_str().unwrap()).collect();
    assert_eq!(numbers.len(), 5);
    assert!(!numbers.contains(&PILOTER_B), "another company's dossier never shows");

    let pending: Value = app.get(app.employer_a(), "/api/v1/dossiers?state=pending").await.json().await.unwrap();
    assert_eq!(pending["dossiers"].as_array().unwrap().len(), 1);
    assert_eq!(pending["dossiers"][0]["number"], PENDING_A);

    let all: Value = app.get(app.assistant(), "/api/v1/dossiers?limit=200").await.json().await.unwrap();
    assert_eq!(all["dossiers"].as_array().unwrap().len(), 10, "the assistant handles both companies");
    assert_eq!(all["counts"][4]["count"], 2);

    let bad = app.get(app.assistant(), "/api/v1/dossiers?state=lost").await;
    assert_problem(bad, StatusCode::BAD_REQUEST, "invalid_query_string").await;
}

/// Issue 17, item 3: a user who acts for several companies lists one of them (`?company=`, its
/// n° adhérent), counts included; a company outside the périmètre lists nothing.
#[tokio::test]
async fn the_list_narrows_to_the_company_chosen_within_the_perimetre() {
    let app = spawn_app().await;
    let numbers = |list: &Value| -> Vec<String> {
        list["dossiers"].as_array().unwrap().iter().map(|d| d["number"].as_str().unwrap().to_string()).collect()
    };
    let b: Value = app.get(app.assistant(), "/api/v1/dossiers?company=12927.001").await.json().await.unwrap();
    assert_eq!(numbers(&b).len(), 5, "{b}");
    assert!(numbers(&b).contains(&PILOTER_B.to_string()) && !numbers(&b).contains(&PENDING_A.to_string()));
    let total: i64 = b["counts"].as_array().unwrap().iter().map(|c| c["count"].as_i64().unwrap()).sum();
    assert_eq!(total, 5, "the counts are the chosen company's: {b}");
    let a_pending: Value =
        app.get(app.assistant(), "/api/v1/dossiers?company=1.001&state=pending").await.json().await.unwrap();
    assert_eq!(numbers(&a_pending), [PENDING_A]);

    let foreign: Value = app.get(app.employer_a(), "/api/v1/dossiers?company=12927.001").await.json().await.unwrap();
    assert!(numbers(&foreign).is_empty(), "another company's dossiers never show: {foreign}");
    assert!(foreign["counts"].as_array().unwrap().iter().all(|c| c["count"] == 0), "{foreign}");
    let old_name = app.get(app.assistant(), "/api/v1/dossiers?adherent=1.001").await;
    assert_problem(old_name, StatusCode::BAD_REQUEST, "invalid_query_string").await;
}

#[tokio::test]
async fn the_list_filter_finds_every_word_in_any_case_and_accent_and_follows_edits() {
    let app = spawn_app().await;
    let mut body = complete_dossier();
    body["action"]["title"] = json!("Prévention des RISQUES électriques");
    body["provider"]["name"] = json!("ÉCOLE DES MÉTIERS");
    let created: Value = app.post_json(app.employer_a(), "/api/v1/dossiers", &body).await.json().await.unwrap();
    let number = created["number"].as_str().unwrap().to_string();
    let found = |q: &str| listed(&app, q.to_string());
    assert_eq!(found("prevention ELECTRIQUES").await, [number.as_str()], "any case, without accents");
    assert_eq!(found("école  Métiers").await, [number.as_str()], "with accents, in the organisme");
    assert_eq!(found(" risques  prévention ").await, [number.as_str()], "words in any order");
    assert!(found("prévention anglais").await.is_empty(), "every word must be found");
    assert_eq!(found("MANAGEMENT").await, [PENDING_A], "the other dossiers by their intitulé");
    assert_eq!(found(&number.to_lowercase()).await, [number.as_str()], "by number, in any case");

    // The total counts every match, on a full page, on the last one, and past the end.
    let every = found("e").await.len();
    assert!(every >= 4, "{every}");
    for (page, shown) in [("limit=2", 2), (&*format!("limit=2&offset={}", every - 1), 1), ("offset=100", 0)] {
        let list: Value =
            app.get(app.employer_a(), &format!("/api/v1/dossiers?q=e&{page}")).await.json().await.unwrap();
        assert_eq!(list["dossiers"].as_array().unwrap().len(), shown, "{page}: {list}");
        assert_eq!(list["total"], json!(every), "{page}: {list}");
    }

    let path = format!("/api/v1/dossiers/{number}");
    let edit = json!({ "action": { "title": "Habilitation électrique" } });
    assert_eq!(app.patch_json(app.employer_a(), &path, &edit).await.status(), StatusCode::OK);
    assert!(found("prevention").await.is_empty(), "the old intitulé is gone from the filter");
    assert_eq!(found("habilitation electrique").await, [number.as_str()], "the new one is found");

    // A dossier written before the filter's column existed: it is filled in at start-up.
    sqlx::query("update dossiers set search_text = null").execute(&app.state.db).await.unwrap();
    let app = app.restart(|_| {}).await;
    let list: Value = app.get(app.employer_a(), "/api/v1/dossiers?q=HABILITATION").await.json().await.unwrap();
    assert_eq!(list["dossiers"][0]["number"], json!(number), "{list}");
    let missing: i64 = sqlx::query_scalar("select count(*) from dossiers where search_text is null")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(missing, 0);
}

/// The numbers of employer A's dossiers the list finds with words `q`.
async fn listed(app: &TestApp, q: String) -> Vec<String> {
    let path = format!("/api/v1/dossiers?q={}", urlencoding(&q));
    let list: Value = app.get(app.employer_a(), &path).await.json().await.unwrap();
    list["dossiers"].as_array().unwrap().iter().map(|d| d["number"].as_str().unwrap().into()).collect()
}

#[tokio::test]
async fn a_foreign_dossier_does_not_exist_for_an_employer() {
    let app = spawn_app().await;
    let foreign = app.get(app.employer_a(), &format!("/api/v1/dossiers/{PILOTER_B}")).await;
    let unknown = app.get(app.employer_a(), "/api/v1/dossiers/19.A.99999.1").await;
    let foreign = assert_problem(foreign, StatusCode::NOT_FOUND, "dossier_not_found").await;
    let unknown = assert_problem(unknown, StatusCode::NOT_FOUND, "dossier_not_found").await;
    assert_eq!(foreign, unknown, "the answer does not reveal that the dossier exists");
    for path in ["history", "documents"] {
        let response = app.get(app.employer_a(), &format!("/api/v1/dossiers/{PILOTER_B}/{path}")).await;
        assert_problem(response, StatusCode::NOT_FOUND, "dossier_not_found").await;
    }
    let patch =
        app.patch_json(app.employer_a(), &format!("/api/v1/dossiers/{DRAFT_B}"), &json!({ "comment": "x" })).await;
    assert_problem(patch, StatusCode::NOT_FOUND, "dossier_not_found").await;
    let create = app.post_json(app.employer_a(), "/api/v1/dossiers", &json!({ "adherent": "12927.001" })).await;
    assert_invalid(create, "adherent").await;
}

#[tokio::test]
async fn the_demo_dossier_carries_the_form_fields() {
    let app = spawn_app().await;
    let dossier: Value =
        app.get(app.employer_b(), &format!("/api/v1/dossiers/{PILOTER_B}")).await.json().await.unwrap();
    assert_eq!(dossier["state"], "closed");
    assert_eq!(dossier["adherent"], "12927.001");
    assert_eq!(dossier["provider"]["name"], "WOLTERS KLUWER FRANCE SAS");
    assert_eq!(dossier["provider"]["siret"], "48008130600130");
    assert_eq!(dossier["provider"]["nda"], "11755353175");
    assert_eq!(dossier["action"]["title"], "PILOTER LA FORMATION PROFESSIONNELLE");
    assert_eq!(dossier["action"]["hours"], "21");
    assert_eq!(dossier["action"]["start_date"], "2019-06-06");
    assert_eq!(dossier["action"]["end_date"], "2019-07-05");
    assert_eq!(dossier["costs"]["pedagogy"], "2020.00");
    assert_eq!(dossier["costs"]["remuneration"], "557.13");
}

#[tokio::test]
async fn only_drafts_are_edited_and_edits_replace_sections() {
    let app = spawn_app().await;
    let path = format!("/api/v1/dossiers/{DRAFT_A}");
    let before: Value = app.get(app.employer_a(), &path).await.json().await.unwrap();
    let patch = json!({ "costs": { "meals": "45.5" }, "comment": "Repas du midi" });
    let response = app.patch_json(app.employer_a(), &path, &patch).await;
    assert_eq!(response.status(), StatusCode::OK);
    let after: Value = response.json().await.unwrap();
    assert_eq!(after["costs"]["meals"], "45.50");
    assert_eq!(after["costs"]["pedagogy"], Value::Null, "the costs section was replaced whole");
    assert_eq!(after["comment"], "Repas du midi");
    assert_eq!(after["provider"], before["provider"], "sections left out stay");

    let pending = app.patch_json(app.employer_a(), &format!("/api/v1/dossiers/{PENDING_A}"), &patch).await;
    assert_problem(pending, StatusCode::CONFLICT, "dossier_not_editable").await;
}

#[tokio::test]
async fn bad_dossier_input_names_the_field() {
    let app = spawn_app().await;
    let path = format!("/api/v1/dossiers/{DRAFT_A}");
    let cases = [
        (json!({ "siret": "48008130600131" }), "siret"),
        (json!({ "siret": "48008130600130" }), "siret"),
        (json!({ "provider": { "nda": "123" } }), "provider.nda"),
        (json!({ "costs": { "pedagogy": "12.345" } }), "costs.pedagogy"),
        (json!({ "costs": { "transport": "-5" } }), "costs.transport"),
        (json!({ "action": { "hours": "vingt" } }), "action.hours"),
        (json!({ "action": { "start_date": "06/06/2019" } }), "action.start_date"),
        (json!({ "trainees": [{ "last_name": " ", "first_name": "A" }] }), "trainees.last_name"),
    ];
    for (body, field) in cases {
        assert_invalid(app.patch_json(app.employer_a(), &path, &body).await, field).await;
    }
    let unknown_field = app.patch_json(app.employer_a(), &path, &json!({ "colour": "blue" })).await;
    assert_problem(unknown_field, StatusCode::UNPROCESSABLE_ENTITY, "invalid_json_data").await;
    let malformed = app
        .http
        .patch(app.url(&path))
        .bearer_auth(app.employer_a())
        .header("content-type", "application/json")
        .body("{\"comment\": ")
        .send()
        .await
        .unwrap();
    assert_problem(malformed, StatusCode::BAD_REQUEST, "malformed_json").await;
    let huge = app.patch_json(app.employer_a(), &path, &json!({ "comment": "x".repeat(3 * 1024 * 1024) })).await;
    assert_problem(huge, StatusCode::PAYLOAD_TOO_LARGE, "request_too_large").await;
}

#[tokio::test]
async fn a_dossier_goes_from_draft_to_closed_and_its_history_says_who_did_what() {
    let app = spawn_app().await;
    let created: Value = app
        .post_json(app.employer_a(), "/api/v1/dossiers", &json!({ "adherent": "1.001" }))
        .await
        .json()
        .await
        .unwrap();
    let number = created["number"].as_str().unwrap().to_string();
    let submit = format!("/api/v1/dossiers/{number}/submit");
    let incomplete = app.post_json(app.employer_a(), &submit, &json!({})).await;
    let problem = assert_problem(incomplete, StatusCode::UNPROCESSABLE_ENTITY, "dossier_incomplete").await;
    assert!(problem["detail"].as_str().unwrap().contains("action.title"));

    let fill = app.patch_json(app.employer_a(), &format!("/api/v1/dossiers/{number}"), &complete_dossier()).await;
    assert_eq!(fill.status(), StatusCode::OK);
    let sent: Value = app.post_json(app.employer_a(), &submit, &json!({})).await.json().await.unwrap();
    assert_eq!(sent["state"], "pending");
    let again = app.post_json(app.employer_a(), &submit, &json!({})).await;
    assert_problem(again, StatusCode::CONFLICT, "invalid_transition").await;

    let state = format!("/api/v1/dossiers/{number}/state");
    let to_draft = app.post_json(app.assistant(), &state, &json!({ "state": "draft" })).await;
    assert_problem(to_draft, StatusCode::CONFLICT, "invalid_transition").await;
    let granted = app
        .post_json(app.assistant(), &state, &json!({ "state": "granted", "comment": "Prise en charge accordée" }))
        .await;
    assert_eq!(granted.status(), StatusCode::OK);
    let closed: Value =
        app.post_json(app.assistant(), &state, &json!({ "state": "closed" })).await.json().await.unwrap();
    assert_eq!(closed["state"], "closed");

    let history: Vec<Value> =
        app.get(app.employer_a(), &format!("/api/v1/dossiers/{number}/history")).await.json().await.unwrap();
    let actions: Vec<(&str, &str)> =
        history.iter().map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap())).collect();
    assert_eq!(
        actions,
        [
            ("dossier_created", "employeur.1001"),
            ("dossier_updated", "employeur.1001"),
            ("dossier_submitted", "employeur.1001"),
            ("state_changed", "assistante.akto"),
            ("state_changed", "assistante.akto"),
        ]
    );
    assert_eq!(
        history[3]["detail"],
        json!({ "from": "pending", "to": "granted", "comment": "Prise en charge accordée" })
    );
    let times: Vec<&str> = history.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first: {times:?}");
}

#[tokio::test]
async fn the_demo_seed_is_idempotent() {
    let app = spawn_app().await;
    let count = |sql: &'static str| {
        let db = app.state.db.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&db).await.unwrap() }
    };
    let before = (
        count("select count(*) from dossiers").await,
        count("select count(*) from documents").await,
        count("select count(*) from users").await,
    );
    pieces::demo::seed(&app.state).await.unwrap();
    let after = (
        count("select count(*) from dossiers").await,
        count("select count(*) from documents").await,
        count("select count(*) from users").await,
    );
    assert_eq!(before, after);
    assert_eq!(before, (10, 1, 4), "two employers, the group's person, the assistant");
}

#[tokio::test]
async fn a_number_already_taken_is_drawn_again() {
    let app = spawn_app().await;
    let year = (time::OffsetDateTime::now_utc().year() % 100) as u8;
    // Two dossiers of this year imported with numbers that the first draws give.
    let company = pieces::admin::company_id(&app.state.db, "1.001").await.unwrap();
    let user = pieces::admin::user_id(&app.state.db, "employeur.1001").await.unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    for sequence in [12_345_678, 23_456_789] {
        let number = pieces::domain::DossierNumber::new_in_year(year, sequence);
        let id = uuid::Uuid::now_v7().to_string();
        pieces::dossiers::sql::insert_draft(&mut tx, &id, &number, &company, &user).await.unwrap();
    }
    let draws = [12_345_678, 23_456_789, 34_567_890];
    let number = pieces::dossiers::numbers::first_free(&mut tx, year, draws).await.unwrap();
    assert_eq!(number.as_str(), format!("{year:02}.A.34567890.1"));
    // The demo's fixed numbers are taken like any other.
    let number = pieces::dossiers::numbers::first_free(&mut tx, 19, [21_056, 21_057]).await.unwrap();
    assert_eq!((PILOTER_B, number.as_str()), ("19.A.21056.1", "19.A.21057.1"));
    assert!(pieces::dossiers::numbers::first_free(&mut tx, year, [12_345_678; 30]).await.is_err(), "no endless draw");
}

/// The sequence part of a dossier number (`26.A.48213907.1` → 48213907).
fn sequence_of(dossier: &Value) -> u64 {
    dossier["number"].as_str().unwrap().split('.').nth(2).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_dossier_number_tells_nothing_of_other_companies_dossiers() {
    let app = spawn_app().await;
    let create = |token: &str| {
        let request = app.http.post(app.url("/api/v1/dossiers")).bearer_auth(token).json(&json!({}));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let first = create(app.employer_a()).await;
    let other = create(app.employer_b()).await;
    let second = create(app.employer_a()).await;
    let sequences = [sequence_of(&first), sequence_of(&other), sequence_of(&second)];
    // A counter shared by every company would make them consecutive; drawn at random among 90
    // million, two are neighbours once in 45 million runs.
    assert!(sequences[0].abs_diff(sequences[1]) > 1 && sequences[1].abs_diff(sequences[2]) > 1, "{sequences:?}");
    assert!(sequences.iter().all(|s| (10_000_000..100_000_000).contains(s)), "{sequences:?}");
}

#[tokio::test]
async fn the_database_refuses_to_send_an_incomplete_draft_even_behind_the_checks() {
    let app = spawn_app().await;
    let created: Value = app.post_json(app.employer_a(), "/api/v1/dossiers", &json!({})).await.json().await.unwrap();
    let caller = pieces::auth::Caller { user_id: String::new(), login: "t".into(), role: pieces::auth::Role::Admin };
    let record = pieces::dossiers::sql::find_visible(&app.state.db, &caller, created["number"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    use pieces::dossiers::DossierState::{Draft, Pending};
    let mut tx = app.state.db.begin().await.unwrap();
    assert!(!pieces::dossiers::sql::set_state(&mut tx, &record.id, Draft, Pending).await.unwrap());
    tx.rollback().await.unwrap();
    let full: Value =
        app.get(app.employer_a(), &format!("/api/v1/dossiers/{}", record.number)).await.json().await.unwrap();
    assert_eq!(full["state"], "draft");
}
