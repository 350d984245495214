//! Factur-X / ZUGFeRD / XRechnung: finds the invoice XML embedded in a PDF (`factur-x.xml`,
//! `zugferd-invoice.xml`, `xrechnung.xml`, through the catalog's EmbeddedFiles name tree or its
//! `/AF` array) and reads the fields an OPCO checks from the UN/CEFACT Cross Industry Invoice:
//! number, type code, issue date, seller (name, SIREN, SIRET, VAT id), buyer, currency, totals
//! and profile. Parsing a hostile PDF never panics out of here; a piece without such XML is
//! simply `None`.

use std::str::FromStr;

use lopdf::{Document, Object};
use roxmltree::Node;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The invoice data of an electronic invoice.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FacturX {
    /// `minimum`, `basicwl`, `basic`, `en16931`, `extended`, `xrechnung`, or the guideline itself.
    pub profile: Option<String>,
    /// The guideline URN as written (BT-24).
    pub guideline: Option<String>,
    /// Name of the embedded file it came from, when read from a PDF.
    pub attachment: Option<String>,
    pub number: Option<String>,
    /// 380 invoice, 381 credit note, 384 corrected invoice, 389 self-billed, 751 invoice information…
    pub type_code: Option<String>,
    /// `YYYY-MM-DD`
    pub issue_date: Option<String>,
    pub seller_name: Option<String>,
    pub seller_siren: Option<String>,
    pub seller_siret: Option<String>,
    pub seller_vat_id: Option<String>,
    pub buyer_name: Option<String>,
    pub currency: Option<String>,
    #[schema(value_type = Option<String>)]
    pub total_ht: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub total_tva: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub total_ttc: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub amount_due: Option<Decimal>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FacturXError {
    #[error("the PDF cannot be read: {0}")]
    Pdf(String),
    #[error("the embedded invoice XML cannot be read: {0}")]
    Xml(String),
}

/// File names of the invoice XML, per standard (compared without case).
const ATTACHMENTS: [&str; 3] = ["factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"];
/// Larger embedded XML is not read.
const MAX_XML: usize = 8 * 1024 * 1024;
/// Bounds on the walk of a (possibly hostile) name tree.
const MAX_DEPTH: usize = 16;
const MAX_NODES: usize = 10_000;

const RSM: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const RAM: &str = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
const UDT: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";

/// The invoice data embedded in `pdf`, if any.
pub fn read_pdf(pdf: &[u8]) -> Result<Option<FacturX>, FacturXError> {
    let doc = std::panic::catch_unwind(|| Document::load_mem(pdf))
        .map_err(|_| FacturXError::Pdf("the PDF parser failed on this file".into()))?
        .map_err(|e| FacturXError::Pdf(e.to_string()))?;
    read_document(&doc)
}

/// The invoice data embedded in a loaded PDF, if any.
pub fn read_document(doc: &Document) -> Result<Option<FacturX>, FacturXError> {
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| embedded_invoice_xml(doc)))
        .map_err(|_| FacturXError::Pdf("the PDF parser failed on this file".into()))??;
    let Some((name, xml)) = found else { return Ok(None) };
    let mut invoice = read_cii(&xml)?;
    invoice.attachment = Some(name);
    Ok(Some(invoice))
}

