//! Starting a test app on its own data folder, database and S3 key prefix, with the demo data
//! seeded.

use std::path::PathBuf;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use pieces::app::{App, AppState};
use pieces::config::Config;
use pieces::demo::DemoLogin;
use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Connection;

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
    pub state: AppState,
    pub login: DemoLogin,
    s3: Option<aws_sdk_s3::Client>,
}

/// Dossiers of the demo data (see `pieces::demo`).
pub const DRAFT_A: &str = "26.A.90101.1";
pub const PENDING_A: &str = "26.A.90102.1";
pub const CLOSED_A: &str = "24.A.90105.1";
pub const DRAFT_B: &str = "26.A.90201.1";
pub const PILOTER_B: &str = "19.A.21056.1";

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// Starts an app whose configuration `customize` may change (e.g. a smaller upload limit).
pub async fn spawn_with(customize: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::embedded(dir.path());
    config.max_upload = 1024 * 1024;
    config.helper_exe = Some(env!("CARGO_BIN_EXE_pieces").into());
    if let Ok(base) = std::env::var("PIECES_TEST_DATABASE_URL") {
        config.database_url = Some(fresh_postgres_database(&base).await);
    }
    let mut s3 = None;
    if let Ok(endpoint) = std::env::var("PIECES_TEST_S3_ENDPOINT") {
        config.s3_region = std::env::var("PIECES_TEST_S3_REGION").unwrap_or_else(|_| "us-east-1".into());
        // One bucket (the server's `documents`), a key prefix per test: S3 servers such as
        // SeaweedFS give each bucket its own volumes, and run out of them after a few dozen.
        config.s3_bucket = std::env::var("PIECES_TEST_S3_BUCKET").unwrap_or_else(|_| "documents".into());
        config.s3_prefix = format!("test-{}/", uuid::Uuid::new_v4().simple());
        let client = s3_client(&endpoint, &config.s3_region);
        config.s3_endpoint = Some(endpoint);
        s3 = Some(client);
    }
    let seeding = AppState::open(config.clone()).await.expect("the data opens");
    let login = pieces::demo::seed(&seeding).await.expect("demo data");
    seeding.db.close().await;
    drop(seeding);
    customize(&mut config);
    let app = App::build(config, "127.0.0.1:0").await.expect("the app builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    if state.config.worker_count() > 0 {
        // The first start builds the search index from the demo data.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while state.search.is_rebuilding() {
            assert!(std::time::Instant::now() < deadline, "the search index was not built");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    TestApp { base, http: client(), dir, state, login, s3 }
}

/// An HTTP client that, as a reverse proxy in front of the service should, keeps an idle
/// connection for less time than the server does (`serve::Timeouts::headers`, 15 s): else a
/// request may go out on a connection the server is closing at that instant.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_idle_timeout(std::time::Duration::from_secs(5)).build().expect("a client")
}

