//! Integration tests: each test starts the real server on 127.0.0.1:0 with its own data folder
//! and database, and talks HTTP to it. By default: SQLite + local files. With
//! `PIECES_TEST_DATABASE_URL` (PostgreSQL) and `PIECES_TEST_S3_ENDPOINT` (+ AWS_* credentials),
//! the same tests run on a fresh PostgreSQL database and a fresh S3 key prefix each.

mod helpers;

mod accounts;
mod auth;
mod browser;
mod child;
mod cli;
mod corpus;
mod documents;
mod dossiers;
mod hostile;
mod invoice_pdf;
mod invoice_safety;
mod invoices;
mod jobs;
mod lifecycle;
mod mail;
mod pages;
mod s3_only;
mod search;
mod soak;
mod storage;
mod understand;
mod upkeep;
