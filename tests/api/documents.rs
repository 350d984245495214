//! Uploading pieces and downloading them back; every kind of bad input.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn a_piece_goes_up_and_comes_back_byte_for_byte() {
    let app = spawn_app().await;
    let bytes = sample("upload/programme.pdf");
    let form = Form::new()
        .part("file", Part::bytes(bytes.clone()).file_name("Programme été 2026.pdf"))
        .text("kind", "programme")
        .text("title", "Programme détaillé")
        .text("comment", "Version signée");
    let response = app.upload_form(app.employer_a(), DRAFT_A, form).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["sha256"], sha256_hex(&bytes));
    assert_eq!(document["size"], bytes.len());
    assert_eq!(document["mime_type"], "application/pdf");
    assert_eq!(document["kind"], "programme");
    assert_eq!(document["title"], "Programme détaillé");
    assert_eq!(document["comment"], "Version signée");
    assert_eq!(document["original_name"], "Programme été 2026.pdf");
    assert_eq!(document["dossier"], DRAFT_A);
    assert_eq!(document["uploaded_by"], "employeur.1001");
    assert_eq!(document["duplicate"], false);

    let id = document["id"].as_str().unwrap();
    let listed = app.documents_of(app.assistant(), DRAFT_A).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id);
    let single: Value = app.get(app.employer_a(), &format!("/api/v1/documents/{id}")).await.json().await.unwrap();
    assert_eq!(single["sha256"], document["sha256"]);

    let download = app.get(app.employer_a(), &format!("/api/v1/documents/{id}/content")).await;
    assert_eq!(download.status(), StatusCode::OK);
    let headers = download.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["content-length"], bytes.len().to_string().as_str());
    assert_eq!(headers["etag"], format!("\"{}\"", sha256_hex(&bytes)).as_str());
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"Programme _t_ 2026.pdf\"; filename*=UTF-8''Programme%20%C3%A9t%C3%A9%202026.pdf"
    );
    assert_eq!(download.bytes().await.unwrap().to_vec(), bytes);

    let cached = app
        .http
        .get(app.url(&format!("/api/v1/documents/{id}/content")))
        .bearer_auth(app.employer_a())
        .header("if-none-match", format!("\"{}\"", sha256_hex(&bytes)))
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    assert!(app.blob_keys().await.contains(&format!(
        "sha256/{}/{}/{}",
        &sha256_hex(&bytes)[..2],
        &sha256_hex(&bytes)[2..4],
        sha256_hex(&bytes)
    )));
}

#[tokio::test]
async fn scans_in_jpeg_png_and_tiff_are_accepted_by_their_content() {
    let app = spawn_app().await;
    for (file, mime) in [
        ("emargement-scan.jpg", "image/jpeg"),
        ("emargement-scan.png", "image/png"),
        ("emargement-scan.tif", "image/tiff"),
    ] {
        let response = app.upload(app.employer_a(), DRAFT_A, "scan.pdf", sample(&format!("upload/{file}"))).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{file}");
        let document: Value = response.json().await.unwrap();
        assert_eq!(document["mime_type"], mime, "the bytes decide, not the name");
    }
}

#[tokio::test]
async fn the_same_bytes_twice_give_back_the_first_document() {
    let app = spawn_app().await;
    let bytes = pdf("retry me");
    let first = app.upload(app.employer_a(), DRAFT_A, "a.pdf", bytes.clone()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let retry = app.upload(app.employer_a(), DRAFT_A, "b.pdf", bytes.clone()).await;
    assert_eq!(retry.status(), StatusCode::OK);
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry["duplicate"], true);
    assert_eq!(retry["id"], first["id"]);
    assert_eq!(retry["original_name"], "a.pdf");
    assert_eq!(app.documents_of(app.employer_a(), DRAFT_A).await.len(), 1);

    // The same bytes in another dossier are another piece, stored once.
    let elsewhere = app.upload(app.employer_a(), PENDING_A, "a.pdf", bytes.clone()).await;
    assert_eq!(elsewhere.status(), StatusCode::CREATED);
    let sha = sha256_hex(&bytes);
    assert_eq!(app.blob_keys().await.iter().filter(|k| k.ends_with(&sha)).count(), 1);
}

