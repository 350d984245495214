//! The command line: `serve`, `demo`, `admin …`, `bench …`, `gc`, `verify`. Each command builds what it needs
//! from the shared `Config` and hands over to its module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::admin::{self, NewCompany};
use crate::app::{shutdown_signal, App, AppState};
use crate::auth::Role;
use crate::config::Config;

#[derive(Parser)]
#[command(name = "pieces", version, about = "Document back office of an OPCO: dossiers and their pieces")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size of its largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "PIECES_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        #[command(flatten)]
        config: Config,
    },
    /// Seed demo data (idempotent) and print how to log in.
    Demo {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: Config,
    },
    /// Create companies, establishments, users and API tokens.
    Admin {
        #[command(flatten)]
        config: Config,
        #[command(subcommand)]
        action: AdminCommand,
    },
    /// Benchmarks that print figures (built with `--features bench`).
    #[cfg(feature = "bench")]
    Bench {
        #[command(subcommand)]
        which: crate::bench::BenchCommand,
    },
    /// Rebuild the search index from the database (stop the service first).
    Reindex {
        #[command(flatten)]
        config: Config,
    },
    /// Remove the blobs that no piece references, written before a grace period (safe while the
    /// service runs: an upload records its blob within seconds of storing it).
    Gc {
        #[command(flatten)]
        config: Config,
        /// Keep every object written within this period (`24h`, `90m`, `2d`, `3600s`).
        #[arg(long, default_value = "24h", value_parser = crate::storage::gc::parse_duration)]
        grace: std::time::Duration,
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Re-read every stored piece against its checksum and size; exit non-zero when one is bad.
    Verify {
        #[command(flatten)]
        config: Config,
        /// Also name the lost pieces (dossier, uploader) and how to repair them.
        #[arg(long)]
        repair: bool,
    },
    /// Invoices without the server: `pieces invoice render input.json -o out.pdf`.
    Invoice {
        #[command(subcommand)]
        action: crate::invoice::specimen::InvoiceCommand,
    },
    /// Evaluations that print figures: `pieces eval classify MANIFEST.csv [--json]` (built with
    /// `--features bench`).
    #[cfg(feature = "bench")]
    Eval {
        #[command(subcommand)]
        which: crate::bench::eval::EvalCommand,
    },
    /// Internal: read one PDF and print what it says as JSON (the sandboxed reader's side).
    #[command(hide = true)]
    ExtractPdf { file: std::path::PathBuf },
    /// Internal: join PDFs into one (the sandboxed side of printing a dossier with its pieces).
    #[command(hide = true)]
    MergePdf { output: std::path::PathBuf, inputs: Vec<std::path::PathBuf> },
    /// Internal: scale an image into a PNG thumbnail (the sandboxed side of a piece's thumbnail).
    #[command(hide = true)]
    Thumbnail { input: std::path::PathBuf, output: std::path::PathBuf },
}

