//! Pieces attached to dossiers: the upload (spooled, hashed, sniffed, stored, recorded), the
//! metadata, and the verified download.

pub mod form;
pub mod ingest;
pub mod kind;
pub mod routes;
pub mod spool;
pub mod sql;
pub mod understand;

pub use ingest::{store_piece, NewPiece};
pub use kind::DocKind;
pub use routes::router;
pub use spool::Spooled;
pub use sql::Document;
