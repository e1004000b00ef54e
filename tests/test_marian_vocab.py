"""MarianVocab (sentencepiece + the vocabulary files, no transformers) gives exactly the token ids
and the text of transformers' own MarianTokenizer: on the tiny models, on real news text, with the
``>>pol<<`` target token, literal special tokens, separate vocabularies and flagged added tokens."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transformers import MarianTokenizer

from tests.conftest import PAIRS, SAMPLES, corpus
from translators.marian_vocab import MarianVocab

EDGE_CASES = [
    "", " ", "   ", "\t\n", "Tak.", "  lead and trail  ", "tab\tnew\nline", "NBSP\u00a0here", "„Cytat” – myślnik…",
    "Emoji 🇵🇱 👩‍👩‍👧 and 漢字 (not in the vocabulary)", "a</s>b<unk> c <pad>", "</s>", "<pad><pad>", "x</s>",
    ">>pol<<", ">>pol<< Premier zwołał posiedzenie rządu.", ">>pol<<Premier", ">> pol << x", ">>pol<< >>lit<< x",
    "x >>pol<< y", ">>pol", "<<pol>>", ">><<", "Straż Graniczna zatrzymała 23 osoby 12.11.2021 r. o 14:30.",
    "https://example.com/a?b=c #hashtag @handle", "ŽŪKLĖ ąčęėįšųūž", "\u200b\u200d zero width", "ﬁ ligature ①",
]


def real_text() -> list[str]:
    lines = [*corpus("pl")[:80], *corpus("lt")[:80], *corpus("en")[:80]]
    for name in ("pl_ministry_tweet.txt", "lt_news.txt"):
        lines += [p for p in (SAMPLES / name).read_text(encoding="utf-8").split("\n") if p.strip()]
    return lines


def both(folder: Path) -> tuple[MarianTokenizer, MarianVocab]:
    return MarianTokenizer.from_pretrained(folder), MarianVocab.from_folder(folder)


def assert_same_ids(ref: MarianTokenizer, mine: MarianVocab, texts: list[str]) -> None:
    assert texts
    for text in texts:
        assert mine(text).input_ids == ref(text).input_ids, text
        assert mine.tokenize(text) == ref.tokenize(text), text
    assert mine(texts).input_ids == ref(texts).input_ids


def assert_same_decoding(ref: MarianTokenizer, mine: MarianVocab, seed: int = 0) -> None:
    rng = random.Random(seed)
    size = len(ref)
    assert len(mine) == size and mine.get_vocab() == ref.get_vocab()
    specials = ref.all_special_ids
    for _ in range(300):
        ids = [rng.choice(specials) if rng.random() < 0.1 else rng.randrange(size) for _ in range(rng.randint(0, 24))]
        assert mine.convert_ids_to_tokens(ids) == ref.convert_ids_to_tokens(ids)
        for skip in (True, False):
            assert mine.decode(ids, skip_special_tokens=skip) == ref.decode(ids, skip_special_tokens=skip), ids
    for text in real_text()[:40]:  # a round trip through real text
        ids = ref(text).input_ids
        assert mine.decode(ids, skip_special_tokens=True) == ref.decode(ids, skip_special_tokens=True)


@pytest.mark.parametrize("pair", PAIRS)
def test_tiny_models_tokenize_and_decode_like_transformers(model_dir: Path, pair: str) -> None:
    ref, mine = both(model_dir / pair)
    assert (mine.eos_token_id, mine.pad_token_id, mine.unk_token_id) == (ref.eos_token_id, ref.pad_token_id,
                                                                         ref.unk_token_id)
    assert mine.all_special_ids == ref.all_special_ids and mine.model_max_length == ref.model_max_length
    assert_same_ids(ref, mine, [*real_text(), *EDGE_CASES, *(">>pol<< " + t for t in real_text()[:40])])
    assert_same_decoding(ref, mine, seed=len(pair))


@pytest.fixture
def multi_target(model_dir: Path, tmp_path: Path) -> Path:
    """en->pl as OPUS-MT's multi-target models ship it: target-language tokens in the vocabulary."""
    folder = tmp_path / "en-zlw"
    shutil.copytree(model_dir / "en-pl", folder, ignore=shutil.ignore_patterns("ct2-*", "*.safetensors"))
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    pad = vocab.pop("<pad>")
    for code in (">>pol<<", ">>ces<<", ">>slk<<"):
        vocab[code] = len(vocab)
    vocab["<pad>"] = len(vocab)
    assert pad != vocab["<pad>"]
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    config["added_tokens_decoder"] = {str(vocab[t]): {"content": t, "lstrip": False, "normalized": False,
                                                      "rstrip": False, "single_word": False, "special": True}
                                      for t in ("</s>", "<unk>", "<pad>")}
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def test_the_target_language_token_is_one_id_like_transformers(multi_target: Path) -> None:
    ref, mine = both(multi_target)
    ids = mine(">>pol<< Premier zwołał posiedzenie rządu.").input_ids
    assert ids[0] == mine.get_vocab()[">>pol<<"] != mine.unk_token_id
    assert_same_ids(ref, mine, [">>pol<< " + t for t in real_text()] + [">>ces<<" + t for t in EDGE_CASES])
    assert_same_decoding(ref, mine, seed=3)


