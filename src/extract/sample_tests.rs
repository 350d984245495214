//! Factur-X / ZUGFeRD reading, on every public sample of `samples/facturx/` (their expected values
//! were read independently with pypdf and lxml).

use std::str::FromStr;

use super::{read_cii, read_pdf};
use rust_decimal::Decimal;

/// file, embedded attachment ("" for bare XML), profile, number, type code, issue date, seller,
/// [HT, TVA, TTC, amount due].
type Expected = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    [&'static str; 4],
);

#[rustfmt::skip]
const EXPECTED: &[Expected] = &[
    ("akretion_invoice_EN16931.pdf", "factur-x.xml", "en16931", "F20260023", "380", "2026-01-31", "LE FOURNISSEUR", ["100.00", "4.90", "104.90", "104.90"]),
    ("corpus_Avoir_FR_type381_BASIC.pdf", "factur-x.xml", "basic", "AV-2017-0005", "381", "2017-11-16", "Au bon moulin", ["218.48", "14.99", "233.47", "233.47"]),
    ("corpus_FAIL_Facture_FR_BASIC.pdf", "factur-x.xml", "basic", "FA-2017-0010", "380", "2017-11-13", "Au bon moulin", ["624.90", "46.25", "671.15", "470.15"]),
    ("corpus_Facture_FR_BASICWL.pdf", "factur-x.xml", "basicwl", "FA-2017-0010", "380", "2017-11-13", "Au bon moulin", ["624.90", "46.25", "671.15", "470.15"]),
    ("corpus_Facture_FR_MINIMUM.pdf", "factur-x.xml", "minimum", "FA-2017-0010", "380", "2017-11-13", "Au bon moulin", ["624.90", "46.25", "671.15", "470.15"]),
    ("corpus_Facture_UE_BASICWL.pdf", "factur-x.xml", "basicwl", "FA-2017-0008", "380", "2017-11-03", "Au bon moulin", ["2076.76", "0.00", "2076.76", "1453.76"]),
    ("corpus_zugferd_2p0_BASIC_Einfach.pdf", "zugferd-invoice.xml", "basic", "471102", "380", "2018-03-05", "Lieferant GmbH", ["198.00", "37.62", "235.62", "235.62"]),
    ("corpus_zugferd_2p0_EN16931_Einfach.pdf", "zugferd-invoice.xml", "en16931", "471102", "380", "2018-03-05", "Lieferant GmbH", ["473.00", "56.87", "529.87", "529.87"]),
    ("corpus_zugferd_2p0_MINIMUM.pdf", "zugferd-invoice.xml", "minimum", "471102", "751", "2018-03-05", "Lieferant GmbH", ["198.00", "37.62", "235.62", "235.62"]),
    ("akretion_factur-x-basic.xml", "", "basic", "F20260023", "380", "2026-01-31", "LE FOURNISSEUR", ["100.00", "4.90", "104.90", "104.90"]),
    ("akretion_factur-x-basicwl.xml", "", "basicwl", "F20260023", "380", "2026-01-31", "LE FOURNISSEUR", ["100.00", "4.90", "104.90", "104.90"]),
    ("akretion_factur-x-en16931.xml", "", "en16931", "F20260023", "380", "2026-01-31", "LE FOURNISSEUR", ["100.00", "4.90", "104.90", "104.90"]),
    ("akretion_factur-x-minimum.xml", "", "minimum", "F20260023", "380", "2026-01-31", "LE FOURNISSEUR", ["100.00", "4.90", "104.90", "104.90"]),
    ("corpus_EN16931_Einfach.cii.xml", "", "en16931", "471102", "380", "2018-03-05", "Lieferant GmbH", ["473.00", "56.87", "529.87", "529.87"]),
    ("opco_employer_claim_BASIC_O.xml", "", "basic", "OPCO-2026-000042", "380", "2026-11-30", "EMPLOYEUR EXEMPLE SARL", ["1274.80", "0.00", "1274.80", "1274.80"]),
    ("NEG_opco_employer_claim_BASIC_mixed_O_S.xml", "", "basic", "OPCO-2026-000042", "380", "2026-11-30", "EMPLOYEUR EXEMPLE SARL", ["1274.80", "7.50", "1282.30", "1282.30"]),
];

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))).expect("sample file")
}

