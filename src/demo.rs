//! `pieces demo`: seeds two companies — AGENCE FICTIVE (n° adhérent 1.001) and 12927.001 —
//! with their establishments, dossiers in every state (among them `19.A.21056.1`, clôturé), a
//! seed piece, an employer per company and one assistant handling both; then prints fresh
//! tokens. Idempotent: existing rows are kept, and each run replaces the demo tokens it prints.

use anyhow::Context;
use serde::Serialize;
use serde_json::json;

use crate::admin::{self, NewCompany};
use crate::auth::Role;
use crate::config::Config;
use crate::documents::{store_piece, DocKind, NewPiece, Spooled};
use crate::domain::DossierNumber;
use crate::dossiers::model::{Action, Costs, DossierFields, Provider, Trainee};
use crate::dossiers::{history, sql, DossierState};
use crate::state::AppState;

const SEED_PIECE: &[u8] = include_bytes!("../samples/demo/convention-agence-fictive.pdf");

#[derive(Serialize)]
pub struct DemoLogin {
    pub assistant_token: String,
    pub employers: Vec<DemoEmployer>,
    /// Who signs in in the browser, with a password fresh from this run (`seed_people`).
    pub people: Vec<DemoPerson>,
}

#[derive(Serialize)]
pub struct DemoPerson {
    pub name: String,
    pub email: String,
    pub password: String,
    pub role: Role,
    /// N° adhérent of each company of their périmètre.
    pub companies: Vec<String>,
}

/// The people of the demo: login, name, e-mail, role, périmètre.
const PEOPLE: [(&str, &str, &str, Role, &[&str]); 4] = [
    (
        "employeur.1001",
        "Claire Martin (AGENCE FICTIVE)",
        "claire.martin@agence-fictive.example",
        Role::Employer,
        &["1.001"],
    ),
    (
        "employeur.12927",
        "Marc Lefèvre (ATELIERS DU FAUBOURG)",
        "marc.lefevre@ateliers-faubourg.example",
        Role::Employer,
        &["12927.001"],
    ),
    // A group's HR manager who acts for both companies: the périmètre screen is theirs.
    (
        "employeur.groupe",
        "Nadia Roux (groupe)",
        "nadia.roux@groupe-fictif.example",
        Role::Employer,
        &["1.001", "12927.001"],
    ),
    (
        "assistante.akto",
        "Sophie Bernard (AKTO)",
        "sophie.bernard@opco.example",
        Role::Assistant,
        &["1.001", "12927.001"],
    ),
];

/// Gives each person of the demo a fresh password (like the tokens, valid until the next run).
/// Apart from `seed`: hashing a password takes a while, and most tests sign in with tokens.
pub async fn seed_people(state: &AppState) -> anyhow::Result<Vec<DemoPerson>> {
    let mut people = Vec::new();
    for (login, name, email, role, companies) in PEOPLE {
        let password = fresh_password();
        admin::set_password(&state.db, login, &password).await?;
        people.push(DemoPerson {
            name: name.to_string(),
            email: email.to_string(),
            password,
            role,
            companies: companies.iter().map(|c| c.to_string()).collect(),
        });
    }
    Ok(people)
}

/// `demo-` and 12 letters and digits without look-alikes (no 0/O, 1/l/I).
fn fresh_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let tail: String = (0..12).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("demo-{tail}")
}

#[derive(Serialize)]
pub struct DemoEmployer {
    pub adherent: String,
    pub token: String,
    pub dossiers: Vec<DemoDossier>,
}

#[derive(Serialize)]
pub struct DemoDossier {
    pub number: String,
    pub state: DossierState,
}

struct SeedCompany {
    company: NewCompany,
    siret: &'static str,
    login: &'static str,
    display_name: &'static str,
    /// (number, state, title)
    dossiers: [(&'static str, DossierState, &'static str); 5],
}

