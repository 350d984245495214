//! The pages over plain HTTP, as a browser without JavaScript uses them: sign in and out,
//! sessions, CSRF, throttling, one-time links, the périmètre, the accueil and the dossier pages.
//! (`browser.rs` drives a real browser through the same flows, with axe-core on every page.)

use std::collections::HashMap;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};

use crate::helpers::{spawn_app, TestApp};
use pieces::auth::links::Purpose;
use pieces::demo::DemoPerson;

/// A browser without JavaScript: its cookies, forms posted, redirects not followed (to see them).
pub struct Visitor {
    base: String,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

impl Visitor {
    pub fn new(app: &TestApp) -> Visitor {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Visitor { base: app.base.clone(), http, cookies: HashMap::new() }
    }

    fn keep_cookies(&mut self, response: &Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let response =
            self.http.get(format!("{}{path}", self.base)).header(COOKIE, self.cookie_header()).send().await.unwrap();
        self.keep_cookies(&response);
        response
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }

    /// The page's text, after checking its status.
    pub async fn page(&mut self, path: &str, status: StatusCode) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), status, "GET {path}");
        response.text().await.unwrap()
    }

    /// The value of the page's `csrf` field.
    pub fn csrf(page: &str) -> String {
        let at = page.find("name=\"csrf\" value=\"").expect("a form with its CSRF field") + 19;
        page[at..].split('"').next().unwrap().to_string()
    }

    /// Signs in through the form; returns the answer to the POST.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Response {
        let page = self.page("/connexion", StatusCode::OK).await;
        let csrf = Visitor::csrf(&page);
        self.post("/connexion", &[("csrf", &csrf), ("email", email), ("password", password), ("suite", "")]).await
    }

    /// Posts a multipart form (a page's file upload), parts in the order given.
    pub async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Response {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }

    pub fn has_session(&self) -> bool {
        self.cookies.contains_key("pieces_session")
    }
}

pub fn location(response: &Response) -> &str {
    response.headers().get(LOCATION).map(|v| v.to_str().unwrap()).unwrap_or_default()
}

pub async fn people(app: &TestApp) -> Vec<DemoPerson> {
    pieces::demo::seed_people(&app.state).await.expect("the demo people get passwords")
}

fn person<'a>(people: &'a [DemoPerson], email_start: &str) -> &'a DemoPerson {
    people.iter().find(|p| p.email.starts_with(email_start)).unwrap()
}

#[tokio::test]
async fn signing_in_opens_a_session_for_the_pages_and_signing_out_ends_it() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = person(&people, "claire");
    let mut visitor = Visitor::new(&app);

    let first = visitor.get("/dossiers/26.A.90102.1").await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&first), "/connexion?suite=%2Fdossiers%2F26%2EA%2E90102%2E1");

    // An unknown address and a wrong password get the same answer.
    let wrong = visitor.sign_in(&claire.email, "pas le bon mot de passe").await;
    assert_eq!(wrong.status(), StatusCode::OK);
    let wrong = wrong.text().await.unwrap();
    assert!(wrong.contains("E-mail ou mot de passe incorrect."), "{wrong}");
    let unknown = visitor.sign_in("personne@nulle-part.example", "pas le bon mot de passe").await;
    assert!(unknown.text().await.unwrap().contains("E-mail ou mot de passe incorrect."));
    assert!(!visitor.has_session());

    let right = visitor.sign_in(&claire.email.to_uppercase(), &claire.password).await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER, "the e-mail is matched in any case");
    assert_eq!(location(&right), "/");
    let cookie = right
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("pieces_session="));
    let cookie = cookie.expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"), "{cookie}");

    let home = visitor.page("/", StatusCode::OK).await;
    for text in [
        "Vos coordonnées",
        "1.001",
        "AGENCE FICTIVE",
        "065501231",
        "Vos interlocuteurs",
        "Madame Ericka DUBOIS",
        "Sophie Bernard",
        "01 99 00 12 34",
        "Brouillons (1)",
        "Claire Martin",
    ] {
        assert!(home.contains(text), "the accueil shows {text:?}");
    }
    assert!(!home.contains("ATELIERS DU FAUBOURG"), "nothing of another company");

    // Signing out without the form's token changes nothing.
    let refused = visitor.post("/deconnexion", &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("Formulaire refusé"));
    let home = visitor.page("/", StatusCode::OK).await;
    let out = visitor.post("/deconnexion", &[("csrf", &Visitor::csrf(&home))]).await;
    assert_eq!(location(&out), "/connexion?message=deconnecte");
    assert!(!visitor.has_session(), "the browser forgets the cookie");
    let after = visitor.get("/").await;
    assert_eq!(location(&after), "/connexion", "the pages ask to sign in again");
}

#[tokio::test]
async fn an_ended_session_opens_nothing_even_with_its_cookie() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = person(&people, "claire");
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&claire.email, &claire.password).await;
    let kept = visitor.cookies.clone();
    let home = visitor.page("/", StatusCode::OK).await;
    visitor.post("/deconnexion", &[("csrf", &Visitor::csrf(&home))]).await;
    visitor.cookies = kept;
    assert_eq!(location(&visitor.get("/").await), "/connexion", "the row ended, not only the cookie");
}

#[tokio::test]
async fn the_sign_in_form_without_its_token_is_refused() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = person(&people, "claire");
    let mut visitor = Visitor::new(&app);
    visitor.page("/connexion", StatusCode::OK).await;
    let forged = visitor
        .post("/connexion", &[("csrf", "forged"), ("email", &claire.email), ("password", &claire.password)])
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(!visitor.has_session());
}