pub async fn fresh_postgres_database(base: &str) -> String {
    sqlx::any::install_default_drivers();
    let name = format!("pieces_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::AnyConnection::connect(base).await.expect("PostgreSQL answers");
    sqlx::query(&format!("create database {name}")).execute(&mut admin).await.expect("create database");
    let (prefix, _) = base.rsplit_once('/').expect("a database URL ends with /name");
    format!("{prefix}/{name}")
}

fn s3_client(endpoint: &str, region: &str) -> aws_sdk_s3::Client {
    let key = std::env::var("AWS_ACCESS_KEY_ID").expect("AWS_ACCESS_KEY_ID for S3 tests");
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").expect("AWS_SECRET_ACCESS_KEY for S3 tests");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(key, secret, None, None, "tests"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

impl TestApp {
    pub fn employer_a(&self) -> &str {
        &self.login.employers[0].token
    }

    pub fn employer_b(&self) -> &str {
        &self.login.employers[1].token
    }

    pub fn assistant(&self) -> &str {
        &self.login.assistant_token
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.http.get(self.url(path)).bearer_auth(token).send().await.expect("request")
    }

    pub async fn post_json(&self, token: &str, path: &str, body: &Value) -> Response {
        self.http.post(self.url(path)).bearer_auth(token).json(body).send().await.expect("request")
    }

    pub async fn patch_json(&self, token: &str, path: &str, body: &Value) -> Response {
        self.http.patch(self.url(path)).bearer_auth(token).json(body).send().await.expect("request")
    }

    /// Uploads `bytes` as the `file` part named `name` to dossier `number`.
    pub async fn upload(&self, token: &str, number: &str, name: &str, bytes: Vec<u8>) -> Response {
        self.upload_form(token, number, Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()))).await
    }

    pub async fn upload_form(&self, token: &str, number: &str, form: Form) -> Response {
        self.http
            .post(self.url(&format!("/api/v1/dossiers/{number}/documents")))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("request")
    }

    pub async fn documents_of(&self, token: &str, number: &str) -> Vec<Value> {
        let response = self.get(token, &format!("/api/v1/dossiers/{number}/documents")).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Vec<Value>>().await.expect("json")
    }

    /// Every blob key in the object store (files under storage/blobs, or the bucket's keys).
    pub async fn blob_keys(&self) -> Vec<String> {
        match &self.s3 {
            Some(client) => {
                let prefix = &self.state.config.s3_prefix;
                let listed = client
                    .list_objects_v2()
                    .bucket(&self.state.config.s3_bucket)
                    .prefix(prefix)
                    .send()
                    .await
                    .expect("list");
                listed
                    .contents()
                    .iter()
                    .filter_map(|o| o.key()?.strip_prefix(prefix.as_str()).map(str::to_string))
                    .collect()
            }
            None => {
                let root = self.dir.path().join("storage/blobs");
                let mut keys = Vec::new();
                let mut stack = vec![root.clone()];
                while let Some(dir) = stack.pop() {
                    let Ok(entries) = std::fs::read_dir(&dir) else { continue };
                    for entry in entries.flatten() {
                        let path = entry.path();
                        if path.is_dir() {
                            stack.push(path);
                        } else {
                            keys.push(path.strip_prefix(&root).unwrap().to_string_lossy().into_owned());
                        }
                    }
                }
                keys
            }
        }
    }

    /// Replaces the stored bytes of blob `sha256` with `bytes`, as a failing disk would.
    pub async fn corrupt_blob(&self, sha256: &str, bytes: Vec<u8>) {
        let key = format!("sha256/{}/{}/{sha256}", &sha256[..2], &sha256[2..4]);
        match &self.s3 {
            Some(client) => {
                client
                    .put_object()
                    .bucket(&self.state.config.s3_bucket)
                    .key(format!("{}{key}", self.state.config.s3_prefix))
                    .body(bytes.into())
                    .send()
                    .await
                    .expect("put");
            }
            None => std::fs::write(self.dir.path().join("storage/blobs").join(key), bytes).expect("overwrite"),
        }
    }

    /// Sends an upload request by hand on a raw socket — `framing` is the header that frames the
    /// body (`Content-Length: …` or `Transfer-Encoding: chunked`) — while reading the answer, which
    /// may come before the body is all sent. Returns the answer's first bytes.
    pub async fn raw_upload(&self, framing: &str, body: Vec<u8>) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let head = format!(
            "POST /api/v1/dossiers/{DRAFT_A}/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: multipart/form-data; boundary=X\r\n{framing}\r\n\r\n",
            self.employer_a()
        );
        let socket = tokio::net::TcpStream::connect(self.base.trim_start_matches("http://")).await.unwrap();
        let (mut reader, mut writer) = socket.into_split();
        tokio::spawn(async move {
            let _ = writer.write_all(head.as_bytes()).await;
            let _ = writer.write_all(&body).await;
        });
        let mut answer = vec![0u8; 4096];
        let wait = std::time::Duration::from_secs(10);
        let read = tokio::time::timeout(wait, reader.read(&mut answer)).await.expect("an answer").expect("read");
        String::from_utf8_lossy(&answer[..read]).into_owned()
    }

    pub fn uses_s3(&self) -> bool {
        self.s3.is_some()
    }

    pub fn spool_dir(&self) -> PathBuf {
        self.dir.path().join("storage/tmp")
    }
}