fn companies() -> [SeedCompany; 2] {
    use DossierState::*;
    [
        SeedCompany {
            company: NewCompany {
                adherent_number: "1.001".into(),
                name: "AGENCE FICTIVE".into(),
                legal_form: Some("SAS".into()),
                vat_number: Some("FR32065501231".into()),
                address: Some("12 rue de la Victoire".into()),
                postcode: Some("75009".into()),
                city: Some("PARIS".into()),
                // 01 99 00 … is reserved by ARCEP for fiction; .example by the IANA.
                phone: Some("01 99 00 10 01".into()),
                email: Some("formation@agence-fictive.example".into()),
                advisor_name: Some("Madame Ericka DUBOIS".into()),
                advisor_phone: Some("01 99 00 12 00".into()),
                advisor_email: Some("ericka.dubois@opco.example".into()),
            },
            siret: "06550123100040",
            login: "employeur.1001",
            display_name: "Claire Martin (AGENCE FICTIVE)",
            dossiers: [
                ("26.A.90101.1", Draft, "EXCEL PERFECTIONNEMENT"),
                ("26.A.90102.1", Pending, "MANAGEMENT D'EQUIPE"),
                ("25.A.90103.1", Granted, "SAUVETEUR SECOURISTE DU TRAVAIL"),
                ("25.A.90104.1", Refused, "ANGLAIS PROFESSIONNEL"),
                ("24.A.90105.1", Closed, "GESTION DE LA PAIE"),
            ],
        },
        SeedCompany {
            company: NewCompany {
                adherent_number: "12927.001".into(),
                name: "ATELIERS DU FAUBOURG".into(),
                legal_form: Some("SARL".into()),
                vat_number: Some("FR58428356179".into()),
                address: Some("4 quai Saint-Antoine".into()),
                postcode: Some("69002".into()),
                city: Some("LYON".into()),
                phone: Some("04 99 00 20 02".into()),
                email: Some("rh@ateliers-faubourg.example".into()),
                advisor_name: Some("Monsieur Paul GARNIER".into()),
                advisor_phone: Some("04 99 00 21 00".into()),
                advisor_email: Some("paul.garnier@opco.example".into()),
            },
            siret: "42835617900013",
            login: "employeur.12927",
            display_name: "Marc Lefèvre (ATELIERS DU FAUBOURG)",
            dossiers: [
                ("26.A.90201.1", Draft, "SOUDAGE TIG"),
                ("26.A.90202.1", Pending, "HABILITATION ELECTRIQUE"),
                ("25.A.90203.1", Granted, "CACES R489"),
                ("25.A.90204.1", Refused, "PHOTOSHOP"),
                ("19.A.21056.1", Closed, "PILOTER LA FORMATION PROFESSIONNELLE"),
            ],
        },
    ]
}

pub async fn run_command(config: Config, json_output: bool) -> anyhow::Result<()> {
    let base = config.public_base().to_string();
    let state = AppState::open(config).await?;
    let mut login = seed(&state).await?;
    login.people = seed_people(&state).await?;
    if json_output {
        println!("{}", serde_json::to_string(&login)?);
    } else {
        print_instructions(&login, &base);
    }
    Ok(())
}

/// Seeds the demo data and returns fresh tokens.
pub async fn seed(state: &AppState) -> anyhow::Result<DemoLogin> {
    let db = &state.db;
    let mut employers = Vec::new();
    for seed in companies() {
        let adherent = seed.company.adherent_number.clone();
        admin::upsert_company(db, &seed.company).await?;
        let city = seed.company.city.as_deref();
        admin::upsert_establishment(
            db,
            &adherent,
            seed.siret,
            &format!("{} - siège", seed.company.name),
            seed.company.postcode.as_deref(),
            city,
        )
        .await?;
        let user_id = admin::upsert_user(db, seed.login, seed.display_name, Role::Employer, &[&adherent]).await?;
        // Each company's first employer administers its users (Utilisateurs).
        admin::set_administers(db, seed.login, true).await?;
        let mut dossiers = Vec::new();
        for (number, target, title) in seed.dossiers {
            seed_dossier(state, &adherent, seed.siret, &user_id, number, target, title).await?;
            dossiers.push(DemoDossier { number: number.to_string(), state: target });
        }
        let token = admin::issue_token(db, seed.login, "demo", true).await?;
        employers.push(DemoEmployer { adherent, token, dossiers });
    }
    let (login, name, _, role, companies) = PEOPLE[2];
    admin::upsert_user(db, login, name, role, companies).await?;
    admin::upsert_user(db, "assistante.akto", "Sophie Bernard (AKTO)", Role::Assistant, &["1.001", "12927.001"])
        .await?;
    // 01 99 00 … is reserved by ARCEP for fiction.
    admin::set_phone(db, "assistante.akto", Some("01 99 00 12 34")).await?;
    let assistant_token = admin::issue_token(db, "assistante.akto", "demo", true).await?;
    for (login, _, email, _, _) in PEOPLE {
        admin::set_email(db, login, email).await?;
    }
    seed_piece(state).await?;
    Ok(DemoLogin { assistant_token, employers, people: Vec::new() })
}

async fn seed_dossier(
    state: &AppState,
    adherent: &str,
    siret: &str,
    user_id: &str,
    number: &str,
    target: DossierState,
    title: &str,
) -> anyhow::Result<()> {
    let exists =
        sqlx::query("select 1 as one from dossiers where number = $1").bind(number).fetch_optional(&state.db).await?;
    if exists.is_some() {
        return Ok(());
    }
    let number = DossierNumber::parse(number).context("demo dossier numbers are valid")?;
    let company_id = admin::company_id(&state.db, adherent).await?;
    let fields = demo_fields(number.as_str(), siret, title, target);
    let id = crate::db::new_id();
    let mut tx = crate::db::begin(&state.db).await?;
    sql::insert_draft(&mut tx, &id, &number, &company_id, user_id).await?;
    sql::save_fields(&mut tx, &id, &fields).await?;
    history::record(&mut tx, &id, Some(user_id), "dossier_created", json!({ "number": number.as_str() })).await?;
    let path: &[DossierState] = match target {
        DossierState::Draft => &[],
        DossierState::Pending => &[DossierState::Pending],
        DossierState::Granted => &[DossierState::Pending, DossierState::Granted],
        DossierState::Refused => &[DossierState::Pending, DossierState::Refused],
        DossierState::Closed => &[DossierState::Pending, DossierState::Granted, DossierState::Closed],
    };
    let mut from = DossierState::Draft;
    for &to in path {
        sql::set_state(&mut tx, &id, from, to).await?;
        let action = if to == DossierState::Pending { "dossier_submitted" } else { "state_changed" };
        let actor = if to == DossierState::Pending { Some(user_id) } else { None };
        history::record(&mut tx, &id, actor, action, json!({ "from": from.as_str(), "to": to.as_str() })).await?;
        from = to;
    }
    tx.commit().await?;
    Ok(())
}

