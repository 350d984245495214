//! The queue against a real SQLite database in a temporary folder: workers that die, workers
//! that lost their job, and one company's flood.

use super::*;

/// The service's kinds: a piece given up says why.
const KINDS: &[Kind] = crate::app::JOB_KINDS;

struct Queue {
    db: Db,
    _dir: tempfile::TempDir,
}

async fn queue() -> Queue {
    let dir = tempfile::tempdir().unwrap();
    let db =
        crate::db::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("pieces.db").display())).await.unwrap();
    sqlx::query("insert into users (id, login, display_name, role, created_at) values ('u', 'u', 'U', 'employer', $1)")
        .bind(now())
        .execute(&db)
        .await
        .unwrap();
    for company in ["a", "b"] {
        sqlx::query("insert into companies (id, adherent_number, name, created_at) values ($1, $1, $1, $2)")
            .bind(company)
            .bind(now())
            .execute(&db)
            .await
            .unwrap();
        sqlx::query(
            "insert into dossiers (id, number, company_id, state, created_by, created_at, updated_at) \
             values ($1, $1, $1, 'draft', 'u', $2, $2)",
        )
        .bind(company)
        .bind(now())
        .execute(&db)
        .await
        .unwrap();
    }
    Queue { db, _dir: dir }
}

impl Queue {
    /// A new piece of `company`'s dossier with its reading queued; returns the piece's id.
    async fn piece(&self, company: &str) -> String {
        let id = crate::db::new_id();
        let mut tx = self.db.begin().await.unwrap();
        sqlx::query(
            "insert into documents (id, dossier_id, title, original_name, mime_type, size, sha256, uploaded_by, \
             uploaded_at) values ($1, $2, 'p', 'p.pdf', 'application/pdf', 1, $1, 'u', $3)",
        )
        .bind(&id)
        .bind(company)
        .bind(now())
        .execute(&mut *tx)
        .await
        .unwrap();
        enqueue(&mut tx, crate::documents::understand::UNDERSTAND, &id).await.unwrap();
        tx.commit().await.unwrap();
        id
    }

    /// The job's lease runs out, as when its worker's process dies.
    async fn lapse(&self, job: &Job) {
        sqlx::query("update jobs set lease_until = '2000-01-01T00:00:00.000000Z' where id = $1")
            .bind(&job.id)
            .execute(&self.db)
            .await
            .unwrap();
    }

