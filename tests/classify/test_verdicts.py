"""Verdicts on our own sentences in each language, the hard cases, and every reason for rejection."""

from __future__ import annotations

import pytest

from bot.classify.classifier import classify
from bot.classify.verdict import Reason

POSITIVES = [
    (
        "en",
        "Hackers steal licence plate images from toll operator's ANPR servers",
        "The stolen files include millions of vehicle photos and timestamps.",
        "alpr",
    ),
    (
        "en",
        "Doorbell camera footage of thousands of homes left open online",
        "A misconfigured storage bucket exposed recordings without a password.",
        "cctv",
    ),
    (
        "en",
        "Police officer charged after selling data from the police national computer",
        "Prosecutors say he ran unauthorised lookups for a criminal gang.",
        "police_db",
    ),
    (
        "fr",
        "Fuite de données : les images de vidéosurveillance d'une commune en accès libre",
        "Un serveur mal configuré laissait consulter les enregistrements.",
        "cctv",
    ),
    (
        "fr",
        "Un policier soupçonné d'avoir revendu des informations tirées du fichier TAJ",
        "Il aurait monnayé des consultations auprès de trafiquants.",
        "police_db",
    ),
    (
        "de",
        "Datenleck bei Parkhausbetreiber: Kennzeichenerfassung offen im Netz",
        "Hunderttausende Autokennzeichen waren ohne Passwort abrufbar.",
        "alpr",
    ),
    (
        "de",
        "Hacker erbeuten Fingerabdrücke aus Zeiterfassungssystem",
        "Die biometrischen Daten von 30.000 Beschäftigten wurden gestohlen.",
        "biometrics",
    ),
    (
        "es",
        "Filtración de datos: una app espía expone mensajes y ubicaciones de sus víctimas",
        "La base de datos estaba sin contraseña.",
        "spyware",
    ),
    (
        "es",
        "Roban datos de localización de millones de móviles a un intermediario",
        "Los atacantes sustrajeron el historial de ubicaciones.",
        "location",
    ),
    (
        "it",
        "Violati i server di un'azienda di videosorveglianza: immagini delle telecamere in vendita",
        "I filmati rubati circolano su canali Telegram.",
        "cctv",
    ),
    (
        "it",
        "Accessi abusivi alla banca dati delle forze di polizia: indagati due agenti",
        "Avrebbero consultato i precedenti di imprenditori senza autorizzazione.",
        "police_db",
    ),
    (
        "pt",
        "Vazamento de dados expõe imagens de reconhecimento facial de passageiros",
        "O banco de dados ficou sem senha durante meses.",
        "facial_recognition",
    ),
    (
        "pt",
        "Hackers invadem sistema de escutas telefónicas da polícia",
        "Os invasores copiaram registros de interceptação.",
        "intercept",
    ),
    (
        "nl",
        "Datalek bij leverancier van bewakingscamera's: beelden voor iedereen toegankelijk",
        "Onderzoekers konden zonder wachtwoord meekijken.",
        "cctv",
    ),
    (
        "nl",
        "Gegevens uit politiesysteem doorverkocht aan criminelen",
        "Een medewerker zocht zonder reden adressen op.",
        "police_db",
    ),
]