fn demo_fields(number: &str, siret: &str, title: &str, target: DossierState) -> DossierFields {
    let piloter = number == "19.A.21056.1";
    // A granted or closed dossier's training has taken place (an invoice is dated from its start).
    let (start, end) = match target {
        _ if piloter => ("2019-06-06", "2019-07-05"),
        DossierState::Granted | DossierState::Closed => ("2026-11-02", "2026-11-03"),
        _ => ("2026-12-07", "2026-12-08"),
    };
    DossierFields {
        siret: Some(siret.to_string()),
        provider: Provider {
            name: Some(if piloter { "WOLTERS KLUWER FRANCE SAS" } else { "FORMAPRO CONSEIL" }.into()),
            kind: Some("Organisme privé".into()),
            direct_payment: !piloter,
            address: Some(if piloter { "14 rue Fructidor" } else { "8 avenue de la République" }.into()),
            postcode: Some(if piloter { "75017" } else { "75011" }.into()),
            city: Some("PARIS".into()),
            phone: Some(if piloter { "01 76 73 30 00" } else { "01 99 00 30 00" }.into()),
            email: None,
            internal: false,
            siret: Some(if piloter { "48008130600130" } else { "73291824500018" }.into()),
            nda: Some(if piloter { "11755353175" } else { "11753012375" }.into()),
            contact: Some("service formation".into()),
        },
        action: Action {
            title: Some(title.to_string()),
            cpf_code: None,
            hours: Some(if piloter { "21" } else { "14" }.into()),
            start_date: Some(start.into()),
            end_date: Some(end.into()),
            modules: None,
        },
        costs: Costs {
            pedagogy: Some(if piloter { "2020.00" } else { "1200.00" }.into()),
            remuneration: Some(if piloter { "557.13" } else { "380.00" }.into()),
            ..Costs::default()
        },
        comment: None,
        trainees: vec![Trainee { last_name: "DURAND".into(), first_name: "Julie".into() }],
    }
}

/// Attaches the seed convention to AGENCE FICTIVE's pending dossier (once: same bytes, same piece).
async fn seed_piece(state: &AppState) -> anyhow::Result<()> {
    let caller = crate::auth::Caller { user_id: String::new(), login: "demo".into(), role: Role::Admin };
    let dossier = sql::find_visible(&state.db, &caller, "26.A.90102.1").await?.context("the demo dossier exists")?;
    let uploader = crate::auth::Caller {
        user_id: admin::user_id(&state.db, "employeur.1001").await?,
        login: "employeur.1001".into(),
        role: Role::Employer,
    };
    let spool_dir = state.config.storage_dir().join("tmp");
    let spooled = Spooled::from_bytes(&spool_dir, SEED_PIECE, state.config.max_upload).await.map_err(anyhow_of)?;
    let piece = NewPiece {
        kind: Some(DocKind::Convention),
        title: Some("Convention de formation signée".into()),
        comment: None,
        original_name: "convention-agence-fictive.pdf".into(),
    };
    store_piece(state, &dossier, &uploader, spooled, piece).await.map_err(anyhow_of)?;
    Ok(())
}

fn anyhow_of(error: crate::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{error}")
}

fn print_instructions(login: &DemoLogin, base: &str) {
    println!("Données de démonstration prêtes.\n");
    println!("Ouvrez {base}/connexion une fois le service lancé (`pieces serve`), avec l'un de ces comptes");
    println!("(mots de passe valables jusqu'au prochain `pieces demo`) :\n");
    for person in &login.people {
        println!("  {:<40} {:<20} {} ({})", person.email, person.password, person.name, person.companies.join(", "));
    }
    println!("\nJetons d'API (valables jusqu'au prochain `pieces demo`) :\n");
    println!("  assistante AKTO (les deux entreprises) : {}", login.assistant_token);
    for employer in &login.employers {
        println!("  employeur n° adhérent {:<10} : {}", employer.adherent, employer.token);
        for dossier in &employer.dossiers {
            println!("      dossier {} ({})", dossier.number, dossier.state.label_fr());
        }
    }
    println!("\nLancez le service avec `pieces serve`, puis par exemple :");
    println!("  curl -H 'Authorization: Bearer {}' http://127.0.0.1:8080/api/v1/dossiers", login.assistant_token);
}