#[test]
fn every_sample_is_read_with_its_totals() {
    for &(file, attachment, profile, number, type_code, date, seller, totals) in EXPECTED {
        let bytes = sample(&format!("facturx/{file}"));
        let invoice = if attachment.is_empty() {
            read_cii(&bytes).unwrap_or_else(|error| panic!("{file}: {error}"))
        } else {
            read_pdf(&bytes).unwrap_or_else(|error| panic!("{file}: {error}")).expect(file)
        };
        let decimal = |s: &str| Some(Decimal::from_str(s).unwrap());
        assert_eq!(invoice.attachment.as_deref().unwrap_or(""), attachment, "{file}");
        assert_eq!(invoice.profile.as_deref(), Some(profile), "{file}");
        assert_eq!(invoice.number.as_deref(), Some(number), "{file}");
        assert_eq!(invoice.type_code.as_deref(), Some(type_code), "{file}");
        assert_eq!(invoice.issue_date.as_deref(), Some(date), "{file}");
        assert_eq!(invoice.seller_name.as_deref(), Some(seller), "{file}");
        assert_eq!(invoice.currency.as_deref(), Some("EUR"), "{file}");
        let read = [invoice.total_ht, invoice.total_tva, invoice.total_ttc, invoice.amount_due];
        assert_eq!(read, totals.map(decimal), "{file}");
    }
    let covered = std::fs::read_dir(format!("{}/samples/facturx", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .filter(|f| f.as_ref().unwrap().path().extension().is_some_and(|x| x == "pdf" || x == "xml"))
        .count();
    assert_eq!(covered, EXPECTED.len(), "every sample has its expected values");
}

#[test]
fn french_identifiers_of_the_seller_are_read() {
    let invoice = read_cii(&sample("facturx/akretion_factur-x-basic.xml")).unwrap();
    assert_eq!(invoice.seller_siren.as_deref(), Some("123456782"));
    assert_eq!(invoice.seller_siret.as_deref(), Some("12345678200077"));
    assert_eq!(invoice.buyer_name.as_deref(), Some("LE CLIENT"));
    assert!(invoice.seller_vat_id.as_deref().is_some_and(|v| v.starts_with("FR")), "{:?}", invoice.seller_vat_id);
    let claim = read_cii(&sample("facturx/opco_employer_claim_BASIC_O.xml")).unwrap();
    assert_eq!(claim.buyer_name.as_deref(), Some("OPCO EXEMPLE"));
    assert_eq!(claim.seller_siret.as_deref(), Some("12345678200077"));
}

#[test]
fn damaged_pdfs_are_errors_and_plain_ones_have_no_invoice() {
    let mut cut = sample("facturx/corpus_Facture_FR_MINIMUM.pdf");
    cut.truncate(cut.len() / 3);
    assert!(read_pdf(&cut).is_err(), "a truncated PDF is an error, not a panic");
    assert_eq!(read_pdf(&sample("demo/convention-agence-fictive.pdf")), Ok(None));
}

#[test]
fn a_name_tree_that_loops_on_itself_ends() {
    use lopdf::{dictionary, Document, Object};
    let mut doc = Document::with_version("1.7");
    let node = doc.new_object_id();
    doc.objects.insert(node, Object::Dictionary(dictionary! { "Kids" => vec![Object::Reference(node)] }));
    let names = doc.add_object(dictionary! { "EmbeddedFiles" => Object::Reference(node) });
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Names" => Object::Reference(names) });
    doc.trailer.set("Root", Object::Reference(catalog));
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    assert_eq!(read_pdf(&bytes), Ok(None));
}
