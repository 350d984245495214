//! The hostile corpus, run against every route that takes input on the real `pieces serve` (a
//! child process): bombs, nesting, giant images, text amplification, polyglots, control
//! characters, oversized and malformed bodies, paths and query strings. Each request gets a clear
//! 4xx, or is accepted and fails alone later (a piece's reading); the other company's requests are
//! answered meanwhile; and the server's peak resident memory stays under `CEILING_MIB`.

use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::child::{ChildServer, ChildrenWatch};
use crate::helpers::{pdf, DRAFT_A, PENDING_A};

/// The server's resident memory may not pass this, whatever the corpus does.
const CEILING_MIB: u64 = 512;
/// Each sandboxed child's address space is capped at 2 GiB (`pieces::sandbox`, `prlimit --as`).
const CHILD_LIMIT_MIB: u64 = 2048;

/// One hostile request: method, path, and body (JSON text, raw bytes, or a multipart form).
enum Body {
    None,
    Json(String),
    Form(Vec<(&'static str, Vec<u8>, Option<&'static str>)>),
}

async fn send(server: &ChildServer, token: &str, method: Method, path: &str, body: Body) -> StatusCode {
    let request = server.http.request(method, server.url(path)).bearer_auth(token);
    let request = match body {
        Body::None => request,
        Body::Json(text) => request.header("content-type", "application/json").body(text),
        Body::Form(parts) => {
            let mut form = Form::new();
            for (name, bytes, file_name) in parts {
                let part = Part::bytes(bytes);
                form = form.part(name, if let Some(file) = file_name { part.file_name(file) } else { part });
            }
            request.multipart(form)
        }
    };
    match request.timeout(Duration::from_secs(120)).send().await {
        Ok(response) => response.status(),
        // The server may close a connection it refuses (a body over the limit): not a failure,
        // as long as it lives on (checked after each request).
        Err(error) if !error.is_timeout() => StatusCode::BAD_REQUEST,
        Err(error) => panic!("{path}: no answer: {error}"),
    }
}

/// The other company's dossiers are listed, within 5 s.
async fn other_company_is_served(server: &ChildServer) {
    let started = Instant::now();
    let response = server.http.get(server.url("/api/v1/dossiers")).bearer_auth(server.employer(1)).send().await;
    assert_eq!(response.expect("an answer").status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(5), "the other company waited {:?}", started.elapsed());
}

fn file(name: &'static str, bytes: Vec<u8>) -> Body {
    Body::Form(vec![("file", bytes, Some(name))])
}

