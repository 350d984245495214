//! The invoice as Factur-X data: a UN/CEFACT Cross Industry Invoice (CII) XML of the BASIC
//! profile, embedded in the PDF as `factur-x.xml`. One line per trainee (hours as the quantity,
//! unit `HUR`, the loaded hourly salary as the price), one per other cost that is not zero. VAT is
//! category `O` with its exemption reason when outside the scope of VAT (and then, as the rules
//! BR-O-02/03 want, no VAT number of either party), `S` with its rate otherwise.

use std::fmt::Write;

use rust_decimal::Decimal;
use time::Date;

use super::document::Printable;

/// The profile's guideline identifier (BT-24).
const BASIC: &str = "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic";

/// The identifier a specimen carries instead of a number.
pub const SPECIMEN_ID: &str = "SPECIMEN";

/// The CII XML of `invoice`.
pub fn cii_xml(invoice: &Printable) -> String {
    let frozen = invoice.frozen;
    let computed = &frozen.computed;
    let vat = computed.vat;
    let mut xml = String::with_capacity(8192);
    xml.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\" \
         xmlns:ram=\"urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100\" \
         xmlns:qdt=\"urn:un:unece:uncefact:data:standard:QualifiedDataType:100\" \
         xmlns:udt=\"urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100\">\n",
    );
    let _ = write!(
        xml,
        "<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>{BASIC}</ram:ID>\
         </ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>\n\
         <rsm:ExchangedDocument><ram:ID>{}</ram:ID><ram:TypeCode>{}</ram:TypeCode>\
         <ram:IssueDateTime><udt:DateTimeString format=\"102\">{}</udt:DateTimeString></ram:IssueDateTime>\
         <ram:IncludedNote><ram:Content>{}</ram:Content></ram:IncludedNote></rsm:ExchangedDocument>\n\
         <rsm:SupplyChainTradeTransaction>\n",
        escape(invoice.number.unwrap_or(SPECIMEN_ID)),
        invoice.type_code.code(),
        day(invoice.issue_date),
        escape(&format!(
            "Dossier {} : remboursement de la rémunération des stagiaires et des frais de formation",
            frozen.dossier.number
        )),
    );

    let tax = line_tax(vat);
    let mut line_id = 0;
    let mut line = |xml: &mut String, name: &str, price: Decimal, quantity: (String, &str), total: Decimal| {
        line_id += 1;
        let _ = write!(
            xml,
            "<ram:IncludedSupplyChainTradeLineItem>\
             <ram:AssociatedDocumentLineDocument><ram:LineID>{line_id}</ram:LineID></ram:AssociatedDocumentLineDocument>\
             <ram:SpecifiedTradeProduct><ram:Name>{}</ram:Name></ram:SpecifiedTradeProduct>\
             <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{price:.2}</ram:ChargeAmount>\
             </ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>\
             <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode=\"{}\">{}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>\
             <ram:SpecifiedLineTradeSettlement>{tax}<ram:SpecifiedTradeSettlementLineMonetarySummation>\
             <ram:LineTotalAmount>{total:.2}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>\
             </ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>",
            escape(name),
            quantity.1,
            quantity.0,
        );
        xml.push('\n');
    };
    for trainee in &computed.trainees {
        let name = format!("Rémunération des stagiaires : {}", trainee.name);
        line(
            &mut xml,
            &name,
            trainee.hourly_cost,
            (trainee.hours.normalize().to_string(), "HUR"),
            trainee.remuneration,
        );
    }
    let one = || ("1".to_string(), "C62");
    for (name, amount) in [
        ("Frais de restauration et d'hébergement", computed.meals_lodging),
        ("Frais de déplacement", computed.travel),
        (&format!("Autres frais : {}", computed.other.label) as &str, computed.other.amount),
    ] {
        if !amount.is_zero() {
            line(&mut xml, name, amount, one(), amount);
        }
    }

    // The parties: the employer sells, the OPCO buys.
    let employer = &frozen.employer;
    let opco = &frozen.opco;
    let charged = vat.is_charged();
    xml.push_str("<ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty>");
    if let Some(siret) = employer.siret.as_deref().map(digits).filter(|s| s.len() == 14) {
        let _ = write!(xml, "<ram:GlobalID schemeID=\"0009\">{siret}</ram:GlobalID>");
    }
    let _ = write!(xml, "<ram:Name>{}</ram:Name>", escape(employer.name.as_deref().unwrap_or("—")));
    if let Some(siren) = employer.siret.as_deref().map(digits).filter(|s| s.len() == 14) {
        let _ = write!(
            xml,
            "<ram:SpecifiedLegalOrganization><ram:ID schemeID=\"0002\">{}</ram:ID></ram:SpecifiedLegalOrganization>",
            &siren[..9]
        );
    }
    address(&mut xml, employer.postcode.as_deref(), employer.address.as_deref(), employer.city.as_deref());
    if let Some(number) = employer.vat_number.as_deref().filter(|_| charged) {
        let _ = write!(
            xml,
            "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{}</ram:ID></ram:SpecifiedTaxRegistration>",
            escape(&number.replace(' ', ""))
        );
    }
    let _ = write!(
        xml,
        "</ram:SellerTradeParty><ram:BuyerTradeParty><ram:Name>{}</ram:Name>\
         <ram:SpecifiedLegalOrganization><ram:ID schemeID=\"0002\">{}</ram:ID></ram:SpecifiedLegalOrganization>",
        escape(&opco.name),
        escape(&digits(&opco.siren)),
    );
    address(&mut xml, Some(&opco.postcode), Some(&opco.address), Some(&opco.city));
    if charged {
        let _ = write!(
            xml,
            "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{}</ram:ID></ram:SpecifiedTaxRegistration>",
            escape(&opco.vat_number.replace(' ', ""))
        );
    }
    let _ = write!(
        xml,
        "</ram:BuyerTradeParty><ram:ContractReferencedDocument><ram:IssuerAssignedID>{}</ram:IssuerAssignedID>\
         </ram:ContractReferencedDocument></ram:ApplicableHeaderTradeAgreement>\n<ram:ApplicableHeaderTradeDelivery/>\n",
        escape(&frozen.dossier.number),
    );

    // Settlement: the VAT breakdown, the training period, the terms, the totals.
    xml.push_str("<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>");
    let _ = write!(
        xml,
        "<ram:ApplicableTradeTax><ram:CalculatedAmount>{:.2}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>",
        computed.total_tva
    );
    if let Some(reason) = vat.exemption_reason() {
        let _ = write!(xml, "<ram:ExemptionReason>{}</ram:ExemptionReason>", escape(reason));
    }
    let _ = write!(
        xml,
        "<ram:BasisAmount>{:.2}</ram:BasisAmount><ram:CategoryCode>{}</ram:CategoryCode>",
        computed.total_ht,
        vat.category_code()
    );
    if let Some(code) = vat.exemption_reason_code() {
        let _ = write!(xml, "<ram:ExemptionReasonCode>{code}</ram:ExemptionReasonCode>");
    }
    if charged {
        let _ = write!(xml, "<ram:RateApplicablePercent>{}</ram:RateApplicablePercent>", vat.percent().normalize());
    }
    xml.push_str("</ram:ApplicableTradeTax>");
    let action = &frozen.dossier.action;
    if let (Some(start), Some(end)) = (iso_day(action.start_date.as_deref()), iso_day(action.end_date.as_deref())) {
        let _ = write!(
            xml,
            "<ram:BillingSpecifiedPeriod><ram:StartDateTime><udt:DateTimeString format=\"102\">{start}</udt:DateTimeString>\
             </ram:StartDateTime><ram:EndDateTime><udt:DateTimeString format=\"102\">{end}</udt:DateTimeString>\
             </ram:EndDateTime></ram:BillingSpecifiedPeriod>"
        );
    }
    let _ = write!(
        xml,
        "<ram:SpecifiedTradePaymentTerms><ram:Description>{}</ram:Description></ram:SpecifiedTradePaymentTerms>\
         <ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>{ht:.2}</ram:LineTotalAmount>\
         <ram:TaxBasisTotalAmount>{ht:.2}</ram:TaxBasisTotalAmount>\
         <ram:TaxTotalAmount currencyID=\"EUR\">{tva:.2}</ram:TaxTotalAmount>\
         <ram:GrandTotalAmount>{ttc:.2}</ram:GrandTotalAmount><ram:DuePayableAmount>{ttc:.2}</ram:DuePayableAmount>\
         </ram:SpecifiedTradeSettlementHeaderMonetarySummation>",
        escape("Remboursement par l'OPCO à réception de la facture et de ses justificatifs"),
        ht = computed.total_ht,
        tva = computed.total_tva,
        ttc = computed.total_ttc,
    );
    if let Some(credited) = invoice.credits {
        let _ = write!(
            xml,
            "<ram:InvoiceReferencedDocument><ram:IssuerAssignedID>{}</ram:IssuerAssignedID></ram:InvoiceReferencedDocument>",
            escape(credited)
        );
    }
    xml.push_str(
        "</ram:ApplicableHeaderTradeSettlement>\n</rsm:SupplyChainTradeTransaction>\n</rsm:CrossIndustryInvoice>\n",
    );
    xml
}

/// A line's VAT: its category, and its rate when VAT is charged (BR-O-05: none outside the scope).
fn line_tax(vat: super::VatRegime) -> String {
    let rate = if vat.is_charged() {
        format!("<ram:RateApplicablePercent>{}</ram:RateApplicablePercent>", vat.percent().normalize())
    } else {
        String::new()
    };
    format!(
        "<ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>{}</ram:CategoryCode>{rate}</ram:ApplicableTradeTax>",
        vat.category_code()
    )
}

fn address(xml: &mut String, postcode: Option<&str>, line: Option<&str>, city: Option<&str>) {
    xml.push_str("<ram:PostalTradeAddress>");
    let parts = [("PostcodeCode", postcode), ("LineOne", line), ("CityName", city)];
    for (tag, value) in parts {
        if let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) {
            let _ = write!(xml, "<ram:{tag}>{}</ram:{tag}>", escape(value));
        }
    }
    xml.push_str("<ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>");
}

/// `20261127` (format 102).
fn day(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), u8::from(date.month()), date.day())
}

/// `2026-11-02` → `20261102`; `None` unless it is such a date.
fn iso_day(text: Option<&str>) -> Option<String> {
    crate::domain::iso_date::parse(text?).map(day)
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// XML text escaping.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
