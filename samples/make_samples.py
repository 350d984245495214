#!/usr/bin/env python3
"""Writes the sample pieces of samples/ (run once; the outputs are committed).

Needs Pillow for the images (pip install pillow). The PDFs are written by hand, so that their
bytes are plain and reviewable: one page, Helvetica, a text layer.
"""
import io
import pathlib
import zlib

from PIL import Image, ImageDraw

HERE = pathlib.Path(__file__).resolve().parent


def pdf(lines, title):
    """A one-page A4 PDF with `lines` of text (Latin-1, WinAnsi)."""
    text = ["BT", "/F1 11 Tf", "14 TL", "56 780 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text.append(f"({escaped}) '")
    text.append("ET")
    content = zlib.compress("\n".join(text).encode("cp1252"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Title (" + title.encode("cp1252") + b") /Producer (pieces samples) >>",
    ]
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
    picture = Image.new("L", (420, 160), 235)
    draw = ImageDraw.Draw(picture)
    draw.text((16, 16), text, fill=20)
    draw.text((16, 60), "Feuille d'emargement - AGENCE FICTIVE", fill=20)
    return picture


def main():
    (HERE / "demo").mkdir(exist_ok=True)
    (HERE / "upload").mkdir(exist_ok=True)
    (HERE / "demo" / "convention-agence-fictive.pdf").write_bytes(pdf(CONVENTION, "Convention de formation"))
    (HERE / "upload" / "programme.pdf").write_bytes(pdf(PROGRAMME, "Programme de formation"))
    image("Scan JPEG").save(HERE / "upload" / "emargement-scan.jpg", quality=70)
    image("Scan PNG").save(HERE / "upload" / "emargement-scan.png")
    image("Scan TIFF").save(HERE / "upload" / "emargement-scan.tif", compression="tiff_deflate")


if __name__ == "__main__":
    main()
