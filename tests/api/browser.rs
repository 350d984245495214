//! The pages in a real browser: Debian's chromium, headless, driven through chromedriver
//! (WebDriver) as a person uses them, with axe-core run on every page (no serious or critical
//! violation allowed). `scripts/browser-tools.sh` installs chromium, chromedriver and axe-core;
//! with `PIECES_SCREENSHOTS=<folder>` each page is also saved there as a PNG
//! (`scripts/screenshots.sh` refreshes `docs/screenshots/`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::pages::people;

struct Browser {
    client: Client,
    driver: Child,
    base: String,
    axe: String,
    screenshots: Option<PathBuf>,
}

fn cache_dir() -> PathBuf {
    std::env::var_os("PIECES_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/pieces"))
}

impl Browser {
    async fn open(app: &TestApp) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let chromedriver = std::env::var("PIECES_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {chromedriver} ({e}): scripts/browser-tools.sh installs it"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on port {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let chromium = std::env::var("PIECES_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,900", "--lang=fr-FR", "--disable-extensions"],
            },
        });
        let Value::Object(capabilities) = capabilities else { unreachable!() };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("chromedriver opens a chromium session");
        let axe_path = std::env::var_os("PIECES_AXE_JS")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache_dir().join("node/node_modules/axe-core/axe.min.js"));
        let axe = std::fs::read_to_string(&axe_path).unwrap_or_else(|e| {
            panic!("cannot read axe-core at {} ({e}): scripts/browser-tools.sh", axe_path.display())
        });
        let screenshots = std::env::var_os("PIECES_SCREENSHOTS").map(PathBuf::from);
        Browser { client, driver, base: app.base.clone(), axe, screenshots }
    }

    async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// The page's visible text; empty while a page is replacing the last one.
    async fn text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the page's text contains `expected` (after a click that loads a page).
    async fn until_text(&self, expected: &str) -> String {
        self.until_text_within(expected, Duration::from_secs(15)).await
    }

    /// The same, for what takes longer (a scan read by OCR while other tests run).
    async fn until_text_within(&self, expected: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let text = self.text().await;
            if text.contains(expected) {
                return text;
            }
            assert!(Instant::now() < deadline, "the page never showed {expected:?}; it shows:\n{text}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the field `id` holds `expected` (after a click that loads a page: the old
    /// page's field may still be there, or none while the new one comes).
    async fn until_value(&self, id: &str, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let value = match self.client.find(Locator::Id(id)).await {
                Ok(field) => field.prop("value").await.ok().flatten(),
                Err(_) => None,
            };
            if value.as_deref() == Some(expected) {
                return;
            }
            assert!(Instant::now() < deadline, "the field {id} never held {expected:?}; it holds {value:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn fill(&self, id: &str, text: &str) {
        let field = self.client.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Signs in from the sign-in page (the caller waits for the page that follows).
    async fn sign_in(&self, email: &str, password: &str) {
        self.goto("/connexion").await;
        self.fill("email", email).await;
        self.fill("password", password).await;
        self.click("button[type=submit]").await;
    }

    async fn click(&self, css: &str) {
        self.client.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
    }

    async fn click_link(&self, text: &str) {
        self.client.find(Locator::LinkText(text)).await.unwrap().click().await.unwrap();
    }

    /// Drags the files at `paths` onto the element `css` and drops them there, as from the file
    /// manager: `dragenter`, `dragover`, then `drop`, each a DragEvent whose DataTransfer holds
    /// the files' bytes. (WebDriver cannot drag a file from outside the page, so the test makes
    /// the events a drag would.) Returns whether the drop zone lit up while the files were over
    /// it and went back once they were dropped.
    async fn drop_files(&self, css: &str, paths: &[&str]) -> bool {
        let files: Vec<Value> = paths
            .iter()
            .map(|path| {
                let name = std::path::Path::new(path).file_name().unwrap().to_string_lossy();
                json!([name, std::fs::read(path).unwrap()])
            })
            .collect();
        let lit = self
            .client
            .execute(
                "const [css, files] = arguments;\
                 const zone = document.querySelector(css);\
                 const data = new DataTransfer();\
                 for (const [name, bytes] of files) data.items.add(new File([new Uint8Array(bytes)], name));\
                 const fire = (type) => zone.dispatchEvent(new DragEvent(type,\
                   { bubbles: true, cancelable: true, dataTransfer: data }));\
                 fire('dragenter'); fire('dragover');\
                 const over = zone.classList.contains('survol');\
                 fire('drop');\
                 return over && !zone.classList.contains('survol');",
                vec![json!(css), json!(files)],
            )
            .await
            .unwrap();
        lit == json!(true)
    }

    /// axe-core on the page as it is: no serious or critical violation; then a screenshot.
    async fn check(&self, name: &str) {
        let script = format!(
            "{}\n;const done = arguments[arguments.length - 1];\
             axe.run(document, {{ resultTypes: ['violations'], iframes: false }}).then(r => done(r.violations\
               .filter(v => v.impact === 'serious' || v.impact === 'critical')\
               .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))\
             .catch(e => done(['axe failed: ' + e]));",
            self.axe
        );
        let found = self.client.execute_async(&script, vec![]).await.unwrap();
        let violations: Vec<String> = serde_json::from_value(found).unwrap();
        assert!(
            violations.is_empty(),
            "axe-core on the page {name} ({}):\n{}",
            self.path().await,
            violations.join("\n")
        );
        if let Some(folder) = &self.screenshots {
            std::fs::create_dir_all(folder).unwrap();
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(folder.join(format!("{name}.png")), png).unwrap();
        }
    }

    /// What the link `css` leads to, fetched by the page with the browser's session:
    /// `[status, content type, content disposition, the first five bytes]`.
    async fn download(&self, css: &str) -> Value {
        let link = self.client.find(Locator::Css(css)).await.unwrap();
        let href = link.attr("href").await.unwrap().unwrap();
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 fetch(arguments[0]).then(async r => done([r.status, r.headers.get('content-type'),\
                   r.headers.get('content-disposition'), new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5))]))\
                 .catch(e => done([0, String(e), '', '']));",
                vec![json!(href)],
            )
            .await
            .unwrap()
    }

    async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    /// Stops chromedriver and every process under it (the chromium it started), also when the
    /// test failed half-way: each by its own pid, found in /proc.
    fn drop(&mut self) {
        for (pid, _) in crate::child::descendants(self.driver.id()) {
            let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[tokio::test]
async fn an_employer_signs_in_chooses_a_company_and_reads_the_dossiers() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let nadia = people.iter().find(|p| p.email.starts_with("nadia")).unwrap();
    // Twenty more drafts: the list of drafts takes two pages.
    for _ in 0..20 {
        let created = app.post_json(app.employer_a(), "/api/v1/dossiers", &json!({})).await;
        assert_eq!(created.status(), reqwest::StatusCode::CREATED);
    }
    let browser = Browser::open(&app).await;

    // A dossier's address: first the sign-in page, then the dossier.
    browser.goto("/dossiers/26.A.90102.1").await;
    assert!(browser.path().await.starts_with("/connexion?suite="), "{}", browser.path().await);
    browser.until_text("Connexion").await;
    browser.check("connexion").await;
    browser.fill("email", &nadia.email).await;
    browser.fill("password", "pas le bon").await;
    browser.click("button[type=submit]").await;
    browser.until_text("E-mail ou mot de passe incorrect.").await;
    browser.check("connexion-erreur").await;
    browser.fill("password", &nadia.password).await;
    browser.click("button[type=submit]").await;
    browser.until_text("Choisir votre périmètre").await;
    browser.check("perimetre").await;
    browser.click("label[for=entreprise-1]").await;
    browser.click("button[type=submit]").await;
    let dossier = browser.until_text("Action de formation Dossier 26.A.90102.1").await;
    assert!(dossier.contains("Entreprise : 1.001") && dossier.contains("MANAGEMENT D'EQUIPE"), "{dossier}");
    browser.check("dossier").await;
    // Imprimer le dossier: its PDF, as the browser opens it.
    let printed = browser.download("a[href^='/dossiers/26.A.90102.1/impression']").await;
    assert_eq!((&printed[0], &printed[1], &printed[3]), (&json!(200), &json!("application/pdf"), &json!("%PDF-")));
    browser.click_link("Documents (1)").await;
    browser.until_text("Convention de formation signée").await;
    browser.check("dossier-documents").await;
    browser.click_link("Historique").await;
    browser.until_text("Demande envoyée").await;
    browser.check("dossier-historique").await;

    browser.click_link("Accueil").await;
    let home = browser.until_text("Vos coordonnées").await;
    assert!(home.contains("AGENCE FICTIVE") && home.contains("Vos interlocuteurs"), "{home}");
    browser.check("accueil").await;

    browser.click_link("Dossiers AF (4)").await;
    browser.until_text("25.A.90103.1").await;
    browser.check("dossiers").await;
    browser.fill("q", "management").await;
    browser.click(".filtres button[type=submit]").await;
    let found = browser.until_text("Dossiers AF (1)").await;
    assert!(found.contains("26.A.90102.1") && !found.contains("25.A.90103.1"), "{found}");
    // Sorted by number, then the drafts page by page.
    browser.fill("q", "").await;
    browser.client.find(Locator::Id("tri")).await.unwrap().select_by_value("numero").await.unwrap();
    browser.click(".filtres button[type=submit]").await;
    browser.until_text("25.A.90103.1").await;
    let mut numbers = Vec::new();
    for link in browser.client.find_all(Locator::Css("table.liste tbody th a")).await.unwrap() {
        numbers.push(link.text().await.unwrap());
    }
    assert_eq!(numbers.len(), 4, "{numbers:?}");
    let mut sorted = numbers.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(numbers, sorted, "by n° de dossier, the newest first");
    browser.click_link("Brouillons (21)").await;
    browser.until_text("Page 1 sur 2").await;
    browser.click_link("Page suivante").await;
    browser.until_text("Page 2 sur 2").await;

    browser.click_link("Changer d'entreprise").await;
    browser.until_text("Choisir votre périmètre").await;
    browser.click("label[for=entreprise-2]").await;
    browser.click("button[type=submit]").await;
    browser.until_text("ATELIERS DU FAUBOURG").await;

    browser.goto("/dossiers/99.A.99999.1").await;
    browser.until_text("Page introuvable").await;
    browser.check("introuvable").await;

    // A form posted without its CSRF token is refused, and changes nothing.
    browser.goto("/").await;
    browser.client.execute("document.querySelector('form.personne input[name=csrf]').remove();", vec![]).await.unwrap();
    browser.click("form.personne button").await;
    browser.until_text("Formulaire refusé").await;
    browser.check("formulaire-refuse").await;
    browser.goto("/").await;
    browser.until_text("ATELIERS DU FAUBOURG").await;

    browser.click("form.personne button").await;
    browser.until_text("Vous êtes déconnecté(e).").await;
    browser.goto("/").await;
    assert_eq!(browser.path().await, "/connexion", "signed out: the pages ask to sign in");
    browser.close().await;
}

#[tokio::test]
async fn an_employer_fills_in_a_request_in_four_steps_and_sends_it() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = people.iter().find(|p| p.email.starts_with("claire")).unwrap();
    let browser = Browser::open(&app).await;
    browser.sign_in(&claire.email, &claire.password).await;
    browser.until_text("Vos coordonnées").await;

    browser.click_link("Nouvelle demande").await;
    browser.until_text("Étape 1 sur 4 : Formation").await;
    browser.check("demande-1-formation").await;
    for (id, text) in [
        ("provider-name", "FORMAPRO CONSEIL"),
        ("provider-siret", "732 918 245 00019"),
        ("action-title", "BUREAUTIQUE"),
        ("action-hours", "21,5"),
        ("action-start_date", "06/01/2027"),
        ("action-end_date", "08/01/2027"),
        ("costs-pedagogy", "2 020,00"),
    ] {
        browser.fill(id, text).await;
    }
    browser.click("label[for=provider-direct_payment-oui]").await;
    browser.click("button[value=valider]").await;
    // The SIRET's key is wrong: said next to the field, the rest kept.
    browser.until_text("SIRET invalide").await;
    browser.check("demande-1-erreur").await;
    browser.fill("provider-siret", "732 918 245 00018").await;
    browser.click("button[value=valider]").await;
    browser.until_text("Étape 2 sur 4 : Modules complémentaires").await;
    browser.check("demande-2-modules").await;
    browser.click("button[value=enregistrer]").await;
    // (The menu of step 2 already says "Brouillons (2)": wait for the list itself.)
    let drafts = browser.until_text("BUREAUTIQUE").await;
    assert!(drafts.contains("Brouillons (2)"), "{drafts}");
    assert!(browser.path().await.starts_with("/dossiers?etat=brouillon"), "{}", browser.path().await);

    // The draft's page: the programme attached, its kind chosen.
    let number =
        browser.client.find(Locator::XPath("//tr[td[text()='BUREAUTIQUE']]/th/a")).await.unwrap().text().await.unwrap();
    browser.goto(&format!("/dossiers/{number}?onglet=documents")).await;
    browser.until_text("Joindre des fichiers").await;
    let programme = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/upload/programme.pdf");
    // Two files at once, one a scan, dragged and dropped on the form: each gets its own fields,
    // is sent with its own progress bar, and its kind appears once it is read.
    let scan = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/upload/emargement-scan.png");
    assert!(browser.drop_files(".joindre .depot", &[programme, scan]).await, "the drop zone lights up, then not");
    browser.until_text("emargement-scan.png").await;
    browser.client.find(Locator::Id("envoi-0-type")).await.unwrap().select_by_value("programme").await.unwrap();
    browser.fill("envoi-0-titre", "Programme détaillé").await;
    browser.check("dossier-joindre-choix").await;
    browser.click(".joindre button[type=submit]").await;
    browser.until_text_within("Reçu. Lu : Programme de formation", Duration::from_secs(60)).await;
    browser.until_text_within("Reçu. Lu : Feuille d'émargement", Duration::from_secs(90)).await;
    browser.check("dossier-joindre").await;
    let stored = app.documents_of(app.employer_a(), &number).await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    let programme_row = stored.iter().find(|d| d["title"] == "Programme détaillé").expect("its own title");
    assert_eq!(programme_row["kind"], "programme", "the type chosen: {stored:?}");
    // The scan was a mistake: removed from the draft.
    browser.click_link("Afficher la liste des documents à jour").await;
    let remove = Locator::Css("button[aria-label='Retirer emargement-scan.png']");
    let remove = browser.client.wait().at_most(Duration::from_secs(15)).for_element(remove).await.unwrap();
    // Each piece by a thumbnail of its first page (PNGs of 160 pixels at most a side).
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let widths = browser
            .client
            .execute(
                "return [...document.querySelectorAll('img.vignette')].map(i => i.complete ? i.naturalWidth : -1);",
                vec![],
            )
            .await
            .unwrap();
        let widths: Vec<i64> = serde_json::from_value(widths).unwrap();
        if widths.len() == 2 && widths.iter().all(|w| *w > 40 && *w <= 160) {
            break;
        }
        assert!(Instant::now() < deadline, "thumbnails' widths: {widths:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.check("dossier-documents-vignettes").await;
    remove.click().await.unwrap();
    browser.until_text("La pièce est retirée du dossier.").await;
    let stored = app.documents_of(app.employer_a(), &number).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["title"], "Programme détaillé");
    // The programme sent again, chosen with Parcourir: already there, said so, not stored twice.
    let files = browser.client.find(Locator::Id("fichier")).await.unwrap();
    files.send_keys(programme).await.unwrap();
    browser.until_text("programme.pdf").await;
    browser.click(".joindre button[type=submit]").await;
    browser.until_text("Déjà joint : ce fichier était déjà dans ce dossier.").await;
    assert_eq!(app.documents_of(app.employer_a(), &number).await.len(), 1);

    // Resumed from the drafts: step 3, the salariés.
    browser.goto(&format!("/dossiers/{number}/etape/3")).await;
    browser.until_text("Salariés formés").await;
    browser.fill("nom_0", "DURAND").await;
    browser.fill("prenom_0", "Julie").await;
    browser.check("demande-3-salaries").await;
    browser.click("button[value=valider]").await;
    let step4 = browser.until_text("Étape 4 sur 4 : Envoi").await;
    assert!(step4.contains("Jointe : Programme détaillé de la formation"), "{step4}");
    browser.check("demande-4-envoi").await;
    browser.click("button[value=envoyer]").await;
    browser.until_text("Envoyer sans ces pièces").await;
    browser.click("label[for=sans-pieces]").await;
    browser.click("button[value=envoyer]").await;
    let sent = browser.until_text(&format!("Action de formation Dossier {number}")).await;
    assert!(sent.contains("en cours"), "{sent}");
    browser.click_link("Historique").await;
    let history = browser.until_text("Demande envoyée").await;
    assert!(history.contains("Claire Martin"), "{history}");
    browser.click_link("En cours (2)").await;
    browser.until_text(&number).await;
    browser.close().await;
}

#[tokio::test]
async fn an_assistant_works_from_the_desk_and_searches_as_they_type() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let sophie = people.iter().find(|p| p.email.starts_with("sophie")).unwrap();
    let claire = people.iter().find(|p| p.email.starts_with("claire")).unwrap();
    // A programme sent as a RIB (the classifier contradicts it), and one piece of each company.
    let form = reqwest::multipart::Form::new().text("kind", "rib").text("title", "Programme envoyé comme RIB").part(
        "file",
        reqwest::multipart::Part::bytes(crate::helpers::sample("upload/programme.pdf")).file_name("programme.pdf"),
    );
    let sent = app.upload_form(app.employer_a(), "26.A.90102.1", form).await;
    let id = sent.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    app.understood(app.employer_a(), &id).await;
    app.upload_text(app.employer_a(), "26.A.90102.1", "devis.pdf", &["Devis ornithorynque de l'agence"]).await;
    app.upload_text(app.employer_b(), "26.A.90201.1", "devis-b.pdf", &["Devis ornithorynque des ateliers"]).await;

    let browser = Browser::open(&app).await;
    browser.sign_in(&sophie.email, &sophie.password).await;
    let desk = browser.until_text("Vos entreprises").await;
    assert!(desk.contains("Programme envoyé comme RIB") && desk.contains("Dossiers en attente de décision"), "{desk}");
    browser.check("assistant-accueil").await;
    browser.click_link("Toutes les pièces à vérifier").await;
    browser.until_text("Le contenu contredit le type choisi").await;
    browser.check("assistant-a-verifier").await;

    // The piece in the viewer (the PDF in the browser's own viewer; axe checks the page around
    // it), its kind corrected.
    browser.click_link("Programme envoyé comme RIB").await;
    browser.until_text("Ce qui a décidé du type reconnu").await;
    browser.check("piece").await;
    browser.client.find(Locator::Id("type-correct")).await.unwrap().select_by_value("programme").await.unwrap();
    browser.click("form[action$='/type'] button[type=submit]").await;
    browser.until_text("Le type de la pièce est enregistré").await;
    let api: Value = app.get(app.assistant(), &format!("/api/v1/documents/{id}")).await.json().await.unwrap();
    assert_eq!(api["kind"], "programme", "{api}");

    // The results follow the typing; a facet then a filter narrow them; the address keeps it all.
    browser.click_link("Recherche").await;
    browser.until_text("Cherchez parmi les pièces").await;
    browser.fill("q", "ornithorynque").await;
    browser.until_text("2 pièces trouvées").await;
    assert_eq!(browser.path().await, "/recherche?q=ornithorynque");
    browser.check("recherche").await;
    browser.click_link("12927.001 (1)").await;
    let one = browser.until_text("1 pièce trouvée").await;
    assert!(one.contains("devis-b.pdf") && !one.contains("devis.pdf ·"), "{one}");
    browser.client.find(Locator::Id("kind")).await.unwrap().select_by_value("programme").await.unwrap();
    browser.until_text("0 pièce trouvée").await;
    assert!(browser.path().await.contains("kind=programme"), "{}", browser.path().await);

    // A dossier waiting for a decision, granted from the desk.
    browser.click_link("Accueil").await;
    browser.until_text("Dossiers en attente de décision (2)").await;
    browser.click_link("26.A.90102.1").await;
    browser.until_text("Instruction").await;
    browser.check("instruction").await;
    // Its form corrected first (sent dossiers are changed by the OPCO only): the history keeps
    // the value before and after.
    browser.click_link("Corriger le formulaire").await;
    browser.until_text("Étape 1 sur 4 : Formation").await;
    browser.fill("action-title", "MANAGEMENT D'EQUIPE (2 JOURS)").await;
    browser.click("button[value=enregistrer]").await;
    let history = browser.until_text("Le dossier est corrigé").await;
    assert!(history.contains("« MANAGEMENT D'EQUIPE » → « MANAGEMENT D'EQUIPE (2 JOURS) »"), "{history}");
    browser.check("instruction-corrige").await;
    browser.click("button[value=granted]").await;
    browser.until_text("Le dossier est accordé.").await;
    let api: Value = app.get(app.assistant(), "/api/v1/dossiers/26.A.90102.1").await.json().await.unwrap();
    assert_eq!((&api["state"], &api["action"]["title"]), (&json!("granted"), &json!("MANAGEMENT D'EQUIPE (2 JOURS)")));
    browser.click("button[value=closed]").await;
    browser.until_text("Le dossier est clôturé.").await;

    // The other company's dossier en cours refused: not without its motif.
    browser.goto("/dossiers/26.A.90202.1").await;
    browser.until_text("Instruction").await;
    browser.click("button[value=refused]").await;
    browser.until_text("Un refus donne son motif").await;
    browser.check("instruction-refus-sans-motif").await;
    browser.fill("motif", "Le programme détaillé manque.").await;
    browser.click("button[value=refused]").await;
    browser.until_text("Le dossier est refusé ; l'employeur lit le motif.").await;
    browser.close().await;

    // An employer has no desk.
    let browser = Browser::open(&app).await;
    browser.sign_in(&claire.email, &claire.password).await;
    browser.until_text("Vos coordonnées").await;
    browser.goto("/a-verifier").await;
    browser.until_text("Page introuvable").await;
    browser.close().await;
}