/// A small, distinct PDF-looking file.
pub fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {text}\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n").into_bytes()
}

pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))).expect("sample file")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Asserts a problem+json answer with `status` and `code`; returns the body.
pub async fn assert_problem(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(body["detail_fr"].as_str().is_some_and(|d| !d.is_empty()));
    body
}

/// Asserts a 422 `validation_failed` that names `field`.
pub async fn assert_invalid(response: Response, field: &str) {
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["field"], field, "{problem}");
}

impl TestApp {
    /// A second server on the same data (folder, database, S3 prefix), as after a restart; the
    /// first one keeps running. `customize` starts from the first one's configuration.
    pub async fn restart(self, customize: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = (*self.state.config).clone();
        config.workers = None;
        customize(&mut config);
        let app = App::build(config, "127.0.0.1:0").await.expect("the app builds again");
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        TestApp { base, state, ..self }
    }

    /// Waits until no piece is still to be read (the demo's seed piece included).
    pub async fn all_read(&self) {
        let db = &self.state.db;
        eventually(std::time::Duration::from_secs(120), || async move {
            let pending: i64 = sqlx::query_scalar("select count(*) from documents where text_status = 'pending'")
                .fetch_one(db)
                .await
                .unwrap();
            if pending == 0 {
                Ok(())
            } else {
                Err(format!("{pending} piece(s) still pending"))
            }
        })
        .await
    }

    /// The document once its background reading is over (`text_status` no longer `pending`).
    pub async fn understood(&self, token: &str, id: &str) -> Value {
        eventually(std::time::Duration::from_secs(120), || async move {
            let response = self.get(token, &format!("/api/v1/documents/{id}")).await;
            assert_eq!(response.status(), StatusCode::OK);
            let document: Value = response.json().await.unwrap();
            match document["text_status"] != "pending" {
                true => Ok(document),
                false => Err(format!("still pending: {document}")),
            }
        })
        .await
    }
}

/// Polls `check` every 100 ms until it answers `Ok`, for `within` at most; then fails with what
/// its last `Err` said.
pub async fn eventually<T, F, Fut>(within: std::time::Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = std::time::Instant::now() + within;
    loop {
        match check().await {
            Ok(value) => return value,
            Err(state) => assert!(std::time::Instant::now() < deadline, "after {within:?}: {state}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A one-page PDF whose text layer holds `lines` (Helvetica, WinAnsi: accents as Latin-1 bytes).
pub fn text_pdf(lines: &[&str]) -> Vec<u8> {
    let latin1 = |text: &str| -> Vec<u8> { text.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect() };
    let escape = |l: &str| l.replace('\\', "\\\\").replace('(', "\\(").replace(')', "\\)");
    let content: String = std::iter::once("BT /F1 11 Tf 14 TL 50 800 Td".to_string())
        .chain(lines.iter().map(|l| format!("({}) '", escape(l))))
        .chain(std::iter::once("ET".to_string()))
        .collect::<Vec<_>>()
        .join("\n");
    let content = latin1(&content);
    let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    stream.extend_from_slice(&content);
    stream.extend_from_slice(b"\nendstream");
    let objects: [Vec<u8>; 5] = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        stream,
    ];
    pdf_of(&objects, "")
}

/// A PDF of `objects` (numbered from 1, the first being the catalog) with its cross-reference
/// table; `trailer` adds entries to the trailer dictionary.
pub fn pdf_of(objects: &[Vec<u8>], trailer: &str) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    let size = objects.len() + 1;
    pdf.extend_from_slice(
        format!("trailer\n<< /Size {size} /Root 1 0 R {trailer}>>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    pdf
}

/// `text` as a query string's value.
pub fn urlencoding(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}
