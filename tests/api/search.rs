//! Search: French analysis, filters, facets, pagination, périmètre, freshness, rebuilds.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

impl TestApp {
    pub async fn search(&self, token: &str, query: &str) -> Value {
        let response = self.get(token, &format!("/api/v1/search?{query}")).await;
        assert_eq!(response.status(), StatusCode::OK, "search {query}");
        response.json().await.unwrap()
    }

    /// Uploads a text PDF and waits until its text is read and indexed.
    pub async fn upload_text(&self, token: &str, number: &str, name: &str, lines: &[&str]) -> String {
        let response = self.upload(token, number, name, text_pdf(lines)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
        self.understood(token, &id).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        // Indexed once the reading's outbox row is drained.
        loop {
            let pending: i64 =
                sqlx::query_scalar("select count(*) from search_outbox").fetch_one(&self.state.db).await.unwrap();
            if pending == 0 {
                return id;
            }
            assert!(std::time::Instant::now() < deadline, "the outbox was not drained");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

fn ids(results: &Value) -> Vec<String> {
    results["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn accents_stemming_and_siret_formats_find_what_a_french_user_expects() {
    let app = spawn_app().await;
    let id = app
        .upload_text(
            app.employer_a(),
            DRAFT_A,
            "feuille.pdf",
            &["Feuille d'émargement des formations", "Heures rémunérées, action financée par l'OPCO"],
        )
        .await;
    for q in [
        "emargement",
        "émargement",
        "EMARGEMENT",
        "formation",
        "formations",
        "remuneree",
        "rémunérées",
        "finance",
        "financées",
    ] {
        let found = app.search(app.employer_a(), &format!("q={}", urlencoding(q))).await;
        assert!(ids(&found).contains(&id), "{q} finds the piece: {found}");
    }
    // Company A's pieces (this one and the demo's convention) are all on SIRET 065 501 231 00040.
    let everywhere = app.search(app.assistant(), "q=emargement").await["total"].clone();
    assert_eq!(everywhere, 2);
    for siret in ["065 501 231 00040", "06550123100040", "065501231"] {
        let found = app.search(app.assistant(), &format!("q=emargement&siret={}", urlencoding(siret))).await;
        assert!(ids(&found).contains(&id), "SIRET {siret}: {found}");
        assert_eq!(found["total"], 2, "SIRET {siret}");
    }
    let none = app.search(app.assistant(), "q=emargement&siret=42835617900013").await;
    assert_eq!(none["total"], 0, "company B's SIRET");
    let snippet =
        app.search(app.employer_a(), "q=emargement").await["hits"][0]["snippet"].as_str().unwrap().to_string();
    assert!(snippet.contains("<mark>émargement</mark>"), "{snippet}");
}

#[tokio::test]
async fn an_employer_never_sees_a_foreign_piece_in_hits_totals_or_facets() {
    let app = spawn_app().await;
    let mine = app.upload_text(app.employer_a(), DRAFT_A, "a.pdf", &["Programme zorglub pour l'agence"]).await;
    let theirs = app.upload_text(app.employer_b(), DRAFT_B, "b.pdf", &["Programme zorglub pour les ateliers"]).await;
    let a = app.search(app.employer_a(), "q=zorglub").await;
    assert_eq!(ids(&a), vec![mine.clone()]);
    assert_eq!(a["total"], 1);
    assert_eq!(a["facets"]["company"], serde_json::json!({"1.001": 1}), "{a}");
    let all_a = app.search(app.employer_a(), "").await;
    assert!(!ids(&all_a).contains(&theirs));
    let filtered = app.search(app.employer_a(), "q=zorglub&company=12927.001").await;
    assert_eq!(filtered["total"], 0, "asking for the other company gives nothing");
    let staff = app.search(app.assistant(), "q=zorglub").await;
    assert_eq!(staff["total"], 2);
    assert_eq!(staff["facets"]["company"], serde_json::json!({"1.001": 1, "12927.001": 1}));
}

#[tokio::test]
async fn filters_facets_and_pagination_give_consistent_counts() {
    let app = spawn_app().await;
    let token = app.employer_a();
    let first_day = time::OffsetDateTime::now_utc().date();
    let mut uploaded = Vec::new();
    for (i, kind) in ["programme", "programme", "convention", "devis"].iter().enumerate() {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(text_pdf(&[&format!("Piece numero {i} du dossier garance")]))
                    .file_name(format!("{i}.pdf")),
            )
            .text("kind", kind.to_string());
        let response = app.upload_form(token, DRAFT_A, form).await;
        uploaded.push(response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string());
    }
    for id in &uploaded {
        app.understood(token, id).await;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let all = loop {
        let all = app.search(token, "q=garance").await;
        if all["total"] == 4 || std::time::Instant::now() > deadline {
            break all;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(all["total"], 4, "{all}");
    assert_eq!(all["facets"]["kind"], serde_json::json!({"programme": 2, "convention": 1, "devis": 1}));
    assert_eq!(all["facets"]["state"], serde_json::json!({"draft": 4}));
    assert_eq!(app.search(token, "q=garance&kind=programme").await["total"], 2);
    assert_eq!(app.search(token, &format!("q=garance&dossier={DRAFT_A}")).await["total"], 4);
    assert_eq!(app.search(token, "q=garance&state=closed").await["total"], 0);
    let last_day = time::OffsetDateTime::now_utc().date();
    assert_eq!(app.search(token, &format!("q=garance&from={first_day}&to={last_day}")).await["total"], 4);
    assert_eq!(app.search(token, "q=garance&to=2020-01-01").await["total"], 0);
    // Pages by date: each piece once, in order, whatever the page size.
    let mut paged = Vec::new();
    for offset in 0..4 {
        let page = app.search(token, &format!("q=garance&sort=date&limit=1&offset={offset}")).await;
        assert_eq!(page["total"], 4);
        paged.extend(ids(&page));
    }
    let whole = ids(&app.search(token, "q=garance&sort=date&limit=10").await);
    assert_eq!(paged, whole);
    let mut expected = uploaded.clone();
    expected.reverse();
    assert_eq!(whole, expected, "newest first");
    // A lighter answer on request: the same hits and total, without facets or snippets.
    let light = app.search(token, "q=garance&sort=date&limit=10&facets=false&snippets=false").await;
    assert_eq!((light["total"].clone(), ids(&light)), (serde_json::json!(4), whole));
    assert!(light.get("facets").is_none(), "{light}");
    assert!(light["hits"].as_array().unwrap().iter().all(|hit| hit["snippet"] == ""), "{light}");
    assert!(all["hits"][0]["snippet"].as_str().unwrap().contains("<mark>"), "{all}");
}

#[tokio::test]
async fn malformed_queries_and_filters_are_clear_client_errors() {
    let app = spawn_app().await;
    let token = app.employer_a();
    let bad = app.get(token, "/api/v1/search?q=nosuchfield%3Aabc").await;
    let problem = assert_problem(bad, StatusCode::BAD_REQUEST, "invalid_query").await;
    assert!(problem["detail_fr"].as_str().unwrap().contains("nosuchfield"), "{problem}");
    assert_invalid(app.get(token, "/api/v1/search?from=2026-13-45").await, "from").await;
    assert_invalid(app.get(token, "/api/v1/search?siret=123").await, "siret").await;
    assert_invalid(app.get(token, "/api/v1/search?limit=0").await, "limit").await;
    assert_invalid(app.get(token, "/api/v1/search?sort=size").await, "sort").await;
    let anonymous = app.http.get(app.url("/api/v1/search?q=x")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_new_piece_is_searchable_seconds_after_its_upload() {
    let app = spawn_app().await;
    let response = app.upload(app.employer_a(), DRAFT_A, "quetzalcoatl.pdf", text_pdf(&["rien"])).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let answered = std::time::Instant::now();
    let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    loop {
        let found = app.search(app.employer_a(), "q=quetzalcoatl").await;
        if ids(&found).contains(&id) {
            break;
        }
        assert!(answered.elapsed() < std::time::Duration::from_secs(10), "not searchable 10 s after the upload");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Two processes on one data folder: the first holds the index's writer and indexes; the second
/// follows its commits (it used to fail at each batch and never see a new piece) and both find
/// a piece sent to either.
#[tokio::test]
async fn a_second_process_on_the_same_index_finds_what_the_first_indexes() {
    let first = spawn_app().await;
    first.all_read().await;
    let first_base = first.base.clone();
    let second = first.restart(|_| {}).await;
    let response = second.upload(second.employer_a(), DRAFT_A, "ornithorynque.pdf", text_pdf(&["ornithorynque"])).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let search = |base: String| {
        let request = second.http.get(format!("{base}/api/v1/search")).query(&[("q", "ornithorynque")]);
        request.bearer_auth(second.employer_a()).send()
    };
    for base in [first_base, second.base.clone()] {
        eventually(std::time::Duration::from_secs(30), || async {
            let found: Value = search(base.clone()).await.unwrap().json().await.unwrap();
            match ids(&found) == [id.clone()] {
                true => Ok(()),
                false => Err(format!("{base} has not found the piece: {found}")),
            }
        })
        .await;
    }
}

/// Outbox rows that survive their batch's commit (a crash before their deletion) are indexed
/// again: the piece is still there once, not twice.
#[tokio::test]
async fn reindexing_a_batch_again_duplicates_nothing() {
    let app = spawn_app().await;
    let id = app.upload_text(app.employer_a(), DRAFT_A, "a.pdf", &["Attestation de presence ornithorynque"]).await;
    let mut tx = app.state.db.begin().await.unwrap();
    pieces::search::outbox::touch(&mut tx, &id).await.unwrap();
    pieces::search::outbox::touch(&mut tx, &id).await.unwrap();
    tx.commit().await.unwrap();
    app.state.search_wake.notify_one();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while pieces::search::outbox::pending(&app.state.db).await.unwrap() > 0 {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(app.search(app.assistant(), "q=ornithorynque").await["total"], 1);
}

/// A schema-version change (or a lost index) rebuilds the index from the database.
#[tokio::test]
async fn a_schema_version_change_rebuilds_the_index_from_the_database() {
    let first = spawn_with(|config| config.workers = Some(0)).await;
    let response = first.upload(first.employer_a(), DRAFT_A, "okapi.pdf", text_pdf(&["okapi"])).await;
    let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    std::fs::write(first.dir.path().join("index/pieces-schema-version"), "0").unwrap();
    let second = first.restart(|_| {}).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let response = second.get(second.employer_a(), "/api/v1/search?q=okapi").await;
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "index_rebuilding").await;
        } else {
            let found: Value = response.json().await.unwrap();
            if ids(&found).contains(&id) {
                break;
            }
        }
        assert!(std::time::Instant::now() < deadline, "the index was not rebuilt");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let version = std::fs::read_to_string(second.dir.path().join("index/pieces-schema-version")).unwrap();
    assert_eq!(version, pieces::search::SCHEMA_VERSION.to_string());
}

/// A real `pieces serve` is killed (SIGKILL) while it indexes a stream of uploads; the next start
/// resumes from the outbox and every piece is in the index exactly once.
#[tokio::test]
async fn a_crash_while_indexing_loses_nothing_and_duplicates_nothing() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let pieces = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pieces"));
        command.args(args).env("PIECES_DATA_DIR", dir.path()).env("RUST_LOG", "warn");
        command
    };
    let demo = pieces(&["demo", "--json"]).output().unwrap();
    let login: Value = serde_json::from_slice(&demo.stdout).unwrap();
    let (employer, assistant) =
        (login["employers"][0]["token"].as_str().unwrap(), login["assistant_token"].as_str().unwrap());
    let start = || {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = pieces(&["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        (child, format!("http://127.0.0.1:{port}"))
    };
    let http = reqwest::Client::new();
    let ready = |base: String| {
        let http = http.clone();
        async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while std::time::Instant::now() < deadline {
                if http.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("the server did not start within 60 s");
        }
    };

    let (mut server, base) = start();
    ready(base.clone()).await;
    let mut ids = Vec::new();
    for i in 0..60 {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(text_pdf(&[&format!("Convention capybara numero {i}")]))
                .file_name(format!("capybara-{i}.pdf")),
        );
        let response = http
            .post(format!("{base}/api/v1/dossiers/{DRAFT_A}/documents"))
            .bearer_auth(employer)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        ids.push(response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string());
    }
    server.kill().unwrap(); // SIGKILL, amid the readings and their re-indexing
    server.wait().unwrap();

    let (mut server, base) = start();
    ready(base.clone()).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let found = loop {
        let response =
            http.get(format!("{base}/api/v1/search?q=capybara&limit=100")).bearer_auth(assistant).send().await.unwrap();
        if response.status() == StatusCode::OK {
            let found: Value = response.json().await.unwrap();
            if found["total"] == 60 {
                break found;
            }
            assert!(found["total"].as_u64().unwrap() <= 60, "duplicates: {}", found["total"]);
        }
        assert!(std::time::Instant::now() < deadline, "the index did not catch up");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    server.kill().unwrap();
    server.wait().unwrap();
    let mut hits: Vec<String> =
        found["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect();
    hits.sort();
    ids.sort();
    assert_eq!(hits, ids, "each piece once");
}

#[tokio::test]
async fn a_typing_error_in_a_long_word_still_finds_the_piece() {
    let app = spawn_app().await;
    let id = app
        .upload_text(
            app.employer_a(),
            DRAFT_A,
            "c.pdf",
            &["Certificat de realisation du stage de soudure", "Lieu : Lyon"],
        )
        .await;
    for q in ["realisaton", "certificta", "soudrue", "CERTIFICAT realisation"] {
        let found = app.search(app.employer_a(), &format!("q={}", urlencoding(q))).await;
        assert!(ids(&found).contains(&id), "{q}: {found}");
    }
    assert_eq!(app.search(app.employer_a(), "q=soudure+lieu").await["total"], 1);
    let short = app.search(app.employer_a(), "q=soudure+leiu").await;
    assert_eq!(short["total"], 0, "no typo allowed on words under five letters");
}

#[tokio::test]
async fn similar_pieces_are_found_within_the_callers_perimetre() {
    let app = spawn_app().await;
    let lines = |extra: &str| {
        vec![
            "Sauveteur secouriste du travail, premiers secours, gestes d'urgence, defibrillateur".to_string(),
            extra.to_string(),
        ]
    };
    let to_str = |v: &Vec<String>| v.iter().map(String::as_str).collect::<Vec<_>>().join("\n");
    let first = app.upload_text(app.employer_a(), DRAFT_A, "sst-1.pdf", &[&to_str(&lines("session de mars"))]).await;
    let second = app.upload_text(app.employer_a(), DRAFT_A, "sst-2.pdf", &[&to_str(&lines("session de juin"))]).await;
    let other = app
        .upload_text(
            app.employer_a(),
            DRAFT_A,
            "compta.pdf",
            &["Comptabilite, bilan, compte de resultat, liasse fiscale"],
        )
        .await;
    let foreign = app.upload_text(app.employer_b(), DRAFT_B, "sst-b.pdf", &[&to_str(&lines("session de mai"))]).await;
    let response = app.get(app.employer_a(), &format!("/api/v1/documents/{first}/similar")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let hits: Value = response.json().await.unwrap();
    let found: Vec<&str> = hits.as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(found.first(), Some(&second.as_str()), "{hits}");
    assert!(!found.contains(&first.as_str()) && !found.contains(&other.as_str()), "{hits}");
    assert!(!found.contains(&foreign.as_str()), "another company's piece never shows");
    let staff: Value =
        app.get(app.assistant(), &format!("/api/v1/documents/{first}/similar")).await.json().await.unwrap();
    assert!(staff.as_array().unwrap().iter().any(|h| h["id"] == foreign.as_str()), "{staff}");
    let hidden = app.get(app.employer_b(), &format!("/api/v1/documents/{first}/similar")).await;
    assert_problem(hidden, StatusCode::NOT_FOUND, "document_not_found").await;
    // The same engine answers the search route's `like`: the same best piece, and nothing for a
    // piece of another company (its words stay hidden).
    let like = app.search(app.employer_a(), &format!("like={first}")).await;
    assert_eq!(like["hits"][0]["id"], second.as_str(), "{like}");
    let foreign_like = app.search(app.employer_b(), &format!("like={first}")).await;
    assert_eq!(foreign_like["total"], 0, "{foreign_like}");
    let both = app.get(app.employer_a(), &format!("/api/v1/search?like={first}&q=secours")).await;
    assert_problem(both, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

fn folder_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir).unwrap().flatten().map(|e| e.metadata().map(|m| m.len()).unwrap_or(0)).sum()
}

/// Re-indexing the same pieces again and again (readings, corrections) does not make the index
/// grow without bound: merged segments' old files are collected.
#[tokio::test]
async fn re_indexing_the_same_pieces_keeps_the_index_bounded() {
    let app = spawn_app().await;
    for i in 0..10 {
        app.upload_text(
            app.employer_a(),
            DRAFT_A,
            &format!("{i}.pdf"),
            &[&format!("Programme de formation numero {i} sur la securite")],
        )
        .await;
    }
    let index_dir = app.dir.path().join("index");
    let once = folder_size(&index_dir);
    for _ in 0..40 {
        pieces::search::outbox::touch_all(&app.state.db).await.unwrap();
        app.state.search_wake.notify_one();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while pieces::search::outbox::pending(&app.state.db).await.unwrap() > 0 {
            assert!(std::time::Instant::now() < deadline);
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
    // Merges and file collection run in the background: give them a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut size = folder_size(&index_dir);
    while size > 4 * once && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        size = folder_size(&index_dir);
    }
    assert!(size <= 4 * once, "after 40 re-indexings the index is {size} bytes, against {once} at first");
    assert_eq!(app.search(app.assistant(), "q=securite").await["total"], 10, "each piece once");
}

impl TestApp {
    async fn delete(&self, token: &str, path: &str) -> reqwest::Response {
        self.http.delete(self.url(path)).bearer_auth(token).send().await.expect("request")
    }

    async fn drained(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while pieces::search::outbox::pending(&self.state.db).await.unwrap() > 0 {
            assert!(std::time::Instant::now() < deadline, "the outbox was not drained");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

/// A piece removed from a draft, and the pieces of a deleted draft, leave the index; a sent
/// dossier keeps its pieces; another company's dossier is not found.
#[tokio::test]
async fn removed_pieces_and_deleted_drafts_leave_the_index() {
    let app = spawn_app().await;
    let a = app.employer_a();
    let removed = app.upload_text(a, DRAFT_A, "erreur.pdf", &["Programme ornithorynque joint par erreur"]).await;
    let kept = app.upload_text(a, DRAFT_A, "bon.pdf", &["Programme ornithorynque du bon dossier"]).await;
    assert_eq!(app.search(app.assistant(), "q=ornithorynque").await["total"], 2);

    assert_eq!(app.delete(a, &format!("/api/v1/documents/{removed}")).await.status(), StatusCode::NO_CONTENT);
    app.drained().await;
    assert_eq!(ids(&app.search(app.assistant(), "q=ornithorynque").await), std::slice::from_ref(&kept));
    assert_eq!(app.get(a, &format!("/api/v1/documents/{removed}")).await.status(), StatusCode::NOT_FOUND);
    let history: Value = app.get(a, &format!("/api/v1/dossiers/{DRAFT_A}/history")).await.json().await.unwrap();
    let last = history.as_array().unwrap().iter().rev().find(|e| e["action"] == "document_removed").unwrap();
    assert_eq!(last["detail"]["title"], "erreur.pdf");
    assert_eq!(last["actor"], "employeur.1001");

    // Another company's piece and dossier are not found; a sent dossier's piece stays.
    let theirs = app.upload(app.employer_b(), DRAFT_B, "b.pdf", pdf("b")).await.json::<Value>().await.unwrap();
    let theirs = theirs["id"].as_str().unwrap();
    assert_problem(
        app.delete(a, &format!("/api/v1/documents/{theirs}")).await,
        StatusCode::NOT_FOUND,
        "document_not_found",
    )
    .await;
    assert_problem(
        app.delete(a, &format!("/api/v1/dossiers/{DRAFT_B}")).await,
        StatusCode::NOT_FOUND,
        "dossier_not_found",
    )
    .await;
    let sent = app.upload(a, PENDING_A, "p.pdf", pdf("sent")).await.json::<Value>().await.unwrap();
    let sent = sent["id"].as_str().unwrap();
    assert_problem(
        app.delete(a, &format!("/api/v1/documents/{sent}")).await,
        StatusCode::CONFLICT,
        "dossier_not_editable",
    )
    .await;
    assert_problem(
        app.delete(a, &format!("/api/v1/dossiers/{PENDING_A}")).await,
        StatusCode::CONFLICT,
        "dossier_not_editable",
    )
    .await;

    // The draft deleted: its pieces leave the index, the dossier is gone; the bytes stay until
    // `gc` finds no row that needs them.
    app.all_read().await;
    let blobs = app.blob_keys().await.len();
    let draft: Vec<String> = sqlx::query_scalar(
        "select doc.sha256 from documents doc join dossiers d on d.id = doc.dossier_id where d.number = $1",
    )
    .bind(DRAFT_A)
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(app.delete(a, &format!("/api/v1/dossiers/{DRAFT_A}")).await.status(), StatusCode::NO_CONTENT);
    app.drained().await;
    assert_eq!(app.search(app.assistant(), "q=ornithorynque").await["total"], 0);
    assert_eq!(app.get(a, &format!("/api/v1/dossiers/{DRAFT_A}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.blob_keys().await.len(), blobs);
    let collected =
        pieces::storage::gc::collect(&app.state.db, &app.state.storage, std::time::SystemTime::now(), false)
            .await
            .unwrap();
    // What is left is exactly what the remaining rows need: pieces and thumbnails.
    let needed: Vec<String> = sqlx::query_scalar(
        "select sha256 from documents union select thumbnail_sha256 from documents where thumbnail_sha256 is not null",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    let key = |sha: &String| pieces::domain::Sha256Hex::parse(sha).unwrap().blob_key();
    let mut needed: Vec<String> = needed.iter().map(key).collect();
    let mut left = app.blob_keys().await;
    needed.sort();
    left.sort();
    assert_eq!(left, needed, "{collected:?}");
    assert!(
        !draft.is_empty() && draft.iter().all(|sha| !left.contains(&key(sha))),
        "the draft's pieces went: {collected:?}"
    );
    assert!(collected.removed >= 2, "the draft's piece and the one removed before it, at least: {collected:?}");
}
