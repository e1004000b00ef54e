"""Word alignment and confidence from the engines themselves (issues 18 and 21): both backends,
the copy model, pivot composition, the cache and the coalescer."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from service.storage import db
from service.storage.cache_store import SqlTranslationStore
from tests.conftest import corpus
from translators.base import Translation
from translators.cached import CachedTranslator, MemoryStore
from translators.coalesce import CoalescingTranslator
from translators.ct2 import CTranslate2Translator
from translators.marian import DecodeOptions, MarianTranslator
from translators.pivot import PivotTranslator
from translators.testing import EchoTranslator
from translators.word_alignment import TextMap, compose_links, words

FIXTURE = Path(__file__).parent / "fixtures" / "tatoeba_pl_en_240.tsv"
PL = [line.split("\t")[0] for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
FIFTY = [*PL[:48], "Straż Graniczna zatrzymała w nocy 23 osoby przy granicy z Białorusią.", "Tak."]


def _greedy(model_dir: Path) -> tuple[MarianTranslator, CTranslate2Translator]:
    options = DecodeOptions(num_beams=1)
    return (MarianTranslator(model_dir, device="cpu", options=options),
            CTranslate2Translator(model_dir, device="cpu", options=options, compute_type="float32"))


def _check_links(source: str, out: Translation) -> None:
    """Every link joins a word of the input to a word of the output."""
    assert out.alignment is not None
    src_words, tgt_words = set(words(source)), set(words(out.text))
    for a, b, c, d in out.alignment:
        assert (a, b) in src_words, (source, source[a:b])
        assert (c, d) in tgt_words, (out.text, out.text[c:d])


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_asking_for_alignment_changes_no_translation(model_dir: Path, backend: str) -> None:
    engine = (MarianTranslator(model_dir, device="cpu") if backend == "transformers"
              else CTranslate2Translator(model_dir, device="cpu"))
    plain = engine.translate_batch(FIFTY, "pl", "en")
    aligned = engine.translate_batch(FIFTY, "pl", "en", alignment=True)
    assert len(FIFTY) == 50 and len(plain) == 50
    assert [t.text for t in aligned] == [t.text for t in plain]
    assert [t.score for t in aligned] == pytest.approx([t.score for t in plain], abs=1e-6)
    assert all(t.alignment is None for t in plain)  # nothing computed when not asked
    linked = [t for t in aligned if t.alignment]
    assert len(linked) > 40
    for source, out in zip(FIFTY, aligned, strict=True):
        _check_links(source, out)


def test_both_backends_agree_on_confidence_and_alignment(model_dir: Path) -> None:
    marian, ct2 = _greedy(model_dir)
    a = marian.translate_batch(FIFTY, "pl", "en", alignment=True)
    b = ct2.translate_batch(FIFTY, "pl", "en", alignment=True)
    assert [t.text for t in a] == [t.text for t in b]
    scores = [(x.score, y.score) for x, y in zip(a, b, strict=True)]
    assert scores and all(x is not None and y is not None and 0 < x <= 1 and 0 < y <= 1 for x, y in scores)
    assert max(abs(x - y) for x, y in scores) < 0.02  # type: ignore[operator]
    # the same layer and head in both: the same links
    assert [t.alignment for t in a] == [t.alignment for t in b]


def test_confidence_is_the_geometric_mean_token_probability(model_dir: Path) -> None:
    """Scored by hand from one teacher-forced pass: the same number the backend reports."""
    import math

    import torch

    marian = MarianTranslator(model_dir, device="cpu", options=DecodeOptions(num_beams=1))
    text = PL[3]
    out = marian.translate_batch([text], "pl", "en")[0]
    m = marian.load("pl", "en")
    row = m.tokenizer([text]).input_ids[0]
    model = m.engine
    with torch.inference_mode():
        generated = model.generate(input_ids=torch.tensor([row]), num_beams=1, max_length=64)[0, 1:].tolist()
        ids = generated[:generated.index(0) + 1] if 0 in generated else generated  # through the end token (id 0)
        logits = model(input_ids=torch.tensor([row]),
                       decoder_input_ids=torch.tensor([[model.config.decoder_start_token_id, *ids[:-1]]])).logits[0]
        logits[:, model.config.pad_token_id] = float("-inf")
        logp = torch.log_softmax(logits, -1)[torch.arange(len(ids)), torch.tensor(ids)]
    assert m.tokenizer.decode(ids, skip_special_tokens=True).strip() == out.text
    assert out.score == pytest.approx(math.exp(float(logp.mean())), rel=1e-3)


def test_copy_model_links_each_word_to_itself(copy_model_dir: Path) -> None:
    sentences = [s for s in corpus("pl") + corpus("lt") if 20 < len(s) <= 120][:40]
    for engine in _greedy(copy_model_dir):
        outs = engine.translate_batch(sentences, "pl", "en", alignment=True)
        copied = [(s, o) for s, o in zip(sentences, outs, strict=True) if o.text == s]
        assert len(copied) >= 24, [o.text for o in outs]
        links = [(s, link) for s, o in copied for link in (o.alignment or ())]
        diagonal = [1 for _, (a, b, c, d) in links if (a, b) == (c, d)]
        assert links and len(diagonal) / len(links) > 0.95
        for s, o in copied:  # every word of a copied sentence is linked, to itself
            assert {(c, d) for _, _, c, d in o.alignment or ()} == set(words(s))
            assert o.score is not None and o.score > 0.5


def test_both_backends_agree_on_a_trained_model_s_confidence(copy_model_dir: Path) -> None:
    """On a model that is sure of its output (the copy model: 0.8-1.0), not only on a random one
    (about 1/vocabulary everywhere): the decoder starts from a zero embedding in both backends."""
    sentences = [s for s in corpus("pl") + corpus("lt") if 10 < len(s) <= 120][:60]
    marian, ct2 = _greedy(copy_model_dir)
    a = marian.translate_batch(sentences, "pl", "en")
    b = ct2.translate_batch(sentences, "pl", "en")
    pairs = [(x.score, y.score) for x, y in zip(a, b, strict=True) if x.text == y.text]
    assert len(pairs) >= 55
    assert all(x is not None and y is not None for x, y in pairs)
    assert min(x for x, _ in pairs) > 0.5  # type: ignore[operator]
    assert max(abs(x - y) for x, y in pairs) < 0.02  # type: ignore[operator]


def test_over_long_input_links_index_the_whole_text(copy_model_dir: Path) -> None:
    text = " ".join(s for s in corpus("pl")[:6])
    engine = MarianTranslator(copy_model_dir, device="cpu", options=DecodeOptions(max_input_tokens=24))
    out = engine.translate_batch([text], "pl", "en", alignment=True)[0]
    assert out.pieces > 1
    _check_links(text, out)
    assert out.alignment and max(b for _, b, _, _ in out.alignment) > len(text) // 2
    same = [1 for a, b, c, d in out.alignment if text[a:b] == out.text[c:d]]
    assert len(same) / len(out.alignment) > 0.9


def test_pivot_composes_links_through_the_pivot_text() -> None:
    echo = EchoTranslator(pairs=("pl-en", "en-lt"))
    out = PivotTranslator(echo).translate_batch(["Ala ma kota."], "pl", "lt", alignment=True)[0]
    assert out.text == "[lt] [en] Ala ma kota."
    shift = len("[lt] [en] ")
    assert out.alignment == tuple((a, b, a + shift, b + shift) for a, b in words("Ala ma kota."))
    assert out.score == 1.0
    assert compose_links([(0, 3, 5, 8)], [(9, 12, 0, 4)]) == ()


class _Spy(MarianTranslator):
    """Records whether each call asked for word links."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[bool] = []

    def translate_batch(self, texts, source, target, *, alignment=False):  # type: ignore[override]
        self.calls.append(alignment)
        return super().translate_batch(texts, source, target, alignment=alignment)