NEGATIVES = [
    (
        "en",
        "City council votes to ban police use of facial recognition",
        "The ordinance passed 7-2 after months of debate.",
        Reason.SURVEILLANCE_NO_BREACH,
    ),
    (
        "en",
        "Regulator fines camera firm for collecting faces without consent",
        "The company must delete the images it scraped.",
        Reason.SURVEILLANCE_NO_BREACH,
    ),
    (
        "en",
        "Researchers find flaw in baby monitors that could let attackers watch feeds",
        "The vendor patched the bug and found no evidence of exploitation.",
        Reason.VULNERABILITY_NO_EXPOSURE,
    ),
    (
        "en",
        "Retailer says hackers stole customers' credit card numbers",
        "About two million payment cards were affected by the breach.",
        Reason.NON_SURVEILLANCE_BREACH,
    ),
    ("en", "Chipmaker unveils a faster laptop processor", "Shipments start next quarter.", Reason.NO_BREACH_EVENT),
    (
        "fr",
        "La Cnil inflige une amende à une mairie pour sa vidéosurveillance",
        "Les caméras filmaient la voie publique sans base légale.",
        Reason.SURVEILLANCE_NO_BREACH,
    ),
    (
        "fr",
        "Cyberattaque contre un hôpital : des dossiers de patients publiés",
        "Les pirates réclamaient une rançon.",
        Reason.NON_SURVEILLANCE_BREACH,
    ),
    (
        "de",
        "Bundestag debattiert Gesetzentwurf zur Gesichtserkennung",
        "Die Koalition will den Einsatz an Bahnhöfen erlauben.",
        Reason.SURVEILLANCE_NO_BREACH,
    ),
    (
        "de",
        "Sicherheitslücke in Überwachungskameras entdeckt",
        "Ein Patch ist verfügbar; es gibt keine Hinweise auf Ausnutzung.",
        Reason.VULNERABILITY_NO_EXPOSURE,
    ),
    (
        "es",
        "El Congreso aprueba una ley que limita la videovigilancia",
        "La norma prohíbe el reconocimiento facial en tiempo real.",
        Reason.SURVEILLANCE_NO_BREACH,
    ),
    (
        "es",
        "Un ciberataque a una aseguradora expone datos de clientes",
        "Los atacantes accedieron a nombres y datos bancarios.",
        Reason.NON_SURVEILLANCE_BREACH,
    ),
    (
        "it",
        "Il Garante sanziona un comune per le telecamere intelligenti",
        "Multa da 30mila euro per il trattamento senza base giuridica.",
        Reason.SURVEILLANCE_NO_BREACH,
    ),
    (
        "pt",
        "Governo anuncia instalação de câmeras de reconhecimento facial no metrô",
        "O projeto piloto começa em março.",
        Reason.SURVEILLANCE_NO_BREACH,
    ),
    (
        "nl",
        "Gemeente breidt cameratoezicht uit in het centrum",
        "De gemeenteraad stemde in met de uitbreiding.",
        Reason.SURVEILLANCE_NO_BREACH,
    ),
    ("nl", "Webwinkel gehackt: klantgegevens en wachtwoorden buitgemaakt", "", Reason.NON_SURVEILLANCE_BREACH),
]


@pytest.mark.parametrize(("lang", "title", "summary", "category"), POSITIVES)
def test_breaches_of_surveillance_data_alert(lang: str, title: str, summary: str, category: str) -> None:
    v = classify(title, summary, lang=lang)
    assert v.match, (v.score, dict(v.evidence))
    assert category in v.categories
    assert v.reason is None
    assert 0.5 <= v.score <= 1.0


@pytest.mark.parametrize(("lang", "title", "summary", "reason"), NEGATIVES)
def test_other_stories_are_rejected_with_the_right_reason(lang: str, title: str, summary: str, reason: Reason) -> None:
    v = classify(title, summary, lang=lang)
    assert not v.match, (v.score, dict(v.evidence))
    assert v.reason is reason, dict(v.evidence)


def test_every_language_positive_also_matches_with_language_unknown() -> None:
    for _, title, summary, _ in POSITIVES:
        assert classify(title, summary, lang=None).match, title


def test_evidence_groups_the_words_that_fired_by_concept() -> None:
    v = classify("Hackers steal licence plate images", "", lang="en")
    assert "licence plate" in v.evidence["alpr"]
    assert v.evidence["theft"] == ("steal",)
    assert "hackers" in v.evidence["hack"]


def test_vendor_and_system_names_count_as_surveillance() -> None:
    for title in (
        "Perceptics hacked, files dumped online",
        "Verkada breach: hackers accessed 150,000 cameras",
        "Clearview AI client list stolen",
        "NSO Group customer data leaked",
    ):
        assert classify(title, "", lang="en").match, title


