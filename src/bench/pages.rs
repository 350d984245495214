//! `pieces bench pages`: the time of the pages people open most (the accueil, a dossier list, a
//! list filtered by words, by its default order and by number, and by a word found nowhere, the
//! list sorted by intitulé far down and by start date, a dossier's page) at 10,000 dossiers of one
//! company, measured over HTTP on loopback against a child `pieces serve` (so: the server's time
//! and little more), and the bytes a first visit downloads (the sign-in page, then the accueil,
//! with the stylesheet, script and icon they link).
//! It prints figures; it asserts nothing.

use std::time::Instant;

use anyhow::Context;
use reqwest::header::{COOKIE, SET_COOKIE};

use super::stats;
use crate::config::Config;
use crate::domain::DossierNumber;
use crate::dossiers::model::{Action, Costs, DossierFields, Provider, Trainee};

#[derive(clap::Args)]
pub struct PagesBench {
    /// Dossiers added to the first demo company.
    #[arg(long, default_value_t = 10_000)]
    dossiers: usize,
    /// Requests per page.
    #[arg(long, default_value_t = 500)]
    runs: usize,
    /// The data folder is a fresh folder; `--database-url` may point at PostgreSQL.
    #[command(flatten)]
    config: Config,
}

pub async fn run(bench: PagesBench) -> anyhow::Result<()> {
    let work = tempfile::tempdir()?;
    let mut config = bench.config.clone();
    config.data_dir = work.path().to_path_buf();
    println!("pieces bench pages: {} dossiers of one company, {} requests per page", bench.dossiers, bench.runs);
    let state = crate::state::AppState::open(config.clone()).await?;
    crate::demo::seed(&state).await?;
    let people = crate::demo::seed_people(&state).await?;
    let claire = people.into_iter().next().context("a demo person")?;
    let started = Instant::now();
    add_dossiers(&state, bench.dossiers).await?;
    println!("  {} dossiers added in {:.1} s", bench.dossiers, started.elapsed().as_secs_f64());
    // What a live PostgreSQL database has some seconds after a bulk load (autovacuum): the
    // planner's statistics, and the visibility map that lets counts read the indexes only.
    // (SQLite gathers no statistics unless told to, and the service never tells it.)
    if config.database_url().starts_with("postgres") {
        sqlx::query("vacuum analyze").execute(&state.db).await?;
        println!("  then VACUUM ANALYZE, as autovacuum does");
    }
    state.db.close().await;
    drop(state);

    let (_child, base) = super::server::start_server(&config, Some(1)).await?;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let (session, first_visit) = sign_in(&http, &base, &claire.email, &claire.password).await?;
    let pages = [
        ("accueil", "/".to_string()),
        ("dossiers envoyés, page 1", "/dossiers".to_string()),
        ("dossiers en cours, page 50", "/dossiers?etat=en-cours&page=50".to_string()),
        ("dossiers filtrés par un mot", "/dossiers?q=excel".to_string()),
        ("les mêmes, triés par n°", "/dossiers?q=excel&tri=numero".to_string()),
        ("dossiers envoyés par intitulé, p. 50", "/dossiers?tri=intitule&page=50".to_string()),
        ("dossiers envoyés par date de début", "/dossiers?tri=debut".to_string()),
        ("filtrés par un mot absent", "/dossiers?q=ornithorynque".to_string()),
        ("page d'un dossier (historique)", "/dossiers/26.A.15000.1?onglet=historique".to_string()),
    ];
    println!("  {:<38} {:>10} {:>10} {:>10}", "page", "median ms", "p99 ms", "bytes");
    for (name, path) in pages {
        let mut times = Vec::with_capacity(bench.runs);
        let mut size = 0;
        for _ in 0..bench.runs {
            let began = Instant::now();
            let response = http.get(format!("{base}{path}")).header(COOKIE, &session).send().await?;
            anyhow::ensure!(response.status().is_success(), "GET {path}: {}", response.status());
            size = response.bytes().await?.len();
            times.push(began.elapsed().as_secs_f64() * 1000.0);
        }
        let (median, p99) = stats(&mut times);
        println!("  {name:<38} {median:>10.2} {p99:>10.2} {size:>10}");
    }
    println!("  first visit (sign-in page, accueil, their stylesheet, script and icon): {first_visit} bytes");
    Ok(())
}

