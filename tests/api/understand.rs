//! Reading pieces in the background: text layers, OCR of scans, Factur-X data, classification,
//! hostile PDFs, and jobs that survive a restart.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

async fn upload_and_read(app: &TestApp, name: &str, bytes: Vec<u8>) -> Value {
    let response = app.upload(app.employer_a(), DRAFT_A, name, bytes).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let uploaded: Value = response.json().await.unwrap();
    assert_eq!(uploaded["text_status"], "pending", "the upload answers before the reading: {uploaded}");
    app.understood(app.employer_a(), uploaded["id"].as_str().unwrap()).await
}

#[tokio::test]
async fn a_text_pdf_is_read_page_by_page_and_classified_with_its_reasons() {
    let app = spawn_app().await;
    let document = upload_and_read(&app, "programme.pdf", sample("upload/programme.pdf")).await;
    assert_eq!(document["text_status"], "done", "{document}");
    assert_eq!(document["page_count"], 1);
    assert_eq!(document["pages_without_text"], serde_json::json!([]));
    let classification = &document["classification"];
    assert_eq!(classification["kind"], "programme", "{document}");
    assert!(classification["confidence"].as_f64().unwrap() >= 0.7, "{document}");
    let reasons = classification["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r.as_str().unwrap().contains("programme de formation")), "{reasons:?}");
    assert_eq!(document["kind_mismatch"], false);
}

#[tokio::test]
async fn an_uploader_kind_that_the_classifier_confidently_contradicts_is_flagged() {
    let app = spawn_app().await;
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(sample("upload/programme.pdf")).file_name("facture.pdf"))
        .text("kind", "facture_of");
    let response = app.upload_form(app.employer_a(), DRAFT_A, form).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let document = app.understood(app.employer_a(), &id).await;
    assert_eq!(document["kind"], "facture_of", "the uploader's kind wins");
    assert_eq!(document["classification"]["kind"], "programme");
    assert_eq!(document["kind_mismatch"], true, "{document}");
}

#[tokio::test]
async fn a_factur_x_invoice_gives_its_fields_and_is_an_invoice_for_sure() {
    let app = spawn_app().await;
    let document = upload_and_read(&app, "facture.pdf", sample("facturx/corpus_Facture_FR_BASICWL.pdf")).await;
    assert_eq!(document["text_status"], "done", "{document}");
    let invoice = &document["facturx"];
    assert!(invoice["number"].is_string(), "{document}");
    assert!(invoice["total_ttc"].is_string(), "{document}");
    assert_eq!(invoice["profile"], "basicwl");
    assert_eq!(document["classification"]["kind"], "facture_of");
    assert_eq!(document["classification"]["confidence"], 1.0);
}

#[tokio::test]
async fn scans_are_read_by_ocr_images_and_pdf_pages_without_text() {
    let app = spawn_app().await;
    for name in ["upload/emargement-scan.png", "upload/emargement-scan.pdf"] {
        let document = upload_and_read(&app, "scan", sample(name)).await;
        assert_eq!(document["text_status"], "done", "{name}: {document}");
        assert_eq!(document["pages_without_text"], serde_json::json!([1]), "{name}");
        let id = document["id"].as_str().unwrap();
        let text = page_text(&app, id).await.to_lowercase();
        assert!(text.contains("emargement") && text.contains("fictive"), "{name}: OCR read {text:?}");
        assert_eq!(document["classification"]["kind"], "emargement", "{name}: {document}");
    }
}

async fn page_text(app: &TestApp, id: &str) -> String {
    let rows = sqlx::query_scalar::<_, String>("select text from document_pages where document_id = $1 order by page")
        .bind(id)
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    rows.join("\n")
}