#[tokio::test]
async fn repeated_failures_make_an_account_wait_even_with_the_right_password() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = person(&people, "claire");
    let mut visitor = Visitor::new(&app);
    for _ in 0..pieces::auth::throttle::PER_ACCOUNT {
        assert_eq!(visitor.sign_in(&claire.email, "devinette devinette").await.status(), StatusCode::OK);
    }
    let waiting = visitor.sign_in(&claire.email, &claire.password).await;
    assert_eq!(waiting.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(waiting.text().await.unwrap().contains("Trop de tentatives de connexion"));
    assert!(!visitor.has_session());
    // Another account from the same address is not held up by this one.
    let marc = person(&people, "marc");
    assert_eq!(visitor.sign_in(&marc.email, &marc.password).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sessions_end_after_30_idle_minutes_and_survive_a_restart() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = person(&people, "claire");
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&claire.email, &claire.password).await;
    let app = app.restart(|_| {}).await;
    visitor.base = app.base.clone();
    visitor.page("/", StatusCode::OK).await;
    let long_ago = pieces::db::format_time(time::OffsetDateTime::now_utc() - time::Duration::minutes(31));
    sqlx::query("update sessions set last_seen_at = $1").bind(&long_ago).execute(&app.state.db).await.unwrap();
    assert_eq!(location(&visitor.get("/").await), "/connexion");
}

#[tokio::test]
async fn a_person_of_several_companies_chooses_one_within_the_perimetre() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let nadia = person(&people, "nadia");
    let mut visitor = Visitor::new(&app);
    let signed = visitor.sign_in(&nadia.email, &nadia.password).await;
    assert_eq!(location(&signed), "/perimetre");
    assert_eq!(location(&visitor.get("/").await), "/perimetre", "no page before a company is chosen");
    let page = visitor.page("/perimetre", StatusCode::OK).await;
    assert!(page.contains("1.001") && page.contains("12927.001"), "{page}");
    let csrf = Visitor::csrf(&page);
    let outside = visitor.post("/perimetre", &[("csrf", &csrf), ("company", "99.999")]).await;
    assert_eq!(outside.status(), StatusCode::NOT_FOUND);
    let chosen = visitor.post("/perimetre", &[("csrf", &csrf), ("company", "12927.001")]).await;
    assert_eq!(location(&chosen), "/");
    let home = visitor.page("/", StatusCode::OK).await;
    assert!(home.contains("ATELIERS DU FAUBOURG") && home.contains("Changer d'entreprise"));
    let list = visitor.page("/dossiers", StatusCode::OK).await;
    assert!(list.contains("26.A.90202.1") && !list.contains("26.A.90102.1"), "the company chosen only");
    // A dossier of the other company of the périmètre: shown, and the header follows it.
    let other = visitor.page("/dossiers/26.A.90102.1", StatusCode::OK).await;
    assert!(other.contains("Entreprise : <strong>1.001</strong>"), "{other}");

    // Claire acts for 1.001 only: a dossier of 12927.001 is a page not found.
    let claire = person(&people, "claire");
    let mut claire_visitor = Visitor::new(&app);
    claire_visitor.sign_in(&claire.email, &claire.password).await;
    let foreign = claire_visitor.page("/dossiers/26.A.90202.1", StatusCode::NOT_FOUND).await;
    assert!(foreign.contains("Page introuvable") && !foreign.contains("HABILITATION"), "{foreign}");
}

#[tokio::test]
async fn an_invitation_link_sets_the_password_once() {
    let app = spawn_app().await;
    let db = &app.state.db;
    pieces::admin::upsert_user(db, "rh.1001", "Louise Petit", pieces::auth::Role::Employer, &["1.001"]).await.unwrap();
    pieces::admin::set_email(db, "rh.1001", "Louise.Petit@agence-fictive.example").await.unwrap();
    let link = pieces::admin::password_link(db, &app.base, "rh.1001", Purpose::Activation).await.unwrap();
    let path = link.strip_prefix(&app.base).unwrap().to_string();
    assert!(path.starts_with("/mot-de-passe/"), "{link}");
    let mut visitor = Visitor::new(&app);
    let page = visitor.page(&path, StatusCode::OK).await;
    assert!(page.contains("Activer votre compte") && page.contains("louise.petit@agence-fictive.example"));
    let csrf = Visitor::csrf(&page);
    let weak = visitor.post(&path, &[("csrf", &csrf), ("password", "court"), ("confirmation", "court")]).await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.text().await.unwrap().contains("Au moins 12 caractères"));
    let differ = visitor
        .post(&path, &[("csrf", &csrf), ("password", "une phrase assez longue"), ("confirmation", "une autre phrase")])
        .await;
    assert!(differ.text().await.unwrap().contains("Les deux saisies diffèrent."));
    let set = visitor
        .post(
            &path,
            &[("csrf", &csrf), ("password", "une phrase assez longue"), ("confirmation", "une phrase assez longue")],
        )
        .await;
    assert_eq!(location(&set), "/connexion?message=mot-de-passe");
    let again = visitor.page(&path, StatusCode::NOT_FOUND).await;
    assert!(again.contains("Lien expiré"));
    let signed = visitor.sign_in("louise.petit@agence-fictive.example", "une phrase assez longue").await;
    assert_eq!(location(&signed), "/");
}

#[tokio::test]
async fn the_dossier_lists_filter_sort_and_page_within_the_company() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = person(&people, "claire");
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&claire.email, &claire.password).await;
    let sent = visitor.page("/dossiers", StatusCode::OK).await;
    assert!(sent.contains("Dossiers AF") && sent.contains("(4)"), "four sent dossiers");
    assert!(!sent.contains("26.A.90101.1"), "a draft is not a sent dossier");
    let drafts = visitor.page("/dossiers?etat=brouillon", StatusCode::OK).await;
    assert!(drafts.contains("26.A.90101.1") && drafts.contains("EXCEL PERFECTIONNEMENT"));
    let pending = visitor.page("/dossiers?etat=en-cours", StatusCode::OK).await;
    assert!(pending.contains("26.A.90102.1") && !pending.contains("25.A.90103.1"));
    assert!(pending.contains("1\u{202F}580,00\u{202F}€"), "the amount, French-formatted: {pending}");
    let found = visitor.page("/dossiers?q=secouriste", StatusCode::OK).await;
    assert!(found.contains("25.A.90103.1") && !found.contains("26.A.90102.1"));
    let none = visitor.page("/dossiers?q=100%25_", StatusCode::OK).await;
    assert!(none.contains("Aucun dossier ne correspond"), "% and _ are letters, not wildcards");
    let by_number = visitor.page("/dossiers?tri=numero", StatusCode::OK).await;
    let first = by_number.find("26.A.90102.1").unwrap();
    assert!(first < by_number.find("24.A.90105.1").unwrap(), "newest numbers first");
    visitor.page("/dossiers?etat=inconnu", StatusCode::NOT_FOUND).await;

    let dossier = visitor.page("/dossiers/26.A.90102.1?onglet=documents", StatusCode::OK).await;
    for text in [
        "En cours",
        "FORMAPRO CONSEIL",
        "Coûts Péda (HT)",
        "1\u{202F}200,00",
        "Remun. (HT)",
        "Convention de formation signée",
        "Stagiaires (1)",
        "Documents (1)",
    ] {
        assert!(dossier.contains(text), "the dossier page shows {text:?}");
    }
    let history = visitor.page("/dossiers/26.A.90102.1?onglet=historique", StatusCode::OK).await;
    assert!(history.contains("Demande envoyée") && history.contains("Claire Martin"), "{history}");
    assert!(history.contains("Pièce jointe : Convention de formation signée"));
}

