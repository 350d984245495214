//! The job queue under attack, on the suite's database (SQLite, or PostgreSQL in CI): a piece
//! whose reading kills the worker each time, a worker that lost its job, one company's flood.
//! The apps run without workers: the tests claim jobs themselves, as workers would.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;
use pieces::app::JOB_KINDS;
use pieces::jobs::{claim, Job, MAX_ATTEMPTS};

/// An app without workers whose demo jobs are out of the way.
async fn idle_app() -> TestApp {
    let app = spawn_with(|config| config.workers = Some(0)).await;
    sqlx::query("update jobs set state = 'done'").execute(&app.state.db).await.unwrap();
    app
}

async fn upload(app: &TestApp, token: &str, dossier: &str, bytes: Vec<u8>) -> String {
    let response = app.upload(token, dossier, "piece.pdf", bytes).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

/// The job's lease runs out, as when its worker's process dies.
async fn lapse(app: &TestApp, job: &Job) {
    sqlx::query("update jobs set lease_until = '2000-01-01T00:00:00.000000Z' where id = $1")
        .bind(&job.id)
        .execute(&app.state.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_piece_whose_reading_kills_the_worker_every_time_is_given_up_with_the_reason() {
    let app = idle_app().await;
    let id = upload(&app, app.employer_a(), DRAFT_A, pdf("deadly")).await;
    for attempt in 1..=MAX_ATTEMPTS {
        let job = claim(&app.state.db, JOB_KINDS).await.unwrap().expect("taken again after its worker died");
        assert_eq!((job.document_id.as_str(), job.attempts), (id.as_str(), attempt));
        lapse(&app, &job).await;
    }
    assert!(claim(&app.state.db, JOB_KINDS).await.unwrap().is_none(), "not taken past its last attempt");
    let document: Value = app.get(app.employer_a(), &format!("/api/v1/documents/{id}")).await.json().await.unwrap();
    assert_eq!(document["text_status"], "failed", "{document}");
    assert_eq!(document["text_problem"]["code"], "failed");
    let reason = document["text_problem"]["detail_fr"].as_str().unwrap();
    assert!(reason.contains("interrompu à chacun des 5 essais"), "{reason}");
    let content = app.get(app.employer_a(), &format!("/api/v1/documents/{id}/content")).await;
    assert_eq!(content.bytes().await.unwrap().to_vec(), pdf("deadly"), "the piece is kept");
}

#[tokio::test]
async fn a_reading_whose_job_was_taken_again_records_nothing() {
    let app = idle_app().await;
    let id = upload(&app, app.employer_a(), DRAFT_A, sample("upload/programme.pdf")).await;
    let stale = claim(&app.state.db, JOB_KINDS).await.unwrap().unwrap();
    lapse(&app, &stale).await;
    let owner = claim(&app.state.db, JOB_KINDS).await.unwrap().expect("the lapsed job is taken again");

    let late = pieces::documents::understand::run(&app.state, &stale).await;
    let error = late.expect_err("the stale worker's reading must not be recorded");
    assert!(error.downcast_ref::<pieces::jobs::Lost>().is_some(), "{error:#}");
    let document: Value = app.get(app.employer_a(), &format!("/api/v1/documents/{id}")).await.json().await.unwrap();
    assert_eq!(document["text_status"], "pending", "nothing recorded: {document}");
    let pages: i64 = sqlx::query_scalar("select count(*) from document_pages where document_id = $1")
        .bind(&id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(pages, 0);

    pieces::documents::understand::run(&app.state, &owner).await.expect("the owner records its reading");
    let document: Value = app.get(app.employer_a(), &format!("/api/v1/documents/{id}")).await.json().await.unwrap();
    assert_eq!(document["text_status"], "done", "{document}");
    assert_eq!(document["classification"]["kind"], "programme");
}

#[tokio::test]
async fn one_companys_flood_does_not_hold_up_another_company() {
    let app = idle_app().await;
    for i in 0..50 {
        upload(&app, app.employer_a(), DRAFT_A, pdf(&format!("flood {i}"))).await;
    }
    let from_b = upload(&app, app.employer_b(), DRAFT_B, pdf("company B")).await;
    let first = claim(&app.state.db, JOB_KINDS).await.unwrap().unwrap();
    let second = claim(&app.state.db, JOB_KINDS).await.unwrap().unwrap();
    assert!(
        [&first.document_id, &second.document_id].contains(&&from_b),
        "B's piece waits behind A's flood: {first:?} {second:?}"
    );
}
