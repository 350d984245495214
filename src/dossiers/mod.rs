//! Training-funding dossiers ("Action de formation"): the form's fields, the state machine
//! (brouillon → en cours → accordé/refusé → clôturé), their numbers, the SQL, the routes, and the
//! append-only history of who did what.

pub mod history;
pub mod lists;
pub mod model;
pub mod numbers;
pub mod routes;
pub mod sql;
mod validate;

pub use model::{DossierFields, DossierState};
pub use routes::router;
pub use sql::DossierRecord;
