#!/usr/bin/env python3
"""The ways a user would otherwise script the invoice, timed for `pieces bench invoice`.

usage: bench_invoice_alternatives.py DIR FONTS COUNT

DIR holds invoice.typ, data.json (the form's values, as pieces gives them to its template) and
factur-x.xml. Prints one line per alternative: `name median_ms p99_ms`.
- typst-py, fresh process: `python -c "import typst; typst.compile(...)"` once per invoice, PDF/A-3b
  with the same template, data, fonts and attached XML (what a script run per invoice costs);
- WeasyPrint, one warm process: an equivalent HTML form of the same values, PDF/A-3b.
"""
import html
import json
import os
import subprocess
import sys
import time


def stats(times):
    times = sorted(times)
    at = lambda q: times[round((len(times) - 1) * q)]
    return at(0.5), at(0.99)


def typst_fresh(directory, fonts, count):
    code = (
        "import typst, sys; typst.compile(sys.argv[1] + '/invoice.typ', output=sys.argv[1] + '/out.pdf', "
        "root=sys.argv[1], font_paths=[sys.argv[2]], ignore_system_fonts=True, pdf_standards='a-3b')"
    )
    times = []
    for _ in range(count):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, directory, fonts], check=True)
        times.append((time.perf_counter() - began) * 1000)
    return times


def form_html(d, fonts):
    e = html.escape
    party = lambda caption, p: (
        f"<div class='party'><div class='cap'>{e(caption)}</div><b>{e(p['name'])}</b>"
        + "".join(f"<br>{e(label) + ' : ' if label else ''}{e(value)}" for label, value in p["lines"])
        + "</div>"
    )
    rows = "".join(
        f"<tr><td>{e(t['name'])}</td><td class=r>{e(t['hourly_cost'])}</td><td class=r>{e(t['hours'])}</td>"
        f"<td class=r>{e(t['remuneration'])}</td></tr>"
        for t in d["trainees"]
    )
    note = lambda text: f"<div class=note>{e(text)}</div>"
    lines = [
        ("<b>Rémunération des stagiaires</b>" + note("Total du tableau ci-dessus."), d["remuneration"]),
        ("<b>Frais de restauration et d'hébergement</b>" + note("Frais réellement engagés."), d["meals_lodging"]),
        ("<b>Frais de déplacement</b>" + note("Sur justificatifs."), d["travel"]),
        (f"<b>Autres frais</b> (préciser : {e(d['other_label'] or '—')})" + note("Joindre les justificatifs."), d["other"]),
        ("Taux de TVA" + (note(d["vat_mention"]) if d["vat_mention"] else ""), d["vat_rate"]),
        ("<b>TOTAL HT</b>", d["total_ht"]), ("<b>TOTAL TVA</b>", d["total_tva"]), ("<b>TOTAL TTC</b>", d["total_ttc"]),
    ]
    costs = "".join(f"<tr><td>{label}</td><td class=r>{e(value)}</td></tr>" for label, value in lines)
    font = lambda name, weight, style: (
        f"@font-face {{ font-family: 'DejaVu Sans'; src: url('file://{fonts}/{name}'); "
        f"font-weight: {weight}; font-style: {style}; }}"
    )
    return f"""<!doctype html><html lang=fr><head><meta charset=utf-8><title>{e(d['title'])} N° {e(d['number'])}</title>
<style>{font('DejaVuSans.ttf', 'normal', 'normal')} {font('DejaVuSans-Bold.ttf', 'bold', 'normal')}
{font('DejaVuSans-Oblique.ttf', 'normal', 'italic')}
@page {{ size: A4; margin: 1.3cm 1.5cm 1.5cm; }}
body {{ font-family: 'DejaVu Sans'; font-size: 8pt; }}
.parties {{ display: flex; gap: 0.8cm; }} .party {{ flex: 1; border: 0.5pt solid #999; padding: 7pt; }}
.cap {{ font-size: 6.5pt; color: #5f5f5f; text-transform: uppercase; }}
h1 {{ text-align: center; font-size: 15pt; }} table {{ width: 100%; border-collapse: collapse; }}
td, th {{ border: 0.5pt solid #999; padding: 4pt 5pt; }} .r {{ text-align: right; }}
.note {{ font-size: 6.5pt; font-style: italic; color: #5f5f5f; }} .box {{ border: 0.5pt solid #999; height: 2.6cm; }}
</style></head><body>
<div class=parties>{party("L'employeur", d['employer'])}{party("Destinataire : l'OPCO", d['opco'])}</div>
<h1>{e(d['title'])} N° {e(d['number'])}</h1>
<p>Date : {e(d['date'])} — N° de dossier : {e(d['dossier'])} — Assistant(e) AKTO : {e(d['assistant'])}
— Ligne directe : {e(d['direct_line'])}<br>Intitulé du stage : {e(d['training'])}<br>Dates de formation :
{e(d['training_dates'])} — Nombre total de stagiaires : {e(d['trainee_count'])}<br>Salarié(s) : {e(d['employees'])}</p>
<h3>Rémunération des stagiaires</h3>
<table><tr><th>Salarié(e)</th><th>Salaire horaire chargé</th><th>Heures de présence effective</th>
<th>Rémunération imputable</th></tr>{rows}</table><br>
<table><tr><th>Désignation</th><th>Montant</th></tr>{costs}</table>
<p>Je soussigné(e) <b>{e(d['signatory'])}</b>, {e(d['signatory_function'])}, certifie exacts les renseignements
portés sur la présente facture.</p><p>Fait à {e(d['place'])}, le {e(d['signed_on'])}</p>
<div class=box>Cachet et signature</div></body></html>"""


def weasyprint_warm(directory, fonts, count):
    from weasyprint import HTML, Attachment
    with open(os.path.join(directory, "data.json"), encoding="utf-8") as f:
        data = json.load(f)
    with open(os.path.join(directory, "factur-x.xml"), "rb") as f:
        xml = f.read()
    document = form_html(data, fonts)
    times = []
    for i in range(count + 3):
        began = time.perf_counter()
        attachment = Attachment(string=xml, name="factur-x.xml", relationship="Alternative")
        HTML(string=document).write_pdf(os.path.join(directory, "weasy.pdf"), pdf_variant="pdf/a-3b",
                                        attachments=[attachment])
        if i >= 3:  # warm-up
            times.append((time.perf_counter() - began) * 1000)
    return times


def main():
    directory, fonts, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    median, p99 = stats(typst_fresh(directory, fonts, count))
    print(f"typst-py,_fresh_process_per_invoice {median:.2f} {p99:.2f}")
    median, p99 = stats(weasyprint_warm(directory, fonts, count))
    print(f"WeasyPrint,_HTML_form,_warm_process {median:.2f} {p99:.2f}")


if __name__ == "__main__":
    main()
