"""Numbers reach the model as written, and none is lost without a warning."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest
import regex
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from service.engines import build_engines
from service.http.app import create_app
from service.settings import Settings
from translators.marian import MarianTranslator
from translators.text.numbers import check_numbers, find_numbers, parse

FIXTURES = Path(__file__).parent / "fixtures"


def inflection_cases() -> list[tuple[str, str, str]]:
    rows = (FIXTURES / "numbers" / "inflection.tsv").read_text(encoding="utf-8").splitlines()
    return [tuple(r.split("\t")[:3]) for r in rows if r and not r.startswith("#")]  # type: ignore[misc]


# ----------------------------------------------------------------------------- reading numbers


@pytest.mark.parametrize(("token", "lang", "value"), [
    ("1 000", "pl", "1000"), ("1\u00a0000", "lt", "1000"), ("1.000", "pl", "1000"), ("1,000", "en", "1000"),
    ("3,5", "pl", "3.5"), ("3.5", "en", "3.5"), ("1 000 000,25", "pl", "1000000.25"), ("23", "lt", "23"),
])
def test_parse_in_each_notation(token: str, lang: str, value: str) -> None:
    assert parse(token, lang) == Decimal(value)


def test_find_numbers_skips_placeholders_and_splits_non_numbers() -> None:
    found = find_numbers("QZ0 zatrzymali 23 osoby o 12:30, 12.11.2021, 1,5 tys. i 1 000 zł QZ12", "pl")
    assert [(n.text, str(n.value)) for n in found] == [
        ("23", "23"), ("12", "12"), ("30", "30"), ("12", "12"), ("11", "11"), ("2021", "2021"),
        ("1,5", "1.5"), ("1 000", "1000"),
    ]


@pytest.mark.parametrize("output", [
    "Detained 1,000 people, 3.5 km away.", "Detained 1 000 people, 3,5 km away.",
    "Detained 1.000 people, 3,5 km away.", "Detained 1000 people, 3.5 km away.",
])
def test_target_separators_are_accepted(output: str) -> None:
    check = check_numbers("Zatrzymano 1 000 osób, 3,5 km dalej.", output, "pl", "en")
    assert check.text == output and check.missing == () and check.warnings == ()


def test_changed_number_is_repaired_in_target_notation() -> None:
    check = check_numbers("Zatrzymali 23 osoby i 1 500,5 kg.", "They detained 32 people and 1500 kg.", "pl", "en")
    assert check.text == "They detained 23 people and 1,500.5 kg."
    assert check.missing == () and check.repaired == ("23", "1 500,5")
    assert any("restored" in w for w in check.warnings)


def test_number_at_the_edge_is_put_back() -> None:
    check = check_numbers("2021: rok rekordów.", "The year of records.", "pl", "en")
    assert check.text == "2021 The year of records."
    check = check_numbers("Spotkanie o godzinie 12", "The meeting at noon.", "pl", "en")
    assert check.text == "The meeting at noon 12."


def test_lost_number_without_a_clear_place_is_a_warning() -> None:
    check = check_numbers("Zatrzymali 23 osoby w nocy.", "They detained people at night.", "pl", "en")
    assert check.text == "They detained people at night."
    assert check.missing == ("23",)
    assert check.warnings == ("number '23' of the source is not in the translation",)


# ----------------------------------------------------------------------------- property

WORDS = ["zatrzymali", "osoby", "osób", "žmonių", "people", "km", "zł", "QZ0", "QZ1", "w", "o", "the", "."]
NUMBERS = st.one_of(
    st.integers(0, 10**7).map(str),
    st.sampled_from(["23", "1,5", "3.000", "12:30", "2021", "0,25", "1 000", "1.000.000", "24/7", "2021-11-12",
                     "F-16", "3.", "70%", "5,5"]),
)


@st.composite
def sources(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(st.sampled_from(WORDS), NUMBERS), min_size=1, max_size=12))
    return " ".join(parts)


def mutate(source: str, rnd: random.Random, lang: str) -> str:
    """What a model might do to the numbers: keep, drop, change, reformat, reorder, duplicate."""
    out: list[str] = []
    for tok in source.split(" "):
        roll = rnd.random()
        if any(ch.isdigit() for ch in tok) and roll < 0.5:
            choice = rnd.randrange(4)
            if choice == 0:
                continue  # dropped
            if choice == 1:
                tok = str(rnd.randint(0, 999))  # changed
            elif choice == 2:
                tok = tok.replace(",", "#").replace(".", ",").replace("#", ".")  # other notation
            else:
                out.append(tok)  # duplicated
        out.append(tok)
    if rnd.random() < 0.3:
        rnd.shuffle(out)
    if rnd.random() < 0.1:
        out = ["garbage"]
    return " ".join(out)


def digit_key(text: str) -> str:
    """The digits of a number, separators and leading zeros dropped (1 000 -> 1000, 007 -> 7)."""
    return regex.sub(r"\D", "", text).lstrip("0") or "0"


def keys(text: str) -> set[str]:
    """Every way to read a number: its digits, its value in pl and in en notation."""
    out = {digit_key(text)}
    for lang in ("pl", "en"):
        value = parse(text, lang)
        if value is not None:
            out.add(format(value.normalize(), "f"))
    return out


def lost(source: list[str], result: list[str]) -> int:
    """How many source numbers no number of the result can stand for (maximum matching)."""
    owner: dict[int, int] = {}

    def place(i: int, seen: set[int]) -> bool:
        for j, r in enumerate(result):
            if j not in seen and keys(source[i]) & keys(r):
                seen.add(j)
                if j not in owner or place(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(not place(i, set()) for i in range(len(source)))


@settings(max_examples=400, deadline=None)
@given(sources(), st.integers(0, 2**32), st.sampled_from([("pl", "en"), ("lt", "en"), ("en", "pl")]))
def test_no_number_is_ever_lost_without_a_warning(source: str, seed: int, pair: tuple[str, str]) -> None:
    src_lang, tgt_lang = pair
    output = mutate(source, random.Random(seed), src_lang)
    check = check_numbers(source, output, src_lang, tgt_lang)
    # an independent count: source numbers that no number of the final text can stand for
    src = [n.text for n in find_numbers(source, src_lang)]
    out = [n.text for n in find_numbers(check.text, tgt_lang)]
    assert lost(src, out) <= len(check.missing), (source, output, check)
    for n in check.missing:  # and each one the check reports is named in a warning
        assert any(repr(n) in w for w in check.warnings), (source, output, check)


# ----------------------------------------------------------------------------- through the service


class Recording(MarianTranslator):
    """The real tiny Marian model, with every model input written down."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.inputs: list[str] = []

    def translate_batch(self, texts, source, target, *, alignment=False):  # type: ignore[override]
        self.inputs += list(texts)
        return super().translate_batch(texts, source, target, alignment=alignment)


