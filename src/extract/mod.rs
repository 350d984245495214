//! Reading what a piece says. For now: the structured data of electronic invoices (Factur-X,
//! ZUGFeRD, XRechnung in CII syntax), embedded in a PDF or given as bare XML. Text layers and OCR
//! of scans come next (issue 3).

pub mod facturx;
#[cfg(test)]
mod sample_tests;

pub use facturx::{read_cii, read_pdf, FacturX};