/// A list filtered by words that more than 500 dossiers match says so and asks for more precise
/// words, rather than counting every match; its pages still go on to the last match, and the API
/// still counts them all.
#[tokio::test]
async fn a_filter_matching_more_than_500_dossiers_asks_for_more_precise_words() {
    use pieces::dossiers::model::{Action, DossierFields};
    let app = spawn_app().await;
    let company = pieces::admin::company_id(&app.state.db, "1.001").await.unwrap();
    let user = pieces::admin::user_id(&app.state.db, "employeur.1001").await.unwrap();
    let mut tx = pieces::db::begin(&app.state.db).await.unwrap();
    for i in 0..510 {
        let number = pieces::domain::DossierNumber::parse(&format!("26.A.{}.1", 30_000 + i)).unwrap();
        let id = pieces::db::new_id();
        pieces::dossiers::sql::insert_draft(&mut tx, &id, &number, &company, &user).await.unwrap();
        let action = Action { title: Some("TABLEUR NIVEAU 2".into()), ..Action::default() };
        pieces::dossiers::sql::save_fields(&mut tx, &id, &DossierFields { action, ..DossierFields::default() })
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let people = people(&app).await;
    let claire = person(&people, "claire");
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&claire.email, &claire.password).await;

    let first = visitor.page("/dossiers?etat=brouillon&q=Tableur", StatusCode::OK).await;
    assert!(first.contains("<span class=\"compte\">(plus de 500)</span>"), "{first}");
    assert!(first.contains("Plus de 500 dossiers correspondent à « Tableur » : précisez votre recherche."));
    assert!(first.contains("<span>Page 1</span>") && first.contains("page=2\" rel=\"next\""), "{first}");
    // Page 26 holds matches 501 to 510, the last: no next page, and the total is known again.
    let last = visitor.page("/dossiers?etat=brouillon&q=Tableur&page=26", StatusCode::OK).await;
    assert_eq!(last.matches("TABLEUR NIVEAU 2").count(), 10, "{last}");
    assert!(last.contains("<span>Page 26 sur 26</span>") && last.contains("rel=\"prev\""), "{last}");
    assert!(!last.contains("rel=\"next\"") && last.contains("(510)") && !last.contains("précisez"), "{last}");
    // On page 25 the count stops at 501 again: the total is not known, but a next page is.
    let far = visitor.page("/dossiers?etat=brouillon&q=Tableur&page=25", StatusCode::OK).await;
    assert!(
        far.contains("(plus de 500)") && far.contains("<span>Page 25</span>") && far.contains("page=26\" rel=\"next\"")
    );
    // Fewer matches are counted exactly, and so is a list without words.
    let few = visitor.page("/dossiers?etat=brouillon&q=tableur%2026.A.30007", StatusCode::OK).await;
    assert!(few.contains("(1)") && few.contains("26.A.30007.1") && !few.contains("précisez"), "{few}");
    let drafts = visitor.page("/dossiers?etat=brouillon", StatusCode::OK).await;
    assert!(drafts.contains("(511)") && drafts.contains("Page 1 sur 26"), "510 and the demo's draft: {drafts}");

    let api: serde_json::Value = app
        .http
        .get(app.url("/api/v1/dossiers?state=draft&q=tableur&limit=1"))
        .bearer_auth(app.employer_a())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["total"], 510, "{api}");
}

