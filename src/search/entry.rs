//! What the index holds of one piece, as its owner (`documents::index`) supplies it; the index
//! knows no table.

use tantivy::{DateTime, TantivyDocument};

use super::Fields;

/// One piece as it is found: its words, its filters, its dossier and company.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    pub id: String,
    /// The company's id: the périmètre clause.
    pub company_id: String,
    pub title: String,
    pub comment: Option<String>,
    pub original_name: String,
    /// The kind chosen, or else the kind found.
    pub kind: Option<String>,
    /// The dossier's number, the company's n° adhérent, the dossier's state.
    pub dossier: String,
    pub company: String,
    pub state: String,
    /// The establishment's SIRET (its SIREN is found too), the provider's name and SIRET.
    pub siret: Option<String>,
    pub provider_name: Option<String>,
    pub provider_siret: Option<String>,
    /// From the piece's Factur-X data.
    pub invoice_number: Option<String>,
    pub seller_name: Option<String>,
    pub uploaded_at: Option<time::OffsetDateTime>,
    /// The text of its pages, one after the other.
    pub text: String,
}

impl Entry {
    /// The index's document for this entry.
    pub fn document(self, f: Fields) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &self.id);
        doc.add_text(f.company_id, self.company_id);
        doc.add_text(f.words, &self.title);
        doc.add_text(f.title, self.title);
        doc.add_text(f.original_name, self.original_name);
        doc.add_text(f.dossier, self.dossier);
        doc.add_text(f.company, self.company);
        doc.add_text(f.state, self.state);
        let present = |value: Option<String>| value.filter(|v| !v.is_empty());
        if let Some(comment) = present(self.comment) {
            doc.add_text(f.comment, comment);
        }
        if let Some(kind) = present(self.kind) {
            doc.add_text(f.kind, kind);
        }
        if let Some(siret) = present(self.siret) {
            let digits: String = siret.chars().filter(char::is_ascii_digit).collect();
            doc.add_text(f.siren, &digits[..digits.len().min(9)]);
            doc.add_text(f.siret, digits);
        }
        if let Some(name) = present(self.provider_name) {
            doc.add_text(f.provider_name, name);
        }
        if let Some(siret) = present(self.provider_siret) {
            doc.add_text(f.provider_siret, siret.chars().filter(char::is_ascii_digit).collect::<String>());
        }
        if let Some(number) = self.invoice_number {
            doc.add_text(f.invoice_number, number);
        }
        if let Some(seller) = self.seller_name {
            doc.add_text(f.seller_name, seller);
        }
        if let Some(at) = self.uploaded_at {
            doc.add_date(f.uploaded_at, DateTime::from_timestamp_micros((at.unix_timestamp_nanos() / 1000) as i64));
        }
        doc.add_text(f.words, &self.text);
        doc.add_text(f.text, self.text);
        doc
    }
}
