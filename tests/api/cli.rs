//! The `pieces` binary itself: admin commands, `demo --json`, and `serve` with its graceful stop.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pieces::app::App;
use pieces::config::Config;
use reqwest::StatusCode;
use serde_json::Value;

fn pieces(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pieces"))
        .args(args)
        .env("PIECES_DATA_DIR", dir)
        .env_remove("PIECES_DATABASE_URL")
        .env_remove("PIECES_S3_ENDPOINT")
        .output()
        .expect("pieces runs")
}

fn ok(output: std::process::Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn an_operator_sets_up_a_company_and_its_users_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(pieces(d, &["admin", "company", "--adherent", "55.001", "--name", "BOULANGERIE MARTIN", "--city", "LYON"]));
    ok(pieces(
        d,
        &["admin", "establishment", "--adherent", "55.001", "--siret", "065 501 231 00040", "--name", "Fournil"],
    ));
    ok(pieces(
        d,
        &["admin", "user", "--login", "paul", "--name", "Paul Martin", "--role", "employer", "--company", "55.001"],
    ));
    let token = ok(pieces(d, &["admin", "token", "--login", "paul"])).trim().to_string();
    assert!(token.starts_with("pcs_"), "{token}");

    let bad_siret =
        pieces(d, &["admin", "establishment", "--adherent", "55.001", "--siret", "06550123100041", "--name", "x"]);
    assert!(!bad_siret.status.success());
    assert!(String::from_utf8_lossy(&bad_siret.stderr).contains("SIRET"));
    let unknown_user = pieces(d, &["admin", "token", "--login", "nobody"]);
    assert!(!unknown_user.status.success());

    let app = App::build(Config::embedded(d), "127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{base}/api/v1/dossiers"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "siret": "06550123100040" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED, "the token works, the périmètre has one company");
    let dossier: Value = created.json().await.unwrap();
    assert_eq!(dossier["adherent"], "55.001");
    assert_eq!(dossier["company_name"], "BOULANGERIE MARTIN");
}

