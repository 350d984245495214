//! pieces: the document back office of a French OPCO.

/// Operator commands: companies, establishments, users and API tokens.
pub mod admin;
/// The composition root: builds the state, starts the background work, merges the routes.
pub mod app;
/// API tokens, people's passwords and sessions, callers, roles and périmètre checks.
pub mod auth;
/// Benchmarks and the classifier's evaluation, which print figures (`pieces bench …`,
/// `pieces eval …`): only with the `bench` feature.
#[cfg(feature = "bench")]
pub mod bench;
/// The kind of a piece from its text: cue rules per page, aggregated.
pub mod classify;
/// The command line: `serve`, `demo`, `admin`, `bench`.
pub mod cli;
/// A company's contact details and interlocutors (the accueil's "Vos coordonnées").
pub mod companies;
/// One configuration, from flags and `PIECES_*` environment variables.
pub mod config;
/// Database connection, migrations, identifiers and timestamps.
pub mod db;
/// Demo data: two companies, their dossiers in every state, tokens.
pub mod demo;
/// Pieces attached to dossiers: upload, download, metadata.
pub mod documents;
/// Parsed domain values: SIRET, dossier number, SHA-256, amounts.
pub mod domain;
/// "Imprimer le dossier": the dossier as a PDF, with its pieces, invoices and history.
pub mod dossier_print;
/// Training-funding dossiers: model, SQL, routes, history.
pub mod dossiers;
/// `AppError`, rendered as RFC 9457 problem+json.
pub mod error;
/// Reading what pieces say: PDF text layers (sandboxed), OCR of scans, Factur-X data.
pub mod extract;
/// Liveness and readiness probes.
pub mod health;
/// `Json`, `Path` and `Query` whose rejections are problem+json.
pub mod input;
/// The employer's invoice to the OPCO: validation, totals to the cent, VAT regime, French formatting.
pub mod invoice;
/// The durable background job queue and its workers.
pub mod jobs;
/// Mail to people through an SMTP relay (`--smtp-url`): the password-reset link.
pub mod mail;
/// The generated OpenAPI 3.1 description.
pub mod openapi;
/// Printable documents with Typst (PDF/A-3b): the invoice form, the printable dossier.
pub mod render;
/// The sandbox of every child process that reads an uploaded file: memory, CPU, file size,
/// deadline, death with the service.
pub mod sandbox;
/// French full-text search over the pieces (tantivy), fed by the database's outbox.
pub mod search;
/// The HTTP server: connections and requests bounded in time.
pub mod serve;
/// Caps on long work at once, per user or company and in all.
pub mod slots;
/// The state the handlers, jobs and commands share (below the features).
pub mod state;
/// Content-addressed blob storage: local files or S3.
pub mod storage;
/// Logging set-up.
pub mod telemetry;
/// The pages people use in a browser (French, server-rendered): sign-in, périmètre, accueil,
/// dossiers. They call the same functions as the API.
pub mod web;