#[tokio::test]
async fn a_request_goes_through_the_four_steps_typed_the_french_way() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = person(&people, "claire");
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&claire.email, &claire.password).await;
    let start = visitor.page("/demandes/nouvelle", StatusCode::OK).await;
    assert!(start.contains("1 - Formation") && start.contains("Paiement direct par AKTO"), "{start}");
    let csrf = Visitor::csrf(&start);
    let step1 = |siret: &'static str| {
        vec![
            ("siret", "06550123100040"),
            ("provider.name", "FORMAPRO CONSEIL"),
            ("provider.direct_payment", "oui"),
            ("provider.address", "8 avenue de la République"),
            ("provider.postcode", "75011"),
            ("provider.city", "PARIS"),
            ("provider.siret", siret),
            ("provider.nda", "117 530 123 75"),
            ("action.title", "BUREAUTIQUE"),
            ("action.hours", "21,5"),
            ("action.start_date", "06/01/2027"),
            ("action.end_date", "08/01/2027"),
            ("costs.pedagogy", "2 020,00"),
            ("costs.remuneration", "557,13"),
            ("bouton", "valider"),
        ]
    };
    // A SIRET with a wrong key and a NDA too short: the step is refused, each complaint is next
    // to its field and listed at the top with a link to it, and what was typed is still there.
    let mut form = step1("73291824500019");
    form.retain(|(name, _)| *name != "provider.nda");
    form.push(("provider.nda", "1175"));
    form.push(("csrf", &csrf));
    let refused = visitor.post("/demandes/nouvelle", &form).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("id=\"provider-siret-erreur\">SIRET invalide"), "{refused}");
    assert!(refused.contains("id=\"provider-nda-erreur\">Le NDA"), "{refused}");
    assert!(refused.contains("2 champs sont à corriger"), "{refused}");
    assert!(refused.contains("href=\"#provider-siret\"") && refused.contains("href=\"#provider-nda\""));
    assert!(refused.contains("value=\"2 020,00\""), "what was typed stays");
    let mut form = step1("732 918 245 00018");
    form.push(("csrf", &csrf));
    let created = visitor.post("/demandes/nouvelle", &form).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let step2 = location(&created).to_string();
    assert!(step2.ends_with("/etape/2"), "{step2}");
    let number = step2.trim_start_matches("/dossiers/").trim_end_matches("/etape/2").to_string();
    let api: serde_json::Value =
        app.get(app.employer_a(), &format!("/api/v1/dossiers/{number}")).await.json().await.unwrap();
    assert_eq!(api["action"]["hours"], "21.5");
    assert_eq!(api["action"]["start_date"], "2027-01-06");
    assert_eq!(api["costs"]["pedagogy"], "2020.00");
    assert_eq!(api["provider"]["nda"], "11753012375");
    assert_eq!(api["state"], "draft");

    visitor.page(&step2, StatusCode::OK).await;
    let saved = visitor
        .post(&step2, &[("csrf", &csrf), ("action.modules", "Excel avancé\nPower BI"), ("bouton", "enregistrer")])
        .await;
    assert_eq!(location(&saved), "/dossiers?etat=brouillon", "saved and left: back among the drafts");
    let drafts = visitor.page("/dossiers?etat=brouillon", StatusCode::OK).await;
    assert!(drafts.contains(&number) && drafts.contains("BUREAUTIQUE"));

    // Resumed at step 3: the salariés, one line left blank.
    let step3 = format!("/dossiers/{number}/etape/3");
    let page = visitor.page(&step3, StatusCode::OK).await;
    assert!(page.contains("nom_0"));
    let next = visitor
        .post(
            &step3,
            &[
                ("csrf", &csrf),
                ("nom_0", "DURAND"),
                ("prenom_0", "Julie"),
                ("nom_1", ""),
                ("prenom_1", ""),
                ("bouton", "valider"),
            ],
        )
        .await;
    assert_eq!(location(&next), format!("/dossiers/{number}/etape/4"));
    let step4 = visitor.page(&format!("/dossiers/{number}/etape/4"), StatusCode::OK).await;
    assert!(step4.contains("Le formulaire est complet.") && step4.contains("Manquante"), "{step4}");
    // Without the programme and the convention, sending asks for confirmation first.
    let asked = visitor.post(&format!("/dossiers/{number}/etape/4"), &[("csrf", &csrf), ("bouton", "envoyer")]).await;
    assert_eq!(asked.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(asked.text().await.unwrap().contains("Envoyer sans ces pièces"));
    let sent = visitor
        .post(&format!("/dossiers/{number}/etape/4"), &[("csrf", &csrf), ("sans-pieces", "oui"), ("bouton", "envoyer")])
        .await;
    assert_eq!(location(&sent), format!("/dossiers/{number}?envoye=1"));
    let pending = visitor.page("/dossiers?etat=en-cours", StatusCode::OK).await;
    assert!(pending.contains(&number), "sent: under en cours");
    let steps_after = visitor.get(&step3).await;
    assert_eq!(location(&steps_after), format!("/dossiers/{number}"), "a sent dossier's steps are closed");
    let api: serde_json::Value =
        app.get(app.employer_a(), &format!("/api/v1/dossiers/{number}")).await.json().await.unwrap();
    assert_eq!(api["state"], "pending");
    assert_eq!(api["action"]["modules"], "Excel avancé\nPower BI");
    assert_eq!(api["trainees"], serde_json::json!([{"last_name": "DURAND", "first_name": "Julie"}]));
}

#[tokio::test]
async fn a_file_is_attached_from_the_dossier_page_through_the_one_upload_path() {
    use reqwest::multipart::{Form, Part};
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = person(&people, "claire");
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&claire.email, &claire.password).await;
    let page = visitor.page("/dossiers/26.A.90101.1?onglet=documents", StatusCode::OK).await;
    assert!(page.contains("Joindre des fichiers") && page.contains("Aucun document joint."));
    let csrf = Visitor::csrf(&page);
    let programme = crate::helpers::sample("upload/programme.pdf");
    let form = |csrf: &str| {
        Form::new()
            .text("csrf", csrf.to_string())
            .part("file", Part::bytes(programme.clone()).file_name("programme.pdf"))
            .text("kind", "programme")
            .text("title", "Programme détaillé")
    };
    let path = "/dossiers/26.A.90101.1/pieces";
    // Without the form's token: refused, nothing stored.
    let forged = visitor.post_multipart(path, form("forged")).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.text().await.unwrap().contains("Formulaire refusé"));
    assert!(app.documents_of(app.employer_a(), "26.A.90101.1").await.is_empty());

    let sent = visitor.post_multipart(path, form(&csrf)).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    assert!(location(&sent).contains("joints="), "{}", location(&sent));
    let shown = visitor.page(location(&sent).split('#').next().unwrap(), StatusCode::OK).await;
    assert!(shown.contains("Pièce jointe : « Programme détaillé »"), "{shown}");
    let stored = app.documents_of(app.employer_a(), "26.A.90101.1").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["kind"], "programme");
    assert_eq!(stored[0]["uploaded_by"], "employeur.1001");

    let again = visitor.post_multipart(path, form(&csrf)).await;
    let shown = visitor.page(location(&again).split('#').next().unwrap(), StatusCode::OK).await;
    assert!(shown.contains("Déjà joint : « Programme détaillé » était déjà dans ce dossier."), "{shown}");
    assert_eq!(app.documents_of(app.employer_a(), "26.A.90101.1").await.len(), 1, "the same bytes once");
    // Step 4 of the request now finds the programme among the required pieces.
    let step4 = visitor.page("/dossiers/26.A.90101.1/etape/4", StatusCode::OK).await;
    assert!(step4.contains("Jointe :</span> Programme détaillé de la formation"), "{step4}");

    // Several files at once, as a browser without JavaScript sends them: the description is the
    // first file's; a refused file is said, and the others are stored.
    let several = Form::new()
        .text("csrf", csrf.clone())
        .text("kind", "devis")
        .part("file", Part::bytes(crate::helpers::pdf("devis signé")).file_name("devis.pdf"))
        .part("file", Part::bytes(b"quelques notes".to_vec()).file_name("notes.txt"))
        .part("file", Part::bytes(crate::helpers::sample("upload/emargement-scan.png")).file_name("emargement.png"));
    let answer = visitor.post_multipart(path, several).await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer = answer.text().await.unwrap();
    assert!(answer.contains("« notes.txt » n&#39;est pas joint : "), "{answer}");
    assert!(answer.contains("Pièce jointe : « devis.pdf »") && answer.contains("Pièce jointe : « emargement.png »"));
    assert!(answer.contains("Convention de formation ou devis signé : <strong>Présente</strong>"), "{answer}");
    let stored = app.documents_of(app.employer_a(), "26.A.90101.1").await;
    assert_eq!(stored.len(), 3);
    let devis = stored.iter().find(|d| d["title"] == "devis.pdf").unwrap();
    assert_eq!(devis["kind"], "devis");
    assert!(stored.iter().find(|d| d["title"] == "emargement.png").unwrap()["kind"].is_null());

    // The devis removed from the draft: recorded in the history; the required piece is missing
    // again.
    let remove = format!("/pieces/{}/retirer", devis["id"].as_str().unwrap());
    let forged = visitor.post(&remove, &[("csrf", "forged")]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let removed = visitor.post(&remove, &[("csrf", &csrf)]).await;
    assert_eq!(location(&removed), "/dossiers/26%2EA%2E90101%2E1?onglet=documents&retiree=1#onglets");
    let shown = visitor.page("/dossiers/26.A.90101.1?onglet=documents&retiree=1", StatusCode::OK).await;
    assert!(shown.contains("La pièce est retirée du dossier."));
    assert!(shown.contains("Convention de formation ou devis signé : <strong>Manquante</strong>"), "{shown}");
    assert_eq!(app.documents_of(app.employer_a(), "26.A.90101.1").await.len(), 2);
    let history = visitor.page("/dossiers/26.A.90101.1?onglet=historique", StatusCode::OK).await;
    assert!(history.contains("Pièce retirée : devis.pdf"), "{history}");
    assert_eq!(visitor.post(&remove, &[("csrf", &csrf)]).await.status(), StatusCode::NOT_FOUND, "once");
}