#[tokio::test]
async fn demo_json_is_one_object_and_stays_the_same_when_run_twice() {
    let dir = tempfile::tempdir().unwrap();
    let first: Value = serde_json::from_str(&ok(pieces(dir.path(), &["demo", "--json"]))).expect("one JSON object");
    let second: Value = serde_json::from_str(&ok(pieces(dir.path(), &["demo", "--json"]))).expect("one JSON object");
    assert_ne!(first["assistant_token"], second["assistant_token"], "fresh tokens each run");
    let adherents: Vec<&str> =
        second["employers"].as_array().unwrap().iter().map(|e| e["adherent"].as_str().unwrap()).collect();
    assert_eq!(adherents, ["1.001", "12927.001"]);
    assert_eq!(first["employers"][1]["dossiers"], second["employers"][1]["dossiers"]);
    let states: Vec<&str> =
        second["employers"][0]["dossiers"].as_array().unwrap().iter().map(|d| d["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["draft", "pending", "granted", "refused", "closed"]);
    assert!(second["employers"][1]["dossiers"].as_array().unwrap().iter().any(|d| d["number"] == "19.A.21056.1"));
    // The people who sign in in a browser, each with a password fresh from this run.
    let people = second["people"].as_array().unwrap();
    let nadia = people.iter().find(|p| p["email"] == "nadia.roux@groupe-fictif.example").expect("the group's person");
    assert_eq!(nadia["role"], "employer");
    assert_eq!(nadia["companies"], serde_json::json!(["1.001", "12927.001"]));
    assert!(people.iter().any(|p| p["role"] == "assistant"));
    assert_ne!(first["people"][0]["password"], second["people"][0]["password"]);
    assert!(second["people"][0]["password"].as_str().unwrap().len() >= 12);
}

#[tokio::test]
async fn an_invitation_printed_by_admin_user_opens_the_password_page() {
    let dir = tempfile::tempdir().unwrap();
    ok(pieces(dir.path(), &["admin", "company", "--adherent", "55.001", "--name", "BOULANGERIE MARTIN"]));
    let said = ok(pieces(
        dir.path(),
        &[
            "admin",
            "--public-url",
            "https://mon-compte.example/",
            "user",
            "--login",
            "rh.55",
            "--name",
            "Léa Martin",
            "--role",
            "employer",
            "--company",
            "55.001",
            "--email",
            "lea@boulangerie.example",
            "--invite",
        ],
    ));
    let link = said.lines().find(|l| l.starts_with("https://")).unwrap_or_else(|| panic!("a link: {said}"));
    assert!(link.starts_with("https://mon-compte.example/mot-de-passe/pcs_"), "{link}");
    let reset = ok(pieces(dir.path(), &["admin", "reset-link", "lea@boulangerie.example"]));
    assert!(reset.contains("http://127.0.0.1:8080/mot-de-passe/"), "{reset}");
    let without_email = pieces(dir.path(), &["admin", "reset-link", "nobody"]);
    assert!(!without_email.status.success());
}

#[tokio::test]
async fn serve_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pieces"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("PIECES_DATA_DIR", dir.path())
        .env_remove("PIECES_DATABASE_URL")
        .env_remove("PIECES_S3_ENDPOINT")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match http.get(format!("http://127.0.0.1:{port}/readyz")).send().await {
            Ok(response) if response.status() == StatusCode::OK => break,
            _ if Instant::now() > deadline => panic!("pieces serve did not become ready"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    assert!(dir.path().join("storage/pieces.db").exists(), "the SQLite file lives under storage/");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "pieces serve did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn reindex_rebuilds_the_search_index_with_its_progress() {
    let dir = tempfile::tempdir().unwrap();
    ok(pieces(dir.path(), &["demo"]));
    let output = pieces(dir.path(), &["reindex"]);
    let out = ok(output.clone());
    assert!(out.contains("pieces indexed"), "{out}");
    let progress = String::from_utf8_lossy(&output.stderr);
    assert!(progress.contains("/s") && progress.contains("left"), "progress shown: {progress}");
}

#[test]
fn invoice_render_makes_a_checked_specimen_without_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("specimen.pdf");
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/invoice/demo.json");
    let said = ok(pieces(dir.path(), &["invoice", "render", demo, "-o", out.to_str().unwrap()]));
    assert!(said.contains("spécimen"), "{said}");
    let pdf = std::fs::read(&out).unwrap();
    crate::invoice_pdf::check_invoice_pdf(
        &pdf,
        &["FACTURE N° SPÉCIMEN", "TOTAL TTC 4 678,93 €", "Zoë Ångström-Nguyễn"],
    );
    assert!(!dir.path().join("storage").exists(), "no data folder is touched: no number is used");

    // A bad input names its field and fails, writing nothing.
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"invoice": {"date": "2026-11-27", "place": "Lyon", "signatory": {"name": "C"},
        "trainees": [{"name": "A", "hourly_cost": "28.505", "hours": "1"}]}}"#,
    )
    .unwrap();
    let failed = pieces(
        dir.path(),
        &["invoice", "render", bad.to_str().unwrap(), "-o", dir.path().join("x.pdf").to_str().unwrap()],
    );
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("trainees[0].hourly_cost"), "{failed:?}");
    assert!(!dir.path().join("x.pdf").exists());
}

