"""The fallback stem lexicon, what decided (classified_by), and hostile text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tap_shipping_exceptions.normalize.classifier import MAX_MESSAGE_CHARS, Classifier
from tap_shipping_exceptions.normalize.lexicon import LEXICON_PATH, load_lexicon
from tap_shipping_exceptions.normalize.mapping import MappingError

ORDER = ("damage_lost", "customs_border", "address", "recipient", "depot_network", "other")


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier()


@pytest.mark.parametrize(("carrier", "text", "category"), [
    # abbreviated upper-case legends and conversational texts no rule spells out
    ("brt", "DESTINATAR.SCONOSCIUT./INCOMPL.", "address"),
    ("tnt", "Il pacco risulta danneggiato all'arrivo", "damage_lost"),
    ("ups", "Package damaged in handling", "damage_lost"),
    ("gls", "Non siamo riusciti a raggiungerti al primo tentativo", "recipient"),
    ("dhl_express", "We've begun an investigation to locate the package", "damage_lost"),
    # generic exception wording is `other`, never progress
    ("ups", "Delivery exception", "other"),
    ("poste_italiane", "Eccezione", "other"),
    ("fedex", "Unable to deliver", "other"),
])
def test_lexicon_catches_what_no_rule_spells(clf: Classifier, carrier: str, text: str,
                                             category: str) -> None:
    got, source = clf.explain(carrier, None, text)
    assert got.exception_category == category
    assert got.classified_by in ("lexicon", "message")
    if got.classified_by == "lexicon":
        assert source.startswith((f"lexicon.yaml:$.categories.{category} (stem ",
                                  f"lexicon.yaml:$.categories.{category} (topic+cue "))


@pytest.mark.parametrize(("carrier", "text", "category"), [
    # wordings written for this test, not copied from the corpus: the rules must read the
    # meaning, not one carrier's sentence
    ("sda", "Consegnato presso il punto di giacenza indicato", None),  # a place, not stock
    ("dpd", "Recipient not located at the address", "recipient"),  # not "parcel not located"
    ("ups", "The shipment could not be located", "damage_lost"),
    ("brt", "STRADA CHIUSA PER LAVORI", "depot_network"),  # not a closed recipient
    ("tnt", "Pickup was not possible today", "depot_network"),
    ("gls", "Spedizione non andata a buon fine", "other"),
    ("fedex", "We have not been able to deliver the package today", "other"),
    ("ups", "Return to sender after unsuccessful delivery attempt", "other"),  # cause + return
    ("sda", "Merce deteriorata", "damage_lost"),
    ("brt", "DESTINATARIO IRREPERIBILE", "address"),
    ("ups", "Shipment forwarded to the correct address", "depot_network"),  # address fixed
])
def test_rules_generalise_to_unseen_wording(clf: Classifier, carrier: str, text: str,
                                            category: str | None) -> None:
    assert clf.classify(carrier, None, text).exception_category == category


def test_category_precedence_is_the_tie_break_order(clf: Classifier) -> None:
    # damage (danneggiat...) outranks address (indiriz) and generic wording
    got = clf.classify("zz", None, "ECCEZIONE: COLLO/I MANCANTE/I, INDIRIZ. ERRATO")
    assert got.exception_category == "damage_lost"
    assert [e.label.category for e in clf.lexicon.entries] == list(ORDER)


def test_completed_customs_is_progress_not_a_customs_exception(clf: Classifier) -> None:
    for text in ("Customs clearance completed", "Clearance processing complete at MILAN",
                 "Sdoganata"):
        assert clf.classify("dhl_express", None, text).exception_category is None, text


def test_status_code_fallback_still_beats_generic_wording(clf: Classifier) -> None:
    got = clf.classify("brt", 4, "Not delivered")
    assert (got.exception_reason, got.classified_by) == ("recipient.not_available",
                                                         "shippypro_code")
    assert clf.classify("brt", None, "Not delivered").exception_category == "other"


def test_classified_by_names_every_decider(clf: Classifier) -> None:
    assert clf.classify("brt", None, None, carrier_code="021").classified_by == "carrier_code"
    assert clf.classify("brt", None, "RIFIUTATA DAL DESTINATARIO").classified_by == "message"
    assert clf.classify("brt", None, "INDIRIZ.INESIST.").classified_by == "lexicon"
    assert clf.classify("brt", 5, "ZZZ 77").classified_by == "shippypro_code"
    assert clf.classify("brt", None, "ZZZ 77").classified_by == "none"


@pytest.mark.parametrize("text", [
    "", " ", "\x00\x01\x07\x1b[31m", "a\ud800b\udfff", "\ufeff\u200b", "x" * 100_000,
    "DESTINATARIO ASSENTE" + "\x00" * 50_000, "é" * 10_000, "\n\t\r" * 1000,
])
def test_hostile_text_classifies_and_never_raises(clf: Classifier, text: str) -> None:
    got = clf.classify("brt", 5, text)
    assert got.exception_category is not None  # code 5 without a readable cause: other
    clf.classify("zz", None, text)
    clf.explain("gls", None, text)


def test_unmatched_texts_stay_printable() -> None:
    clf = Classifier()
    clf.classify("brt", 5, "EVENTO \ud800 77")
    [(carrier, text, n)] = clf.top_unmatched(1)
    assert (carrier, n) == ("brt", 1)
    text.encode("utf-8")  # no lone surrogate left: the sync summary can log it
    assert "\\ud800" in text


def test_huge_text_is_read_up_to_the_cap(clf: Classifier) -> None:
    head = "x " * (MAX_MESSAGE_CHARS // 2)
    assert clf.classify("brt", None, head + "DANNEGGIATO").exception_category is None
    assert clf.classify("brt", None, "DANNEGGIATO " + head * 50).exception_category == \
        "damage_lost"


def test_lexicon_file_problems_name_the_path(tmp_path: Path) -> None:
    doc = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))
    doc["categories"]["address"]["stems"]["it"].append("indiriz(")
    bad = tmp_path / "lexicon.yaml"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(MappingError,
                       match=r"categories\.address\.stems\.it\[\d+\]: invalid regular"):
        load_lexicon(ORDER, bad)
    doc["categories"]["address"]["stems"]["it"].pop()
    doc["categories"]["parcel"] = doc["categories"].pop("other")
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(MappingError, match=r"lexicon.yaml: invalid lexicon"):
        load_lexicon(ORDER, bad)
    doc["categories"]["other"] = doc["categories"].pop("parcel")
    doc["categories"]["other"]["reason"] = "address.incorrect"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(MappingError, match=r"categories.other.reason"):
        load_lexicon(ORDER, bad)


# -- a failed attempt with no readable cause; normalisation; false friends -------------------

@pytest.mark.parametrize("text", ["Could not deliver", "Cannot be delivered today",
                                  "Consegna non effettuata", "Impossibile consegnare"])
def test_failed_attempt_without_cause_is_other_never_progress(clf: Classifier,
                                                              text: str) -> None:
    got, source = clf.explain("zz", None, text)
    assert (got.exception_reason, got.milestone, got.classified_by) == \
        ("other.generic", "attempt_failed", "message")
    assert source.startswith("generic.yaml:$.patterns[")
    # a stated cause still wins, and the status-code fallback still comes first
    assert clf.classify("zz", None, text + ": destinatario assente").exception_category == \
        "recipient"
    assert clf.classify("zz", 4, text).exception_reason == "recipient.not_available"


def test_failure_milestones_are_checked_like_any_label(mapping_copy: Path) -> None:
    path = mapping_copy / "shippypro.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["failure_milestones"]["attempt_failed"]["reason"] = "address.incorrect"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(MappingError, match=r"shippypro.yaml: \$.failure_milestones."
                                           r"attempt_failed.reason: reason 'address.incorrect'"):
        Classifier(mapping_copy)
    doc["failure_milestones"] = {"teleported": doc["failure_milestones"]["attempt_failed"]}
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(MappingError, match=r"failure_milestones"):
        Classifier(mapping_copy)


@pytest.mark.parametrize(("raw", "normal"), [
    ("ATTIVITA' CESSATA", "attivita cessata"),  # accent written as an apostrophe
    ("E' STATA RIFIUTATA", "e stata rifiutata"),
    ("SCONOSCIUTO ALL'INDIRIZZO", "sconosciuto all'indirizzo"),  # elision kept
    ("DESTINA\u00adTARIO\u200b ASSENTE", "destinatario assente"),  # soft hyphen, ZWSP
    ("\ufeffDELIVERY_EXCEPTION", "delivery exception"),
    ("Città  chiusa", "citta chiusa"),
])
def test_normalised_text(raw: str, normal: str) -> None:
    from shipping_core.text import normalise_text
    assert normalise_text(raw) == normal


@pytest.mark.parametrize(("text", "category"), [
    # a stem's other sense: vehicle breakdown and power cut are network, not damage
    ("AVARIA AUTOMEZZO", "depot_network"),
    ("Mancanza di energia elettrica", "depot_network"),
    ("Merce avariata", "damage_lost"),
    ("Mancanza colli", "damage_lost"),
    # a more specific cause beats the generic verb
    ("Il destinatario rifiuta i dazi", "customs_border"),
    ("Rejected by the carrier: prohibited item", "depot_network"),
    ("Consegna ad altro indirizzo richiesta dal destinatario", "recipient"),
    # progress wording around an exception stem
    ("Address label created", None),
    ("COD collected and delivered", None),
    ("Customs cleared", None),
    ("Problem resolved, shipment moving again", None),
    ("Parcel left in your safe place", None),
    ("Tracking information unavailable", None),
    ("We remain at your disposal", None),
    ("La spedizione e' rintracciabile online", None),
    ("Arrived at the Snowdon Road depot", None),
    ("La spedizione non e' rintracciabile", "damage_lost"),
])
def test_false_friends_and_precedence(clf: Classifier, text: str,
                                      category: str | None) -> None:
    assert clf.classify("zz", None, text).exception_category == category


# -- precision: a topic word alone is not a problem; conditional wording states no failure --
# Texts written for these tests (not copied from the corpus; checked below).

TOPIC_ONLY_PROGRESS = [
    ("zz", "Your parcel is on its way to the address you gave us"),
    ("zz", "Il corriere consegnerà all'indirizzo indicato entro domani"),
    ("zz", "Delivery to the recipient's address is planned for this afternoon"),
    ("zz", "Departed export facility"),
    ("zz", "Spedizione in contrassegno in consegna"),
    ("zz", "Enter your PIN at the locker to collect your parcel"),
    ("zz", "Tracking details not available yet"),
    ("zz", "The shipping label expired"),
    ("zz", "Trace your parcel online with the tracking number"),
    ("zz", "Our drivers also deliver late in the evening"),
    ("zz", "The parcel was redirected to a parcel locker as chosen by the recipient"),
    ("zz", "Data di recapito sconosciuta, ti aggiorneremo a breve"),
    ("zz", "Shop closed for the evening, parcel delivered to the neighbour"),
    # a problem word denied is no problem
    ("zz", "No delays expected on your delivery today"),
    ("zz", "Nessun ritardo previsto sulla tua spedizione"),
    ("zz", "Damage check done: parcel delivered intact"),
    ("zz", "Verifica danni completata, collo integro"),
]


@pytest.mark.parametrize(("carrier", "text"), TOPIC_ONLY_PROGRESS)
def test_a_topic_word_alone_is_progress(clf: Classifier, carrier: str, text: str) -> None:
    got, source = clf.explain(carrier, None, text)
    assert got.exception_category is None, (text, got, source)


@pytest.mark.parametrize(("text", "category"), [
    ("The flat number on the parcel is wrong", "address"),
    ("INDIRIZ.ERRATO/INCOMPL.", "address"),
    ("Il civico indicato risulta inesistente", "address"),
    ("Postcode is not valid", "address"),
    ("Il destinatario si è trasferito altrove", "address"),
    ("C.O.D. amount not paid by the receiver", "recipient"),
    ("Citofono guasto, nessuno risponde", "recipient"),
    ("Termini di giacenza scaduti", "recipient"),
    ("Export declaration missing", "customs_border"),
    ("Trace opened with the destination depot", "damage_lost"),
])
def test_a_topic_with_a_problem_cue_is_an_exception(clf: Classifier, text: str,
                                                    category: str) -> None:
    got, source = clf.explain("zz", None, text)
    assert got.exception_category == category, (text, got, source)
    assert got.classified_by in ("message", "lexicon") and source


def test_a_lexicon_pair_explains_topic_and_cue(clf: Classifier) -> None:
    got, source = clf.explain("zz", None, "The flat number on the parcel is wrong")
    assert got.classified_by == "lexicon"
    assert source == ("lexicon.yaml:$.categories.address "
                      "(topic+cue 'flat number on the parcel is wrong')")


def test_a_cue_in_another_sentence_does_not_pair(clf: Classifier) -> None:
    # the defect word belongs to another sentence: no pair, progress
    text = "Label data incomplete. Parcel handed to the courier for the address given"
    assert clf.classify("zz", None, text).exception_category is None
    assert clf.classify("zz", None, "Address incomplete").exception_category == "address"


@pytest.mark.parametrize(("text", "category"), [
    # a conditional announcement states no failure...
    ("If not collected within 5 days, the parcel goes back to the sender", None),
    ("Se non ritirato entro 7 giorni, il pacco tornerà al mittente", None),
    ("In case of absence, the courier will leave a notice", None),
    ("Qualora il destinatario sia assente, il pacco sarà depositato in filiale", None),
    ("Should the address be incomplete, we will call you", None),
    # ...but a failure stated outside the clause still is one
    ("Recipient absent. If not collected within 5 days, it goes back to the sender",
     "recipient"),
    ("Indirizzo errato: se possibile contatta il mittente", "address"),
])
def test_conditional_clauses_state_no_failure(clf: Classifier, text: str,
                                              category: str | None) -> None:
    got, source = clf.explain("zz", None, text)
    assert got.exception_category == category, (text, got, source)


def test_generic_failure_without_cause_stays_other(clf: Classifier) -> None:
    # an instruction to get in touch is not a cause: a stated failure stays `other`
    got = clf.classify("zz", None, "Delivery attempt unsuccessful. Please contact the office")
    assert (got.exception_category, got.classified_by) == ("other", "message")


def test_written_texts_are_not_corpus_texts() -> None:
    from tap_shipping_exceptions.normalize.corpus import read_corpus, split_key

    corpus = {split_key(r.text) for r in read_corpus()}
    written = [t for _, t in TOPIC_ONLY_PROGRESS]
    assert [t for t in written if split_key(t) in corpus] == []


def test_pair_file_problems_name_the_path(tmp_path: Path) -> None:
    doc = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))
    doc["categories"]["address"]["pairs"][0]["topics"]["en"].append("addr(")
    bad = tmp_path / "lexicon.yaml"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(MappingError,
                       match=r"categories\.address\.pairs\[0\]\.topics\.en\[\d+\]: invalid"):
        load_lexicon(ORDER, bad)
    doc["categories"]["address"]["pairs"][0]["topicz"] = {"en": ["x"]}
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(MappingError, match=r"invalid lexicon"):
        load_lexicon(ORDER, bad)


@pytest.mark.parametrize(("text", "category", "kind"), [
    # a stated failure whose cause is the topic decides the topic's category...
    ("Consegna non eseguita causa indirizzo", "address", "topic+failure"),
    ("The parcel was not delivered because of the consignee", "recipient", "topic+failure"),
    ("Recapito non possibile a causa del destinatario", "recipient", "topic+failure"),
    # ...while a failure naming the topic as its destination has no cause: `other`
    ("We were unable to deliver to the address on the label", "other", None),
    ("Il corriere non ha potuto consegnare al destinatario oggi", "other", None),
])
def test_a_failure_caused_by_a_topic_decides_the_topic(clf: Classifier, text: str,
                                                      category: str, kind: str | None) -> None:
    got, source = clf.explain("zz", None, text)
    assert got.exception_category == category, (text, got, source)
    if kind is not None:
        assert got.classified_by == "lexicon" and f"({kind} " in source, source


@pytest.mark.parametrize(("text", "category"), [
    # the topic's own state, said with reachability, access or identity words
    ("The addressee could not be contacted", "recipient"),
    ("Destinatario non contattabile", "recipient"),
    ("Gate locked, courier could not enter", "address"),
    ("Accesso al condominio non possibile", "address"),
    ("Photo ID not presented at the door", "recipient"),
    # progress: the same topics with no problem
    ("Recipient contacted, delivery tomorrow", None),
    ("Parcel left at the building entrance", None),
    ("ID checked at delivery", None),
])
def test_reachability_access_and_identity_cues(clf: Classifier, text: str,
                                               category: str | None) -> None:
    got, source = clf.explain("zz", None, text)
    assert got.exception_category == category, (text, got, source)


def test_bad_shared_failure_regex_names_its_path(tmp_path: Path) -> None:
    doc = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))
    doc["failures"]["en"].append("deliver(")
    bad = tmp_path / "lexicon.yaml"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(MappingError, match=r"\$\.failures\.en\[\d+\]: invalid regular"):
        load_lexicon(ORDER, bad)
    doc["failures"]["en"][-1] = "deliver"
    doc["categories"]["address"]["pairs"][0]["failure_cues"] = "yes"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(MappingError, match=r"failure_cues"):
        load_lexicon(ORDER, bad)


def test_non_capturing_groups_match_exactly_what_the_written_regex_matches() -> None:
    """Every lexicon regex, compiled with its groups made non-capturing (a speed measure),
    matches the same text at the same place as written, on the corpus and reference texts."""
    import csv
    import re

    from shipping_core.text import normalise_text
    from tap_shipping_exceptions.normalize.corpus import read_corpus
    from tap_shipping_exceptions.normalize.lexicon import _non_capturing

    doc = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))

    def regexes(node: object) -> list[str]:
        if isinstance(node, str):
            return [node]
        items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
        return [r for item in items for r in regexes(item)]

    words = [w for key in ("cues", "failures", "categories") for w in regexes(doc[key])
             if re.compile(w).groups]
    assert len(words) > 50  # the check below has regexes with groups to compare
    table = Path(__file__).with_name("reference_wording.csv")
    with table.open(newline="", encoding="utf-8") as fh:
        texts = [normalise_text(r["text"]) for r in csv.DictReader(fh)]
    texts += [normalise_text(r.text) for r in read_corpus()]
    for word in words:
        written, fast = re.compile(word), re.compile(_non_capturing(word))
        assert fast.groups == 0, word
        for text in texts:
            a, b = written.search(text), fast.search(text)
            assert (a and a.span()) == (b and b.span()), (word, text)