/// Hostile or broken PDFs: each is stored, its reading fails with a reason, the server lives on.
#[tokio::test]
async fn hostile_pdfs_are_kept_with_the_reason_their_text_could_not_be_read() {
    let app = spawn_with(|config| config.max_upload = 16 * 1024 * 1024).await;
    let programme = sample("upload/programme.pdf");
    let nested = format!(
        "%PDF-1.4\n1 0 obj\n{}{}\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        "[".repeat(500_000),
        "]".repeat(500_000)
    );
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("encrypted", encrypted_pdf(), &["encrypted"]),
        ("truncated", programme[..programme.len() / 3].to_vec(), &["unreadable"]),
        ("garbage xref", garbage_xref(&programme), &["unreadable"]),
        ("deeply nested", nested.into_bytes(), &["unreadable", "too_complex"]),
        ("huge stream", deflate_bomb(), &["too_complex", "unreadable"]),
    ];
    for (case, bytes, codes) in cases {
        let document = upload_and_read(&app, &format!("{case}.pdf"), bytes.clone()).await;
        assert_eq!(document["text_status"], "failed", "{case}: {document}");
        let code = document["text_problem"]["code"].as_str().unwrap_or_default();
        assert!(codes.contains(&code), "{case}: {document}");
        assert!(document["text_problem"]["detail_fr"].is_string());
        let id = document["id"].as_str().unwrap();
        let download = app.get(app.employer_a(), &format!("/api/v1/documents/{id}/content")).await;
        assert_eq!(download.status(), StatusCode::OK, "{case}: the piece is kept");
        assert_eq!(download.bytes().await.unwrap().as_ref(), bytes.as_slice(), "{case}");
    }
    let health = app.get(app.employer_a(), "/healthz").await;
    assert_eq!(health.status(), StatusCode::OK, "the server lives on");
}

pub(crate) fn encrypted_pdf() -> Vec<u8> {
    let objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec(),
        b"<< /Filter /Standard /V 2 /R 3 /Length 128 /P -4 /O <00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff> /U <00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff> >>".to_vec(),
    ];
    pdf_of(&objects, "/Encrypt 3 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] ")
}

fn garbage_xref(pdf: &[u8]) -> Vec<u8> {
    let at = pdf.windows(4).position(|w| w == b"xref").expect("an xref table");
    let mut broken = pdf[..at].to_vec();
    broken.extend_from_slice(
        b"xref\n0 7\nthis is not a cross-reference table at all\ntrailer\n<< /Size 7 /Root 99 0 R >>\nstartxref\n",
    );
    broken.extend_from_slice(format!("{at}\n%%EOF\n").as_bytes());
    broken
}

/// A page whose content stream inflates to 3 GiB.
pub(crate) fn deflate_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..3072 {
        encoder.write_all(&zeros).unwrap();
    }
    let stream = encoder.finish().unwrap();
    let objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        [
            format!("<< /Length {} /Filter /FlateDecode >>\nstream\n", stream.len()).into_bytes(),
            stream,
            b"\nendstream".to_vec(),
        ]
        .concat(),
    ];
    pdf_of(&objects, "")
}

/// A job queued by a process that stopped before doing it is done by the next one.
#[tokio::test]
async fn a_queued_reading_survives_a_restart() {
    let first = spawn_with(|config| config.workers = Some(0)).await;
    let response = first.upload(first.employer_a(), DRAFT_A, "programme.pdf", sample("upload/programme.pdf")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let still: Value = first.get(first.employer_a(), &format!("/api/v1/documents/{id}")).await.json().await.unwrap();
    assert_eq!(still["text_status"], "pending", "no worker in the first process");

    let second = first.restart(|_| {}).await;
    let document = second.understood(second.employer_a(), &id).await;
    assert_eq!(document["text_status"], "done");
    assert_eq!(document["classification"]["kind"], "programme");
}

#[tokio::test]
async fn an_assistant_corrects_a_kind_and_the_classifier_learns_it() {
    let app = spawn_app().await;
    // A form of this OPCO's own that no rule knows.
    let form = |reference: &str| {
        text_pdf(&[
            "FICHE NAVETTE ZORGLUB",
            &format!("Liaison tripartite tuteur apprenti, reference {reference}"),
            "Volet carnet navette, grille tripartite, paraphe navette",
            "Retour navette au conseiller zorglub",
        ])
    };
    let first = upload_and_read(&app, "navette.pdf", form("4411")).await;
    assert_eq!(first["classification"]["kind"], "autre", "{first}");
    let id = first["id"].as_str().unwrap();

    let path = format!("/api/v1/documents/{id}");
    let refused = app.patch_json(app.employer_a(), &path, &serde_json::json!({"kind": "attestation"})).await;
    assert_problem(refused, StatusCode::FORBIDDEN, "forbidden").await;
    let foreign = app.patch_json(app.employer_b(), &path, &serde_json::json!({"kind": "attestation"})).await;
    assert_problem(foreign, StatusCode::NOT_FOUND, "document_not_found").await;
    let unknown = app.patch_json(app.assistant(), &path, &serde_json::json!({"kind": "cerfa"})).await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_invalid(
        app.patch_json(app.assistant(), &path, &serde_json::json!({"kind_mismatch": true})).await,
        "kind_mismatch",
    )
    .await;

    let learned_before = app.state.learner.current().documents();
    let corrected = app.patch_json(app.assistant(), &path, &serde_json::json!({"kind": "attestation"})).await;
    assert_eq!(corrected.status(), StatusCode::OK);
    let corrected: Value = corrected.json().await.unwrap();
    assert_eq!(corrected["kind"], "attestation");
    assert_eq!(corrected["kind_mismatch"], false);
    let history: Value =
        app.get(app.assistant(), &format!("/api/v1/dossiers/{DRAFT_A}/history")).await.json().await.unwrap();
    let event =
        history.as_array().unwrap().iter().find(|e| e["action"] == "document_kind_corrected").expect("an event");
    assert_eq!(event["detail"]["to"], "attestation");
    assert_eq!(event["detail"]["detected"], "autre");

    // The model is retrained in the background with the confirmed piece.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.state.learner.current().documents() <= learned_before {
        assert!(std::time::Instant::now() < deadline, "the classifier was not retrained");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let second = upload_and_read(&app, "navette-2.pdf", form("5872")).await;
    let classification = &second["classification"];
    assert_eq!(classification["kind"], "attestation", "learned from the correction: {second}");
    assert!(classification["reasons"][0].as_str().unwrap().contains("zorglub"), "{second}");
}

#[tokio::test]
async fn an_assistant_clears_a_mismatch_and_keeps_the_uploaders_kind() {
    let app = spawn_app().await;
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(sample("upload/programme.pdf")).file_name("p.pdf"))
        .text("kind", "convention");
    let id = app.upload_form(app.employer_a(), DRAFT_A, form).await.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.understood(app.employer_a(), &id).await["kind_mismatch"], true);
    let path = format!("/api/v1/documents/{id}");
    let cleared = app.patch_json(app.assistant(), &path, &serde_json::json!({"kind_mismatch": false})).await;
    assert_eq!(cleared.status(), StatusCode::OK);
    let cleared: Value = cleared.json().await.unwrap();
    assert_eq!(cleared["kind_mismatch"], false);
    assert_eq!(cleared["kind"], "convention");
}

