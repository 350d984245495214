//! The password-reset mail, sent to a real SMTP server (PyPI `aiosmtpd`, installed by the test
//! command; `PIECES_AIOSMTPD_PYTHON` names its interpreter), read back with Python's own `email`
//! module, and its link used in the pages.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::spawn_with;
use crate::pages::{location, people, Visitor};

/// `python -m aiosmtpd` on a free loopback port, keeping each message it receives as a file of
/// a maildir; stopped when dropped. The browser tests use it too.
pub(crate) struct SmtpServer {
    child: Child,
    pub(crate) port: u16,
    python: String,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    pub(crate) fn start() -> SmtpServer {
        let python = std::env::var("PIECES_AIOSMTPD_PYTHON").unwrap_or_else(|_| {
            let cached = format!("{}/.cache/pieces/smtp-venv/bin/python", std::env::var("HOME").unwrap());
            assert!(
                Path::new(&cached).exists(),
                "the SMTP server is missing: run scripts/test.sh once, or set PIECES_AIOSMTPD_PYTHON"
            );
            cached
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let maildir = tempfile::tempdir().unwrap();
        for folder in ["tmp", "new", "cur"] {
            std::fs::create_dir(maildir.path().join(folder)).unwrap();
        }
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not listen on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer { child, port, python, maildir }
    }

    fn messages(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.maildir.path().join("new")) else { return Vec::new() };
        let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        files.sort_by_key(|f| std::fs::metadata(f).unwrap().modified().unwrap());
        files
    }

    /// Waits until `count` messages have arrived.
    pub(crate) async fn wait_for(&self, count: usize) -> Vec<PathBuf> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(Instant::now() < deadline, "{} message(s) arrived, {count} expected", messages.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A message's To and Subject (decoded) and its body (transfer encoding undone), read by
    /// Python's `email` module.
    pub(crate) fn read(&self, message: &Path) -> (String, String, String) {
        let script = "import email, email.header, email.policy, sys\n\
                      m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)\n\
                      print(m['To']); print(m['Subject']); print(m.get_content(), end='')";
        let out = Command::new(&self.python).args(["-c", script]).arg(message).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines = text.splitn(3, '\n');
        (lines.next().unwrap().into(), lines.next().unwrap().into(), lines.next().unwrap_or_default().into())
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_forgotten_password_is_replaced_through_a_link_sent_by_mail() {
    let smtp = SmtpServer::start();
    let port = smtp.port;
    let app = spawn_with(|config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
        config.mail_from = "Mon Compte AKTO <ne-pas-repondre@akto.example>".into();
        config.public_url = "https://moncompte.akto.example/".into();
    })
    .await;
    let people = people(&app).await;
    let claire = people.iter().find(|p| p.email.starts_with("claire")).unwrap();
    let marc = people.iter().find(|p| p.email.starts_with("marc")).unwrap();
    let mut visitor = Visitor::new(&app);

    // An unknown address and a known one get the same page; only the known one gets a mail.
    let page = visitor.page("/mot-de-passe-oublie", StatusCode::OK).await;
    let csrf = Visitor::csrf(&page);
    let mut answers = Vec::new();
    for email in ["personne@nulle-part.example", &claire.email.to_uppercase()] {
        let answer = visitor.post("/mot-de-passe-oublie", &[("csrf", &csrf), ("email", email)]).await;
        assert_eq!(answer.status(), StatusCode::OK);
        answers.push(answer.text().await.unwrap());
    }
    assert_eq!(answers[0], answers[1], "the answer does not tell whether the address is known");
    assert!(answers[0].contains("Si un compte correspond à cette adresse"), "{}", answers[0]);

    let messages = smtp.wait_for(1).await;
    let (to, subject, body) = smtp.read(&messages[0]);
    assert!(to.contains(&claire.email) && to.contains(&claire.name), "To: {to}");
    assert_eq!(subject, "Mon Compte : choisir un nouveau mot de passe");
    assert!(body.starts_with(&format!("Bonjour {},", claire.name)), "{body}");
    assert!(body.contains("il vaut une heure"), "{body}");
    let link = body
        .split_whitespace()
        .find(|word| word.starts_with("https://moncompte.akto.example/mot-de-passe/"))
        .unwrap_or_else(|| panic!("no link in {body}"));
    let path = link.strip_prefix("https://moncompte.akto.example").unwrap().to_string();

    // Asked again at once: no second mail (the first link still works); another person's comes.
    visitor.post("/mot-de-passe-oublie", &[("csrf", &csrf), ("email", &claire.email)]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    visitor.post("/mot-de-passe-oublie", &[("csrf", &csrf), ("email", &marc.email)]).await;
    let messages = smtp.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.messages().len(), 2, "one mail for Claire, one for Marc");
    assert!(smtp.read(&messages[1]).0.contains(&marc.email));

    // The link chooses a new password once; the old one stops working.
    let page = visitor.page(&path, StatusCode::OK).await;
    let csrf = Visitor::csrf(&page);
    let new = "un tout nouveau mot de passe";
    let set = visitor.post(&path, &[("csrf", &csrf), ("password", new), ("confirmation", new)]).await;
    assert_eq!(location(&set), "/connexion?message=mot-de-passe");
    visitor.page(&path, StatusCode::NOT_FOUND).await;
    let old = visitor.sign_in(&claire.email, &claire.password).await;
    assert!(old.text().await.unwrap().contains("E-mail ou mot de passe incorrect."));
    let signed = visitor.sign_in(&claire.email, new).await;
    assert_eq!(location(&signed), "/");
}

#[tokio::test]
async fn a_relay_that_does_not_answer_costs_the_person_nothing_but_the_mail() {
    // Nothing listens on this port: the page answers as usual, the failure is logged, and the
    // operator's link still works.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_with(|config| config.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into())).await;
    let people = people(&app).await;
    let claire = people.iter().find(|p| p.email.starts_with("claire")).unwrap();
    let mut visitor = Visitor::new(&app);
    let page = visitor.page("/mot-de-passe-oublie", StatusCode::OK).await;
    let csrf = Visitor::csrf(&page);
    let started = Instant::now();
    let answer = visitor.post("/mot-de-passe-oublie", &[("csrf", &csrf), ("email", &claire.email)]).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(5), "the page does not wait for the relay");
    // The reset link is made after the answer; a link made after it would be spent by it (each
    // new link ends the earlier ones): wait until it is made, then the operator's.
    let user_id: String = sqlx::query_scalar("select id from users where email = $1")
        .bind(&claire.email)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !pieces::auth::links::made_within(
        &app.state.db,
        &user_id,
        pieces::auth::links::Purpose::Reset,
        Duration::from_secs(120),
    )
    .await
    .unwrap()
    {
        assert!(Instant::now() < deadline, "the reset link was never made");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let link =
        pieces::admin::password_link(&app.state.db, &app.base, &claire.email, pieces::auth::links::Purpose::Reset)
            .await
            .unwrap();
    let path = link.strip_prefix(&app.base).unwrap().to_string();
    visitor.page(&path, StatusCode::OK).await;
}

#[tokio::test]
async fn an_invitation_goes_by_mail_and_its_link_activates_the_account() {
    let smtp = SmtpServer::start();
    let port = smtp.port;
    let app = spawn_with(|config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
        config.public_url = "https://moncompte.akto.example/".into();
    })
    .await;
    let people = people(&app).await;
    let claire = people.iter().find(|p| p.email.starts_with("claire")).unwrap();
    let mut visitor = Visitor::new(&app);
    visitor.sign_in(&claire.email, &claire.password).await;
    let csrf = Visitor::csrf(&visitor.page("/utilisateurs", StatusCode::OK).await);
    let invited = visitor
        .post("/utilisateurs", &[("csrf", &csrf), ("nom", "Julie Durand"), ("email", "julie@agence-fictive.example")])
        .await;
    assert_eq!(location(&invited), "/utilisateurs?message=invite", "the link goes by mail, not on the page");

    let messages = smtp.wait_for(1).await;
    let (to, subject, body) = smtp.read(&messages[0]);
    assert!(to.contains("julie@agence-fictive.example") && to.contains("Julie Durand"), "To: {to}");
    assert_eq!(subject, "Mon Compte AKTO : votre accès pour AGENCE FICTIVE");
    assert!(body.contains("Claire Martin") && body.contains("AGENCE FICTIVE (1.001)"), "{body}");
    assert!(body.contains("il vaut 72 heures"), "{body}");
    let link = body
        .split_whitespace()
        .find_map(|word| word.strip_prefix("https://moncompte.akto.example"))
        .unwrap_or_else(|| panic!("no link in {body}"))
        .to_string();
    let mut julie = Visitor::new(&app);
    let form = julie.page(&link, StatusCode::OK).await;
    assert!(form.contains("Activer votre compte"), "{form}");
    let password = "des mots bien choisis";
    let set =
        julie.post(&link, &[("csrf", &Visitor::csrf(&form)), ("password", password), ("confirmation", password)]).await;
    let (status, to) = (set.status(), location(&set).to_string());
    assert_eq!(to, "/connexion?message=mot-de-passe", "{status}: {}", set.text().await.unwrap());
    assert_eq!(location(&julie.sign_in("julie@agence-fictive.example", password).await), "/");
}
