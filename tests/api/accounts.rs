//! Utilisateurs and Accès à l'API over plain HTTP: an employer's administrator invites a person
//! (the activation link shown once without a mail relay, by mail with one), withdraws an access;
//! everyone acting for the company sees who does, staff included; a person's API tokens are made,
//! shown once, followed ("last used") and revoked.

use reqwest::StatusCode;

use crate::helpers::spawn_app;
use crate::pages::{location, people, Visitor};

/// The text between `start` and the next `end` in `page`.
fn between<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let at = page.find(start).unwrap_or_else(|| panic!("{start:?} not in {page}")) + start.len();
    page[at..].split(end).next().unwrap()
}

#[tokio::test]
async fn an_administrator_invites_a_colleague_and_later_withdraws_the_access() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let who = |start: &str| people.iter().find(|p| p.email.starts_with(start)).unwrap();
    let (claire, marc, sophie) = (who("claire"), who("marc"), who("sophie"));

    let mut claire_visit = Visitor::new(&app);
    claire_visit.sign_in(&claire.email, &claire.password).await;
    let users = claire_visit.page("/utilisateurs", StatusCode::OK).await;
    assert!(
        users.contains("Administrateur de l&#39;entreprise") && users.contains("Inviter un utilisateur"),
        "{users}"
    );
    assert!(users.contains("Sophie Bernard (AKTO)"), "the OPCO's people who handle the company: {users}");
    assert!(!users.contains("Retirer l'accès de Claire"), "no button to withdraw one's own access");
    let csrf = Visitor::csrf(&users);

    // Faults are said; nothing is created.
    let wrong = claire_visit
        .post("/utilisateurs", &[("csrf", &csrf), ("nom", "Julie Durand"), ("email", "julie.agence-fictive.example")])
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let wrong = wrong.text().await.unwrap();
    assert!(
        wrong.contains("Indiquez une adresse e-mail valide") && wrong.contains("value=\"Julie Durand\""),
        "{wrong}"
    );
    let staff =
        claire_visit.post("/utilisateurs", &[("csrf", &csrf), ("nom", "Sophie"), ("email", &sophie.email)]).await;
    assert_eq!(staff.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(staff.text().await.unwrap().contains("compte de l&#39;OPCO"));
    let forged = claire_visit
        .post(
            "/utilisateurs",
            &[("csrf", "forged"), ("nom", "Julie Durand"), ("email", "julie@agence-fictive.example")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // No mail relay: the activation link is shown once, to pass on.
    let invited = claire_visit
        .post("/utilisateurs", &[("csrf", &csrf), ("nom", "Julie Durand"), ("email", " Julie@Agence-Fictive.example ")])
        .await;
    assert_eq!(invited.status(), StatusCode::OK);
    let invited = invited.text().await.unwrap();
    let link = between(&invited, "<code class=\"a-copier\">", "</code>").to_string();
    // (The link starts with --public-url; the path is the same on the test's port.)
    let path = link[link.find("/mot-de-passe/").unwrap_or_else(|| panic!("{link}"))..].to_string();
    assert!(invited.contains("Invité(e) : compte pas encore activé"), "{invited}");
    assert!(!claire_visit.page("/utilisateurs", StatusCode::OK).await.contains(&link), "shown once");

    // Julie activates the account, acts for the company, and sees the list without its buttons.
    let mut julie = Visitor::new(&app);
    let form = julie.page(&path, StatusCode::OK).await;
    assert!(form.contains("Activer votre compte") && form.contains("julie@agence-fictive.example"), "{form}");
    let password = "des mots bien choisis";
    let set =
        julie.post(&path, &[("csrf", &Visitor::csrf(&form)), ("password", password), ("confirmation", password)]).await;
    assert_eq!(location(&set), "/connexion?message=mot-de-passe");
    assert_eq!(location(&julie.sign_in("julie@agence-fictive.example", password).await), "/");
    let seen = julie.page("/utilisateurs", StatusCode::OK).await;
    assert!(seen.contains("Julie Durand") && !seen.contains("Inviter un utilisateur"), "{seen}");
    assert!(seen.contains("adressez-vous à un administrateur"), "{seen}");
    let julie_csrf = Visitor::csrf(&seen);
    let not_allowed =
        julie.post("/utilisateurs", &[("csrf", &julie_csrf), ("nom", "Intrus"), ("email", "intrus@example.org")]).await;
    assert_eq!(not_allowed.status(), StatusCode::FORBIDDEN);

    // The assistant sees who acts for the company, and cannot invite.
    let mut sophie_visit = Visitor::new(&app);
    sophie_visit.sign_in(&sophie.email, &sophie.password).await;
    sophie_visit.page("/dossiers/26.A.90102.1", StatusCode::OK).await;
    let seen = sophie_visit.page("/utilisateurs", StatusCode::OK).await;
    assert!(seen.contains("Julie Durand") && seen.contains("Claire Martin"), "{seen}");
    assert!(!seen.contains("Inviter un utilisateur") && !seen.contains("Retirer l'accès"), "{seen}");

    // Another company's administrator cannot touch Julie's access.
    let julie_id: String = sqlx::query_scalar("select id from users where email = 'julie@agence-fictive.example'")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let mut marc_visit = Visitor::new(&app);
    marc_visit.sign_in(&marc.email, &marc.password).await;
    let marc_csrf = Visitor::csrf(&marc_visit.page("/utilisateurs", StatusCode::OK).await);
    let foreign = marc_visit.post(&format!("/utilisateurs/{julie_id}/retirer"), &[("csrf", &marc_csrf)]).await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    // Marc invites Claire, who has an account: she now acts for both companies.
    let added =
        marc_visit.post("/utilisateurs", &[("csrf", &marc_csrf), ("nom", "Claire"), ("email", &claire.email)]).await;
    assert_eq!(location(&added), "/utilisateurs?message=ajoute");
    let again =
        marc_visit.post("/utilisateurs", &[("csrf", &marc_csrf), ("nom", "Claire"), ("email", &claire.email)]).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Claire makes Julie an administrator (Julie then sees the invitation form), then takes it
    // back; nobody changes their own right.
    let promoted = claire_visit
        .post(&format!("/utilisateurs/{julie_id}/droits"), &[("csrf", &csrf), ("administrateur", "oui")])
        .await;
    assert_eq!(location(&promoted), "/utilisateurs?message=droits");
    let seen = julie.page("/utilisateurs", StatusCode::OK).await;
    assert!(seen.contains("Inviter un utilisateur"), "{seen}");
    let demoted = claire_visit.post(&format!("/utilisateurs/{julie_id}/droits"), &[("csrf", &csrf)]).await;
    assert_eq!(location(&demoted), "/utilisateurs?message=droits");
    assert!(!julie.page("/utilisateurs", StatusCode::OK).await.contains("Inviter un utilisateur"));
    let foreign = marc_visit
        .post(&format!("/utilisateurs/{julie_id}/droits"), &[("csrf", &marc_csrf), ("administrateur", "oui")])
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND, "another company's administrator");

    // Claire withdraws Julie's access: Julie's session ends, and she can no longer sign in.
    let claire_id: String = sqlx::query_scalar("select id from users where email = $1")
        .bind(&claire.email)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let oneself = claire_visit.post(&format!("/utilisateurs/{claire_id}/retirer"), &[("csrf", &csrf)]).await;
    assert_eq!(oneself.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let oneself = claire_visit.post(&format!("/utilisateurs/{claire_id}/droits"), &[("csrf", &csrf)]).await;
    assert_eq!(oneself.status(), StatusCode::UNPROCESSABLE_ENTITY, "an administrator does not demote themselves");
    let withdrawn = claire_visit.post(&format!("/utilisateurs/{julie_id}/retirer"), &[("csrf", &csrf)]).await;
    assert_eq!(location(&withdrawn), "/utilisateurs?message=retire");
    let list = claire_visit.page("/utilisateurs?message=retire", StatusCode::OK).await;
    assert!(list.contains("accès est retiré.") && !list.contains("Julie Durand"), "{list}");
    assert!(location(&julie.get("/").await).starts_with("/connexion"), "Julie's session ended");
    let refused = julie.sign_in("julie@agence-fictive.example", password).await;
    assert!(refused.text().await.unwrap().contains("E-mail ou mot de passe incorrect."));
}

#[tokio::test]
async fn a_person_makes_an_api_token_sees_it_used_and_revokes_it() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let claire = people.iter().find(|p| p.email.starts_with("claire")).unwrap();
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&claire.email, &claire.password).await;
    let page = visitor.page("/jetons", StatusCode::OK).await;
    let csrf = Visitor::csrf(&page);
    assert!(page.contains("Accès à l'API") && page.contains("demo"), "the demo's token is listed: {page}");
    assert!(!page.contains("jeton-nouveau"), "a token is never shown again");

    let unnamed = visitor.post("/jetons", &[("csrf", &csrf), ("nom", "  ")]).await;
    assert_eq!(unnamed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unnamed.text().await.unwrap().contains("Donnez un nom au jeton"));

    let made = visitor.post("/jetons", &[("csrf", &csrf), ("nom", "Logiciel de paie")]).await;
    assert_eq!(made.status(), StatusCode::OK);
    let made = made.text().await.unwrap();
    let token = between(&made, "<code class=\"a-copier\" id=\"jeton-nouveau\">", "</code>").to_string();
    assert!(token.starts_with("pcs_"), "{token}");
    let row = between(&made, "<th scope=\"row\">Logiciel de paie</th>", "</tr>").to_string();
    assert!(row.contains("<td>jamais</td>"), "{row}");

    // Used on the API, in Claire's name, within her périmètre.
    let dossiers = app.get(&token, "/api/v1/dossiers").await;
    assert_eq!(dossiers.status(), StatusCode::OK);
    let foreign = app.get(&token, "/api/v1/dossiers/26.A.90201.1").await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    let page = visitor.page("/jetons", StatusCode::OK).await;
    assert!(!page.contains(&token));
    let row = between(&page, "<th scope=\"row\">Logiciel de paie</th>", "</tr>").to_string();
    assert!(
        !row.contains("<td>jamais</td>") && row.matches(":").count() == 2,
        "created and last used, each with its time: {row}"
    );

    // Revoked: the API refuses it; someone else's token is not found.
    let token_id: String = sqlx::query_scalar("select id from api_tokens where label = 'Logiciel de paie'")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let marc = people.iter().find(|p| p.email.starts_with("marc")).unwrap();
    let mut other = Visitor::new(&app);
    other.sign_in(&marc.email, &marc.password).await;
    let other_csrf = Visitor::csrf(&other.page("/jetons", StatusCode::OK).await);
    let stolen = other.post(&format!("/jetons/{token_id}/revoquer"), &[("csrf", &other_csrf)]).await;
    assert_eq!(stolen.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&token, "/api/v1/dossiers").await.status(), StatusCode::OK);
    let revoked = visitor.post(&format!("/jetons/{token_id}/revoquer"), &[("csrf", &csrf)]).await;
    assert_eq!(location(&revoked), "/jetons?message=revoque");
    assert_eq!(app.get(&token, "/api/v1/dossiers").await.status(), StatusCode::UNAUTHORIZED);
    let page = visitor.page("/jetons?message=revoque", StatusCode::OK).await;
    assert!(page.contains("Révoqué le"), "{page}");
}
