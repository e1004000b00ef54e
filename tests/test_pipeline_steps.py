"""The pipeline's three steps on their own: plan (segment, detect, carve, protect), translate
(units to the engines, grouped and de-duplicated), assemble (splice, align, offsets); and the one
interval/splice module they share with HTML rendering and unmasking."""

from __future__ import annotations

import pytest

from service.errors import EmptyText, TextTooLarge, UnsupportedLanguage
from service.pipeline.assemble import assemble
from service.pipeline.plan import DocPlan, detect_text, plan_document, segment
from service.pipeline.results import Document
from service.pipeline.translate import translate_units
from translators.base import Detector
from translators.testing import EchoTranslator
from translators.text.detect import LanguageDetector
from translators.text.intervals import Intervals, splice

TWEET = ("The minister told reporters on Monday evening: „Sytuacja jest pod kontrolą” and then left the room. "
         "#granica @MSWiA_GOV_PL https://www.gov.pl/web/mswia")


@pytest.fixture(scope="module")
def detector() -> Detector:
    return LanguageDetector()


def _plan(text: str, detector: Detector, **kw: str) -> DocPlan:
    return plan_document(Document(text, **kw), detector, max_chars=10_000)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- plan


def test_plan_carves_a_quote_in_its_own_language_and_protects_the_rest(detector: Detector) -> None:
    plan = _plan(TWEET, detector)
    assert plan.doc_lang == "en" and len(plan.sentences) == 2  # the sentence, then the trail of tags
    sp = plan.sentences[0]
    assert sp.detection.lang == "en" and sp.frame.masked is None  # English to English: kept verbatim
    (part,) = sp.frame.children
    assert part.lang == "pl" and part.text == "Sytuacja jest pod kontrolą"
    assert part.masked is not None and part.masked.model_text.startswith("Sytuacja")
    a, b, qi = sp.frame.carved[0]
    assert sp.span.text[a:b] == part.text and plan.quotes[qi].kind == "quote"


def test_plan_masks_protected_spans_out_of_the_model_text(detector: Detector) -> None:
    plan = _plan("Premier zwołał posiedzenie rządu #granica @MSWiA_GOV_PL https://www.gov.pl/web/mswia", detector)
    units = [u for u in plan.units() if u.masked is not None]
    assert units, "the Polish sentence goes to the model"
    for u in units:
        for token in ("#granica", "@MSWiA_GOV_PL", "https://www.gov.pl/web/mswia"):
            assert token not in u.masked.model_text


def test_plan_checks_its_input(detector: Detector) -> None:
    with pytest.raises(EmptyText):
        _plan("  \n", detector)
    with pytest.raises(TextTooLarge):
        plan_document(Document("Premier zwołał posiedzenie."), detector, max_chars=5)
    with pytest.raises(UnsupportedLanguage):
        _plan("Die Bundesregierung beobachtet die Lage an der Grenze mit großer Sorge.", detector)


def test_segment_of_html_indexes_its_text_content() -> None:
    text, spans, html = segment("<p>Premier zwołał posiedzenie. Rząd obraduje.</p><p>Koniec.</p>", "html", None)
    assert html is not None and "<" not in text and spans
    assert [s.text for s in spans] == ["Premier zwołał posiedzenie.", "Rząd obraduje.", "Koniec."]
    assert all(text[s.start:s.end] == s.text for s in spans)


def test_detect_text_gives_segments_and_the_whole(detector: Detector) -> None:
    r = detect_text(detector, "Premier zwołał nadzwyczajne posiedzenie rządu. The minister left the room early.")
    assert r.whole.lang in ("pl", "en") and [d.lang for _, d in r.segments] == ["pl", "en"]


# ----------------------------------------------------------------------------- translate


def test_translate_groups_by_pair_and_sends_each_text_once(detector: Detector) -> None:
    echo = EchoTranslator()
    same = "Premier zwołał nadzwyczajne posiedzenie rządu."
    plans = [_plan(f"{same} Rząd obraduje od rana.", detector), _plan(same, detector),
             _plan("Vyriausybė posėdžiavo visą dieną, sakė ministras.", detector)]
    assert translate_units(echo, plans) == {}
    pairs = [(s, t) for s, t, _ in echo.calls]
    assert sorted(pairs) == [("lt", "en"), ("pl", "en")]  # one call per pair for all documents
    pl_texts = next(texts for s, _, texts in echo.calls if s == "pl")
    assert len(pl_texts) == len(set(pl_texts)) == 2  # the shared sentence once
    assert all(u.result is not None for p in plans for u in p.units() if u.masked is not None)


def test_a_failing_pair_fails_only_the_documents_that_use_it(detector: Detector) -> None:
    echo = EchoTranslator(pairs=("pl-en",))  # no lt-en
    plans = [_plan("Premier zwołał posiedzenie rządu.", detector),
             _plan("Vyriausybė posėdžiavo visą dieną, sakė ministras.", detector)]
    failures = translate_units(echo, plans)
    assert list(failures) == [id(plans[1])] and failures[id(plans[1])].type == "unsupported_pair"


# ----------------------------------------------------------------------------- assemble


def test_assemble_splices_the_quote_back_with_exact_spans(detector: Detector) -> None:
    echo = EchoTranslator()
    plan = _plan(TWEET, detector)
    translate_units(echo, [plan])
    r = assemble(plan, echo)
    assert r.translation_text.startswith("The minister told reporters on Monday evening: „[en] Sytuacja jest")
    assert r.translation_text.endswith("#granica @MSWiA_GOV_PL https://www.gov.pl/web/mswia")
    assert r.quotes, "the quote is aligned"
    for q in r.quotes:
        assert r.source_text[q.source.start:q.source.end] == q.source.text
        assert q.target is not None and r.translation_text[q.target.start:q.target.end] == q.target.text
    for s in r.sentences:
        assert r.translation_text[s.target.start:s.target.end] == s.target.text
    assert r.models == {"pl-en": [echo.identity("pl", "en")]}


def test_assemble_renders_html_blocks(detector: Detector) -> None:
    echo = EchoTranslator()
    plan = _plan("<p>Premier zwołał posiedzenie rządu.</p><p><b>Koniec</b> obrad.</p>", detector, format="html")
    translate_units(echo, [plan])
    r = assemble(plan, echo)
    assert r.translation.startswith("<p>[en] Premier") and r.translation.count("<p>") == 2
    assert r.translation_text.split("\n\n")[0] == "[en] Premier zwołał posiedzenie rządu."


# ----------------------------------------------------------------------------- intervals


def test_intervals_answer_overlap_containment_and_freedom() -> None:
    at = Intervals([(10, 20), (0, 5), (30, 40)])
    assert at.items == [(0, 5), (10, 20), (30, 40)] and len(at) == 3
    assert list(at.overlapping(4, 11)) == [0, 1] and list(at.overlapping(5, 10)) == []
    assert at.containing(12, 18) and not at.containing(18, 31)
    assert at.free(20, 30) and not at.free(19, 21)
    at.add(22, 25)
    assert not at.free(24, 26) and list(at.overlapping(21, 31)) == [2, 3]


def test_splice_puts_fills_in_and_says_where() -> None:
    text, where = splice("a „X” b „Y” c", [(3, 4, "long one"), (9, 10, "")])
    assert text == "a „long one” b „” c"
    assert [text[a:b] for a, b in where] == ["long one", ""]
