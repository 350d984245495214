#!/usr/bin/env python3
"""Writes the sample pieces of samples/ (run once; the outputs are committed).

Needs Pillow for the images (pip install pillow). The PDFs are written by hand, so that their
bytes are plain and reviewable: one page, Helvetica, a text layer.
"""
import io
import pathlib
import zlib

HERE = pathlib.Path(__file__).resolve().parent


def pdf(lines, title):
    """A one-page A4 PDF with `lines` of text (Latin-1, WinAnsi)."""
    text = ["BT", "/F1 11 Tf", "14 TL", "56 780 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text.append(f"({escaped}) '")
    text.append("ET")
    content = zlib.compress("\n".join(text).encode("cp1252"))
    return write_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Title (" + title.encode("cp1252") + b") /Producer (pieces samples) >>",
    ])


def scanned_pdf(jpeg, width, height):
    """A one-page A4 PDF holding only a scanned JPEG (no text layer), as scanners produce."""
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    return write_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Filter /DCTDecode /Length %d >>\nstream\n" % (width, height, len(jpeg)) + jpeg + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Title (Scan) /Producer (pieces samples) >>",
    ])


def write_pdf(objects):
    """The bytes of a PDF made of `objects` (numbered from 1; the 1st is the catalog, the last the info)."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


CONVENTION = [
    "CONVENTION DE FORMATION PROFESSIONNELLE",
    "(articles L.6353-1 et suivants du Code du travail)",
    "",
    "Entre l'organisme de formation : WOLTERS KLUWER FRANCE SAS",
    "SIRET 480 081 306 00130 - NDA 11755353175",
    "",
    "Et l'entreprise : AGENCE FICTIVE - N. adherent 1.001",
    "SIRET 065 501 231 00040 - 75009 PARIS",
    "",
    "Article 1 - Objet : PILOTER LA FORMATION PROFESSIONNELLE",
    "Duree : 21 heures, du 06/06/2019 au 05/07/2019.",
    "Article 2 - Prix : 2 020,00 EUR HT.",
    "Une feuille d'emargement sera signee par demi-journee.",
    "",
    "Fait a Paris, en deux exemplaires. Bon pour accord.",
]

PROGRAMME = [
    "PROGRAMME DE FORMATION",
    "Piloter la formation professionnelle - 21 heures",
    "Objectifs : construire le plan de developpement des competences.",
    "Module 1 : le cadre legal. Module 2 : le financement par l'OPCO.",
    "Modalites d'evaluation : quiz et etude de cas.",
]


def image(text):
    from PIL import Image, ImageDraw

    picture = Image.new("L", (420, 160), 235)
    draw = ImageDraw.Draw(picture)
    draw.text((16, 16), text, fill=20)
    draw.text((16, 60), "Feuille d'emargement - AGENCE FICTIVE", fill=20)
    return picture


EMARGEMENT = [
    "FEUILLE D'EMARGEMENT",
    "Organisme : FORMAPRO CONSEIL - AGENCE FICTIVE",
    "Action : Piloter la formation professionnelle",
    "Date : 12/03/2026          Lieu : Paris 9e",
    "",
    "Stagiaire            Matin            Apres-midi",
    "DUPONT Marie         signe            signe",
    "MARTIN Paul          signe            signe",
    "",
    "Signature du formateur :",
]


def scanned_page(lines):
    """A page of `lines` as a 150 dpi greyscale scan: grey paper, slight skew and blur."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    page = Image.new("L", (1240, 1754), 236)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 30)
    for number, line in enumerate(lines):
        draw.text((110, 140 + 52 * number), line, fill=25, font=font)
    page = page.rotate(0.8, fillcolor=236, resample=Image.BICUBIC)
    return page.filter(ImageFilter.GaussianBlur(0.7))


def main():
    (HERE / "demo").mkdir(exist_ok=True)
    (HERE / "upload").mkdir(exist_ok=True)
    (HERE / "demo" / "convention-agence-fictive.pdf").write_bytes(pdf(CONVENTION, "Convention de formation"))
    (HERE / "upload" / "programme.pdf").write_bytes(pdf(PROGRAMME, "Programme de formation"))
    image("Scan JPEG").save(HERE / "upload" / "emargement-scan.jpg", quality=70)
    image("Scan PNG").save(HERE / "upload" / "emargement-scan.png")
    image("Scan TIFF").save(HERE / "upload" / "emargement-scan.tif", compression="tiff_deflate")
    page = scanned_page(EMARGEMENT)
    jpeg = io.BytesIO()
    page.save(jpeg, "JPEG", quality=75)
    (HERE / "upload" / "emargement-scan.pdf").write_bytes(scanned_pdf(jpeg.getvalue(), *page.size))


if __name__ == "__main__":
    main()
