#!/usr/bin/env python3
"""Writes the labelled corpus of samples/corpus/ (run once; the outputs are committed).

Pieces of every kind, as providers and employers write them: several templates per kind, varied
wording, abbreviations, typos, upper case titles or not, multi-page pieces and merged files
(a convention with its programme annexed, an invoice with its certificate). Half are text PDFs,
half scans: pages rendered to greyscale images with grey paper, skew, blur, speckle and JPEG
artefacts, saved as JPEG, PNG, TIFF or as a PDF of page images (no text layer).

Two sets, from different random seeds: `train/` (to tune the rules and train the model) and
`test/` (held out: never looked at while tuning). Each has a manifest `file,kind`; the test
manifest is `samples/manifest.csv`'s corpus part.

Needs Pillow and the DejaVu fonts (fonts-dejavu-core). Usage: make_corpus.py
"""
import csv
import io
import pathlib
import random

from make_samples import write_pdf

HERE = pathlib.Path(__file__).resolve().parent
FONTS = pathlib.Path("/usr/share/fonts/truetype/dejavu")

# ---------------------------------------------------------------------------------------------
# Fake but plausible data.

COMPANIES = ["AGENCE FICTIVE", "ATELIERS DU FAUBOURG", "BOULANGERIE MARTIN SARL", "TRANSPORTS LEROY",
             "CLINIQUE DES LILAS", "SOCIETE NOUVELLE DUPRE", "GARAGE DU CENTRE", "HOTEL BEAUSEJOUR",
             "NETTOYAGE SERVICES PLUS", "RESTAURANT LE MARIN", "LOGISTIQUE OUEST SAS", "PHARMACIE DU PORT"]
PROVIDERS = ["FORMAPRO CONSEIL", "WOLTERS KLUWER FRANCE SAS", "CEGOS", "INSTITUT AVENIR FORMATION",
             "AFPA ENTREPRISES", "ORSYS", "CCI FORMATION", "DEMOS", "ECOLE DES METIERS DU GOUT",
             "CENTRE DE FORMATION SECURITE 33", "ARPEGE FORMATIONS", "ACADEMIE DU NUMERIQUE"]
TITLES = ["Piloter la formation professionnelle", "Habilitation électrique B1V", "Management d'équipe",
          "Excel perfectionnement", "Sauveteur secouriste du travail", "CACES R489 chariots",
          "Hygiène alimentaire HACCP", "Anglais professionnel", "Gestion des conflits",
          "Comptabilité fondamentaux", "Prise de parole en public", "Soudure TIG"]
FIRST = ["Marie", "Paul", "Sophie", "Karim", "Julie", "Thomas", "Nadia", "Lucas", "Chloé", "Mehdi", "Emma", "Hugo"]
LAST = ["DUPONT", "MARTIN", "BERNARD", "PETIT", "DURAND", "LEROY", "MOREAU", "SIMON", "LAURENT", "GARNIER",
        "FAURE", "ROUSSEL"]
CITIES = [("75009", "PARIS"), ("69003", "LYON"), ("13001", "MARSEILLE"), ("33000", "BORDEAUX"),
          ("44000", "NANTES"), ("59000", "LILLE"), ("31000", "TOULOUSE"), ("67000", "STRASBOURG")]
BANKS = ["CREDIT AGRICOLE", "BNP PARIBAS", "SOCIETE GENERALE", "CAISSE D'EPARGNE", "LCL", "CIC",
         "BANQUE POPULAIRE", "LA BANQUE POSTALE"]


