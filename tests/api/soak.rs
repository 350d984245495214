//! The `kill -9` soak: uploads (read, classified and indexed in the background) and invoices
//! under concurrent clients, while the real `pieces serve` is killed at random points several
//! times and started again on the same data. Afterwards: every upload answered 2xx is kept byte
//! for byte, every reading job is done once, no orphan blob is left after `pieces gc`, every
//! stored blob is sound (`pieces verify`), and the invoice numbers have no gap or duplicate.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Row;

use crate::child::ChildServer;
use crate::helpers::{sha256_hex, text_pdf, DRAFT_A, DRAFT_B};

const KILLS: usize = 5;

/// What the clients were told: the pieces answered 2xx (id, bytes), the invoice numbers.
#[derive(Default)]
struct Told {
    pieces: Vec<(String, Vec<u8>)>,
    invoices: Vec<String>,
    refused: usize,
}

/// Uploads distinct pieces to `dossier` until `stop`, retrying through the server's deaths.
async fn upload_loop(
    base: String,
    token: String,
    dossier: &str,
    client: usize,
    told: Arc<Mutex<Told>>,
    stop: Arc<AtomicBool>,
) {
    let http = crate::helpers::client();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let bytes = text_pdf(&[&format!("Piece {client}-{n} du soak"), "Convention de formation professionnelle"]);
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(bytes.clone()).file_name(format!("soak-{client}-{n}.pdf")));
        let url = format!("{base}/api/v1/dossiers/{dossier}/documents");
        match http.post(url).bearer_auth(&token).multipart(form).timeout(Duration::from_secs(30)).send().await {
            Ok(response) if response.status().is_success() => {
                let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
                told.lock().unwrap().pieces.push((id, bytes));
            }
            Ok(response) => {
                assert!(!response.status().is_server_error() || response.status() == StatusCode::SERVICE_UNAVAILABLE);
                told.lock().unwrap().refused += 1;
            }
            // The server was killed under the request: it may or may not have kept it.
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Issues invoices on company A's granted dossier until `stop`; a request cut by a kill is sent
/// again with the same Idempotency-Key, as a careful client does.
async fn invoice_loop(base: String, token: String, told: Arc<Mutex<Told>>, stop: Arc<AtomicBool>) {
    let http = crate::helpers::client();
    let url = format!("{base}/api/v1/dossiers/{}/invoices", crate::invoices::GRANTED_A);
    while !stop.load(Ordering::SeqCst) {
        let key = uuid::Uuid::new_v4().to_string();
        loop {
            let sent = http
                .post(&url)
                .bearer_auth(&token)
                .header("Idempotency-Key", &key)
                .json(&crate::invoices::request())
                .timeout(Duration::from_secs(30))
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => {
                    let number = response.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_string();
                    told.lock().unwrap().invoices.push(number);
                    break;
                }
                Ok(response) if response.status() != StatusCode::SERVICE_UNAVAILABLE => {
                    panic!("invoice refused: {} {}", response.status(), response.text().await.unwrap_or_default())
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn kill_9_at_random_points_loses_nothing() {
    let mut server = ChildServer::start().await;
    let told = Arc::new(Mutex::new(Told::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let (a, b) = (server.employer(0), server.employer(1));
    let mut clients = Vec::new();
    for (client, (token, dossier)) in [(&a, DRAFT_A), (&a, DRAFT_A), (&b, DRAFT_B)].into_iter().enumerate() {
        let (base, token, told, stop) = (server.base.clone(), token.clone(), told.clone(), stop.clone());
        clients.push(tokio::spawn(async move { upload_loop(base, token, dossier, client, told, stop).await }));
    }
    clients.push(tokio::spawn(invoice_loop(server.base.clone(), a.clone(), told.clone(), stop.clone())));
    for _ in 0..KILLS {
        let wait = rand::rng().random_range(1500..4000);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.kill();
        server.serve().await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.await.expect("a client failed");
    }
    let told = std::mem::take(&mut *told.lock().unwrap());
    assert!(told.pieces.len() >= 10 && told.invoices.len() >= 3, "too little was done to tell anything");

    // Every piece answered 2xx is read in the end, and comes back byte for byte.
    let mut lost = 0;
    let deadline = Instant::now() + Duration::from_secs(300);
    for (id, bytes) in &told.pieces {
        let token = if server.get_json(&a, &format!("/api/v1/documents/{id}")).await.is_some() { &a } else { &b };
        loop {
            let document = server.get_json(token, &format!("/api/v1/documents/{id}")).await.expect("the piece is kept");
            if document["text_status"] != "pending" {
                assert_eq!(document["text_status"], "done", "{document}");
                break;
            }
            assert!(Instant::now() < deadline, "still pending: {document}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let content = server.http.get(server.url(&format!("/api/v1/documents/{id}/content"))).bearer_auth(token);
        let kept = content.send().await.unwrap().bytes().await.unwrap();
        if kept.as_ref() != bytes.as_slice() || sha256_hex(&kept) != sha256_hex(bytes) {
            lost += 1;
        }
    }
    // Every invoice has its PDF.
    for number in &told.invoices {
        let response = server.http.get(server.url(&format!("/api/v1/invoices/{number}/pdf"))).bearer_auth(&a);
        assert_eq!(response.send().await.unwrap().status(), StatusCode::OK, "{number}");
    }
    // The readings of the invoices' PDFs too: every job is over before the counts.
    let db = server.database().await;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let backlog: i64 = sqlx::query_scalar("select count(*) from jobs where state in ('queued', 'running')")
            .fetch_one(&db)
            .await
            .unwrap();
        if backlog == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{backlog} jobs still to do");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    server.kill();

    let unfinished: i64 =
        sqlx::query_scalar("select count(*) from jobs where state <> 'done'").fetch_one(&db).await.unwrap();
    // One job per piece, and its result recorded once: each piece's pages, once each.
    let doubled: i64 = sqlx::query_scalar(
        "select (select count(*) from (select document_id from jobs group by document_id having count(*) > 1) as j) \
         + (select count(*) from (select document_id, page from document_pages group by document_id, page \
         having count(*) > 1) as p) + (select count(*) from documents d where not exists \
         (select 1 from document_pages p where p.document_id = d.id))",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let numbers: Vec<(String, i64)> =
        sqlx::query("select company_id, sequence from invoices order by company_id, sequence")
            .fetch_all(&db)
            .await
            .unwrap()
            .iter()
            .map(|row| (row.get("company_id"), row.get("sequence")))
            .collect();
    let mut gaps_or_doubles = 0;
    for pair in numbers.windows(2) {
        if pair[0].0 == pair[1].0 && pair[1].1 != pair[0].1 + 1 {
            gaps_or_doubles += 1;
        }
    }
    let first_numbers_ok = numbers.first().is_none_or(|(_, first)| *first == 1);
    let missing =
        told.invoices.iter().filter(|n| !numbers.iter().any(|(_, s)| n.ends_with(&format!("-{s:05}")))).count();

    let gc = server.run(&["gc", "--grace", "0s"]);
    let after_gc = server.run(&["gc", "--grace", "0s", "--dry-run"]);
    let verify = server.command(&["verify"]).output().unwrap();
    eprintln!(
        "soak: {} uploads answered 2xx ({} refused), {KILLS} kills, pieces lost: {lost}, jobs unfinished: \
         {unfinished}, documents read twice: {doubled}, invoices: {} (missing or out of sequence: {}); {}; after: {}",
        told.pieces.len(),
        told.refused,
        told.invoices.len(),
        missing + gaps_or_doubles,
        gc.trim(),
        after_gc.trim()
    );
    assert_eq!(lost, 0, "pieces lost");
    assert_eq!((unfinished, doubled), (0, 0), "every job done, once");
    assert_eq!((missing, gaps_or_doubles, first_numbers_ok), (0, 0, true), "invoice numbers: {numbers:?}");
    assert!(after_gc.contains("blobs orphelins à supprimer : 0 "), "orphans left after gc: {after_gc}");
    assert!(verify.status.success(), "pieces verify: {}", String::from_utf8_lossy(&verify.stdout));
}