#[tokio::test]
async fn an_employer_sees_the_totals_as_they_type_and_issues_the_invoice_once() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = people.iter().find(|p| p.email.starts_with("claire")).unwrap();
    let number = crate::invoices::GRANTED_A;
    let browser = Browser::open(&app).await;
    browser.sign_in(&claire.email, &claire.password).await;
    browser.until_text("Vos coordonnées").await;
    browser.goto(&format!("/dossiers/{number}?onglet=factures")).await;
    browser.click_link("Remplir la facture").await;
    browser.until_text("Rémunération des stagiaires").await;
    // A rate of three decimals is said on its row once computed; then the right one.
    browser.fill("taux_0", "28,505").await;
    browser.click("button[value=apercu]").await;
    browser.until_text("Nombre invalide : deux décimales au plus.").await;
    browser.check("facture-erreur").await;
    browser.fill("taux_0", "28,50").await;
    for (id, text) in [("signataire", "Claire Martin"), ("fonction", "DRH"), ("lieu", "Paris")] {
        browser.fill(id, text).await;
    }
    // The totals follow the typing (the service's computation).
    browser.fill("restauration", "100").await;
    browser.fill("date", "27/11/2026").await;
    let typed = browser.until_text("TOTAL TTC").await;
    assert!(typed.contains("€"), "{typed}");
    browser.check("facture").await;
    browser.click("label[for=confirme]").await;
    let issue = browser.client.find(Locator::Css("button[value=emettre]")).await.unwrap();
    issue.clone().click().await.unwrap();
    let _ = issue.click().await; // a double click: the page may already be leaving
    browser.until_text("FE2026-00001 est émis").await;
    let invoices = browser.text().await;
    assert!(!invoices.contains("FE2026-00002"), "one invoice: {invoices}");
    browser.check("dossier-factures").await;
    // Downloaded as the browser does, with its session: the PDF, under the invoice's name.
    let fetched = browser.download("a[href^='/factures/FE2026-00001/pdf']").await;
    assert_eq!(fetched[0], 200, "{fetched}");
    assert_eq!(fetched[1], "application/pdf", "{fetched}");
    assert!(fetched[2].as_str().unwrap_or_default().contains("FE2026-00001"), "{fetched}");
    assert_eq!(fetched[3], "%PDF-", "{fetched}");
    browser.click("form[action='/factures/FE2026-00001/avoir'] button").await;
    browser.until_text("annulée par un avoir").await;
    browser.close().await;
}

