"""Protected spans pass through translation byte-for-byte, whatever the model outputs."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from translators.text.protect import Masked, Protected, find_protected, mask, place_dropped, unmask, unmask_with

SAMPLES = Path(__file__).parent / "fixtures" / "samples"
KINDS = {"url", "handle", "hashtag", "email", "emoji", "number"}
MASKED_KINDS = {"url", "handle", "hashtag", "email", "emoji", "code"}
PLACEHOLDER = regex.compile(r"QZ\d+")
EMOJI_CHAR = regex.compile(
    r"[\p{Extended_Pictographic}\p{Regional_Indicator}\p{Emoji_Modifier}\u20E3\U000E0020-\U000E007F]"
)

EMOJI = [
    "⚠️", "🇵🇱", "🇱🇹", "🇪🇺", "👨‍👩‍👧", "👩🏽‍💻", "👍🏽", "👍", "1️⃣", "#️⃣", "🏳️‍🌈", "❤️", "🏴󠁧󠁢󠁥󠁮󠁧󠁿", "🔥", "™", "🇵",
]
URLS = [
    "https://www.gov.pl/web/mswia", "pic.twitter.com/Qx7LmP2kAa", "http://example.org/a?b=1&c=%20#frag",
    "www.lrt.lt/naujienos/lietuvoje", "gov.pl", "https://t.co/AbCdEf1234", "https://en.wikipedia.org/wiki/Foo_(bar)",
    "twitter.com/Straz_Graniczna/status/1458000000000000000",
]
WORDS = [
    "Premier", "zwołał", "posiedzenie", "Straży", "Granicznej", "żółć", "Vidaus", "ministerija", "pranešė",
    "pasieniečiai", "the", "border", "guards", "said", "e\u0301te\u0301", "Zs\u030c", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𠀀𠀁",
    "QZ", "qz", "Q", "ZZ", "x", "M",
]
PUNCT = [".", ",", ":", ";", "!", "?", "…", "„", "”", "“", "«", "»", "(", ")", "–", "—", "-", "|", "/", "'", '"']
SEPARATORS = [" ", " ", " ", "", "\n", " – ", ", ", "\u00a0", "  "]

handles = st.from_regex(r"@[A-Za-z0-9_]{1,15}", fullmatch=True)
hashtags = st.from_regex(r"#[a-zA-Ząćęłńóśźżąčęėįšųūž_0-9]{1,12}", fullmatch=True)
emails = st.from_regex(r"[a-z0-9._+-]{1,8}@[a-z0-9-]{1,8}\.(pl|lt|com|eu)", fullmatch=True)
numbers = st.one_of(
    st.integers(0, 10**9).map(str),
    st.sampled_from(["23", "1,5", "3.000", "12:30", "2021", "0,25", "1.000.000", "24/7", "2021-11-12", "F-16"]),
)
component = st.one_of(
    st.sampled_from(WORDS), st.sampled_from(EMOJI), st.sampled_from(URLS), handles, hashtags, emails,
    numbers, st.sampled_from(PUNCT), st.text(max_size=4),
)


@st.composite
def news_text(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(component, st.sampled_from(SEPARATORS)), max_size=14))
    return "".join(a + b for a, b in parts)


def spaced_text() -> st.SearchStrategy[str]:
    """Components separated by spaces: every URL/handle/hashtag/e-mail/emoji must be found whole."""
    kinds = st.one_of(
        st.sampled_from(EMOJI).map(lambda e: (e, "emoji")),
        st.sampled_from(URLS).map(lambda u: (u, "url")),
        handles.map(lambda h: (h, "handle")),
        hashtags.map(lambda h: (h, "hashtag")),
        emails.map(lambda e: (e, "email")),
        st.sampled_from(WORDS[:14]).map(lambda w: (w, "")),
    )
    return st.lists(kinds, min_size=1, max_size=10)


def assert_preserved(segment: str, out: str, m: Masked) -> None:
    """Prefix/suffix exact; every protected span of ``segment`` occurs in ``out``, in order
    (numbers are not masked: ``translators.text.numbers`` checks them, see test_numbers.py)."""
    assert out.startswith(m.prefix)
    assert out.endswith(m.suffix)
    assert len(out) >= len(m.prefix) + len(m.suffix)
    pos = 0
    for p in find_protected(segment):
        if p.kind == "number":
            continue
        found = out.find(p.text, pos)
        assert found >= 0, f"{p} lost (or out of order) in {out!r}"
        pos = found + len(p.text)


def without_space(s: str) -> str:
    return regex.sub(r"\s+", "", s)


# ------------------------------------------------------------------------ find_protected


def test_ministry_tweet_protected_spans() -> None:
    text = (SAMPLES / "pl_ministry_tweet.txt").read_text(encoding="utf-8")
    found = [(p.text, p.kind) for p in find_protected(text)]
    assert found == [
        ("⚠️", "emoji"), ("23", "number"), ("#granica", "hashtag"), ("#bezpieczeństwo", "hashtag"),
        ("https://www.gov.pl/web/mswia", "url"), ("pic.twitter.com/Qx7LmP2kAa", "url"),
        ("@MSWiA_GOV_PL", "handle"), ("12", "number"), ("2021", "number"),
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("Zob. https://x.pl/a.", ["https://x.pl/a"]),
    ("(https://en.wikipedia.org/wiki/Foo_(bar)), dalej", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
    ("„https://x.pl/a”.", ["https://x.pl/a"]),
    ("Strona gov.pl, potem lrt.lt/x?", ["gov.pl", "lrt.lt/x"]),
    ("napisz: biuro@mswia.gov.pl.", ["biuro@mswia.gov.pl"]),
    ("m.in. np. tj. e.g. U.S. St.Louis", []),
])
def test_urls_and_emails(text: str, expected: list[str]) -> None:
    assert [p.text for p in find_protected(text) if p.kind in ("url", "email")] == expected


@pytest.mark.parametrize("emoji", ["🇵🇱", "👨‍👩‍👧", "👍🏽", "1️⃣", "⚠️", "🏳️‍🌈", "🏴󠁧󠁢󠁥󠁮󠁧󠁿", "👩🏽‍💻"])
def test_emoji_sequences_are_one_span(emoji: str) -> None:
    assert [(p.text, p.kind) for p in find_protected(f"a {emoji} b")] == [(emoji, "emoji")]


def test_numbers() -> None:
    text = "23 osoby, 1,5 mln, 3.000 zł, o 12:30, w 2021. Koniec 3. pułku; F16 i COVID-19."
    assert [p.text for p in find_protected(text) if p.kind == "number"] == [
        "23", "1,5", "3.000", "12:30", "2021", "3", "F16", "19",
    ]


def test_hashtags_and_handles_with_unicode() -> None:
    spans = find_protected("Dzięki @MSWiA_GOV_PL! #bezpieczeństwo #Lietuva_2021 #ąč")
    assert [(p.text, p.kind) for p in spans] == [
        ("@MSWiA_GOV_PL", "handle"), ("#bezpieczeństwo", "hashtag"), ("#Lietuva_2021", "hashtag"), ("#ąč", "hashtag"),
    ]


@settings(max_examples=300, deadline=None)
@given(st.one_of(news_text(), st.text()))
def test_spans_slice_correctly(text: str) -> None:
    spans = find_protected(text)
    prev_end = 0
    for p in spans:
        assert prev_end <= p.start < p.end <= len(text)
        assert text[p.start:p.end] == p.text
        assert p.kind in KINDS
        prev_end = p.end
    # every digit is in a span: the segmenter never cuts inside a number
    for m in regex.finditer(r"\p{Nd}", text):
        assert any(p.start <= m.start() < p.end for p in spans), f"digit at {m.start()} unprotected in {text!r}"


@settings(max_examples=200, deadline=None)
@given(spaced_text())
def test_spaced_components_are_found_whole(parts: list[tuple[str, str]]) -> None:
    text = " ".join(p for p, _ in parts)
    found = [(p.text, p.kind) for p in find_protected(text) if p.kind != "number"]
    assert found == [(p, k) for p, k in parts if k]


# ------------------------------------------------------------------------ mask


def test_mask_peels_edges_and_masks_interior() -> None:
    segment = (
        "⚠️ KOMUNIKAT | W nocy zatrzymano 23 osoby 🇵🇱 w rejonie Białowieży. #granica https://www.gov.pl/web/mswia 🇵🇱"
    )
    m = mask(segment)
    assert m.prefix == "⚠️ "
    assert m.suffix == " #granica https://www.gov.pl/web/mswia 🇵🇱"
    assert m.model_text == "KOMUNIKAT | W nocy zatrzymano 23 osoby QZ0 w rejonie Białowieży."
    assert [p.text for p in m.placeholders] == ["🇵🇱"]
    assert unmask("NOTICE | At night, 23 people were detained QZ0 near Białowieża.", m) == (
        "⚠️ NOTICE | At night, 23 people were detained 🇵🇱 near Białowieża. #granica https://www.gov.pl/web/mswia 🇵🇱"
    )


def test_nothing_translatable() -> None:
    tail = "#granica #bezpieczeństwo https://www.gov.pl/web/mswia pic.twitter.com/Qx7LmP2kAa"
    m = mask(tail)
    assert (m.model_text, m.prefix, m.suffix, m.placeholders) == ("", tail, "", ())
    assert unmask("anything at all QZ0", m) == tail
    assert mask("12:30 – 23.").model_text == ""


def test_signature_keeps_handle_and_date_out_of_model() -> None:
    m = mask("— MSWiA (@MSWiA_GOV_PL) 12 listopada 2021")
    assert m.model_text == "— MSWiA (QZ0) 12 listopada 2021"
    assert unmask("— MSWiA (QZ0) 12 November 2021", m) == "— MSWiA (@MSWiA_GOV_PL) 12 November 2021"


def test_glued_placeholders_are_spaced_for_the_tokenizer() -> None:
    m = mask("Słowo😀słowo i F16.")
    assert m.model_text == "Słowo QZ0 słowo i F16."


def test_numbers_reach_the_model_and_lookalikes_do_not() -> None:
    m = mask("Zatrzymali 23 osoby, 1,5 tys. o 12:30; kod QZ7 i qz 12.")
    assert m.model_text == "Zatrzymali 23 osoby, 1,5 tys. o 12:30; kod QZ0 i QZ1."
    assert [(p.text, p.kind) for p in m.placeholders] == [("QZ7", "code"), ("qz 12", "code")]
    assert unmask(m.model_text, m) == "Zatrzymali 23 osoby, 1,5 tys. o 12:30; kod QZ7 i qz 12."


# ------------------------------------------------------------------------ unmask robustness

SEGMENT = "Zatrzymano 23 osoby o 12:30, @MSWiA_GOV_PL podało 1,5 tys. 👍🏽 szczegółów. #granica 🔥 wieczorem."


@pytest.mark.parametrize(("output", "expected"), [
    ("Detained 23 people at 12:30, QZ0 reported 1.5 thousand QZ1 details. QZ2 QZ3 in the evening.",
     "Detained 23 people at 12:30, @MSWiA_GOV_PL reported 1.5 thousand 👍🏽 details. #granica 🔥 in the evening."),
    ("Detained people, qz 0 reported Qz1 details. Q Z2 qz3 evening.",  # case and spacing
     "Detained people, @MSWiA_GOV_PL reported 👍🏽 details. #granica 🔥 evening."),
    ("Detained people at QZ1, reported thousand details.",  # dropped: re-inserted in order
     "Detained people at @MSWiA_GOV_PL 👍🏽, reported thousand details #granica 🔥."),
    ("QZ0 QZ0 QZ1 QZ1 QZ2 QZ3 QZ3.",  # duplicated
     "@MSWiA_GOV_PL 👍🏽 #granica 🔥."),
    ("Detained QZ0 people QZ7 at QZ1 QZ99999999999, QZ2 reported QZ3.",  # invented indices
     "Detained @MSWiA_GOV_PL people at 👍🏽, #granica reported 🔥."),
    ("QZ3 QZ2 QZ1 QZ0", "@MSWiA_GOV_PL 👍🏽 #granica 🔥"),  # reversed: order restored
    ("", "@MSWiA_GOV_PL 👍🏽 #granica 🔥"),
])
def test_unmask_repairs_placeholders(output: str, expected: str) -> None:
    m = mask(SEGMENT)
    out = unmask(output, m)
    assert out == expected
    assert_preserved(SEGMENT, out, m)


def test_unmask_is_exact_for_identity() -> None:
    m = mask(SEGMENT)
    assert unmask(m.model_text, m) == SEGMENT


def test_holes_get_fills_and_positions() -> None:
    sentence = "Rzecznik SG: „Sytuacja jest pod kontrolą” – dodał o 12:30."
    a = sentence.index("Sytuacja")
    b = sentence.index("”")
    m = mask(sentence, [(a, b)])
    assert m.model_text == "Rzecznik SG: „QZ0” – dodał o 12:30."
    fill = "The situation is under control"
    out, where = unmask_with("SG spokesman: „QZ0” – he added at 12:30.", m, [fill])
    assert out == "SG spokesman: „The situation is under control” – he added at 12:30."
    assert [out[s:e] for s, e in where] == [fill]
    out, where = unmask_with("garbage without placeholders", m, [fill])
    assert [out[s:e] for s, e in where] == [fill]
    assert "12:30" not in out  # numbers are the number check's job (test_numbers.py), not unmask's
    with pytest.raises(ValueError, match="hole"):
        mask(sentence, [(5, 3)])


def test_hole_in_untranslatable_segment_is_spliced() -> None:
    m = mask("„Nie” 23", [(1, 4)])
    assert m.model_text == ""
    out, where = unmask_with("", m, ["No"])
    assert out == "„No” 23" and [out[s:e] for s, e in where] == ["No"]


# ------------------------------------------------------------------------ properties


@st.composite
def model_outputs(draw: st.DrawFn, m: Masked) -> str:
    """Garbage, identity, or the placeholders shuffled/dropped/duplicated/invented, mangled."""
    tokens = PLACEHOLDER.findall(m.model_text)
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return draw(st.text())
    if choice == 1:
        return m.model_text
    rnd = random.Random(draw(st.integers(0, 2**32)))
    picked = [t for t in tokens if rnd.random() < 0.7] * rnd.randint(1, 2)
    picked += [f"QZ{rnd.randint(0, 12)}" for _ in range(rnd.randint(0, 3))]
    rnd.shuffle(picked)
    mangled = [rnd.choice([t, t.lower(), t[:2] + " " + t[2:], "q z" + t[2:]]) for t in picked]
    words = draw(st.lists(st.sampled_from(WORDS + PUNCT + EMOJI + ["QZ", "qz", "QZ1QZ0", "1"]), max_size=8))
    mixed = mangled + words
    rnd.shuffle(mixed)
    return rnd.choice([" ", "", "  "]).join(mixed)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(news_text(), st.data())
@example("⚠️ KOMUNIKAT | W nocy zatrzymali 23 osoby. #granica https://www.gov.pl/web/mswia 🇵🇱", None)
def test_unmask_keeps_every_protected_span(segment: str, data: st.DataObject | None) -> None:
    m = mask(segment)
    outputs = [m.model_text, "", "QZ0 QZ0 QZ9 qz 1"]
    if data is not None:
        outputs.append(data.draw(model_outputs(m)))
    for output in outputs:
        assert_preserved(segment, unmask(output, m), m)
    assert without_space(unmask(m.model_text, m)) == without_space(segment)


@settings(max_examples=400, deadline=None)
@given(news_text())
def test_model_text_holds_no_protected_text(segment: str) -> None:
    m = mask(segment)
    bare = PLACEHOLDER.sub(" ", m.model_text)
    # every QZ<n> the model sees is one of ours, numbered in order
    assert PLACEHOLDER.findall(m.model_text) == [f"QZ{i}" for i in range(len(m.placeholders))]
    assert not EMOJI_CHAR.search(bare), f"emoji reaches the model: {m.model_text!r}"
    spans = find_protected(segment)
    for p in spans:
        # a string protected wherever it occurs never reaches the model (glued text such as
        # "gov.plPremier" is not a URL, so an unprotected copy of "gov.pl" may legitimately stay)
        everywhere = segment.count(p.text) == sum(q.text == p.text for q in spans)
        if p.kind != "number" and everywhere:
            assert p.text not in bare, f"{p} reaches the model: {m.model_text!r}"
    # numbers reach the model as written (unless inside a masked span or a peeled edge)
    body = (len(m.prefix), len(segment) - len(m.suffix))
    for p in spans:
        masked = any(q.start < p.end and p.start < q.end for q in m.placeholders)
        if p.kind == "number" and body[0] <= p.start and p.end <= body[1] and not masked:
            assert p.text in m.model_text, f"number {p.text!r} hidden from the model: {m.model_text!r}"
    assert all(p.kind in MASKED_KINDS for p in m.placeholders)
    assert m.model_text == m.model_text.strip()
    assert segment.startswith(m.prefix) and segment.endswith(m.suffix)
    assert isinstance(m.placeholders, tuple) and all(isinstance(p, Protected) for p in m.placeholders)


# ------------------------------------------------------------------------ dropped placeholders, aligned

WEBLATE = "Witaj [X6X], [X10X] czeka."  # Weblate's LibreTranslate placeholders for %s and {name}


def _links(model_text: str, output: str, pairs: list[tuple[str, str]]) -> list[tuple[int, int, int, int]]:
    out = []
    for s, t in pairs:
        a, c = model_text.index(s), output.index(t)
        out.append((a, a + len(s), c, c + len(t)))
    return out


def test_a_dropped_placeholder_goes_where_its_neighbours_went() -> None:
    m = mask(WEBLATE)
    assert m.model_text == "Witaj QZ0, QZ1 czeka."
    output = "Hello QZ0, waiting."  # the model dropped QZ1
    links = _links(m.model_text, output, [("Witaj", "Hello"), (",", ","), ("czeka", "waiting"), (".", ".")])
    placed, moved = place_dropped(output, m, links)
    assert unmask(placed, m) == "Hello [X6X], [X10X] waiting."
    assert unmask(output, m) == "Hello [X6X], waiting [X10X]."  # without an alignment: in order, at the end
    # the links follow the text: each still joins the same words, and the placeholder is linked
    pairs = {(m.model_text[a:b], placed[c:d]) for a, b, c, d in moved}
    assert pairs == {("Witaj", "Hello"), (",", ","), ("czeka", "waiting"), (".", "."), ("QZ1", "QZ1")}


def test_dropped_placeholders_keep_their_order_and_stay_once() -> None:
    m = mask(WEBLATE)
    output = "Waiting, hello."  # both dropped, the words reordered
    links = _links(m.model_text, output, [("Witaj", "hello"), (",", ","), ("czeka", "Waiting")])
    placed = unmask(place_dropped(output, m, links)[0], m)
    assert placed == "Waiting [X6X], [X10X] hello."
    assert placed.count("[X6X]") == placed.count("[X10X]") == 1
    # a kept placeholder bounds where a dropped one may go (their order is the source's)
    output = "QZ1 waits, hello."
    links = _links(m.model_text, output, [("Witaj", "hello"), ("czeka", "waits")])
    assert unmask(place_dropped(output, m, links)[0], m) == "[X6X] [X10X] waits, hello."


def test_place_dropped_changes_nothing_without_links_or_drops() -> None:
    m = mask(WEBLATE)
    assert place_dropped("Hello QZ0, QZ1 waiting.", m, [(0, 5, 0, 5)]) == ("Hello QZ0, QZ1 waiting.", [(0, 5, 0, 5)])
    assert place_dropped("Hello, waiting.", m, []) == ("Hello, waiting.", [])
