//! Properties of the S3 path, checked when the suite runs against a real S3 server; the README's
//! test command skips this module on its embedded (SQLite + files) run.

use crate::helpers::*;

#[tokio::test]
async fn the_s3_server_verifies_the_sha256_sent_with_each_put() {
    let app = spawn_app().await;
    if !app.uses_s3() {
        eprintln!("skipped: no S3 server configured (PIECES_TEST_S3_ENDPOINT)");
        return;
    }
    let bytes = pdf("checksummed");
    let file = app.dir.path().join("probe.pdf");
    std::fs::write(&file, &bytes).unwrap();
    let wrong = pieces::domain::Sha256Hex::from_digest(&[7u8; 32]);
    let refused = app.state.storage.put_file(&wrong, &file, bytes.len() as u64).await;
    assert!(refused.is_err(), "a PUT whose checksum does not match its bytes must fail");
    assert!(!app.blob_keys().await.iter().any(|k| k.ends_with(wrong.as_str())));

    let right = pieces::domain::Sha256Hex::parse(&sha256_hex(&bytes)).unwrap();
    app.state.storage.put_file(&right, &file, bytes.len() as u64).await.unwrap();
    app.state.storage.put_file(&right, &file, bytes.len() as u64).await.expect("the same bytes stored again");
    assert_eq!(app.blob_keys().await.iter().filter(|k| k.ends_with(right.as_str())).count(), 1);
}