/// Reads a CII invoice XML.
pub fn read_cii(xml: &[u8]) -> Result<FacturX, FacturXError> {
    let text = std::str::from_utf8(xml).map_err(|_| FacturXError::Xml("not UTF-8".into()))?;
    let text = text.trim_start_matches('\u{feff}');
    let doc = roxmltree::Document::parse(text).map_err(|e| FacturXError::Xml(e.to_string()))?;
    let root = doc.root_element();
    if !(root.has_tag_name((RSM, "CrossIndustryInvoice"))) {
        return Err(FacturXError::Xml("not a UN/CEFACT Cross Industry Invoice".into()));
    }
    let document = child(root, RSM, "ExchangedDocument");
    let transaction = child(root, RSM, "SupplyChainTradeTransaction");
    let agreement = transaction.and_then(|t| child(t, RAM, "ApplicableHeaderTradeAgreement"));
    let settlement = transaction.and_then(|t| child(t, RAM, "ApplicableHeaderTradeSettlement"));
    let seller = agreement.and_then(|a| child(a, RAM, "SellerTradeParty"));
    let sums = settlement.and_then(|s| child(s, RAM, "SpecifiedTradeSettlementHeaderMonetarySummation"));
    let currency = settlement.and_then(|s| text_of(s, &[(RAM, "InvoiceCurrencyCode")]));
    let guideline = child(root, RSM, "ExchangedDocumentContext")
        .and_then(|c| text_of(c, &[(RAM, "GuidelineSpecifiedDocumentContextParameter"), (RAM, "ID")]));
    let (seller_siren, seller_siret) = seller.map(seller_ids).unwrap_or_default();
    Ok(FacturX {
        profile: guideline.as_deref().map(profile_of),
        guideline,
        attachment: None,
        number: document.and_then(|d| text_of(d, &[(RAM, "ID")])),
        type_code: document.and_then(|d| text_of(d, &[(RAM, "TypeCode")])),
        issue_date: document
            .and_then(|d| text_of(d, &[(RAM, "IssueDateTime"), (UDT, "DateTimeString")]))
            .map(|d| iso_date(&d)),
        seller_name: seller.and_then(|s| text_of(s, &[(RAM, "Name")])),
        seller_siren,
        seller_siret,
        seller_vat_id: seller.and_then(vat_id),
        buyer_name: agreement.and_then(|a| text_of(a, &[(RAM, "BuyerTradeParty"), (RAM, "Name")])),
        total_ht: sums.and_then(|s| amount(s, "TaxBasisTotalAmount", None)),
        total_tva: sums.and_then(|s| amount(s, "TaxTotalAmount", currency.as_deref())),
        total_ttc: sums.and_then(|s| amount(s, "GrandTotalAmount", None)),
        amount_due: sums.and_then(|s| amount(s, "DuePayableAmount", None)),
        currency,
    })
}

fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| c.has_tag_name((ns, name)))
}

/// The trimmed text at the end of a path of child elements.
fn text_of(node: Node, path: &[(&str, &str)]) -> Option<String> {
    let mut current = node;
    for (ns, name) in path {
        current = child(current, ns, name)?;
    }
    current.text().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)
}

/// An amount of the summation; for the VAT total, the one in the invoice currency (BT-110).
fn amount(sums: Node, name: &str, currency: Option<&str>) -> Option<Decimal> {
    let mut candidates = sums.children().filter(|c| c.has_tag_name((RAM, name)));
    let chosen = match currency {
        Some(currency) => {
            let all: Vec<Node> = candidates.collect();
            all.iter().find(|c| c.attribute("currencyID") == Some(currency)).or_else(|| all.first()).copied()
        }
        None => candidates.next(),
    }?;
    Decimal::from_str(chosen.text()?.trim()).ok()
}

/// SIREN (scheme 0002) and SIRET (scheme 0009) of the seller; the SIREN is the SIRET's first nine
/// digits when only the SIRET is given.
fn seller_ids(seller: Node) -> (Option<String>, Option<String>) {
    let mut ids = seller.children().filter(|c| c.has_tag_name((RAM, "GlobalID"))).collect::<Vec<_>>();
    if let Some(legal) = child(seller, RAM, "SpecifiedLegalOrganization") {
        ids.extend(legal.children().filter(|c| c.has_tag_name((RAM, "ID"))));
    }
    let with_scheme = |scheme: &str| {
        ids.iter()
            .find(|n| n.attribute("schemeID") == Some(scheme))
            .and_then(|n| n.text())
            .map(|t| t.chars().filter(char::is_ascii_digit).collect::<String>())
    };
    let siret = with_scheme("0009").filter(|s| s.len() == 14);
    let siren = with_scheme("0002").filter(|s| s.len() == 9).or_else(|| siret.as_ref().map(|s| s[..9].to_string()));
    (siren, siret)
}

fn vat_id(seller: Node) -> Option<String> {
    seller
        .children()
        .filter(|c| c.has_tag_name((RAM, "SpecifiedTaxRegistration")))
        .filter_map(|r| child(r, RAM, "ID"))
        .find(|id| id.attribute("schemeID") == Some("VA"))
        .and_then(|id| id.text())
        .map(|t| t.trim().to_string())
}

/// `20171113` (format 102) → `2017-11-13`; other forms are kept as written.
fn iso_date(text: &str) -> String {
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..])
    } else {
        text.to_string()
    }
}