/// Runs the command: the sandboxed PDF reader directly (no runtime, no logging, one thread),
/// everything else on the async runtime.
pub fn main(cli: Cli) -> ExitCode {
    if let Command::ExtractPdf { file } = &cli.command {
        return crate::extract::child::child_main(file);
    }
    if let Command::MergePdf { output, inputs } = &cli.command {
        return crate::render::merge::merge_main(output, inputs);
    }
    if let Command::Thumbnail { input, output } = &cli.command {
        return crate::extract::thumbnail::thumbnail_main(input, output);
    }
    crate::telemetry::init();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(run(cli)),
        Err(error) => {
            eprintln!("pieces: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create or update a company (entreprise adhérente).
    Company(NewCompany),
    /// Create or update an establishment (SIRET) of a company.
    Establishment {
        #[arg(long)]
        adherent: String,
        #[arg(long)]
        siret: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        postcode: Option<String>,
        #[arg(long)]
        city: Option<String>,
    },
    /// Create or update a user, with its role and périmètre (repeat --company).
    User {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: Role,
        /// N° adhérent of a company of its périmètre.
        #[arg(long = "company")]
        companies: Vec<String>,
        /// Direct phone line (printed on invoices for an assistant).
        #[arg(long)]
        phone: Option<String>,
        /// The e-mail address the user signs in with.
        #[arg(long)]
        email: Option<String>,
        /// Print a one-time link (valid 72 h) with which the user chooses a password.
        #[arg(long)]
        invite: bool,
        /// An employer who administers the users of the companies given (Utilisateurs: invites
        /// people and withdraws their access); without it, the user does not.
        #[arg(long)]
        administers: bool,
    },
    /// Print a one-time link (valid 1 h) with which a user who forgot their password chooses a
    /// new one (without --smtp-url, the operator hands it over).
    ResetLink {
        /// The user's e-mail address or login.
        user: String,
    },
    /// Issue an API token for a user; it is printed once and stored hashed.
    Token {
        #[arg(long)]
        login: String,
        #[arg(long, default_value = "cli")]
        label: String,
        /// Revoke the user's earlier tokens of the same label.
        #[arg(long)]
        replace: bool,
    },
}

pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve { listen, config } => serve(config, &listen).await,
        Command::Demo { json, config } => crate::demo::run_command(config, json).await,
        Command::Admin { config, action } => run_admin(config, action).await,
        #[cfg(feature = "bench")]
        Command::Bench { which } => crate::bench::run(which).await,
        #[cfg(feature = "bench")]
        Command::Eval { which } => crate::bench::eval::run_command(which).await,
        Command::Invoice { action } => tokio::task::spawn_blocking(move || crate::invoice::specimen::run(action))
            .await
            .unwrap_or_else(|panic| Err(anyhow::anyhow!("the render panicked: {panic}"))),
        Command::Reindex { config } => reindex(config).await,
        Command::Gc { config, grace, dry_run } => crate::storage::gc::run_command(config, grace, dry_run).await,
        Command::Verify { config, repair } => crate::storage::audit::run_command(config, repair).await,
        Command::ExtractPdf { file } => return crate::extract::child::child_main(&file),
        Command::MergePdf { output, inputs } => return crate::render::merge::merge_main(&output, &inputs),
        Command::Thumbnail { input, output } => return crate::extract::thumbnail::thumbnail_main(&input, &output),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pieces: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn reindex(config: Config) -> anyhow::Result<()> {
    let state = AppState::open(config).await?;
    crate::search::outbox::reindex(&state.db, &state.search, crate::documents::index::rows).await
}

async fn serve(config: Config, listen: &str) -> anyhow::Result<()> {
    tracing::info!(config = ?config, "starting");
    let app = App::build(config, listen).await?;
    app.run_until_stopped(shutdown_signal()).await
}

async fn run_admin(config: Config, action: AdminCommand) -> anyhow::Result<()> {
    let state = AppState::open(config).await?;
    let db = &state.db;
    match action {
        AdminCommand::Company(company) => {
            admin::upsert_company(db, &company).await?;
            println!("entreprise {} enregistrée", company.adherent_number);
        }
        AdminCommand::Establishment { adherent, siret, name, postcode, city } => {
            let siret =
                admin::upsert_establishment(db, &adherent, &siret, &name, postcode.as_deref(), city.as_deref()).await?;
            println!("établissement {siret} enregistré pour l'entreprise {adherent}");
        }
        AdminCommand::User { login, name, role, companies, phone, email, invite, administers } => {
            let companies: Vec<&str> = companies.iter().map(String::as_str).collect();
            if administers && role != Role::Employer {
                anyhow::bail!("--administers is for employers: staff do not manage a company's users");
            }
            admin::upsert_user(db, &login, &name, role, &companies).await?;
            admin::set_administers(db, &login, administers).await?;
            if phone.is_some() {
                admin::set_phone(db, &login, phone.as_deref()).await?;
            }
            if let Some(email) = email {
                admin::set_email(db, &login, &email).await?;
            }
            println!("utilisateur {login} ({}) enregistré", role.as_str());
            if invite {
                let base = state.config.public_base();
                let link = admin::password_link(db, base, &login, crate::auth::links::Purpose::Activation).await?;
                println!("lien d'activation, valable 72 heures, à transmettre à {name} :\n{link}");
            }
        }
        AdminCommand::ResetLink { user } => {
            let base = state.config.public_base();
            let link = admin::password_link(db, base, &user, crate::auth::links::Purpose::Reset).await?;
            println!("lien pour choisir un nouveau mot de passe, valable une heure :\n{link}");
        }
        AdminCommand::Token { login, label, replace } => {
            let token = admin::issue_token(db, &login, &label, replace).await?;
            println!("{token}");
        }
    }
    Ok(())
}