class Fake:
    def __init__(self, r):
        self.r = r
        self.company = r.choice(COMPANIES)
        self.provider = r.choice(PROVIDERS)
        self.title = r.choice(TITLES)
        self.person = f"{r.choice(FIRST)} {r.choice(LAST)}"
        self.trainees = [f"{r.choice(LAST)} {r.choice(FIRST)}" for _ in range(r.randint(1, 5))]
        self.postcode, self.city = r.choice(CITIES)
        self.street = f"{r.randint(1, 120)} {r.choice(['rue de la Paix', 'avenue Victor Hugo', 'boulevard Haussmann', 'rue des Lilas', 'place de la Gare', 'chemin des Vignes'])}"
        self.hours = r.choice([7, 14, 21, 24, 35, 42, 70])
        self.day, self.month, self.year = r.randint(1, 28), r.randint(1, 12), r.choice([2024, 2025, 2026])
        self.price = r.randint(3, 90) * 100 + r.choice([0, 50, 0, 20])
        self.number = f"{r.choice(['F', 'FA', 'FAC', 'N°', ''])}{self.year}-{r.randint(10, 9999):04d}"

    def date(self, shift=0):
        d = self.day + shift
        m = self.month + (d - 1) // 28
        return f"{(d - 1) % 28 + 1:02d}/{(m - 1) % 12 + 1:02d}/{self.year}"

    def siret(self):
        return " ".join(["".join(str(self.r.randint(0, 9)) for _ in range(n)) for n in (3, 3, 3, 5)])

    def nda(self):
        return "".join(str(self.r.randint(0, 9)) for _ in range(11))

    def money(self, value=None):
        value = self.price if value is None else value
        whole, cents = divmod(round(value * 100), 100)
        text = f"{whole:,}".replace(",", " ")
        return f"{text},{cents:02d}"

    def iban(self):
        digits = "".join(str(self.r.randint(0, 9)) for _ in range(23))
        groups = [digits[i:i + 4] for i in range(0, 23, 4)]
        return "FR76 " + " ".join(groups)

    def bic(self):
        return self.r.choice(["AGRIFRPP", "BNPAFRPP", "SOGEFRPP", "CEPAFRPP", "CRLYFRPP", "CMCIFRPP"]) + self.r.choice(["", "XXX", "882"])


# ---------------------------------------------------------------------------------------------
# Templates: each takes a Fake and returns pages (lists of lines).