def test_tie_same_sentence_beats_far_apart_in_a_long_article() -> None:
    filler = " ".join(f"Paragraph {i} talks about budgets and weather." for i in range(12))
    near = classify("Council news", "", f"Hackers stole the CCTV footage archive. {filler}", lang="en")
    far = classify("Council news", "", f"Hackers hit the payroll system. {filler} The town also has CCTV.", "en")
    assert near.score > far.score
    assert near.match and not far.match


def test_hypothetical_wording_is_not_a_breach() -> None:
    real = classify("Flaw exposed doorbell camera recordings to strangers", "", lang="en")
    maybe = classify("Flaw could have exposed doorbell camera recordings", "", lang="en")
    assert maybe.score < real.score
    assert not maybe.match


def test_masked_phrases_do_not_count_as_surveillance() -> None:
    v = classify("Hackers breach utility; customers offered free credit monitoring", "", lang="en")
    assert not v.match
    assert "monitoring" not in v.evidence


def test_negative_cues_pull_the_score_down() -> None:
    plain = classify("Police watchlist leaked online", "", lang="en")
    with_bill = classify("Police watchlist leaked online", "Lawmakers debate a bill and a ban.", lang="en")
    assert with_bill.score < plain.score


def test_insider_actor_turns_a_lookup_into_abuse() -> None:
    assert classify("Criminal gang accessed the police database through a contact", "", lang="en").match
    assert not classify("The police database was accessed 2,000 times last year", "", lang="en").match


def test_html_entities_and_feed_junk_do_not_break_matching() -> None:
    v = classify("Drivers&#8217; plate images stolen &mdash; read more&hellip;", "<p>Continue reading</p>", lang="en")
    assert v.match


@pytest.mark.parametrize(
    ("lang", "title", "summary", "label"),
    [
        ("en", "Officers viewed CCTV footage of the robbery", "Detectives said it showed two men fleeing.", False),
        ("fr", "Les gendarmes ont consulté les images de vidéosurveillance", "Deux suspects sont recherchés.", False),
        ("de", "Polizisten sichteten die Aufnahmen der Überwachungskameras", "Die Täter sind noch flüchtig.", False),
        ("en", "Border agent queried TECS to track down his ex-girlfriend", "He was charged on Monday.", True),
        ("en", "Officer searched the police database for details on his neighbour", "He faces dismissal.", True),
    ],
)
def test_an_insider_viewing_is_abuse_for_records_not_for_camera_footage(
    lang: str, title: str, summary: str, label: bool
) -> None:
    # Police reviewing footage of a crime is their job; an officer looking someone up is the insider-abuse story.
    assert classify(title, summary, lang=lang).match is label


def test_a_ruling_in_the_headline_is_not_blunted_by_the_breach_it_concerns() -> None:
    # The story is the ruling; the summary only recalls the old hack it was about.
    ruling = classify(
        "Spyware maker loses appeal in WhatsApp lawsuit",
        "The court upheld the ruling over the hack of 1,400 phones in 2019.",
        lang="en",
    )
    assert not ruling.match
    breach = classify(
        "Spyware maker hacked, lawsuit expected",
        "Data on 1,400 phones its customers infected was leaked online.",
        lang="en",
    )
    assert breach.match


def test_a_vendor_named_after_a_breach_word_is_a_name_not_a_breach() -> None:
    # The mask "hacking team" hides the breach reading of "hacking" but keeps the spyware vendor's name.
    news = classify("Memento Labs, heir of Hacking Team, seeks new investors", "", lang=None)
    assert not news.match and "spyware" in news.evidence and "hack" not in news.evidence
    leak = classify("Hacking Team's customer files leaked online", "Emails and invoices were published.", lang=None)
    assert leak.match and leak.categories[0] == "spyware"