@pytest.fixture
def recording_client(settings: Settings):
    backend = Recording(settings.model_dir)
    app = create_app(settings.model_copy(update={"cache_enabled": False}),
                     engine_factory=lambda s: build_engines(s, backend=backend))
    with TestClient(app) as c:
        yield c, backend


def test_model_sees_the_numerals_of_real_inflection_cases(recording_client) -> None:
    client, backend = recording_client
    cases = inflection_cases()
    assert len(cases) >= 10 and {c[0] for c in cases} == {"pl", "lt", "en"}
    for src, tgt, sentence in cases:
        backend.inputs.clear()
        r = client.post("/v1/translate", json={"text": sentence, "source_lang": src, "target_lang": tgt})
        assert r.status_code == 200, r.text
        body = r.json()
        numerals = [n.text for n in find_numbers(sentence, src)]
        assert numerals, sentence
        assert backend.inputs, sentence
        for numeral in numerals:  # as written, next to the noun that agrees with it
            assert any(numeral in text for text in backend.inputs), (numeral, backend.inputs)
        assert [s for s in body["sentences"] if s["translated"]]
        for s in body["sentences"]:  # the tiny model loses numbers: each loss is a warning
            for n in find_numbers(s["source"]["text"], src):
                found = digit_key(n.text) in [digit_key(m.text) for m in find_numbers(s["target"]["text"], tgt)]
                assert found or any(repr(n.text) in w for w in s["warnings"]), (n, s)


def test_ministry_tweet_model_input_holds_23(recording_client, sample) -> None:
    client, backend = recording_client
    r = client.post("/v1/translate", json={"text": sample("pl_ministry_tweet.txt"), "target_lang": "en"})
    assert r.status_code == 200, r.text
    assert any("zatrzymali 23 osoby" in text for text in backend.inputs), backend.inputs
    body = r.json()
    sentence = next(s for s in body["sentences"] if "23 osoby" in s["source"]["text"])
    assert "23" in sentence["target"]["text"] or sentence["warnings"]
    assert all(w.startswith("sentence ") for w in body["warnings"] if "number" in w)