/// `count` dossiers of the first demo company, in every state, 500 per transaction.
async fn add_dossiers(state: &crate::state::AppState, count: usize) -> anyhow::Result<()> {
    let company_id = crate::admin::company_id(&state.db, "1.001").await?;
    let user_id = crate::admin::user_id(&state.db, "employeur.1001").await?;
    let titles = ["EXCEL PERFECTIONNEMENT", "MANAGEMENT D'EQUIPE", "SAUVETEUR SECOURISTE DU TRAVAIL", "ANGLAIS"];
    let states = ["draft", "pending", "granted", "refused", "closed"];
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let mut tx = crate::db::begin(&state.db).await?;
        for &i in chunk {
            let number = DossierNumber::parse(&format!("26.A.{:05}.1", 10_000 + i)).context("a dossier number")?;
            let id = crate::db::new_id();
            crate::dossiers::sql::insert_draft(&mut tx, &id, &number, &company_id, &user_id).await?;
            let fields = DossierFields {
                siret: Some("06550123100040".into()),
                provider: Provider { name: Some(format!("ORGANISME {}", i % 37)), ..Provider::default() },
                action: Action {
                    title: Some(titles[i % titles.len()].into()),
                    hours: Some("14".into()),
                    start_date: Some("2026-03-02".into()),
                    end_date: Some("2026-03-03".into()),
                    ..Action::default()
                },
                costs: Costs {
                    pedagogy: Some("1200.00".into()),
                    remuneration: Some("380.00".into()),
                    ..Costs::default()
                },
                comment: None,
                trainees: vec![Trainee { last_name: "DURAND".into(), first_name: "Julie".into() }],
            };
            crate::dossiers::sql::save_fields(&mut tx, &id, &fields).await?;
            crate::dossiers::history::record(&mut tx, &id, Some(&user_id), "dossier_created", serde_json::json!({}))
                .await?;
            sqlx::query("update dossiers set state = $1 where id = $2")
                .bind(states[i % states.len()])
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Signs in as a browser does; returns the session's cookie and the bytes of the first visit.
async fn sign_in(http: &reqwest::Client, base: &str, email: &str, password: &str) -> anyhow::Result<(String, usize)> {
    let form = http.get(format!("{base}/connexion")).send().await?;
    let cookie = set_cookie(&form, "pieces_connexion").context("the sign-in cookie")?;
    let page = form.text().await?;
    let mut bytes = page.len() + linked_assets(http, base, &page).await?;
    let at = page.find("name=\"csrf\" value=\"").context("the CSRF field")? + 19;
    let csrf = page[at..].split('"').next().unwrap_or_default();
    let signed = http
        .post(format!("{base}/connexion"))
        .header(COOKIE, &cookie)
        .form(&[("csrf", csrf), ("email", email), ("password", password), ("suite", "")])
        .send()
        .await?;
    let session = set_cookie(&signed, "pieces_session").context("signed in")?;
    let home = http.get(format!("{base}/")).header(COOKIE, &session).send().await?.text().await?;
    bytes += home.len();
    Ok((session, bytes))
}

fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

/// The bytes of the `/static/…` files a page links (a browser keeps them afterwards).
async fn linked_assets(http: &reqwest::Client, base: &str, page: &str) -> anyhow::Result<usize> {
    let mut total = 0;
    for part in page.split("\"/static/").skip(1) {
        let name = part.split('"').next().unwrap_or_default();
        total += http.get(format!("{base}/static/{name}")).send().await?.bytes().await?.len();
    }
    Ok(total)
}
