//! The Factur-X XMP metadata, which Typst cannot write: the `fx:` fields (document type, file
//! name, version, conformance level) and their PDF/A extension schema, added to the PDF's
//! metadata stream with lopdf as an incremental update (the bytes Typst wrote stay as they are).

use lopdf::{IncrementalDocument, Object, Stream};

use super::RenderError;

const FX_NAMESPACE: &str = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#";

/// The Factur-X fields of an invoice's XMP.
pub struct FacturX<'a> {
    /// `INVOICE`.
    pub document_type: &'a str,
    /// `factur-x.xml`.
    pub file_name: &'a str,
    /// `1.0`.
    pub version: &'a str,
    /// `BASIC`.
    pub conformance_level: &'a str,
}

/// Adds the Factur-X fields and their extension schema to `pdf`'s XMP metadata.
pub fn add_facturx(pdf: Vec<u8>, fields: &FacturX) -> Result<Vec<u8>, RenderError> {
    let failed = |what: &str, error: lopdf::Error| RenderError::Pdf(format!("{what}: {error}"));
    let mut document = IncrementalDocument::load_from(pdf.as_slice()).map_err(|e| failed("reading", e))?;
    let catalog = document.get_prev_documents().catalog().map_err(|e| failed("catalog", e))?;
    let metadata_id = catalog.get(b"Metadata").and_then(Object::as_reference).map_err(|e| failed("metadata", e))?;
    let stream = document.get_prev_documents().get_object(metadata_id).and_then(Object::as_stream);
    let stream = stream.map_err(|e| failed("metadata stream", e))?;
    let xmp = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
    let xmp = String::from_utf8(xmp).map_err(|_| RenderError::Pdf("the XMP is not UTF-8".into()))?;
    let xmp = with_facturx(&xmp, fields)?;

    // PDF/A wants the metadata stream unfiltered: a plain stream with the same dictionary keys.
    let mut dictionary = stream.dict.clone();
    dictionary.remove(b"Filter");
    dictionary.remove(b"DecodeParms");
    let updated = Stream::new(dictionary, xmp.into_bytes()).with_compression(false);
    document.new_document.set_object(metadata_id, Object::Stream(updated));
    let mut out = Vec::with_capacity(pdf.len() + 4096);
    document.save_to(&mut out).map_err(|e| RenderError::Pdf(format!("writing: {e}")))?;
    Ok(out)
}

/// The XMP packet with the Factur-X description and its extension schema inserted.
fn with_facturx(xmp: &str, fields: &FacturX) -> Result<String, RenderError> {
    let description = format!(
        "<rdf:Description rdf:about=\"\" xmlns:fx=\"{FX_NAMESPACE}\">\
         <fx:DocumentType>{}</fx:DocumentType><fx:DocumentFileName>{}</fx:DocumentFileName>\
         <fx:Version>{}</fx:Version><fx:ConformanceLevel>{}</fx:ConformanceLevel></rdf:Description>",
        fields.document_type, fields.file_name, fields.version, fields.conformance_level
    );
    let property = |name: &str, description: &str| {
        format!(
            "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>{name}</pdfaProperty:name>\
             <pdfaProperty:valueType>Text</pdfaProperty:valueType>\
             <pdfaProperty:category>external</pdfaProperty:category>\
             <pdfaProperty:description>{description}</pdfaProperty:description></rdf:li>"
        )
    };
    let schema = format!(
        "<rdf:li rdf:parseType=\"Resource\"><pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>\
         <pdfaSchema:namespaceURI>{FX_NAMESPACE}</pdfaSchema:namespaceURI><pdfaSchema:prefix>fx</pdfaSchema:prefix>\
         <pdfaSchema:property><rdf:Seq>{}{}{}{}</rdf:Seq></pdfaSchema:property></rdf:li>",
        property("DocumentFileName", "The name of the embedded XML document"),
        property("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
        property("Version", "The actual version of the standard applying to the embedded XML document"),
        property("ConformanceLevel", "The conformance level of the embedded XML document"),
    );
    let end = xmp.rfind("</rdf:RDF>").ok_or_else(|| RenderError::Pdf("the XMP has no rdf:RDF".into()))?;
    let mut out = String::with_capacity(xmp.len() + description.len() + schema.len() + 1024);
    // An extension-schema list already there (Typst's own) gets one more schema; else one is added.
    match xmp.find("<pdfaExtension:schemas>").and_then(|at| xmp[at..].find("<rdf:Bag>").map(|bag| at + bag + 9)) {
        Some(inside) => {
            out.push_str(&xmp[..inside]);
            out.push_str(&schema);
            out.push_str(&xmp[inside..end]);
        }
        None => {
            out.push_str(&xmp[..end]);
            out.push_str(
                "<rdf:Description rdf:about=\"\" xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\" \
                 xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\" \
                 xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\"><pdfaExtension:schemas><rdf:Bag>",
            );
            out.push_str(&schema);
            out.push_str("</rdf:Bag></pdfaExtension:schemas></rdf:Description>");
        }
    }
    out.push_str(&description);
    out.push_str(&xmp[end..]);
    Ok(out)
}