def test_cache_keeps_score_and_adds_links_when_asked(tmp_path: Path, model_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cache.db'}"
    db.upgrade(url)
    for store in (MemoryStore(), SqlTranslationStore(url)):
        spy = _Spy(model_dir, device="cpu")
        calls = spy.calls
        cached = CachedTranslator(spy, store)
        first = cached.translate_batch(PL[:3], "pl", "en")
        hit = cached.translate_batch(PL[:3], "pl", "en")
        assert calls == [False]
        assert [t.cached for t in hit] == [True] * 3 and all(t.alignment is None for t in hit)
        assert [t.score for t in hit] == [t.score for t in first]  # the confidence it was made with
        aligned = cached.translate_batch(PL[:3], "pl", "en", alignment=True)  # stored without links
        assert calls == [False, True]
        assert [t.text for t in aligned] == [t.text for t in first]
        assert [t.score for t in aligned] == [t.score for t in first]
        again = cached.translate_batch(PL[:3], "pl", "en", alignment=True)
        assert calls == [False, True]  # now a hit, links and all
        assert [t.alignment for t in again] == [t.alignment for t in aligned] and all(t.cached for t in again)
    db.dispose_engines()


def test_coalesced_callers_get_links_only_when_they_asked() -> None:
    echo = EchoTranslator()
    tr = CoalescingTranslator(echo, wait_ms=50)
    results: dict[str, list[Translation]] = {}
    barrier = threading.Barrier(2)

    def call(name: str, alignment: bool) -> None:
        barrier.wait()
        results[name] = tr.translate_batch([f"Zdanie {name}."], "pl", "en", alignment=alignment)

    threads = [threading.Thread(target=call, args=(n, a)) for n, a in (("a", True), ("b", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["a"][0].alignment and results["b"][0].alignment is None


def test_text_map_follows_a_rewrite() -> None:
    old, new = "Zob. QZ0 teraz", "Zob. https://x.pl/a teraz"
    m = TextMap.diff(old, new)
    assert m.span(5, 8) == (5, 19)  # the placeholder maps onto the whole URL
    assert m.span(9, 14) == (20, 25)