/// The profile named by a guideline URN (BT-24), old and new spellings alike.
fn profile_of(guideline: &str) -> String {
    let lower = guideline.to_ascii_lowercase();
    let profile = if lower.contains("xrechnung") {
        "xrechnung"
    } else if lower.ends_with("basicwl") {
        "basicwl"
    } else if lower.ends_with("basic") {
        "basic"
    } else if lower.ends_with("minimum") {
        "minimum"
    } else if lower.contains("extended") {
        "extended"
    } else if lower.contains("en16931") {
        "en16931"
    } else {
        return guideline.to_string();
    };
    profile.to_string()
}

/// The invoice XML attached to the PDF, with its file name.
fn embedded_invoice_xml(doc: &Document) -> Result<Option<(String, Vec<u8>)>, FacturXError> {
    let catalog = doc.catalog().map_err(|e| FacturXError::Pdf(e.to_string()))?;
    let mut specs = Vec::new();
    if let Ok(tree) = catalog
        .get_deref(b"Names", doc)
        .and_then(Object::as_dict)
        .and_then(|names| names.get_deref(b"EmbeddedFiles", doc))
    {
        let mut visited = 0;
        collect_name_tree(doc, tree, 0, &mut visited, &mut specs);
    }
    if let Ok(af) = catalog.get_deref(b"AF", doc).and_then(Object::as_array) {
        specs.extend(af.iter().take(MAX_NODES).cloned());
    }
    for spec in specs {
        let Ok(spec) = doc.dereference(&spec).and_then(|(_, o)| o.as_dict()) else { continue };
        let name = ["UF", "F"]
            .iter()
            .find_map(|key| spec.get(key.as_bytes()).ok().and_then(|o| lopdf::decode_text_string(o).ok()))
            .unwrap_or_default();
        if !ATTACHMENTS.iter().any(|a| name.eq_ignore_ascii_case(a)) {
            continue;
        }
        let stream = spec
            .get_deref(b"EF", doc)
            .and_then(Object::as_dict)
            .and_then(|ef| ef.get_deref(b"F", doc).or_else(|_| ef.get_deref(b"UF", doc)))
            .and_then(Object::as_stream)
            .map_err(|e| FacturXError::Pdf(format!("{name}: {e}")))?;
        if stream.content.len() > MAX_XML {
            return Err(FacturXError::Xml(format!("{name} is larger than {MAX_XML} bytes")));
        }
        let xml = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
        if xml.len() > MAX_XML {
            return Err(FacturXError::Xml(format!("{name} is larger than {MAX_XML} bytes")));
        }
        return Ok(Some((name, xml)));
    }
    Ok(None)
}

/// The values of a name tree (`/Names [key value …]`, `/Kids […]`), bounded in depth and size.
fn collect_name_tree(doc: &Document, node: &Object, depth: usize, visited: &mut usize, out: &mut Vec<Object>) {
    *visited += 1;
    if depth > MAX_DEPTH || *visited > MAX_NODES {
        return;
    }
    let Ok((_, node)) = doc.dereference(node) else { return };
    let Ok(dict) = node.as_dict() else { return };
    if let Ok(names) = dict.get_deref(b"Names", doc).and_then(Object::as_array) {
        out.extend(names.iter().skip(1).step_by(2).take(MAX_NODES).cloned());
    }
    if let Ok(kids) = dict.get_deref(b"Kids", doc).and_then(Object::as_array) {
        for kid in kids.iter().take(MAX_NODES) {
            collect_name_tree(doc, kid, depth + 1, visited, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_named_from_old_and_new_guidelines() {
        for (urn, profile) in [
            ("urn:factur-x.eu:1p0:minimum", "minimum"),
            ("urn:factur-x.eu:1p0:basicwl", "basicwl"),
            ("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "basic"),
            ("urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic", "basic"),
            ("urn:cen.eu:en16931:2017", "en16931"),
            ("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", "extended"),
            ("urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_2.3", "xrechnung"),
            ("urn:zugferd.de:2p0:minimum", "minimum"),
        ] {
            assert_eq!(profile_of(urn), profile, "{urn}");
        }
    }

    #[test]
    fn what_is_not_an_invoice_is_an_error_not_a_panic() {
        assert!(read_cii(b"<html><body/></html>").is_err());
        assert!(read_cii(b"\xff\xfe garbage").is_err());
        assert!(read_cii(b"<rsm:CrossIndustryInvoice xmlns:rsm=\"nope\">").is_err());
        assert!(read_pdf(b"%PDF-1.4\n garbage without xref").is_err());
        let no_attachment = include_bytes!("../../samples/upload/programme.pdf");
        assert_eq!(read_pdf(no_attachment), Ok(None));
    }
}