    async fn job_row(&self, id: &str) -> (String, i64, Option<String>) {
        sqlx::query_as("select state, attempts, lease_until from jobs where id = $1")
            .bind(id)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    async fn text_status(&self, document: &str) -> (String, Option<String>) {
        sqlx::query_as("select text_status, text_reason from documents where id = $1")
            .bind(document)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_job_whose_worker_dies_at_every_attempt_is_given_up_with_the_reason() {
    let q = queue().await;
    let piece = q.piece("a").await;
    for attempt in 1..=MAX_ATTEMPTS {
        let job = claim(&q.db, KINDS).await.unwrap().expect("claimed again after its worker died");
        assert_eq!((job.document_id.as_str(), job.attempts), (piece.as_str(), attempt));
        q.lapse(&job).await;
    }
    assert!(claim(&q.db, KINDS).await.unwrap().is_none(), "never claimed past its last attempt");
    let (status, reason) = q.text_status(&piece).await;
    assert_eq!(status, "failed");
    let reason: crate::extract::Problem = serde_json::from_str(&reason.unwrap()).unwrap();
    assert!(reason.detail_fr.contains("interrompu à chacun des 5 essais"), "{}", reason.detail_fr);
    let job: String =
        sqlx::query_scalar("select id from jobs where document_id = $1").bind(&piece).fetch_one(&q.db).await.unwrap();
    assert_eq!(q.job_row(&job).await.0, "failed");
    assert!(claim(&q.db, KINDS).await.unwrap().is_none(), "and never after");
}

#[tokio::test]
async fn a_worker_whose_job_was_taken_again_can_neither_renew_nor_finish_nor_fail_it() {
    let q = queue().await;
    let piece = q.piece("a").await;
    let stale = claim(&q.db, KINDS).await.unwrap().unwrap();
    q.lapse(&stale).await;
    let owner = claim(&q.db, KINDS).await.unwrap().expect("the lapsed job is taken again");
    assert_eq!(owner.id, stale.id);
    assert_ne!(owner.token, stale.token, "each claim has its own token");
    let before = q.job_row(&owner.id).await;

    assert!(!renew(&q.db, &stale).await.unwrap(), "the stale worker cannot renew");
    let mut tx = q.db.begin().await.unwrap();
    sqlx::query("update documents set text_status = 'done' where id = $1")
        .bind(&piece)
        .execute(&mut *tx)
        .await
        .unwrap();
    let error = finish(&mut tx, &stale).await.expect_err("the stale worker cannot finish");
    assert!(error.downcast_ref::<Lost>().is_some(), "{error:#}");
    drop(tx);
    assert_eq!(q.text_status(&piece).await.0, "pending", "its result is rolled back");
    assert_eq!(fail(&q.db, KINDS, &stale, "late failure").await.unwrap(), Failed::Lost);
    assert_eq!(q.job_row(&owner.id).await, before, "the new owner's claim is untouched");

    assert!(renew(&q.db, &owner).await.unwrap());
    let mut tx = q.db.begin().await.unwrap();
    finish(&mut tx, &owner).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(q.job_row(&owner.id).await.0, "done");
}

#[tokio::test]
async fn a_flood_from_one_company_does_not_hold_up_another() {
    let q = queue().await;
    for _ in 0..50 {
        q.piece("a").await;
    }
    let from_b = q.piece("b").await;
    let first = claim(&q.db, KINDS).await.unwrap().unwrap();
    let second = claim(&q.db, KINDS).await.unwrap().unwrap();
    assert!([&first.document_id, &second.document_id].contains(&&from_b), "B waits behind A's flood");
    // Then A's jobs go on, oldest first.
    let third = claim(&q.db, KINDS).await.unwrap().unwrap();
    assert_ne!(third.document_id, from_b);
}

/// One worker (the default on two cores): it finishes each job before claiming the next.
#[tokio::test]
async fn with_one_worker_the_companies_take_turns() {
    let q = queue().await;
    for _ in 0..50 {
        q.piece("a").await;
    }
    let from_b = q.piece("b").await;
    let mut order = Vec::new();
    for _ in 0..4 {
        let job = claim(&q.db, KINDS).await.unwrap().unwrap();
        let mut tx = q.db.begin().await.unwrap();
        finish(&mut tx, &job).await.unwrap();
        tx.commit().await.unwrap();
        order.push(job.document_id == from_b);
    }
    assert!(order[..2].contains(&true), "B waits behind A's flood: {order:?}");
    assert_eq!(order.iter().filter(|b| **b).count(), 1);
}

#[tokio::test]
async fn jobs_queued_before_the_migration_get_their_company() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("pieces.db").display());
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&url).await.unwrap();
    let mut before = sqlx::migrate!("./migrations");
    let earlier: Vec<_> = before.migrations.iter().filter(|m| m.version < 6).cloned().collect();
    before.migrations = earlier.into();
    before.run(&db).await.unwrap();
    for statement in [
        "insert into users (id, login, display_name, role, created_at) values ('u', 'u', 'U', 'employer', 't')",
        "insert into companies (id, adherent_number, name, created_at) values ('b', 'b', 'b', 't')",
        "insert into dossiers (id, number, company_id, state, created_by, created_at, updated_at) \
         values ('d', 'd', 'b', 'draft', 'u', 't', 't')",
        "insert into documents (id, dossier_id, title, original_name, mime_type, size, sha256, uploaded_by, \
         uploaded_at) values ('p', 'd', 'p', 'p.pdf', 'application/pdf', 1, 's', 'u', 't')",
        "insert into jobs (id, kind, document_id, run_after, created_at, updated_at) \
         values ('j', 'understand', 'p', 't', 't', 't')",
    ] {
        sqlx::query(statement).execute(&db).await.unwrap();
    }
    sqlx::migrate!("./migrations").run(&db).await.unwrap();
    let company: Option<String> =
        sqlx::query_scalar("select company_id from jobs where id = 'j'").fetch_one(&db).await.unwrap();
    assert_eq!(company.as_deref(), Some("b"));
}