#[test]
fn the_sandboxed_pdf_joiner_joins_in_order_and_refuses_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let [first, second, garbage, out] = ["a.pdf", "b.pdf", "bad.pdf", "out.pdf"].map(|name| dir.path().join(name));
    std::fs::write(&first, crate::helpers::text_pdf(&["Premiere piece du dossier"])).unwrap();
    std::fs::write(&second, crate::helpers::text_pdf(&["Seconde piece du dossier"])).unwrap();
    std::fs::write(&garbage, b"%PDF-1.7\n<< /Type /Catalog /Pages [[[[[[").unwrap();
    let args = |inputs: &[&std::path::Path]| {
        let mut args = vec!["merge-pdf".to_string(), out.display().to_string()];
        args.extend(inputs.iter().map(|p| p.display().to_string()));
        args
    };
    let joined = pieces(dir.path(), &args(&[&first, &second]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(joined.status.success());
    let doc = pieces::extract::pdf_text::load(&std::fs::read(&out).unwrap()).unwrap();
    let (count, pages) = pieces::extract::pdf_text::read_text(&doc, 10);
    assert_eq!(count, 2);
    assert!(pages[0].contains("Premiere") && pages[1].contains("Seconde"), "{pages:?}");
    std::fs::remove_file(&out).unwrap();
    let refused = pieces(dir.path(), &args(&[&first, &garbage]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!refused.status.success());
    assert!(!out.exists(), "nothing is written when a part cannot be read");
}

#[tokio::test]
async fn gc_and_verify_look_after_the_stored_blobs_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(pieces(d, &["demo"]));
    let blob_path = |bytes: &[u8]| {
        let sha = crate::helpers::sha256_hex(bytes);
        d.join(format!("storage/blobs/sha256/{}/{}/{sha}", &sha[..2], &sha[2..4]))
    };
    let (old_bytes, fresh_bytes): (&[u8], &[u8]) = (b"%PDF-1.4 old orphan", b"%PDF-1.4 fresh orphan");
    let (old, fresh) = (blob_path(old_bytes), blob_path(fresh_bytes));
    for (path, bytes) in [(&old, old_bytes), (&fresh, fresh_bytes)] {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 86_400);
    std::fs::File::open(&old).unwrap().set_modified(two_days_ago).unwrap();

    let said = ok(pieces(d, &["gc"]));
    assert!(said.contains("blobs orphelins supprimés : 1 (19 octets)"), "{said}");
    assert!(!old.exists() && fresh.exists(), "the old orphan went, the fresh one stayed");
    let said = ok(pieces(d, &["gc", "--grace", "0s", "--dry-run"]));
    assert!(said.contains("blobs orphelins à supprimer : 1 ") && said.contains("rien n'a été supprimé"), "{said}");
    assert!(fresh.exists(), "a dry run removes nothing");

    let said = ok(pieces(d, &["verify"]));
    assert!(said.contains("blobs relus : 1 ") && said.contains("manquants : 0 ; corrompus : 0"), "{said}");
    // The demo's seed piece, damaged on disk at its size.
    let seed = blob_path(&crate::helpers::sample("demo/convention-agence-fictive.pdf"));
    let mut bytes = std::fs::read(&seed).unwrap();
    bytes[100] ^= 0x01;
    std::fs::remove_file(&seed).unwrap();
    std::fs::write(&seed, bytes).unwrap();
    let output = pieces(d, &["verify", "--repair"]);
    assert!(!output.status.success(), "a bad blob fails the command");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("corrompus : 1") && said.contains("corrompu (ne correspond pas"), "{said}");
    assert!(
        said.contains("pièce perdue") && said.contains("26.A.90102.1") && said.contains("employeur.1001"),
        "{said}"
    );
    assert!(said.contains("envoyé à nouveau"), "{said}");
}

/// The default database is a new SQLite file: a `pieces gc` that forgot `--database-url` must
/// not take every blob for an orphan.
#[test]
fn gc_refuses_a_database_without_a_single_piece() {
    let dir = tempfile::tempdir().unwrap();
    let sha = crate::helpers::sha256_hex(b"%PDF-1.4 someone's piece");
    let blob = dir.path().join(format!("storage/blobs/sha256/{}/{}/{sha}", &sha[..2], &sha[2..4]));
    std::fs::create_dir_all(blob.parent().unwrap()).unwrap();
    std::fs::write(&blob, b"%PDF-1.4 someone's piece").unwrap();
    let output = pieces(dir.path(), &["gc", "--grace", "0s"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--database-url"), "{output:?}");
    assert!(blob.exists(), "nothing removed");
}