#[tokio::test]
async fn an_employer_resets_the_password_by_mail_then_abandons_a_request() {
    let smtp = crate::mail::SmtpServer::start();
    let port = smtp.port;
    let app = crate::helpers::spawn_with(|config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
        config.public_url = "https://moncompte.akto.example/".into();
    })
    .await;
    let people = people(&app).await;
    let claire = people.iter().find(|p| p.email.starts_with("claire")).unwrap();
    let marc = people.iter().find(|p| p.email.starts_with("marc")).unwrap();
    let browser = Browser::open(&app).await;

    // Someone guessing Marc's password is made to wait after five tries, even with the right one.
    browser.goto("/connexion").await;
    for guess in ["azerty", "123456", "motdepasse", "marc2026", "soleil", marc.password.as_str()] {
        browser.fill("email", &marc.email).await;
        browser.fill("password", guess).await;
        browser.click("button[type=submit]").await;
        // The answer is a new page, whose password field is empty again.
        browser.until_value("password", "").await;
    }
    browser.until_text("Trop de tentatives de connexion.").await;
    browser.check("connexion-trop-de-tentatives").await;

    // Mot de passe oublié: the link comes by mail and chooses a new password.
    browser.goto("/connexion").await;
    browser.click_link("Choisir mon mot de passe / Mot de passe oublié ?").await;
    browser.until_text("Indiquez l'e-mail de votre compte").await;
    browser.check("mot-de-passe-oublie").await;
    browser.fill("email", &claire.email).await;
    browser.click("button[type=submit]").await;
    browser.until_text("Si un compte correspond à cette adresse").await;
    let messages = smtp.wait_for(1).await;
    let (_, _, body) = smtp.read(&messages[0]);
    let link = body
        .split_whitespace()
        .find_map(|word| word.strip_prefix("https://moncompte.akto.example"))
        .unwrap_or_else(|| panic!("no link in {body}"))
        .to_string();
    browser.goto(&link).await;
    browser.until_text("Choisir un nouveau mot de passe").await;
    browser.check("mot-de-passe").await;
    let new = "trois mots bien choisis";
    browser.fill("password", new).await;
    browser.fill("confirmation", new).await;
    browser.click("button[type=submit]").await;
    browser.until_text("Votre mot de passe est enregistré : connectez-vous.").await;
    browser.fill("email", &claire.email).await;
    browser.fill("password", new).await;
    browser.click("button[type=submit]").await;
    browser.until_text("Vos coordonnées").await;

    // The organisme found among those of the company's dossiers fills its fields.
    browser.click_link("Nouvelle demande").await;
    browser.until_text("Étape 1 sur 4 : Formation").await;
    browser.fill("organisme", "forma").await;
    browser.click("form[role=search] button[type=submit]").await;
    browser.until_text("Organismes trouvés").await;
    browser.check("demande-1-organismes-trouves").await;
    browser.click_link("FORMAPRO CONSEIL · 732918245 00018 · PARIS").await;
    browser.until_value("provider-name", "FORMAPRO CONSEIL").await;
    // Step 1 with two faults: both said at once, each next to its field and listed at the top.
    for (id, text) in [
        ("provider-siret", "732 918 245 00019"),
        ("provider-nda", "1175"),
        ("action-title", "ANGLAIS DES AFFAIRES"),
        ("action-hours", "14"),
        ("action-start_date", "06/01/2027"),
        ("action-end_date", "07/01/2027"),
        ("costs-pedagogy", "900"),
    ] {
        browser.fill(id, text).await;
    }
    browser.click("label[for=provider-direct_payment-oui]").await;
    browser.click("button[value=valider]").await;
    let refused = browser.until_text("2 champs sont à corriger").await;
    assert!(refused.contains("SIRET invalide") && refused.contains("Le NDA"), "{refused}");
    browser.check("demande-1-deux-erreurs").await;
    // The list at the top leads to each field.
    for field in ["provider-siret", "provider-nda"] {
        browser.client.find(Locator::Css(&format!("a[href='#{field}']"))).await.unwrap();
    }
    browser.fill("provider-siret", "732 918 245 00018").await;
    browser.fill("provider-nda", "11755555555").await;
    browser.click("button[value=enregistrer]").await;
    browser.until_text("ANGLAIS DES AFFAIRES").await;

    // The draft is deleted, once confirmed.
    let number = browser
        .client
        .find(Locator::XPath("//tr[td[text()='ANGLAIS DES AFFAIRES']]/th/a"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    browser.goto(&format!("/dossiers/{number}")).await;
    browser.click_link("Supprimer le brouillon").await;
    browser.until_text("La suppression est définitive.").await;
    browser.check("supprimer").await;
    browser.click("button.danger").await;
    let drafts = browser.until_text(&format!("Le brouillon {number} est supprimé.")).await;
    assert!(!drafts.contains("ANGLAIS DES AFFAIRES"), "{drafts}");
    let api = app.get(app.employer_a(), &format!("/api/v1/dossiers/{number}")).await;
    assert_eq!(api.status(), reqwest::StatusCode::NOT_FOUND);
    browser.close().await;
}

#[tokio::test]
async fn an_administrator_invites_a_colleague_who_makes_an_api_token() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = people.iter().find(|p| p.email.starts_with("claire")).unwrap();
    let browser = Browser::open(&app).await;
    browser.sign_in(&claire.email, &claire.password).await;
    browser.until_text("Vos coordonnées").await;

    // Utilisateurs: Julie invited; without a mail relay the page shows her link once.
    browser.click_link("Utilisateurs").await;
    browser.until_text("Inviter un utilisateur").await;
    browser.check("utilisateurs").await;
    browser.fill("nom", "Julie Durand").await;
    browser.fill("email", "julie.durand@agence-fictive.example").await;
    browser.click("form[action='/utilisateurs'] button[type=submit]").await;
    browser.until_text("Lien d'activation de Julie Durand").await;
    browser.check("utilisateurs-invitation").await;
    let link = browser.client.find(Locator::Css(".lien-unique code")).await.unwrap().text().await.unwrap();
    let path = link[link.find("/mot-de-passe/").unwrap_or_else(|| panic!("{link}"))..].to_string();
    browser.click("form.personne button").await;
    browser.until_text("Vous êtes déconnecté(e).").await;

    // Julie activates her account and signs in.
    browser.goto(&path).await;
    browser.until_text("Activer votre compte").await;
    let password = "des mots bien choisis";
    browser.fill("password", password).await;
    browser.fill("confirmation", password).await;
    browser.click("button[type=submit]").await;
    browser.until_text("Votre mot de passe est enregistré").await;
    browser.fill("email", "julie.durand@agence-fictive.example").await;
    browser.fill("password", password).await;
    browser.click("button[type=submit]").await;
    browser.until_text("Vos coordonnées").await;

    // Accès à l'API: a token made and shown once, used, then revoked.
    browser.click_link("Accès à l'API").await;
    browser.until_text("Vous n'avez aucun jeton.").await;
    browser.fill("nom", "Logiciel de paie").await;
    browser.click("form[action='/jetons'] button[type=submit]").await;
    browser.until_text("Copiez-le maintenant").await;
    browser.check("jetons").await;
    let token = browser.client.find(Locator::Id("jeton-nouveau")).await.unwrap().text().await.unwrap();
    assert_eq!(app.get(&token, "/api/v1/dossiers").await.status(), reqwest::StatusCode::OK);
    browser.click_link("Accès à l'API").await;
    let listed = browser.until_text("Vos jetons").await;
    assert!(!listed.contains(&token) && !listed.contains("jamais"), "used, never shown again: {listed}");
    browser.click("button[aria-label='Révoquer le jeton Logiciel de paie']").await;
    browser.until_text("Le jeton est révoqué").await;
    assert_eq!(app.get(&token, "/api/v1/dossiers").await.status(), reqwest::StatusCode::UNAUTHORIZED);
    browser.close().await;
}