#[tokio::test]
async fn concurrent_uploads_of_the_same_bytes_make_one_document() {
    let app = spawn_app().await;
    let bytes = pdf("raced");
    let names: Vec<String> = (0..6).map(|i| format!("copy-{i}.pdf")).collect();
    let uploads = names.iter().map(|name| app.upload(app.employer_a(), DRAFT_A, name, bytes.clone()));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(uploads).await.iter().map(|r| r.status()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 5, "{statuses:?}");
    assert_eq!(app.documents_of(app.employer_a(), DRAFT_A).await.len(), 1);
}

#[tokio::test]
async fn files_that_are_not_pdf_or_images_are_refused_whatever_their_name() {
    let app = spawn_app().await;
    app.all_read().await; // (the demo piece's thumbnail is stored once it is read)
    let blobs_before = app.blob_keys().await;
    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0".repeat(10);
    let cases: [(&str, Vec<u8>); 5] = [
        ("facture.pdf", elf),
        ("notes.pdf", b"Bonjour, voici la facture.\n".to_vec()),
        ("page.pdf", b"<!DOCTYPE html><html><body>facture</body></html>".to_vec()),
        ("archive.pdf", b"PK\x03\x04\x14\0\0\0\x08\0".repeat(4)),
        ("disguised.pdf", b"MZ\x90\0\x03\0\0\0%PDF-1.4 not really".to_vec()),
    ];
    for (name, bytes) in cases {
        let response = app.upload(app.employer_a(), DRAFT_A, name, bytes).await;
        assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    }
    assert!(app.documents_of(app.employer_a(), DRAFT_A).await.is_empty());
    assert_eq!(app.blob_keys().await, blobs_before, "nothing stored but the demo piece and its thumbnail");
}