def programme(f):
    r = f.r
    style = r.randrange(4)
    head = [["PROGRAMME DE FORMATION", "Programme de formation", "PROGRAMME DÉTAILLÉ DE LA FORMATION",
             "Fiche programme"][style], f.title.upper() if r.random() < .5 else f.title, ""]
    objectives = [r.choice(["Objectifs pédagogiques", "OBJECTIFS", "Objectifs de la formation", "Objectifs opérationnels"]),
                  "À l'issue de la formation, le stagiaire sera capable de :",
                  "- identifier les enjeux et le cadre réglementaire", "- mettre en oeuvre les outils adaptés",
                  "- évaluer ses pratiques et les améliorer", ""]
    public = [r.choice(["Public visé :", "Public concerné :", "Pour qui ?"]) + " salariés, agents de maîtrise, managers",
              r.choice(["Prérequis : aucun", "Pré-requis : maîtrise des bases", "Prérequis : être âgé de 18 ans"]),
              f"Durée : {f.hours} heures ({f.hours // 7} jours)" if f.hours >= 7 else f"Durée : {f.hours} h", ""]
    content = [r.choice(["Contenu de la formation", "Programme", "Déroulé pédagogique", "CONTENU"])]
    for day in range(1, max(2, f.hours // 7) + 1):
        content += [f"{r.choice(['Jour', 'Module', 'Séquence'])} {day} : " + r.choice(
            ["les fondamentaux", "mise en pratique", "études de cas", "cadre légal", "outils et méthodes", "évaluation"]),
            "  Apports théoriques, exercices, retours d'expérience"]
    methods = ["", r.choice(["Méthodes pédagogiques", "Moyens pédagogiques et techniques", "Modalités pédagogiques"]),
               "Alternance d'apports théoriques et de cas pratiques, support remis à chaque participant.",
               r.choice(["Modalités d'évaluation : QCM en fin de formation", "Évaluation des acquis : mise en situation",
                         "Suivi : feuilles d'émargement signées par demi-journée, attestation de fin de formation"]),
               f"Formateur : {f.person}, consultant expert", f"{f.provider} - NDA {f.nda()}"]
    pages = [head + objectives + public + content + methods]
    if len(pages[0]) > 34:
        pages = [pages[0][:30], pages[0][30:]]
    return pages


def convention(f):
    r = f.r
    t = r.choice(["CONVENTION DE FORMATION PROFESSIONNELLE", "Convention de formation professionnelle continue",
                  "CONVENTION DE FORMATION", "Convention simplifiée de formation"])
    law = r.choice(["(Articles L.6353-1 et L.6353-2 du Code du travail)", "(art. L. 6353-1 et suivants du code du travail)",
                    "Établie en application des articles L6353-1 et L6353-2 du Code du travail", ""])
    p1 = [t, law, "", r.choice(["Entre les soussignés :", "ENTRE LES SOUSSIGNÉS", "Entre :"]),
          f"1) {f.provider}, organisme de formation, SIRET {f.siret()},", f"déclaration d'activité n° {f.nda()}",
          r.choice(["ci-après dénommé l'organisme de formation", "ci-après « l'organisme »"]), "",
          f"2) {f.company}, {f.street}, {f.postcode} {f.city}, SIRET {f.siret()}",
          r.choice(["ci-après dénommée l'entreprise", "ci-après « le client »", "ci-après le bénéficiaire"]), "",
          r.choice(["Article 1 - Objet de la convention", "ARTICLE 1 : OBJET", "Art. 1 - Objet"]),
          f"En exécution de la présente convention, l'organisme s'engage à organiser l'action : {f.title}.",
          r.choice(["Article 2 - Nature et caractéristiques de l'action", "ARTICLE 2 : NATURE, DURÉE ET EFFECTIF"]),
          f"Action d'adaptation et de développement des compétences. Durée : {f.hours} heures,",
          f"du {f.date()} au {f.date(r.randint(1, 20))}. Effectif : {len(f.trainees)} stagiaire(s).",
          r.choice(["Article 3 - Dispositions financières", "ARTICLE 3 : PRIX DE LA FORMATION", "Art. 3 - Coût"]),
          f"Le coût de la formation est de {f.money()} euros HT, TVA non applicable (art. 261-4-4 a du CGI)."]
    p2 = [r.choice(["Article 4 - Moyens de suivi", "ARTICLE 4 : SANCTION ET SUIVI DE LA FORMATION"]),
          "Des feuilles d'émargement seront signées par les stagiaires et le formateur par demi-journée.",
          "Un certificat de réalisation sera remis à l'issue de la formation.",
          r.choice(["Article 5 - Dédit ou abandon", "ARTICLE 5 : RÉSILIATION", "Art. 5 - Annulation"]),
          "En cas de dédit par l'entreprise moins de 10 jours avant le début, une indemnité sera due.",
          r.choice(["Article 6 - Différends", "ARTICLE 6 : LITIGES"]),
          f"À défaut d'accord amiable, le tribunal de {f.city.title()} sera seul compétent.", "",
          r.choice(["Fait en double exemplaire", "Fait en deux exemplaires originaux"]) + f", à {f.city.title()} le {f.date(-10)}",
          "Pour l'entreprise                     Pour l'organisme de formation",
          "(cachet et signature)                  (cachet et signature)"]
    return [p1, p2] if r.random() < .6 else [p1 + p2]


def devis(f):
    r = f.r
    qty = len(f.trainees)
    ht = f.price
    rate = r.choice([0, 20])
    tva = ht * rate / 100
    t = r.choice(["DEVIS", "Devis n° D" + str(r.randint(100, 9999)), "PROPOSITION COMMERCIALE ET FINANCIÈRE",
                  "Devis de formation"])
    lines = [f.provider, f"{f.street} - {f.postcode} {f.city}", f"SIRET {f.siret()} - NDA {f.nda()}", "",
             t, f"Date : {f.date()}", f"Client : {f.company}", f"A l'attention de {f.person}", "",
             "Désignation                         Qté      PU HT       Total HT",
             f"{f.title[:32]:<34}  {qty}     {f.money(ht / qty)}   {f.money(ht)}",
             f"Durée : {f.hours} h - {r.choice(['intra-entreprise', 'inter-entreprises', 'à distance'])}", "",
             f"Total HT : {f.money(ht)} €", f"TVA {rate} % : {f.money(tva)} €" if rate else "TVA non applicable, art. 261-4-4° a du CGI",
             f"Total TTC : {f.money(ht + tva)} €", "",
             r.choice(["Validité du devis : 3 mois", "Offre valable 30 jours", "Devis valable jusqu'au " + f.date(25),
                       "Durée de validité de l'offre : 60 jours"]),
             r.choice(["Bon pour accord, date, cachet et signature du client :", "BON POUR ACCORD",
                       "Pour acceptation : « Bon pour accord », signature", "Merci de nous retourner ce devis signé."]),
             r.choice(["Conditions de règlement : 30 jours à réception de facture", "Acompte de 30 % à la commande", ""])]
    return [lines]


def facture_of(f):
    r = f.r
    ht = f.price
    rate = r.choice([0, 0, 20])
    tva = ht * rate / 100
    t = r.choice(["FACTURE", "Facture", "FACTURE N° " + f.number, "Facture de formation"])
    lines = [f.provider, f"{f.street}", f"{f.postcode} {f.city}", f"SIRET : {f.siret()}   N° TVA : FR{r.randint(10, 99)}{r.randint(100000000, 999999999)}",
             f"Déclaration d'activité n° {f.nda()}", "", t,
             f"N° de facture : {f.number}" if "N°" not in t else "", f"Date de facturation : {f.date(30)}",
             f"Client : {f.company} - {f.postcode} {f.city}", "",
             "Désignation                                   Quantité   Montant HT",
             f"Formation « {f.title} » - {f.hours} h       {len(f.trainees)}        {f.money(ht)}",
             f"Session du {f.date()} au {f.date(3)}", f"Stagiaires : {', '.join(f.trainees[:3])}", "",
             f"Total HT : {f.money(ht)}", f"TVA ({rate} %) : {f.money(tva)}" if rate else "TVA : exonération, article 261-4-4° a du CGI",
             f"Total TTC : {f.money(ht + tva)}",
             r.choice([f"Net à payer : {f.money(ht + tva)} EUR", f"NET A PAYER {f.money(ht + tva)} €", f"Montant dû : {f.money(ht + tva)}"]),
             r.choice([f"Échéance : {f.date(60)}", f"Date d'échéance : {f.date(60)}", "Paiement à réception", "Facture acquittée le " + f.date(40)]),
             r.choice(["En cas de retard de paiement, pénalités de retard au taux de 3 fois le taux légal",
                       "Indemnité forfaitaire pour frais de recouvrement : 40 €", "Conditions de règlement : virement à 30 jours"]),
             f"IBAN : {f.iban()}   BIC : {f.bic()}"]
    return [[line for line in lines if line is not None]]


def facture_employeur(f):
    r = f.r
    rows, total = [], 0
    for name in f.trainees:
        rate = r.randint(1500, 4500) / 100
        hours = r.choice([7, 14, 21])
        total += round(rate * hours, 2)
        rows.append(f"{name:<22} {f.money(rate):>8} x {hours:>3} h = {f.money(rate * hours):>10}")
    meals = r.choice([0, 45.5, 120, 230.4])
    travel = r.choice([0, 36.8, 88, 154.2])
    ht = total + meals + travel
    lines = [f.company, f"{f.street} - {f.postcode} {f.city}", f"N° adhérent : {r.randint(1, 99999)}.001   SIRET : {f.siret()}", "",
             r.choice(["FACTURE", "FACTURE EMPLOYEUR", "Demande de remboursement - facture"]) + f" N° FE{f.year}-{r.randint(1, 999):05d}",
             "Destinataire : AKTO - 47 rue de la Victoire - 75009 Paris",
             f"N° de dossier : {f.year % 100}.A.{r.randint(10000, 99999)}.1", f"Intitulé du stage : {f.title}",
             f"Dates de formation : du {f.date()} au {f.date(2)}", f"Nombre total de stagiaires : {len(f.trainees)}", "",
             r.choice(["Rémunération des stagiaires", "REMUNERATION DES STAGIAIRES", "Rémun. des stagiaires"]),
             r.choice(["Salaire horaire chargé x heures de présence effective", "Taux horaire chargé x nb d'heures de présence"])]
    lines += rows
    lines += [f"Total rémunération : {f.money(total)}",
              f"{r.choice(['Frais de restauration et d hébergement', 'Frais de restauration et d’hébergement', 'Frais de repas et hébergement'])} : {f.money(meals)}",
              f"Frais de déplacement : {f.money(travel)}", f"Autres frais (préciser) : {f.money(0)}",
              "TVA non applicable", f"TOTAL HT : {f.money(ht)}   TOTAL TVA : 0,00   TOTAL TTC : {f.money(ht)}", "",
              f"Je soussigné(e) {f.person}, {r.choice(['gérant', 'DRH', 'directrice administrative'])}, certifie exact le montant ci-dessus.",
              f"Fait à {f.city.title()} le {f.date(10)}", "Cachet et signature"]
    return [lines]


def emargement(f):
    r = f.r
    t = r.choice(["FEUILLE D'ÉMARGEMENT", "Feuille d'émargement", "FEUILLE DE PRÉSENCE", "Feuille d'emargement stagiaires",
                  "ÉMARGEMENT"])
    days = r.randint(1, 3)
    pages = []
    for day in range(days):
        lines = [t, f"Formation : {f.title}", f"Organisme : {f.provider}", f"Date : {f.date(day)}   Lieu : {f.city.title()}",
                 f"Formateur : {f.person}", "",
                 r.choice(["Nom Prénom              Matin          Après-midi", "Stagiaire         Signature matin     Signature après-midi",
                           "NOM - Prénom          9h-12h30        13h30-17h", "Participants         Demi-journée 1      Demi-journée 2"])]
        for name in f.trainees:
            lines.append(f"{name:<22} {r.choice(['signé', '[signature]', 'absent', 'X', '~~~'])}          {r.choice(['signé', '[signature]', 'X', '~~~'])}")
        lines += ["", r.choice(["Signature du formateur :", "Signature du formateur", "Visa du formateur : ________"]),
                  r.choice(["Signature du stagiaire obligatoire par demi-journée", "Chaque stagiaire signe par demi-journée", ""])]
        pages.append(lines)
    return pages


def certificat_realisation(f):
    r = f.r
    t = r.choice(["CERTIFICAT DE RÉALISATION", "Certificat de réalisation", "CERTIFICAT DE REALISATION DE L'ACTION DE FORMATION"])
    lines = [t, "", f"Je soussigné(e) {f.person}, représentant légal du dispensateur de l'action concourant au développement des compétences",
             f"{f.provider}", "atteste que :", f"{r.choice(f.trainees)}, salarié(e) de l'entreprise {f.company},",
             f"a suivi l'action {f.title}", r.choice(["Nature de l'action concourant au développement des compétences :",
                                                     "Nature de l'action :"]),
             "[X] action de formation   [ ] bilan de compétences   [ ] VAE   [ ] apprentissage",
             f"qui s'est déroulée du {f.date()} au {f.date(2)}", f"pour une durée de {f.hours} heures.", "",
             r.choice(["Sans préjudice des délais imposés par les règles fiscales, comptables ou commerciales, je m'engage à conserver l'ensemble des pièces justificatives qui ont permis d'établir le présent certificat pendant une durée de 3 ans.",
                       "Je m'engage à conserver les pièces justificatives pendant 3 ans à compter de la fin de l'année du dernier paiement."]),
             f"Fait à {f.city.title()}, le {f.date(5)}", "Cachet et signature du responsable du dispensateur de formation"]
    return [lines]


def attestation(f):
    r = f.r
    kind = r.randrange(4)
    t = ["ATTESTATION DE FIN DE FORMATION", "Attestation d'assiduité", "ATTESTATION DE PRÉSENCE",
         "CERTIFICAT DE RÉUSSITE"][kind]
    lines = [f.provider, "", t, "", f"Nous soussignés, {f.provider}, attestons que",
             f"{r.choice(['Madame', 'Monsieur'])} {r.choice(f.trainees)}", f"de l'entreprise {f.company}",
             r.choice(["a suivi avec assiduité la formation", "a participé à la formation", "a suivi la session de formation"]),
             f"« {f.title} »", f"du {f.date()} au {f.date(2)}, soit {f.hours} heures."]
    if kind in (0, 3):
        lines += ["", r.choice(["Objectifs : maîtriser les compétences visées par le programme.",
                                "Résultats de l'évaluation des acquis : objectifs atteints.",
                                "Évaluation des acquis : acquis / en cours d'acquisition"])]
    if kind == 3:
        lines += ["Le candidat a réussi l'évaluation finale avec la mention Bien."]
    lines += ["", f"Fait pour servir et valoir ce que de droit, à {f.city.title()} le {f.date(3)}",
              f"{f.person}, {r.choice(['directeur', 'responsable pédagogique', 'gérante'])}"]
    return [lines]


def bulletin_paie(f):
    r = f.r
    base = r.randint(1800, 4200)
    t = r.choice(["BULLETIN DE PAIE", "Bulletin de salaire", "BULLETIN DE SALAIRE", "Bulletin de paie simplifié"])
    lines = [t, f"Période du 01/{f.month:02d}/{f.year} au 28/{f.month:02d}/{f.year}", f"Employeur : {f.company}  SIRET {f.siret()}",
             f"{f.street} {f.postcode} {f.city}", f"URSSAF de {f.city.title()} - Code NAF {r.randint(1000, 9999)}Z",
             f"Salarié : {f.person}   Emploi : {r.choice(['employé', 'technicien', 'cadre', 'agent de maîtrise'])}",
             f"Convention collective : {r.choice(['Hôtels cafés restaurants', 'Transports routiers', 'Commerce de détail', 'Syntec'])}", "",
             "Rubrique                       Base        Taux       Montant",
             f"Salaire de base                151,67      {f.money(base / 151.67)}   {f.money(base)}",
             f"Salaire brut                                          {f.money(base)}",
             f"Santé - Sécurité sociale       {f.money(base)}   7,00     {f.money(base * .07)}",
             f"Retraite complémentaire T1     {f.money(base)}   3,15     {f.money(base * .0315)}",
             f"CSG déductible                 {f.money(base * .9825)}   6,80  {f.money(base * .9825 * .068)}",
             f"Total des cotisations et contributions              {f.money(base * .22)}",
             f"Net à payer avant impôt sur le revenu               {f.money(base * .78)}",
             f"Net imposable : {f.money(base * .8)}", f"Impôt sur le revenu prélevé à la source : {f.money(base * .03)}",
             f"NET À PAYER : {f.money(base * .75)}", f"Congés payés acquis : {r.randint(1, 25)},00 jours",
             "Dans votre intérêt, conservez ce bulletin de paie sans limitation de durée."]
    return [lines]


def rib(f):
    r = f.r
    t = r.choice(["RELEVÉ D'IDENTITÉ BANCAIRE", "Relevé d'identité bancaire", "RIB", "Relevé d'Identité Bancaire (RIB)"])
    lines = [r.choice(BANKS), t, "", r.choice(["Titulaire du compte :", "Titulaire :", "Intitulé du compte :"]) + f" {f.company}",
             f"{f.street}", f"{f.postcode} {f.city}", "",
             "Code banque   Code guichet   N° de compte   Clé RIB",
             f"{r.randint(10000, 39999)}         {r.randint(10000, 99999)}          {r.randint(10**10, 10**11 - 1)}    {r.randint(10, 97)}",
             "", f"IBAN : {f.iban()}", f"BIC : {f.bic()}",
             f"Domiciliation : {r.choice(BANKS)} {f.city.title()} {r.choice(['Centre', 'Gare', 'Entreprises'])}",
             r.choice(["Ce relevé est destiné à être remis à vos créanciers ou débiteurs.", "", "Document à conserver"])]
    return [lines]


def kbis(f):
    r = f.r
    t = r.choice(["Extrait Kbis", "EXTRAIT K BIS", "Extrait d'immatriculation principale au registre du commerce et des sociétés"])
    lines = [f"Greffe du Tribunal de Commerce de {f.city.title()}", f"Code de vérification : {r.randint(10**9, 10**10 - 1)}", "",
             t, f"à jour au {f.date()}", "", "IDENTIFICATION DE LA PERSONNE MORALE",
             f"Immatriculation au RCS, numéro {f.siret()[:11]} R.C.S. {f.city.title()}", f"Date d'immatriculation : {f.date(-200)}",
             f"Dénomination ou raison sociale : {f.company}", f"Forme juridique : {r.choice(['Société par actions simplifiée', 'SARL', 'Société anonyme', 'EURL'])}",
             f"Capital social : {r.randint(1, 500) * 1000} euros", f"Adresse du siège : {f.street} {f.postcode} {f.city}", "",
             "GESTION, DIRECTION, ADMINISTRATION, CONTRÔLE, ASSOCIÉS OU MEMBRES",
             f"Président : {f.person}", "", "RENSEIGNEMENTS RELATIFS À L'ACTIVITÉ ET À L'ÉTABLISSEMENT PRINCIPAL",
             f"Activité : {r.choice(['restauration traditionnelle', 'transport de marchandises', 'conseil', 'commerce de détail'])}",
             f"Date de commencement d'activité : {f.date(-190)}", "Origine du fonds : création",
             "Le Greffier", "FIN DE L'EXTRAIT"]
    return [lines]


def autre(f):
    r = f.r
    choice = r.randrange(5)
    if choice == 0:
        lines = [f.company, f"{f.postcode} {f.city}", "", f"Objet : {r.choice(['demande de prise en charge', 'relance dossier', 'changement d interlocuteur'])}",
                 "Madame, Monsieur,", "Nous vous prions de bien vouloir trouver ci-joint les éléments demandés concernant notre salarié.",
                 "Nous restons à votre disposition pour tout complément.", "Veuillez agréer nos salutations distinguées.", f.person]
    elif choice == 1:
        lines = ["Compte rendu de réunion", f"Date : {f.date()}", f"Présents : {', '.join(f.trainees)}",
                 "Ordre du jour : planning des congés, point sur les commandes, entretien des locaux", "Prochaine réunion le " + f.date(7)]
    elif choice == 2:
        lines = ["CURRICULUM VITAE", f.person, f"{f.street} {f.postcode} {f.city}", "Expérience professionnelle",
                 f"{f.year - 5}-{f.year} : chef d'équipe chez {f.company}", "Formation : BTS MUC", "Langues : anglais courant"]
    elif choice == 3:
        lines = ["Carte d'identité - copie", "RÉPUBLIQUE FRANÇAISE", f"Nom : {f.person.split()[1]}", f"Prénom : {f.person.split()[0]}",
                 f"Né(e) le : {f.date(-900)}", f"à {f.city.title()}"]
    else:
        lines = ["Courriel", f"De : {f.person.lower().replace(' ', '.')}@exemple.fr", "À : service.formation@exemple.fr",
                 f"Objet : {f.title}", "Bonjour, voici les dates retenues pour la session. Merci de confirmer la salle.", "Cordialement"]
    return [lines]


TEMPLATES = {
    "programme": programme, "convention": convention, "devis": devis, "facture_of": facture_of,
    "facture_employeur": facture_employeur, "emargement": emargement,
    "certificat_realisation": certificat_realisation, "attestation": attestation,
    "bulletin_paie": bulletin_paie, "rib": rib, "kbis": kbis, "autre": autre,
}

# ---------------------------------------------------------------------------------------------
# Human noise: abbreviations and typos.

ABBREVIATIONS = [("formation", "form."), ("heures", "h"), ("numéro", "n°"), ("Société", "Sté"), ("Monsieur", "M."),
                 ("Madame", "Mme"), ("référence", "réf."), ("téléphone", "tél."), ("entreprise", "entr."),
                 ("Désignation", "Désign."), ("quantité", "qté")]


def humanise(lines, r):
    out = []
    for line in lines:
        for long, short in ABBREVIATIONS:
            if long in line and r.random() < .3:
                line = line.replace(long, short)
        if len(line) > 12 and r.random() < .12:  # one typo: a swapped, dropped or doubled letter
            i = r.randrange(1, len(line) - 2)
            op = r.randrange(3)
            line = line[:i] + line[i + 1] + line[i] + line[i + 2:] if op == 0 else (
                line[:i] + line[i + 1:] if op == 1 else line[:i] + line[i] + line[i:])
        out.append(line)
    return out


def wrap(lines, width):
    out = []
    for line in lines:
        while len(line) > width:
            cut = line.rfind(" ", 0, width)
            cut = width if cut <= 0 else cut
            out.append(line[:cut])
            line = line[cut:].lstrip()
        out.append(line)
    return out


# ---------------------------------------------------------------------------------------------
# Output: text PDFs, and scans.

def text_pdf(pages, r):
    """A PDF with a text layer, in one of several producer styles."""
    font = r.choice(["Helvetica", "Times-Roman", "Courier"])
    size = r.choice([9, 10, 11, 12])
    width = {"Courier": 92, "Times-Roman": 105, "Helvetica": 100}[font] * 10 // size
    style = r.randrange(3)
    page_ids = list(range(3, 3 + 2 * len(pages), 2))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % i for i in page_ids), len(pages))]
    font_id = 3 + 2 * len(pages)
    for lines in pages:
        lines = wrap(lines, width)
        ops = ["BT", f"/F1 {size} Tf"]
        y = 800
        if style == 0:  # one line per quote operator, leading set once
            ops += [f"{size + 3} TL", f"50 {y} Td"] + [f"({esc(l)}) '" for l in lines]
        elif style == 1:  # absolute positions, words kerned apart with TJ
            for l in lines:
                words = l.split(" ")
                parts = " ".join(f"({esc(w)}) -{r.choice([250, 280, 333])}" for w in words)
                ops += [f"1 0 0 1 50 {y} Tm", f"[{parts}] TJ"]
                y -= size + 4
        else:  # relative moves and Tj, each line its own
            ops += [f"50 {y} Td"]
            for l in lines:
                ops += [f"({esc(l)}) Tj", f"0 -{size + 3} Td"]
        ops.append("ET")
        content = "\n".join(ops).encode("cp1252", "replace")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                       % (font_id, len(objects) + 2))
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>" % font.encode())
    objects.append(b"<< /Producer (pieces corpus) >>")
    return write_pdf(objects)