/// Requests whose input is refused: each must be a 4xx.
fn refused() -> Vec<(Method, String, Body)> {
    let deep_json = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let long = "x".repeat(1_000_000);
    let dossier = format!("/api/v1/dossiers/{DRAFT_A}");
    let mut cases = vec![
        (Method::GET, format!("/api/v1/search?q={}", "(".repeat(5000) + "a" + &")".repeat(5000)), Body::None),
        (Method::GET, format!("/api/v1/search?q={}", "(".repeat(40) + "a"), Body::None),
        (Method::GET, format!("/api/v1/search?q={}", "mot ".repeat(5000)), Body::None),
        (Method::GET, "/api/v1/search?limit=100000000000000000000000".into(), Body::None),
        (Method::GET, "/api/v1/search?from=9999-99-99".into(), Body::None),
        (Method::GET, "/api/v1/dossiers?limit=-1&offset=1e99".into(), Body::None),
        (Method::GET, format!("/api/v1/dossiers/{}", "9".repeat(10_000)), Body::None),
        (Method::GET, "/api/v1/dossiers/..%2F..%2Fetc%2Fpasswd".into(), Body::None),
        (Method::GET, format!("/api/v1/documents/{}/content", "%00".repeat(1000)), Body::None),
        (Method::GET, format!("/api/v1/documents/{}/similar?limit=1000000", "z".repeat(5000)), Body::None),
        (Method::POST, "/api/v1/dossiers".into(), Body::Json(deep_json.clone())),
        (Method::PATCH, dossier.clone(), Body::Json(deep_json.clone())),
        (Method::PATCH, dossier.clone(), Body::Json(json!({"action": {"title": long}}).to_string())),
        (Method::PATCH, dossier.clone(), Body::Json(json!({"action": {"title": "a\u{0}b"}}).to_string())),
        (Method::PATCH, dossier.clone(), Body::Json(json!({"trainees": vec![json!({}); 100_000]}).to_string())),
        (Method::PATCH, dossier.clone(), Body::Json("{\"action\": {\"hours\": 1e999999}}".into())),
        (Method::POST, format!("/api/v1/dossiers/{}/submit", "9.".repeat(5000)), Body::None),
        (
            Method::POST,
            format!("/api/v1/dossiers/{PENDING_A}/state"),
            Body::Json(json!({"state": "granted"}).to_string()),
        ),
        (Method::POST, format!("{dossier}/invoices/preview"), Body::Json(deep_json.clone())),
        (Method::POST, format!("{dossier}/invoices/preview"), Body::Json(invoice_with_lines(8000))),
        (Method::POST, format!("{dossier}/invoices"), Body::Json(invoice_with_lines(8000))),
        (Method::GET, format!("/api/v1/invoices/{}", "F".repeat(100_000)), Body::None),
        (Method::POST, "/api/v1/invoices/FE9999-99999/credit-note".into(), Body::Json(deep_json)),
        (Method::GET, format!("{dossier}/print?with_pieces=peut-etre"), Body::None),
    ];
    let upload = format!("{dossier}/documents");
    let forms = [
        file("vide.pdf", Vec::new()),
        file("programme.exe", b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run in DOS mode".to_vec()),
        file("page.html", b"<!doctype html><script>alert(1)</script>".to_vec()),
        file("zip.pdf", b"PK\x03\x04 a zip pretending to be a PDF".to_vec()),
        Body::Form(vec![("file", pdf("titre"), Some("a.pdf")), ("title", b"facture\0".to_vec(), None)]),
        Body::Form(vec![("file", pdf("titre long"), Some("b.pdf")), ("title", vec![b'x'; 100_000], None)]),
        Body::Form(vec![("file", pdf("kind"), Some("c.pdf")), ("kind", b"../../etc".to_vec(), None)]),
        Body::Form(vec![("title", b"no file".to_vec(), None)]),
        file("trop-gros.pdf", [b"%PDF-1.4\n".as_slice(), &vec![b' '; 30 * 1024 * 1024]].concat()),
    ];
    cases.extend(forms.into_iter().map(|form| (Method::POST, upload.clone(), form)));
    cases
}

fn invoice_with_lines(count: usize) -> String {
    let line = json!({"name": "Paul Durand", "hourly_cost": "28.50", "hours": "7"});
    json!({"date": "2026-11-27", "place": "Paris", "signatory": {"name": "Claire"}, "trainees": vec![line; count]})
        .to_string()
}

/// Pieces that are stored, then fail (or are cut) alone when read.
fn accepted() -> Vec<(&'static str, Vec<u8>)> {
    let nested = format!(
        "%PDF-1.4\n1 0 obj\n{}{}\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        "[".repeat(500_000),
        "]".repeat(500_000)
    );
    let polyglot = [pdf("polyglotte").as_slice(), b"\nPK\x03\x04<html><script>alert(1)</script></html>"].concat();
    vec![
        ("amplification.pdf", crate::hostile::amplifying_pdf()),
        ("geante.png", crate::hostile::huge_png(30_000, 30_000)),
        ("pages-geantes.pdf", crate::hostile::giant_pages_pdf()),
        ("bombe.pdf", crate::understand::deflate_bomb()),
        ("imbrique.pdf", nested.into_bytes()),
        ("chiffre.pdf", crate::understand::encrypted_pdf()),
        ("polyglotte.pdf", polyglot),
        ("tronque.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x10\x00".to_vec()),
    ]
}

#[tokio::test]
async fn the_hostile_corpus_gets_4xx_or_fails_alone_within_the_memory_ceiling() {
    let mut server = ChildServer::start().await;
    let employer = server.employer(0);
    // A first start builds the search index from the database (searches answer 503 meanwhile).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let response = server.http.get(server.url("/api/v1/search?q=convention")).bearer_auth(&employer).send().await;
        if response.unwrap().status() == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "the search index was not built");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (method, path, body) in refused() {
        let shown: String = path.chars().take(80).collect();
        let status = send(&server, &employer, method.clone(), &path, body).await;
        assert!(status.is_client_error(), "{method} {shown}: {status}");
        assert!(server.is_alive(), "{method} {shown} stopped the server");
        other_company_is_served(&server).await;
    }
    let children = ChildrenWatch::start(&server);
    let mut ids = Vec::new();
    for (name, bytes) in accepted() {
        let path = format!("/api/v1/dossiers/{DRAFT_A}/documents");
        let form = Form::new().part("file", Part::bytes(bytes).file_name(name));
        let response = server.http.post(server.url(&path)).bearer_auth(&employer).multipart(form).send().await;
        let response = response.unwrap_or_else(|e| panic!("{name}: {e:?}; server alive: {}", server.is_alive()));
        assert_eq!(response.status(), StatusCode::CREATED, "{name}");
        ids.push((name, response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()));
        other_company_is_served(&server).await;
    }
    // Every piece is read (or its reading fails with its reason) while the other company is served.
    let deadline = Instant::now() + Duration::from_secs(600);
    for (name, id) in &ids {
        loop {
            let path = format!("/api/v1/documents/{id}");
            let document: Value =
                server.http.get(server.url(&path)).bearer_auth(&employer).send().await.unwrap().json().await.unwrap();
            if document["text_status"] != "pending" {
                eprintln!("{name}: {} {}", document["text_status"], document["text_problem"]["code"]);
                break;
            }
            assert!(Instant::now() < deadline, "{name} still pending");
            other_company_is_served(&server).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    assert!(server.is_alive());
    // Each child stayed under its limit: the PDF reader (`pieces`), the renderer and the OCR.
    let peaks = children.stop();
    for (name, peak) in peaks.iter().filter(|(name, _)| !["prlimit", "setpriv"].contains(&name.as_str())) {
        eprintln!(
            "{name}: {} processes, peak resident {} MiB, peak address space {} MiB",
            peak.processes, peak.resident_mib, peak.address_space_mib
        );
        assert!(peak.address_space_mib <= CHILD_LIMIT_MIB, "{name}: {peak:?}");
    }
    for program in ["pieces", "pdftoppm", "tesseract"] {
        assert!(peaks.contains_key(program), "no {program} was seen: {peaks:?}");
    }
    let peak = server.peak_rss_mib();
    eprintln!("peak resident memory of pieces serve under the hostile corpus: {peak} MiB");
    assert!(peak < CEILING_MIB, "{peak} MiB");
}