#[tokio::test]
async fn a_draft_is_deleted_with_its_pieces_once_confirmed() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = person(&people, "claire");
    app.upload(app.employer_a(), "26.A.90101.1", "programme.pdf", crate::helpers::pdf("programme")).await;
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&claire.email, &claire.password).await;
    let dossier = visitor.page("/dossiers/26.A.90101.1", StatusCode::OK).await;
    assert!(dossier.contains("href=\"/dossiers/26.A.90101.1/supprimer\""), "{dossier}");
    let confirm = visitor.page("/dossiers/26.A.90101.1/supprimer", StatusCode::OK).await;
    assert!(confirm.contains("sa saisie et sa pièce jointe") && confirm.contains("définitive"), "{confirm}");
    let csrf = Visitor::csrf(&confirm);
    let forged = visitor.post("/dossiers/26.A.90101.1/supprimer", &[("csrf", "forged")]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let deleted = visitor.post("/dossiers/26.A.90101.1/supprimer", &[("csrf", &csrf)]).await;
    assert_eq!(location(&deleted), "/dossiers?etat=brouillon&supprime=26%2EA%2E90101%2E1");
    let drafts = visitor.page(location(&deleted), StatusCode::OK).await;
    assert!(
        drafts.contains("Le brouillon 26.A.90101.1 est supprimé.")
            && drafts.contains("Brouillons <span class=\"compte\">(0)</span>")
    );
    visitor.page("/dossiers/26.A.90101.1", StatusCode::NOT_FOUND).await;
    // A sent dossier is not a draft: its page has no such button, and asking goes back to it.
    let sent = visitor.page("/dossiers/26.A.90102.1", StatusCode::OK).await;
    assert!(!sent.contains("Supprimer le brouillon"));
    assert_eq!(location(&visitor.get("/dossiers/26.A.90102.1/supprimer").await), "/dossiers/26.A.90102.1");
    let refused = visitor.post("/dossiers/26.A.90102.1/supprimer", &[("csrf", &csrf)]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn step_one_finds_the_organismes_of_the_companys_dossiers_only() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = person(&people, "claire");
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&claire.email, &claire.password).await;
    let found = visitor.page("/demandes/nouvelle?organisme=forma", StatusCode::OK).await;
    assert!(found.contains("FORMAPRO CONSEIL · 732918245 00018 · PARIS"), "{found}");
    assert!(found.contains("href=\"/demandes/nouvelle?prendre=73291824500018\""), "{found}");
    let by_siret = visitor.page("/demandes/nouvelle?organisme=732%20918", StatusCode::OK).await;
    assert!(by_siret.contains("FORMAPRO CONSEIL"), "found by digits of its SIRET");
    // Another company's organisme is not among them.
    let foreign = visitor.page("/demandes/nouvelle?organisme=wolters", StatusCode::OK).await;
    assert!(foreign.contains("Aucun organisme de vos dossiers ne correspond"), "{foreign}");
    let taken = visitor.page("/demandes/nouvelle?prendre=73291824500018", StatusCode::OK).await;
    for value in ["value=\"FORMAPRO CONSEIL\"", "value=\"11753012375\"", "value=\"75011\"", "value=\"73291824500018\""]
    {
        assert!(taken.contains(value), "the organisme's fields are filled: {value}");
    }
    // Nothing is saved by taking it: no new draft.
    let drafts = visitor.page("/dossiers?etat=brouillon", StatusCode::OK).await;
    assert!(drafts.contains("Brouillons <span class=\"compte\">(1)</span>"), "{drafts}");
}