def esc(text):
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def scan_pages(pages, r):
    """Each page as a greyscale scan at 100 dpi: grey paper, skew, blur, speckle."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    font = ImageFont.truetype(str(FONTS / r.choice(["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf",
                                                       "DejaVuSansCondensed.ttf"])), r.choice([17, 18, 20]))
    images = []
    for lines in pages:
        paper = r.randint(205, 245)
        page = Image.new("L", (827, 1169), paper)
        draw = ImageDraw.Draw(page)
        for number, line in enumerate(wrap(lines, 78)):
            draw.text((60, 60 + 25 * number), line, fill=r.randint(10, 60), font=font)
        page = page.rotate(r.uniform(-1.5, 1.5), fillcolor=paper, resample=Image.BICUBIC)
        page = page.filter(ImageFilter.GaussianBlur(r.uniform(0.2, 0.7)))
        noise = Image.effect_noise(page.size, r.randint(8, 20))
        page = Image.blend(page, noise, 0.12)
        images.append(page)
    return images


def write_scan(images, path_stem, r):
    """Writes the scan as an image file (one page) or a PDF of JPEG pages; returns the path."""
    if len(images) == 1 and r.random() < .6:
        ext = r.choice(["jpg", "jpg", "png", "tif"])
        path = path_stem.with_suffix("." + ext)
        if ext == "jpg":
            images[0].save(path, "JPEG", quality=r.randint(30, 60))
        else:  # black and white, as fax-like scanners produce
            threshold = r.randint(100, 140)
            bilevel = images[0].point(lambda v: 255 if v > threshold else 0, "1")
            bilevel.save(path, optimize=True) if ext == "png" else bilevel.save(path, compression="group4")
        return path
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", None]
    kids = []
    for image in images:
        jpeg = io.BytesIO()
        image.save(jpeg, "JPEG", quality=r.randint(30, 60))
        page_id = len(objects) + 1
        kids.append(page_id)
        content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 %d 0 R >> >> /Contents %d 0 R >>"
                       % (page_id + 1, page_id + 2))
        objects.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
                       % (image.size[0], image.size[1], len(jpeg.getvalue())) + jpeg.getvalue() + b"\nendstream")
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    objects.append(b"<< /Producer (scanner) >>")
    path = path_stem.with_suffix(".pdf")
    path.write_bytes(write_pdf(objects))
    return path


# Merged files: the main kind first, another piece appended.
MERGES = {"convention": "programme", "facture_of": "certificat_realisation", "programme": "convention",
          "emargement": "attestation", "devis": "programme"}


def make_set(name, seed, text_per_kind, scans_per_kind):
    r = random.Random(seed)
    folder = HERE / "corpus" / name
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for kind, template in TEMPLATES.items():
        for index in range(text_per_kind + scans_per_kind):
            f = Fake(r)
            pages = [humanise(p, r) for p in template(f)]
            if kind in MERGES and r.random() < .25:
                pages += [humanise(p, r) for p in TEMPLATES[MERGES[kind]](Fake(r))]
            stem = folder / f"{kind}-{index + 1:02d}"
            if index < text_per_kind:
                path = stem.with_suffix(".pdf")
                path.write_bytes(text_pdf(pages, r))
            else:
                path = write_scan(scan_pages(pages, r), stem.with_name(stem.name + "-scan"), r)
            rows.append((path.relative_to(folder).as_posix(), kind))
    with open(folder / "manifest.csv", "w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["file", "kind"])
        writer.writerows(rows)


def main():
    make_set("train", 20261127, text_per_kind=20, scans_per_kind=6)
    make_set("test", 7512, text_per_kind=13, scans_per_kind=13)


if __name__ == "__main__":
    main()
