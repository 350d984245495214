//! Factur-X / ZUGFeRD reading, on every public sample of `samples/facturx/` (their expected values
//! were read independently with pypdf and lxml).

use std::str::FromStr;

use super::{read_cii, read_pdf};
use rust_decimal::Decimal;

struct Expected {
    file: &'static str,
    attachment: Option<&'static str>,
    profile: &'static str,
    number: &'static str,
    type_code: &'static str,
    date: &'static str,
    seller: &'static str,
    totals: [&'static str; 4],
}

const EXPECTED: &[Expected] = &[
    Expected {
        file: "akretion_invoice_EN16931.pdf",
        attachment: Some("factur-x.xml"),
        profile: "en16931",
        number: "F20260023",
        type_code: "380",
        date: "2026-01-31",
        seller: "LE FOURNISSEUR",
        totals: ["100.00", "4.90", "104.90", "104.90"],
    },
    Expected {
        file: "corpus_Avoir_FR_type381_BASIC.pdf",
        attachment: Some("factur-x.xml"),
        profile: "basic",
        number: "AV-2017-0005",
        type_code: "381",
        date: "2017-11-16",
        seller: "Au bon moulin",
        totals: ["218.48", "14.99", "233.47", "233.47"],
    },
    Expected {
        file: "corpus_FAIL_Facture_FR_BASIC.pdf",
        attachment: Some("factur-x.xml"),
        profile: "basic",
        number: "FA-2017-0010",
        type_code: "380",
        date: "2017-11-13",
        seller: "Au bon moulin",
        totals: ["624.90", "46.25", "671.15", "470.15"],
    },
    Expected {
        file: "corpus_Facture_FR_BASICWL.pdf",
        attachment: Some("factur-x.xml"),
        profile: "basicwl",
        number: "FA-2017-0010",
        type_code: "380",
        date: "2017-11-13",
        seller: "Au bon moulin",
        totals: ["624.90", "46.25", "671.15", "470.15"],
    },
    Expected {
        file: "corpus_Facture_FR_MINIMUM.pdf",
        attachment: Some("factur-x.xml"),
        profile: "minimum",
        number: "FA-2017-0010",
        type_code: "380",
        date: "2017-11-13",
        seller: "Au bon moulin",
        totals: ["624.90", "46.25", "671.15", "470.15"],
    },
    Expected {
        file: "corpus_Facture_UE_BASICWL.pdf",
        attachment: Some("factur-x.xml"),
        profile: "basicwl",
        number: "FA-2017-0008",
        type_code: "380",
        date: "2017-11-03",
        seller: "Au bon moulin",
        totals: ["2076.76", "0.00", "2076.76", "1453.76"],
    },
    Expected {
        file: "corpus_zugferd_2p0_BASIC_Einfach.pdf",
        attachment: Some("zugferd-invoice.xml"),
        profile: "basic",
        number: "471102",
        type_code: "380",
        date: "2018-03-05",
        seller: "Lieferant GmbH",
        totals: ["198.00", "37.62", "235.62", "235.62"],
    },
    Expected {
        file: "corpus_zugferd_2p0_EN16931_Einfach.pdf",
        attachment: Some("zugferd-invoice.xml"),
        profile: "en16931",
        number: "471102",
        type_code: "380",
        date: "2018-03-05",
        seller: "Lieferant GmbH",
        totals: ["473.00", "56.87", "529.87", "529.87"],
    },
    Expected {
        file: "corpus_zugferd_2p0_MINIMUM.pdf",
        attachment: Some("zugferd-invoice.xml"),
        profile: "minimum",
        number: "471102",
        type_code: "751",
        date: "2018-03-05",
        seller: "Lieferant GmbH",
        totals: ["198.00", "37.62", "235.62", "235.62"],
    },
    Expected {
        file: "akretion_factur-x-basic.xml",
        attachment: None,
        profile: "basic",
        number: "F20260023",
        type_code: "380",
        date: "2026-01-31",
        seller: "LE FOURNISSEUR",
        totals: ["100.00", "4.90", "104.90", "104.90"],
    },
    Expected {
        file: "akretion_factur-x-basicwl.xml",
        attachment: None,
        profile: "basicwl",
        number: "F20260023",
        type_code: "380",
        date: "2026-01-31",
        seller: "LE FOURNISSEUR",
        totals: ["100.00", "4.90", "104.90", "104.90"],
    },
    Expected {
        file: "akretion_factur-x-en16931.xml",
        attachment: None,
        profile: "en16931",
        number: "F20260023",
        type_code: "380",
        date: "2026-01-31",
        seller: "LE FOURNISSEUR",
        totals: ["100.00", "4.90", "104.90", "104.90"],
    },
    Expected {
        file: "akretion_factur-x-minimum.xml",
        attachment: None,
        profile: "minimum",
        number: "F20260023",
        type_code: "380",
        date: "2026-01-31",
        seller: "LE FOURNISSEUR",
        totals: ["100.00", "4.90", "104.90", "104.90"],
    },
    Expected {
        file: "corpus_EN16931_Einfach.cii.xml",
        attachment: None,
        profile: "en16931",
        number: "471102",
        type_code: "380",
        date: "2018-03-05",
        seller: "Lieferant GmbH",
        totals: ["473.00", "56.87", "529.87", "529.87"],
    },
    Expected {
        file: "opco_employer_claim_BASIC_O.xml",
        attachment: None,
        profile: "basic",
        number: "OPCO-2026-000042",
        type_code: "380",
        date: "2026-11-30",
        seller: "EMPLOYEUR EXEMPLE SARL",
        totals: ["1274.80", "0.00", "1274.80", "1274.80"],
    },
    Expected {
        file: "NEG_opco_employer_claim_BASIC_mixed_O_S.xml",
        attachment: None,
        profile: "basic",
        number: "OPCO-2026-000042",
        type_code: "380",
        date: "2026-11-30",
        seller: "EMPLOYEUR EXEMPLE SARL",
        totals: ["1274.80", "7.50", "1282.30", "1282.30"],
    },
];

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))).expect("sample file")
}

#[test]
fn every_sample_is_read_with_its_totals() {
    for e in EXPECTED {
        let bytes = sample(&format!("facturx/{}", e.file));
        let invoice = match e.attachment {
            Some(_) => read_pdf(&bytes).unwrap_or_else(|error| panic!("{}: {error}", e.file)).expect(e.file),
            None => read_cii(&bytes).unwrap_or_else(|error| panic!("{}: {error}", e.file)),
        };
        let decimal = |s: &str| Some(Decimal::from_str(s).unwrap());
        assert_eq!(invoice.attachment.as_deref(), e.attachment, "{}", e.file);
        assert_eq!(invoice.profile.as_deref(), Some(e.profile), "{}", e.file);
        assert_eq!(invoice.number.as_deref(), Some(e.number), "{}", e.file);
        assert_eq!(invoice.type_code.as_deref(), Some(e.type_code), "{}", e.file);
        assert_eq!(invoice.issue_date.as_deref(), Some(e.date), "{}", e.file);
        assert_eq!(invoice.seller_name.as_deref(), Some(e.seller), "{}", e.file);
        assert_eq!(invoice.currency.as_deref(), Some("EUR"), "{}", e.file);
        let totals = [invoice.total_ht, invoice.total_tva, invoice.total_ttc, invoice.amount_due];
        assert_eq!(totals, e.totals.map(decimal), "{}", e.file);
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