#[tokio::test]
async fn an_assistant_starts_at_the_desk_with_the_pieces_to_check_and_an_employer_cannot_reach_it() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let sophie = person(&people, "sophie");
    let claire = person(&people, "claire");
    // A programme sent as a RIB: the classifier contradicts it.
    let programme = crate::helpers::sample("upload/programme.pdf");
    let form = reqwest::multipart::Form::new()
        .text("kind", "rib")
        .text("title", "Programme envoyé comme RIB")
        .part("file", reqwest::multipart::Part::bytes(programme).file_name("programme.pdf"));
    let sent = app.upload_form(app.employer_a(), "26.A.90102.1", form).await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let id = sent.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let read = app.understood(app.employer_a(), &id).await;
    assert_eq!(read["kind_mismatch"], true, "{read}");

    // The API's queue: within each caller's périmètre; `since` as RFC 3339.
    let queue = |token: String, query: &'static str| {
        let app = &app;
        async move { app.get(&token, &format!("/api/v1/documents?{query}")).await }
    };
    let assistant: serde_json::Value = queue(app.assistant().to_string(), "to_check=true").await.json().await.unwrap();
    let ids: Vec<&str> = assistant["documents"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&id.as_str()), "{assistant}");
    assert_eq!(assistant["total"].as_i64().unwrap() as usize, ids.len());
    let other: serde_json::Value = queue(app.employer_b().to_string(), "to_check=true").await.json().await.unwrap();
    assert!(!other.to_string().contains(&id), "another company's employer does not see it");
    let recent: serde_json::Value =
        queue(app.assistant().to_string(), "since=2020-01-01T00:00:00Z&limit=500").await.json().await.unwrap();
    assert!(recent.to_string().contains(&id));
    let later: serde_json::Value =
        queue(app.assistant().to_string(), "since=2999-01-01T00:00:00Z").await.json().await.unwrap();
    assert_eq!(later["total"], 0);
    crate::helpers::assert_invalid(queue(app.assistant().to_string(), "since=hier").await, "since").await;
    crate::helpers::assert_problem(
        queue(app.assistant().to_string(), "").await,
        StatusCode::BAD_REQUEST,
        "queue_expected",
    )
    .await;

    // The assistant signs in: the desk, not the périmètre screen.
    let mut visitor = Visitor::new(&app);
    let signed = visitor.sign_in(&sophie.email, &sophie.password).await;
    assert_eq!(location(&signed), "/");
    let desk = visitor.page("/", StatusCode::OK).await;
    for expected in [
        "Assistant(e) formation",
        "Vos entreprises",
        "AGENCE FICTIVE",
        "Dossiers en attente de décision (",
        "href=\"/dossiers/26.A.90102.1\"",
        "Programme envoyé comme RIB",
        "Le contenu contredit le type choisi",
    ] {
        assert!(desk.contains(expected), "{expected}: {desk}");
    }
    let to_check = visitor.page("/a-verifier", StatusCode::OK).await;
    assert!(to_check.contains("Programme envoyé comme RIB") && to_check.contains("Pièces à vérifier"), "{to_check}");
    // The dossier opens without choosing a company first.
    let dossier = visitor.page("/dossiers/26.A.90102.1?onglet=documents", StatusCode::OK).await;
    assert!(dossier.contains("Programme envoyé comme RIB"));

    // The piece's page: shown inline, its text, why it was classified so; the file is inline
    // under a policy of its own, or downloaded.
    let viewer = visitor.page(&format!("/pieces/{id}"), StatusCode::OK).await;
    assert!(viewer.contains(&format!("<iframe src=\"/pieces/{id}/fichier\"")), "{viewer}");
    assert!(viewer.contains("Ce qui a décidé du type reconnu") && viewer.contains("Texte lu"), "{viewer}");
    assert!(viewer.contains("Corriger le type"), "staff may correct it");
    let inline = visitor.get(&format!("/pieces/{id}/fichier")).await;
    assert_eq!(inline.status(), StatusCode::OK);
    let header =
        |r: &Response, name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(header(&inline, "content-disposition").starts_with("inline;"), "{:?}", inline.headers());
    assert!(header(&inline, "content-security-policy").contains("frame-ancestors 'self'"));
    let download = visitor.get(&format!("/pieces/{id}/fichier?telecharger=1")).await;
    assert!(header(&download, "content-disposition").starts_with("attachment;"));
    // The kind corrected: recorded, learned, and the piece leaves the queue.
    let csrf = Visitor::csrf(&viewer);
    let corrected = visitor.post(&format!("/pieces/{id}/type"), &[("csrf", &csrf), ("kind", "programme")]).await;
    assert_eq!(location(&corrected), format!("/pieces/{id}?corrige=1"));
    let api: serde_json::Value =
        app.get(app.assistant(), &format!("/api/v1/documents/{id}")).await.json().await.unwrap();
    assert_eq!((api["kind"].as_str(), api["kind_mismatch"].as_bool()), (Some("programme"), Some(false)), "{api}");
    let to_check = visitor.page("/a-verifier", StatusCode::OK).await;
    assert!(!to_check.contains("Programme envoyé comme RIB"), "{to_check}");

    // An employer: their company's accueil at `/`, and no desk.
    let mut employer = Visitor::new(&app);
    employer.sign_in(&claire.email, &claire.password).await;
    let home = employer.page("/", StatusCode::OK).await;
    assert!(home.contains("Vos coordonnées") && !home.contains("Pièces à vérifier"));
    employer.page("/a-verifier", StatusCode::NOT_FOUND).await;
    let viewer = employer.page(&format!("/pieces/{id}"), StatusCode::OK).await;
    assert!(!viewer.contains("Corriger le type"), "an employer does not correct kinds");
    let csrf = Visitor::csrf(&employer.page("/", StatusCode::OK).await);
    let refused = employer.post(&format!("/pieces/{id}/type"), &[("csrf", &csrf), ("kind", "rib")]).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let mut other = Visitor::new(&app);
    let marc = person(&people, "marc");
    other.sign_in(&marc.email, &marc.password).await;
    other.page(&format!("/pieces/{id}"), StatusCode::NOT_FOUND).await;
    assert_eq!(other.get(&format!("/pieces/{id}/fichier")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_search_page_keeps_the_whole_search_in_its_address_and_its_facets_filter() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let sophie = person(&people, "sophie");
    let claire = person(&people, "claire");
    let ours =
        app.upload_text(app.employer_a(), "26.A.90102.1", "ours.pdf", &["Programme ornithorynque pour l'agence"]).await;
    app.upload_text(app.employer_b(), "26.A.90201.1", "theirs.pdf", &["Programme ornithorynque pour les ateliers"])
        .await;

    let mut assistant = Visitor::new(&app);
    assistant.sign_in(&sophie.email, &sophie.password).await;
    let empty = assistant.page("/recherche", StatusCode::OK).await;
    assert!(empty.contains("Cherchez parmi les pièces"), "{empty}");
    let both = assistant.page("/recherche?q=ornithorynque", StatusCode::OK).await;
    assert!(both.contains("<strong>2</strong> pièces trouvées"), "{both}");
    assert!(both.contains("<mark>"), "the words found are marked: {both}");
    // The company facet: a count, and a link that filters.
    let facet = "href=\"/recherche?q=ornithorynque&#38;company=1%2E001\"";
    assert!(both.contains(facet) && both.contains("1.001 (1)"), "{both}");
    let one = assistant.page("/recherche?q=ornithorynque&company=1%2E001", StatusCode::OK).await;
    assert!(one.contains("<strong>1</strong> pièce trouvée") && one.contains(&format!("/pieces/{ours}")), "{one}");
    assert!(one.contains("aria-current=\"true\""), "the chosen facet says so: {one}");
    // A search the engine refuses says why, in French.
    let deep = format!("/recherche?q={}a{}", "(".repeat(50), ")".repeat(50));
    let refused = assistant.page(&deep, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(refused.contains("role=\"alert\""), "{refused}");

    // An employer searches their own company's pieces only.
    let mut employer = Visitor::new(&app);
    employer.sign_in(&claire.email, &claire.password).await;
    let theirs = employer.page("/recherche?q=ornithorynque", StatusCode::OK).await;
    assert!(theirs.contains("<strong>1</strong> pièce trouvée"), "{theirs}");
    assert!(theirs.contains("Brouillons (") && !theirs.contains("Pièces à vérifier"), "their company's menu: {theirs}");
}

#[tokio::test]
async fn an_assistant_grants_refuses_with_a_motif_and_corrects_a_dossier_en_cours() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let sophie = person(&people, "sophie");
    let marc = person(&people, "marc");
    let mut assistant = Visitor::new(&app);
    assistant.sign_in(&sophie.email, &sophie.password).await;
    let page = assistant.page("/dossiers/26.A.90102.1", StatusCode::OK).await;
    assert!(page.contains("Instruction") && page.contains("Corriger le formulaire"), "{page}");
    let csrf = Visitor::csrf(&page);

    // The form corrected while en cours: the history keeps the values before and after.
    let before: serde_json::Value =
        app.get(app.assistant(), "/api/v1/dossiers/26.A.90102.1").await.json().await.unwrap();
    let mut action = before["action"].clone();
    action["title"] = serde_json::json!("MANAGEMENT D'EQUIPE (2 JOURS)");
    let corrected = app
        .patch_json(app.assistant(), "/api/v1/dossiers/26.A.90102.1", &serde_json::json!({ "action": action }))
        .await;
    assert_eq!(corrected.status(), StatusCode::OK);
    let refused = app
        .patch_json(app.employer_a(), "/api/v1/dossiers/26.A.90102.1", &serde_json::json!({ "action": action }))
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT, "a sent dossier is changed by the OPCO only");
    let history = assistant.page("/dossiers/26.A.90102.1?onglet=historique", StatusCode::OK).await;
    assert!(
        history.contains("Dossier corrigé par l&#39;OPCO : Intitulé du stage : « MANAGEMENT D&#39;EQUIPE » → « MANAGEMENT D&#39;EQUIPE (2 JOURS) »"),
        "{history}"
    );
    let step1 = assistant.page("/dossiers/26.A.90102.1/etape/1", StatusCode::OK).await;
    assert!(step1.contains("MANAGEMENT D&#39;EQUIPE (2 JOURS)"), "staff open the form of a dossier en cours");
    assert_eq!(location(&assistant.get("/dossiers/26.A.90102.1/etape/4").await), "/dossiers/26.A.90102.1");

    // Granted; an employer cannot decide.
    let granted = assistant.post("/dossiers/26.A.90102.1/decision", &[("csrf", &csrf), ("etat", "granted")]).await;
    assert_eq!(location(&granted), "/dossiers/26.A.90102.1?decision=granted");
    let shown = assistant.page("/dossiers/26.A.90102.1?decision=granted", StatusCode::OK).await;
    assert!(shown.contains("Le dossier est accordé.") && shown.contains("Clôturer"), "{shown}");
    let mut employer = Visitor::new(&app);
    employer.sign_in(&marc.email, &marc.password).await;
    let own = employer.page("/dossiers/26.A.90202.1", StatusCode::OK).await;
    assert!(!own.contains("Instruction"));
    let employer_csrf = Visitor::csrf(&own);
    let attempt =
        employer.post("/dossiers/26.A.90202.1/decision", &[("csrf", &employer_csrf), ("etat", "granted")]).await;
    assert_eq!(attempt.status(), StatusCode::NOT_FOUND);

    // A refusal needs its motif, which the employer then reads.
    let bare = assistant.post("/dossiers/26.A.90202.1/decision", &[("csrf", &csrf), ("etat", "refused")]).await;
    assert_eq!(bare.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bare.text().await.unwrap().contains("Un refus donne son motif"));
    let motif = "Le programme détaillé manque.";
    let refused = assistant
        .post("/dossiers/26.A.90202.1/decision", &[("csrf", &csrf), ("etat", "refused"), ("motif", motif)])
        .await;
    assert_eq!(location(&refused), "/dossiers/26.A.90202.1?decision=refused");
    let seen = employer.page("/dossiers/26.A.90202.1", StatusCode::OK).await;
    assert!(seen.contains("Motif du refus") && seen.contains(motif), "{seen}");
}