def test_a_folder_without_tokenizer_config_loads_like_transformers(model_dir: Path, tmp_path: Path) -> None:
    """Older OPUS-MT uploads: the spm models and vocab.json, a minimal tokenizer_config."""
    folder = tmp_path / "old"
    folder.mkdir()
    for name in ("source.spm", "target.spm", "vocab.json"):
        shutil.copy(model_dir / "pl-en" / name, folder / name)
    (folder / "tokenizer_config.json").write_text(json.dumps({"source_lang": "pl", "target_lang": "en"}))
    ref, mine = both(folder)
    assert_same_ids(ref, mine, [*real_text()[:60], *EDGE_CASES])
    assert_same_decoding(ref, mine, seed=5)


def test_separate_vocabularies_and_flagged_added_tokens(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "separate"
    shutil.copytree(model_dir / "pl-en", folder, ignore=shutil.ignore_patterns("ct2-*", "*.safetensors"))
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    target = {t: i for i, t in enumerate(reversed(list(vocab)))}  # another order: decoding must use it
    (folder / "target_vocab.json").write_text(json.dumps(target, ensure_ascii=False), encoding="utf-8")
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    config["separate_vocabs"] = True
    config["additional_special_tokens"] = ["<eop>", "<eod>"]
    config["added_tokens_decoder"][str(len(vocab))] = {"content": "<eop>", "lstrip": True, "normalized": False,
                                                       "rstrip": True, "single_word": False, "special": True}
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    ref, mine = both(folder)
    assert "<eop>" in mine.all_special_tokens and mine.all_special_ids == ref.all_special_ids
    assert_same_ids(ref, mine, [*real_text()[:60], *EDGE_CASES, "end <eop> next", "a<eop>b <eod> c", "<eod>x"])
    assert_same_decoding(ref, mine, seed=7)


_TEXT = st.text(alphabet=st.sampled_from(list("abcżółćęąśńźĄŽŪ .,;:!?'\"-–„”()0123456789<>/\n\t🇵🇱漢")), max_size=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXT)
def test_any_text_tokenizes_and_round_trips_like_transformers(model_dir: Path, text: str) -> None:
    ref, mine = _cached(model_dir / "pl-en")
    ids = ref(text).input_ids
    assert mine(text).input_ids == ids
    assert mine.decode(ids, skip_special_tokens=True) == ref.decode(ids, skip_special_tokens=True)


_LOADED: dict[Path, tuple[MarianTokenizer, MarianVocab]] = {}


def _cached(folder: Path) -> tuple[MarianTokenizer, MarianVocab]:
    if folder not in _LOADED:
        _LOADED[folder] = both(folder)
    return _LOADED[folder]
