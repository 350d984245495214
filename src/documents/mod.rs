//! Pieces attached to dossiers: the upload (spooled, hashed, sniffed, stored, recorded), the
//! metadata, and the verified download.

pub mod form;
pub mod index;
pub mod ingest;
pub mod queue;
pub mod remove;
pub mod routes;
pub mod similar;
pub mod spool;
pub mod sql;
pub mod understand;
pub mod upload;

pub use crate::domain::DocKind;
pub use ingest::{store_piece, NewPiece};
pub use routes::router;
pub use spool::Spooled;
pub use sql::Document;