#[tokio::test]
async fn an_employer_fills_in_issues_once_and_credits_the_invoice_in_the_pages() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = person(&people, "claire");
    let sophie = person(&people, "sophie");
    let number = crate::invoices::GRANTED_A;
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&claire.email, &claire.password).await;
    let tab = visitor.page(&format!("/dossiers/{number}?onglet=factures"), StatusCode::OK).await;
    assert!(tab.contains(&format!("href=\"/dossiers/{number}/facture\"")), "{tab}");
    let form = visitor.page(&format!("/dossiers/{number}/facture"), StatusCode::OK).await;
    assert!(form.contains("DURAND Julie") && form.contains("Émettre la facture"), "{form}");
    let csrf = Visitor::csrf(&form);
    let key = form.split("name=\"cle\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let fields = |hourly: &'static str, button: &'static str, confirm: bool| {
        let mut fields = vec![
            ("csrf", csrf.clone()),
            ("cle", key.clone()),
            ("nom_0", "Julie DURAND".to_string()),
            ("taux_0", hourly.to_string()),
            ("heures_0", "14".to_string()),
            ("restauration", "120,00".to_string()),
            ("deplacement", "45,60".to_string()),
            ("autres", "10,15".to_string()),
            ("autres_libelle", "Support de cours".to_string()),
            ("tva", "20".to_string()),
            ("signataire", "Claire Martin".to_string()),
            ("fonction", "DRH".to_string()),
            ("lieu", "Paris".to_string()),
            ("date", "27/11/2026".to_string()),
            ("bouton", button.to_string()),
        ];
        if confirm {
            fields.push(("confirme", "oui".to_string()));
        }
        fields
    };
    let path = format!("/dossiers/{number}/facture");
    // A rate with three decimals: said on its row; the rest stays typed.
    let pairs = fields("28,505", "apercu", false);
    let refused = visitor.post(&path, &pairs.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("id=\"ligne-erreur-0\"") && refused.contains("value=\"120,00\""), "{refused}");
    // Corrected: the totals, computed by the API's preview, in French.
    let pairs = fields("28,50", "apercu", false);
    let computed = visitor.post(&path, &pairs.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(computed.status(), StatusCode::OK);
    let computed = computed.text().await.unwrap();
    assert!(computed.contains("TOTAL TTC") && computed.contains("574,75"), "{computed}");
    // Issued only once confirmed; a second click with the form's key issues nothing more.
    let pairs = fields("28,50", "emettre", false);
    let unconfirmed = visitor.post(&path, &pairs.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unconfirmed.text().await.unwrap().contains("Cochez la case pour émettre"));
    for _ in 0..2 {
        let pairs = fields("28,50", "emettre", true);
        let issued = visitor.post(&path, &pairs.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
        assert_eq!(location(&issued), format!("/dossiers/{number}?onglet=factures&facture=FE2026%2D00001#onglets"));
    }
    let listed =
        visitor.page(&format!("/dossiers/{number}?onglet=factures&facture=FE2026-00001"), StatusCode::OK).await;
    assert!(listed.contains("FE2026-00001 est émis") && !listed.contains("FE2026-00002"), "one invoice: {listed}");
    let pdf = visitor.get("/factures/FE2026-00001/pdf?company=1.001").await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    // A credit note cancels it.
    // It is dated today: FE2026-00002 this year.
    let credited = visitor.post("/factures/FE2026-00001/avoir", &[("csrf", &csrf), ("company", "1.001")]).await;
    let shown = location(&credited);
    let credit = shown.split("facture=").nth(1).and_then(|rest| rest.strip_suffix("#onglets")).unwrap_or_default();
    let credit = credit.replace("%2D", "-");
    assert!(credit.starts_with("FE20") && credit.ends_with("-00002"), "{shown}");
    assert_eq!(shown, format!("/dossiers/{number}?onglet=factures&facture={}#onglets", credit.replace('-', "%2D")));
    let listed = visitor.page(&format!("/dossiers/{number}?onglet=factures"), StatusCode::OK).await;
    assert!(listed.contains("annulée par un avoir") && listed.contains(&credit), "{listed}");

    // Staff do not fill in employers' invoices.
    let mut assistant = Visitor::new(&app);
    assistant.sign_in(&sophie.email, &sophie.password).await;
    let their_view = assistant.page(&format!("/dossiers/{number}?onglet=factures"), StatusCode::OK).await;
    assert!(!their_view.contains("Remplir la facture") && !their_view.contains("Établir un avoir"));
    assistant.page(&format!("/dossiers/{number}/facture"), StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn lists_show_each_piece_by_a_thumbnail_of_its_first_page() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let (claire, marc) = (person(&people, "claire"), person(&people, "marc"));
    let a = app.employer_a();
    let mut ids = Vec::new();
    for (name, bytes) in [
        ("programme.pdf", crate::helpers::sample("upload/programme.pdf")),
        ("emargement-scan.png", crate::helpers::sample("upload/emargement-scan.png")),
    ] {
        let sent: serde_json::Value = app.upload(a, "26.A.90101.1", name, bytes).await.json().await.unwrap();
        ids.push(sent["id"].as_str().unwrap().to_string());
    }
    // A PDF cut in half: read as damaged, and no picture can be made of it.
    let mut damaged = crate::helpers::sample("upload/programme.pdf");
    damaged.truncate(damaged.len() / 3);
    let sent: serde_json::Value = app.upload(a, "26.A.90101.1", "coupe.pdf", damaged).await.json().await.unwrap();
    let damaged = sent["id"].as_str().unwrap().to_string();
    for id in ids.iter().chain([&damaged]) {
        app.understood(a, id).await;
    }

    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&claire.email, &claire.password).await;
    let page = visitor.page("/dossiers/26.A.90101.1?onglet=documents", StatusCode::OK).await;
    for id in ids.iter().chain([&damaged]) {
        assert!(page.contains(&format!("src=\"/pieces/{id}/vignette\"")), "{page}");
        let thumbnail = visitor.get(&format!("/pieces/{id}/vignette")).await;
        assert_eq!(thumbnail.status(), StatusCode::OK);
        let kind = thumbnail.headers()["content-type"].to_str().unwrap().to_string();
        let bytes = thumbnail.bytes().await.unwrap();
        if *id == damaged {
            assert_eq!(kind, "image/svg+xml", "the icon of a piece without a picture");
            continue;
        }
        assert_eq!(kind, "image/png");
        let picture = image::load_from_memory(&bytes).expect("a PNG");
        assert_eq!(picture.width().max(picture.height()), 160, "{}×{}", picture.width(), picture.height());
        if *id == ids[0] {
            assert!(picture.width() < picture.height(), "the programme's A4 page stands upright");
        }
    }
    // Made once, kept as a blob of its own.
    let kept: i64 = sqlx::query_scalar(
        "select count(thumbnail_sha256) from documents where dossier_id = \
                                         (select id from dossiers where number = '26.A.90101.1')",
    )
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert_eq!(kept, 2);

    // Another company's piece has no thumbnail for them.
    let mut other = Visitor::new(&app);
    other.sign_in(&marc.email, &marc.password).await;
    other.page(&format!("/pieces/{}/vignette", ids[0]), StatusCode::NOT_FOUND).await;
}