/// The classifier on the held-out corpus (never used to tune it): every text PDF, read in
/// process, and one scan of each kind, read as the service reads it (sandboxed reader, OCR).
#[tokio::test]
async fn the_classifier_meets_its_targets_on_held_out_samples() {
    use pieces::classify::{classify, manifest::read_manifest, Model};
    use pieces::extract::reader::{self, Reader};
    let manifest = format!("{}/samples/corpus/test/manifest.csv", env!("CARGO_MANIFEST_DIR"));
    let samples = read_manifest(std::path::Path::new(&manifest)).unwrap();
    let model = Model::base();

    let texts: Vec<_> = samples.iter().filter(|(p, _)| !p.to_string_lossy().contains("-scan.")).collect();
    let mut right = 0;
    for (path, kind) in &texts {
        let reading = pieces::extract::read_pdf_all(&std::fs::read(path).unwrap());
        let pages = reading.pages;
        if classify(&pages, reading.facturx.as_ref(), Some(&model)).kind == *kind {
            right += 1;
        }
    }
    let accuracy = right as f64 / texts.len() as f64;
    assert!(texts.len() >= 150 && accuracy >= 0.95, "text PDFs: {right}/{} right", texts.len());

    let reader = Reader { exe: env!("CARGO_BIN_EXE_pieces").into(), ocr: true };
    let work = tempfile::tempdir().unwrap();
    let (mut scans, mut right) = (0, 0);
    for kind in pieces::documents::DocKind::ALL {
        let (path, _) = samples.iter().find(|(p, k)| *k == kind && p.to_string_lossy().contains("-scan.")).unwrap();
        let reading = reader::read_file(&reader, path, &work.path().join(kind.code())).await.unwrap();
        scans += 1;
        if classify(&reading.texts(), None, Some(&model)).kind == kind {
            right += 1;
        }
    }
    assert!(right * 10 >= scans * 9, "scans: {right}/{scans} right");
}

#[tokio::test]
async fn without_ocr_scans_are_kept_and_say_why_and_text_pdfs_are_still_read() {
    let app = spawn_with(|config| config.ocr = "off".into()).await;
    let scan = upload_and_read(&app, "scan.png", sample("upload/emargement-scan.png")).await;
    assert_eq!(scan["text_status"], "failed", "{scan}");
    assert_eq!(scan["text_problem"]["code"], "ocr_off");
    let text = upload_and_read(&app, "programme.pdf", sample("upload/programme.pdf")).await;
    assert_eq!(text["text_status"], "done");
    assert_eq!(text["classification"]["kind"], "programme");
}