#[tokio::test]
async fn an_oversize_file_is_refused_and_nothing_of_it_is_kept() {
    let app = spawn_app().await;
    app.all_read().await;
    let blobs_before = app.blob_keys().await;
    let mut bytes = pdf("too big");
    bytes.resize(1024 * 1024 + 1, b' ');
    let response = app.upload(app.employer_a(), DRAFT_A, "big.pdf", bytes).await;
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "file_too_large").await;
    assert_eq!(app.blob_keys().await, blobs_before, "no partial blob");
    assert_eq!(std::fs::read_dir(app.spool_dir()).unwrap().count(), 0, "no spool file left");
    assert!(app.documents_of(app.employer_a(), DRAFT_A).await.is_empty());

    let mut exact = pdf("just fits");
    exact.resize(1024 * 1024, b' ');
    assert_eq!(app.upload(app.employer_a(), DRAFT_A, "fits.pdf", exact).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_huge_declared_length_is_refused_before_reading() {
    let app = spawn_app().await;
    // Only the head is sent: the server must answer from the declared length alone.
    let answer = app.raw_upload(&format!("Content-Length: {}", 8u64 << 30), Vec::new()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("request_too_large"), "{answer}");
    assert!(app.documents_of(app.employer_a(), DRAFT_A).await.is_empty());
}

#[tokio::test]
async fn empty_missing_and_malformed_uploads_are_bad_requests() {
    let app = spawn_app().await;
    let empty = app.upload(app.employer_a(), DRAFT_A, "empty.pdf", Vec::new()).await;
    assert_problem(empty, StatusCode::BAD_REQUEST, "empty_file").await;

    let no_file = app.upload_form(app.employer_a(), DRAFT_A, Form::new().text("title", "sans fichier")).await;
    assert_problem(no_file, StatusCode::BAD_REQUEST, "file_missing").await;

    let path = app.url(&format!("/api/v1/dossiers/{DRAFT_A}/documents"));
    let garbage = app
        .http
        .post(&path)
        .bearer_auth(app.employer_a())
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body("--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4 truncated")
        .send()
        .await
        .unwrap();
    assert_problem(garbage, StatusCode::BAD_REQUEST, "malformed_multipart").await;

    let not_multipart = app
        .http
        .post(&path)
        .bearer_auth(app.employer_a())
        .json(&serde_json::json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(not_multipart, StatusCode::BAD_REQUEST, "multipart_expected").await;

    let bad_kind = Form::new().part("file", Part::bytes(pdf("k")).file_name("k.pdf")).text("kind", "facture");
    assert_invalid(app.upload_form(app.employer_a(), DRAFT_A, bad_kind).await, "kind").await;

    // Several files with a description after the last one: which file it meant is unknown, so
    // nothing is stored.
    let trailing = Form::new()
        .part("file", Part::bytes(pdf("un")).file_name("un.pdf"))
        .part("file", Part::bytes(pdf("deux")).file_name("deux.pdf"))
        .text("kind", "devis");
    let trailing = app.upload_form(app.employer_a(), DRAFT_A, trailing).await;
    assert_problem(trailing, StatusCode::BAD_REQUEST, "part_after_last_file").await;
    let too_many = (0..=20).fold(Form::new(), |form, i| {
        form.part("file", Part::bytes(pdf(&format!("n{i}"))).file_name(format!("{i}.pdf")))
    });
    let too_many = app.upload_form(app.employer_a(), DRAFT_A, too_many).await;
    assert_problem(too_many, StatusCode::BAD_REQUEST, "too_many_files").await;
    assert!(app.documents_of(app.employer_a(), DRAFT_A).await.is_empty());
    let spooled = std::fs::read_dir(app.spool_dir()).map(|d| d.count()).unwrap_or(0);
    assert_eq!(spooled, 0, "no spool file is left behind");
}

#[tokio::test]
async fn several_files_in_one_request_each_get_their_own_result() {
    let app = spawn_app().await;
    let first = app.upload(app.employer_a(), DRAFT_A, "deja.pdf", pdf("déjà là")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    // Each file described by the parts before it; one empty, one not a piece, one already here.
    let form = Form::new()
        .text("kind", "programme")
        .text("title", "Programme détaillé")
        .part("file", Part::bytes(pdf("programme")).file_name("prog.pdf"))
        .part("file", Part::bytes(Vec::new()).file_name("vide.pdf"))
        .text("comment", "signé par les deux parties")
        .part("file", Part::bytes(pdf("devis")).file_name("devis.pdf"))
        .part("file", Part::bytes(b"MZ\x90\x00 not a piece".to_vec()).file_name("outil.exe"))
        .part("file", Part::bytes(pdf("déjà là")).file_name("encore.pdf"));
    let answer = app.upload_form(app.employer_a(), DRAFT_A, form).await;
    assert_eq!(answer.status(), StatusCode::MULTI_STATUS);
    let body: serde_json::Value = answer.json().await.unwrap();
    let results = body["results"].as_array().unwrap();
    let summary: Vec<(u64, &str)> =
        results.iter().map(|r| (r["status"].as_u64().unwrap(), r["file_name"].as_str().unwrap())).collect();
    assert_eq!(
        summary,
        [(201, "prog.pdf"), (400, "vide.pdf"), (201, "devis.pdf"), (415, "outil.exe"), (200, "encore.pdf")]
    );
    assert_eq!(results[0]["document"]["kind"], "programme");
    assert_eq!(results[0]["document"]["title"], "Programme détaillé");
    assert_eq!(results[1]["problem"]["code"], "empty_file");
    assert_eq!(results[2]["document"]["title"], "devis.pdf", "a description is the next file's only");
    assert_eq!(results[2]["document"]["comment"], "signé par les deux parties");
    assert!(results[2]["document"]["kind"].is_null());
    assert_eq!(results[3]["problem"]["code"], "unsupported_media_type");
    assert_eq!(results[4]["document"]["id"], first.json::<serde_json::Value>().await.unwrap()["id"]);
    let stored = app.documents_of(app.employer_a(), DRAFT_A).await;
    assert_eq!(stored.len(), 3, "déjà, programme, devis: {stored:?}");
    let spooled = std::fs::read_dir(app.spool_dir()).map(|d| d.count()).unwrap_or(0);
    assert_eq!(spooled, 0, "no spool file is left behind");
}

#[tokio::test]
async fn uploads_respect_the_perimetre_and_closed_dossiers() {
    let app = spawn_app().await;
    let unknown = app.upload(app.employer_a(), "19.A.99999.1", "a.pdf", pdf("unknown")).await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "dossier_not_found").await;
    let foreign = app.upload(app.employer_a(), PILOTER_B, "a.pdf", pdf("foreign")).await;
    assert_problem(foreign, StatusCode::NOT_FOUND, "dossier_not_found").await;
    let closed = app.upload(app.employer_a(), CLOSED_A, "a.pdf", pdf("late")).await;
    assert_problem(closed, StatusCode::CONFLICT, "dossier_closed").await;
    assert!(app.documents_of(app.employer_a(), CLOSED_A).await.is_empty());
    let by_assistant = app.upload(app.assistant(), CLOSED_A, "a.pdf", pdf("staff")).await;
    assert_eq!(by_assistant.status(), StatusCode::CREATED, "OPCO staff may still file a piece");

    let piece: Value = app.upload(app.employer_a(), DRAFT_A, "mine.pdf", pdf("mine")).await.json().await.unwrap();
    let id = piece["id"].as_str().unwrap();
    for path in [format!("/api/v1/documents/{id}"), format!("/api/v1/documents/{id}/content")] {
        assert_problem(app.get(app.employer_b(), &path).await, StatusCode::NOT_FOUND, "document_not_found").await;
        assert_eq!(app.get(app.assistant(), &path).await.status(), StatusCode::OK);
    }
    assert_problem(
        app.get(app.employer_a(), "/api/v1/documents/not-an-id").await,
        StatusCode::NOT_FOUND,
        "document_not_found",
    )
    .await;
}

#[tokio::test]
async fn hostile_file_names_are_kept_as_data_and_returned_safely() {
    let app = spawn_app().await;
    let long = format!("{}.pdf", "é".repeat(496));
    for (i, name) in ["../../../../etc/passwd", "..%2F..%2Fboot.ini.pdf", "facture\tX-Injected: 1.pdf", long.as_str()]
        .into_iter()
        .enumerate()
    {
        let response = app.upload(app.employer_a(), DRAFT_A, name, pdf(&format!("hostile {i}"))).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{name:?}");
        let document: Value = response.json().await.unwrap();
        // Kept as sent, but for what the rule of typed texts refuses in a line (here a tab).
        assert_eq!(document["original_name"], name.replace('\t', "_"), "kept as sent");
        let download =
            app.get(app.employer_a(), &format!("/api/v1/documents/{}/content", document["id"].as_str().unwrap())).await;
        assert_eq!(download.status(), StatusCode::OK);
        assert!(download.headers().get("x-injected").is_none());
        let disposition = download.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(
            !disposition.contains('/') && !disposition.contains('\\') && !disposition.contains('\n'),
            "{disposition}"
        );
        assert!(disposition.starts_with("attachment; filename=\""));
        if i == 0 {
            assert!(disposition.contains("passwd.pdf\""), "saved with the extension of its real type: {disposition}");
        }
    }
    // A raw CR LF cannot travel inside a part header: that multipart is malformed, and refused.
    let broken = app.upload(app.employer_a(), DRAFT_A, "facture\r\nX-Injected: 1.pdf", pdf("crlf")).await;
    assert_problem(broken, StatusCode::BAD_REQUEST, "malformed_multipart").await;
    assert!(app.blob_keys().await.iter().all(|k| k.starts_with("sha256/")));
}

#[tokio::test]
async fn uploads_are_recorded_in_the_dossier_history() {
    let app = spawn_app().await;
    let piece: Value = app.upload(app.employer_a(), DRAFT_A, "h.pdf", pdf("history")).await.json().await.unwrap();
    let history: Vec<Value> =
        app.get(app.assistant(), &format!("/api/v1/dossiers/{DRAFT_A}/history")).await.json().await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last["action"], "document_added");
    assert_eq!(last["actor"], "employeur.1001");
    assert_eq!(last["detail"]["document"], piece["id"]);
}

#[tokio::test]
async fn oversized_text_parts_and_padding_are_refused_without_being_held() {
    let app = spawn_app().await;
    let long_comment =
        Form::new().part("file", Part::bytes(pdf("c")).file_name("c.pdf")).text("comment", "x".repeat(200_000));
    assert_invalid(app.upload_form(app.employer_a(), DRAFT_A, long_comment).await, "comment").await;

    // 4 MiB of an unknown part, sent chunked (no declared length): the form is refused once
    // 1 MiB passed without a next part (`documents::form`), before the upload limit.
    let padding = "p".repeat(4 * 1024 * 1024);
    let form = format!("--X\r\nContent-Disposition: form-data; name=\"padding\"\r\n\r\n{padding}\r\n--X--\r\n");
    let body = format!("{:x}\r\n{form}\r\n0\r\n\r\n", form.len());
    let answer = app.raw_upload("Transfer-Encoding: chunked", body.into_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("malformed_multipart"), "{answer}");
    assert!(app.documents_of(app.employer_a(), DRAFT_A).await.is_empty());
}
