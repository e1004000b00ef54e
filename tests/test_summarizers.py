"""Summarizers: extractive centrality (pl/lt/en) and the optional seq2seq abstractive one."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import sparse

os.environ["HF_HUB_OFFLINE"] = "1"

from summarizers import CentralitySummarizer, Seq2SeqSummarizer, summary_length
from translators.base import Summarizer, SummaryResult

FIXTURES = Path(__file__).parent / "fixtures" / "summaries"

# Topic: a transport budget. Unit 4 paraphrases unit 0; unit 3 is off-topic.
EN = [
    "The city council approved a new budget for public transport on Tuesday.",
    "The budget adds twenty new electric buses to the city fleet next year.",
    "Council members said the money for buses comes from a regional climate fund.",
    "My neighbour's cat likes to sleep on the warm roof of our garage.",
    "Under the approved plan, the city will buy new electric buses for public transport.",
    "Opposition councillors criticised the budget, saying ticket prices will still rise.",
    "The mayor called the vote a turning point for public transport in the city.",
    "The first of the new buses should arrive in the spring.",
]
# Same story in Polish, inflected forms (budżet/budżetu, autobusy/autobusów); unit 3 off-topic,
# unit 2 a quote spanning two sentences (one unit, never cut).
PL = [
    "Rada miasta zatwierdziła we wtorek nowy budżet na transport publiczny.",
    "Budżet przewiduje zakup dwudziestu nowych autobusów elektrycznych w przyszłym roku.",
    "„To przełomowy dzień dla komunikacji miejskiej. Nowe autobusy zmienią miasto” – powiedział prezydent.",
    "Mój sąsiad hoduje na balkonie pomidory i bazylię.",
    "Zgodnie z zatwierdzonym planem miasto kupi nowe elektryczne autobusy dla transportu publicznego.",
    "Radni opozycji skrytykowali budżet, twierdząc, że ceny biletów i tak wzrosną.",
    "Pierwsze nowe autobusy mają przyjechać wiosną.",
]


def _lt_units() -> list[str]:
    text = (FIXTURES / "lt_news.txt").read_text(encoding="utf-8").strip()
    return re.split(r"(?<=\.)\s+(?=[A-ZĄČĘĖĮŠŲŪŽ„])", text)


def _tatoeba() -> list[str]:
    return (FIXTURES / "tatoeba_eng_200.txt").read_text(encoding="utf-8").splitlines()


# ---------------------------------------------------------------- extractive: behaviour


def test_follows_the_summarizer_protocol() -> None:
    assert isinstance(CentralitySummarizer(), Summarizer)


@pytest.mark.parametrize(("units", "lang"), [(EN, "en"), (PL, "pl")])
def test_central_units_win_and_off_topic_loses(units: list[str], lang: Any) -> None:
    summarizer = CentralitySummarizer()
    scores = summarizer.scores(units)
    assert int(scores.argmin()) == 3  # the off-topic sentence
    result = summarizer.summarize(units, lang, max_sentences=3)
    assert 3 not in result.picked
    assert {0, 4} <= set(result.picked)  # the statement and its paraphrase


def test_centrality_beats_lead_prior_without_it_too() -> None:
    # Move the off-topic sentence to the front: the lead prior must not rescue it.
    units = [EN[3], *EN[:3], *EN[4:]]
    for weight in (0.0, 0.3):
        result = CentralitySummarizer(position_weight=weight).summarize(units, "en", max_sentences=3)
        assert 0 not in result.picked


def test_text_is_picked_units_in_document_order_joined_by_one_space() -> None:
    result = CentralitySummarizer().summarize(PL, "pl", max_sentences=4)
    assert result.picked == sorted(result.picked)
    assert result.text == " ".join(PL[i] for i in result.picked)


def test_multi_sentence_quote_unit_stays_whole() -> None:
    summarizer = CentralitySummarizer()
    for k in range(1, len(PL) + 1):
        result = summarizer.summarize(PL, "pl", max_sentences=k)
        if 2 in result.picked:
            assert PL[2] in result.text
        # No unit ever appears partially.
        rest = result.text
        for i in result.picked:
            assert rest.startswith(PL[i])
            rest = rest[len(PL[i]):].lstrip(" ")
        assert rest == ""


def test_lithuanian_sample() -> None:
    units = _lt_units()
    assert len(units) == 4
    result = CentralitySummarizer().summarize(units, "lt", max_sentences=2)
    assert len(result.picked) == 2
    assert result.text == " ".join(units[i] for i in result.picked)


@pytest.mark.parametrize("k", range(1, len(EN) + 1))
def test_max_sentences_is_exact(k: int) -> None:
    result = CentralitySummarizer().summarize(EN, "en", max_sentences=k)
    assert len(result.picked) == k


@pytest.mark.parametrize(("ratio", "expected"),
                         [(0.01, 1), (0.1, 1), (0.25, 2), (0.3, 3), (0.5, 4), (1.0, 8)])
def test_ratio_rounds_up_with_at_least_one(ratio: float, expected: int) -> None:
    assert len(CentralitySummarizer().summarize(EN, "en", ratio=ratio).picked) == expected


def test_length_rules() -> None:
    assert summary_length(8, None, None) == 3
    assert summary_length(8, 5, 0.25) == 2  # the smaller wins
    assert summary_length(8, 2, 0.9) == 2
    assert summary_length(2, 10, None) == 2
    assert summary_length(0, 3, 0.5) == 0
    for bad in ({"max_sentences": 0}, {"ratio": 0.0}, {"ratio": 1.5}):
        with pytest.raises(ValueError):
            CentralitySummarizer().summarize(EN, "en", **bad)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_short_input_is_returned_as_is(n: int) -> None:
    units = EN[:n]
    result = CentralitySummarizer().summarize(units, "en")
    assert result == SummaryResult(text=" ".join(units), picked=list(range(n)))


def test_tweet_summary_is_never_longer_than_the_tweet() -> None:
    tweet = ["⚠️ KOMUNIKAT | W nocy zatrzymano 23 osoby.", "Apelujemy o spokój. #granica"]
    for k in (1, 2, 5):
        result = CentralitySummarizer().summarize(tweet, "pl", max_sentences=k)
        assert len(result.text) <= len(" ".join(tweet))


def test_deterministic_and_ties_go_to_the_earlier_unit() -> None:
    summarizer = CentralitySummarizer()
    assert summarizer.summarize(EN, "en") == summarizer.summarize(list(EN), "en")
    same = ["Exactly the same sentence here."] * 5
    flat = CentralitySummarizer(position_weight=0.0)
    assert flat.summarize(same, "en", max_sentences=2).picked == [0, 1]


def test_near_duplicate_is_not_picked_twice_when_alternatives_exist() -> None:
    units = [*EN, EN[0]]  # the lead repeated verbatim at the end
    result = CentralitySummarizer().summarize(units, "en", max_sentences=3)
    assert not {0, len(EN)} <= set(result.picked)


def test_degenerate_inputs() -> None:
    summarizer = CentralitySummarizer()
    assert summarizer.summarize([], "en") == SummaryResult(text="", picked=[])
    only_emoji = ["🎉🎉", "👍🏽", "🇵🇱", "👩‍👩‍👧"]
    result = summarizer.summarize(only_emoji, "pl", max_sentences=2)
    assert len(result.picked) == 2
    mixed = ["🎉🎉", EN[0], "👍 🇵🇱", EN[4], "", EN[1]]
    result = summarizer.summarize(mixed, "en", max_sentences=3)
    assert result.picked == [1, 3, 5]  # word units are preferred to emoji-only or empty ones


@pytest.mark.parametrize("n_units", [1000, 2600])  # dense graph, then sparse top-k graph
def test_large_documents_keep_a_bounded_graph(n_units: int) -> None:
    lines = _tatoeba()
    units = [f"{lines[i % 200]} {lines[(7 * i + 3) % 200]}" for i in range(n_units)]
    summarizer = CentralitySummarizer()
    result = summarizer.summarize(units, "en", ratio=0.01)
    assert len(result.picked) == math.ceil(0.01 * n_units)
    assert len(set(result.picked)) == len(result.picked)
    _, vectors = summarizer._rank(units)
    assert vectors is not None
    graph = summarizer._similarity(vectors)
    if n_units <= summarizer.dense_limit:
        assert isinstance(graph, np.ndarray) and graph.shape == (n_units, n_units)
    else:  # memory grows with n * top_k, not n^2: each unit keeps its top_k neighbours (both directions)
        assert sparse.issparse(graph)
        assert 0 < graph.nnz <= 2 * n_units * summarizer.top_k < n_units * n_units // 10


# ---------------------------------------------------------------- abstractive: a tiny real model


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1+1-layer Marian model with random weights and a SentencePiece vocabulary trained on
    200 Tatoeba sentences, saved the way a hub checkpoint is."""
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    work = tmp_path_factory.mktemp("tiny_seq2seq")
    spm.SentencePieceTrainer.train(
        input=str(FIXTURES / "tatoeba_eng_200.txt"), model_prefix=str(work / "sp"), vocab_size=300,
        model_type="unigram", character_coverage=1.0, bos_id=-1, eos_id=-1, pad_id=-1, unk_id=0,
        minloglevel=2, num_threads=1)
    processor = spm.SentencePieceProcessor(model_file=str(work / "sp.model"))
    vocab = {"</s>": 0, "<unk>": 1}
    for i in range(processor.get_piece_size()):
        vocab.setdefault(processor.id_to_piece(i), len(vocab))
    vocab["<pad>"] = len(vocab)
    (work / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    for name in ("source.spm", "target.spm"):
        shutil.copy(work / "sp.model", work / name)
    tokenizer = MarianTokenizer(source_spm=str(work / "source.spm"), target_spm=str(work / "target.spm"),
                                vocab=str(work / "vocab.json"), model_max_length=64)
    size = len(vocab)
    torch.manual_seed(0)
    config = MarianConfig(
        vocab_size=size, d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64,
        pad_token_id=size - 1, eos_token_id=0, decoder_start_token_id=size - 1, forced_eos_token_id=0)
    out = work / "model"
    MarianMTModel(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


class _GenerateSpy:
    """Records what the model is asked to generate; the real generate still runs."""

    def __init__(self, model: Any) -> None:
        self.calls: list[dict[str, Any]] = []
        self._generate = model.generate

    def __call__(self, **kwargs: Any) -> Any:
        output = self._generate(**kwargs)
        self.calls.append({"input_len": kwargs["input_ids"].shape[1],
                           "max_new_tokens": kwargs["max_new_tokens"], "output": output})
        return output


def _spy(summarizer: Seq2SeqSummarizer, monkeypatch: pytest.MonkeyPatch) -> _GenerateSpy:
    spy = _GenerateSpy(summarizer.model)
    monkeypatch.setattr(summarizer.model, "generate", spy)
    return spy


def test_abstractive_loads_lazily_and_follows_the_protocol(tmp_path: Path) -> None:
    summarizer = Seq2SeqSummarizer(tmp_path / "no-such-model")  # nothing loaded yet: no error
    assert isinstance(summarizer, Summarizer)
    with pytest.raises(OSError):
        summarizer.summarize(["A sentence."], "en")


def test_abstractive_short_document(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summarizer = Seq2SeqSummarizer(tiny_model, num_beams=2, ratio=0.5, min_new_tokens=2)
    spy = _spy(summarizer, monkeypatch)
    units = _tatoeba()[:3]
    result = summarizer.summarize(units, "en")
    assert result.picked is None and isinstance(result.text, str) and result.text
    [call] = spy.calls
    doc_tokens = call["input_len"] - 1  # minus </s>
    assert call["max_new_tokens"] == min(max(math.ceil(0.5 * doc_tokens), 2), doc_tokens)
    # decoder start token + at most max_new_tokens new ones
    assert call["output"].shape[1] <= call["max_new_tokens"] + 1


def test_abstractive_ratio_bounds_generation(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summarizer = Seq2SeqSummarizer(tiny_model, num_beams=1, min_new_tokens=1)
    spy = _spy(summarizer, monkeypatch)
    units = _tatoeba()[10:14]
    summarizer.summarize(units, "en", ratio=0.1)
    summarizer.summarize(units, "en", ratio=0.9)
    small, large = spy.calls
    assert small["max_new_tokens"] < large["max_new_tokens"] < large["input_len"]


def test_abstractive_long_document_is_chunked_not_truncated(
        tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summarizer = Seq2SeqSummarizer(tiny_model, num_beams=1, min_new_tokens=3, max_new_tokens=12)
    units = _tatoeba()[:40]
    chunks = summarizer.chunks(units, "en")
    assert len(chunks) > 1
    assert " ".join(chunks) == " ".join(units)  # everything, in order, cut only between units
    limit = summarizer.max_input_tokens
    assert limit == 64
    spy = _spy(summarizer, monkeypatch)
    result = summarizer.summarize(units, "en")
    assert len(spy.calls) == len(chunks)
    assert all(call["input_len"] <= limit for call in spy.calls)
    # Each chunk gets a proportional share of the 12-token budget, but at least 3 tokens.
    assert all(3 <= call["max_new_tokens"] <= 12 for call in spy.calls)
    assert sum(call["max_new_tokens"] for call in spy.calls) <= 12 + 3 * len(chunks)
    assert result.text


def test_abstractive_unit_longer_than_the_limit_is_split(tiny_model: Path) -> None:
    summarizer = Seq2SeqSummarizer(tiny_model, max_input_tokens=16)
    long_unit = " ".join(_tatoeba()[:12])
    chunks = summarizer.chunks([long_unit, "Short one."], "en")
    assert len(chunks) > 2
    assert " ".join(chunks).split() == f"{long_unit} Short one.".split()
    assert all(len(summarizer.tokenizer(c)["input_ids"]) <= 16 for c in chunks)


def test_abstractive_is_deterministic_and_thread_safe(tiny_model: Path) -> None:
    summarizer = Seq2SeqSummarizer(tiny_model, num_beams=3, min_new_tokens=2, max_new_tokens=6)
    units = _tatoeba()[20:26]
    first = summarizer.summarize(units, "en")
    assert summarizer.summarize(units, "en") == first
    results: list[SummaryResult] = []
    threads = [threading.Thread(target=lambda: results.append(summarizer.summarize(units, "en")))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [first] * 3


def test_abstractive_degenerate_and_invalid_input(tiny_model: Path) -> None:
    summarizer = Seq2SeqSummarizer(tiny_model)
    assert summarizer.summarize([], "en") == SummaryResult(text="", picked=None)
    assert summarizer.summarize(["  ", ""], "pl") == SummaryResult(text="", picked=None)
    with pytest.raises(ValueError):
        summarizer.summarize(["A sentence."], "en", ratio=0)
    with pytest.raises(ValueError):
        Seq2SeqSummarizer(tiny_model, num_beams=0)
    with pytest.raises(ValueError):
        Seq2SeqSummarizer(tiny_model, generate_kwargs={"max_length": 5})