/// A reading that fails (here: the stored blob is damaged) is retried later, and after the last
/// attempt the piece's text is marked failed with the reason.
#[tokio::test]
async fn a_failing_reading_is_retried_with_backoff_then_given_up_with_the_reason() {
    let first = spawn_with(|config| config.workers = Some(0)).await;
    let bytes = sample("upload/programme.pdf");
    let response = first.upload(first.employer_a(), DRAFT_A, "programme.pdf", bytes.clone()).await;
    let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    first.corrupt_blob(&sha256_hex(&bytes), b"%PDF-1.4 damaged".to_vec()).await;
    let app = first.restart(|_| {}).await;

    let job = |app: &TestApp, id: String| {
        let db = app.state.db.clone();
        async move {
            sqlx::query_as::<_, (String, i64, Option<String>, String)>(
                "select state, attempts, last_error, run_after from jobs where document_id = $1",
            )
            .bind(id)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let (state, attempts, error, run_after) = loop {
        let row = job(&app, id.clone()).await;
        if row.2.is_some() {
            break row;
        }
        assert!(std::time::Instant::now() < deadline, "the first attempt did not fail: {row:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!((state.as_str(), attempts), ("queued", 1), "queued again after one attempt");
    assert!(error.unwrap().contains("blob"), "the error is kept");
    assert!(run_after > pieces::db::now(), "retried later, not at once");
    let document: Value = app.get(app.employer_a(), &format!("/api/v1/documents/{id}")).await.json().await.unwrap();
    assert_eq!(document["text_status"], "pending", "still to be read");

    // The last attempt is due now.
    sqlx::query("update jobs set attempts = $2, run_after = $3 where document_id = $1")
        .bind(&id)
        .bind(pieces::jobs::MAX_ATTEMPTS - 1)
        .bind(pieces::db::now())
        .execute(&app.state.db)
        .await
        .unwrap();
    app.state.jobs_wake.notify_one();
    let document = app.understood(app.employer_a(), &id).await;
    assert_eq!(document["text_status"], "failed", "{document}");
    assert_eq!(document["text_problem"]["code"], "failed");
    assert_eq!(job(&app, id.clone()).await.0, "failed");
}

/// Past the page cap (500), the first pages are read and the piece says the rest was not.
#[tokio::test]
async fn a_pdf_past_the_page_cap_is_read_in_part_and_says_so() {
    let app = spawn_app().await;
    let content =
        "BT /F1 11 Tf 50 800 Td (Programme de formation, objectifs pedagogiques, public vise, prerequis) Tj ET";
    let pages = 501;
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            (0..pages).map(|i| format!("{} 0 R", 5 + i)).collect::<Vec<_>>().join(" ")
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
    ];
    for _ in 0..pages {
        objects.push("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>".to_string());
    }
    let objects: Vec<Vec<u8>> = objects.into_iter().map(String::into_bytes).collect();
    let pdf = pdf_of(&objects, "");

    let document = upload_and_read(&app, "long.pdf", pdf).await;
    assert_eq!(document["text_status"], "done", "{document}");
    assert_eq!(document["page_count"], 501);
    assert_eq!(document["text_problem"]["code"], "page_cap");
    assert_eq!(document["classification"]["kind"], "programme");
}

/// A reader that cannot start is the machine's trouble, not the piece's: the reading fails, its
/// job is tried again later, and the piece stays pending instead of being marked unreadable.
#[tokio::test]
async fn a_reader_that_cannot_start_is_retried_not_blamed_on_the_piece() {
    let app = spawn_with(|config| config.helper_exe = Some("/nonexistent/pieces".into())).await;
    let response = app.upload(app.employer_a(), DRAFT_A, "programme.pdf", sample("upload/programme.pdf")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let (state, attempts, error) = loop {
        let job: Option<(String, i64, Option<String>)> = sqlx::query_as(
            "select state, cast(attempts as bigint), last_error from jobs where document_id = $1 and attempts > 0",
        )
        .bind(&id)
        .fetch_optional(&app.state.db)
        .await
        .unwrap();
        match job {
            Some((state, attempts, error)) if state == "queued" => break (state, attempts, error),
            _ => assert!(std::time::Instant::now() < deadline, "no failed attempt: {job:?}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!((state.as_str(), attempts), ("queued", 1), "queued again after one attempt");
    let error = error.unwrap_or_default();
    assert!(error.contains("cannot start the PDF reader"), "{error}");
    let document: Value = app.get(app.employer_a(), &format!("/api/v1/documents/{id}")).await.json().await.unwrap();
    assert_eq!(document["text_status"], "pending", "{document}");
    assert!(document["text_problem"].is_null(), "{document}");
}
