//! The object store's guarantees: verified reads, nothing recorded when it is down, large
//! blobs, readiness.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn a_corrupted_blob_is_never_served_whole() {
    let app = spawn_app().await;
    // Small: checked before the answer starts, so the caller gets a clean 500.
    let small = pdf("intact");
    let piece: Value = app.upload(app.employer_a(), DRAFT_A, "small.pdf", small.clone()).await.json().await.unwrap();
    let mut damaged = small.clone();
    damaged[12] ^= 0x20;
    app.corrupt_blob(piece["sha256"].as_str().unwrap(), damaged).await;
    let download =
        app.get(app.employer_a(), &format!("/api/v1/documents/{}/content", piece["id"].as_str().unwrap())).await;
    assert_problem(download, StatusCode::INTERNAL_SERVER_ERROR, "internal").await;

    // Large: the answer has started; it is cut before its last bytes.
    let mut large = pdf("large and intact");
    large.extend((0..600_000u32).map(|i| (i % 251) as u8));
    let piece: Value = app.upload(app.employer_a(), DRAFT_A, "large.pdf", large.clone()).await.json().await.unwrap();
    let last = large.len() - 1;
    large[last] ^= 0x01;
    app.corrupt_blob(piece["sha256"].as_str().unwrap(), large).await;
    let url = app.url(&format!("/api/v1/documents/{}/content", piece["id"].as_str().unwrap()));
    let download = app.http.get(url).bearer_auth(app.employer_a()).send().await.unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    match download.bytes().await {
        Ok(body) => panic!("a corrupt blob was served whole ({} bytes)", body.len()),
        Err(error) => assert!(error.is_body() || error.is_decode(), "{error}"),
    }
}

#[tokio::test]
async fn uploading_the_same_bytes_again_repairs_a_damaged_blob() {
    let app = spawn_app().await;
    let bytes = pdf("repair me");
    let piece: Value = app.upload(app.employer_a(), DRAFT_A, "r.pdf", bytes.clone()).await.json().await.unwrap();
    app.corrupt_blob(piece["sha256"].as_str().unwrap(), bytes[..10].to_vec()).await;
    let content = format!("/api/v1/documents/{}/content", piece["id"].as_str().unwrap());
    assert_eq!(app.get(app.employer_a(), &content).await.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let again = app.upload(app.employer_a(), PENDING_A, "r.pdf", bytes.clone()).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    let download = app.get(app.employer_a(), &content).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().to_vec(), bytes);
}

#[tokio::test]
async fn a_large_piece_streams_up_and_down_intact() {
    let app = spawn_with(|config| config.max_upload = 40 * 1024 * 1024).await;
    let mut bytes = pdf("large");
    bytes.extend((0..(20 * 1024 * 1024)).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    let response = app.upload(app.employer_a(), DRAFT_A, "large.pdf", bytes.clone()).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap_or_default());
    let piece: Value = app.documents_of(app.employer_a(), DRAFT_A).await.remove(0);
    assert_eq!(piece["sha256"], sha256_hex(&bytes));
    let download =
        app.get(app.employer_a(), &format!("/api/v1/documents/{}/content", piece["id"].as_str().unwrap())).await;
    let body = download.bytes().await.unwrap();
    assert_eq!(body.len(), bytes.len());
    assert!(body.as_ref() == bytes.as_slice(), "byte for byte");
}

#[tokio::test]
async fn an_unreachable_s3_store_means_503_and_no_document() {
    let app = spawn_with(|config| {
        config.s3_endpoint = Some("http://127.0.0.1:9".into());
        config.s3_credentials = Some(pieces::config::S3Credentials {
            access_key_id: "AKNOBODY".into(),
            secret_access_key: "nobody-secret".to_string().into(),
        });
    })
    .await;
    let response = app.upload(app.employer_a(), DRAFT_A, "a.pdf", pdf("lost?")).await;
    assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable").await;
    assert!(app.documents_of(app.employer_a(), DRAFT_A).await.is_empty(), "no row without its blob");
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json::<Value>().await.unwrap()["storage"], "unavailable");
}

#[tokio::test]
async fn a_broken_local_store_means_503_and_no_document() {
    // Local files whatever the suite's backend (the S3 case is the test above).
    // No workers: no reading stores a thumbnail (re-making the folders) while the store is broken.
    let app = spawn_with(|config| {
        config.s3_endpoint = None;
        config.workers = Some(0);
    })
    .await;
    let blobs = app.dir.path().join("storage/blobs");
    std::fs::remove_dir_all(&blobs).unwrap();
    std::fs::write(&blobs, b"not a folder").unwrap();
    let response = app.upload(app.employer_a(), DRAFT_A, "a.pdf", pdf("disk gone")).await;
    assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable").await;
    assert!(app.documents_of(app.employer_a(), DRAFT_A).await.is_empty());
    assert_eq!(std::fs::read_dir(app.spool_dir()).unwrap().count(), 0, "the spool file is gone too");
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
}
