"""py3langid's model unpacked once into the user cache gives the same identifier as py3langid's
own loader, and a damaged or unwritable cache falls back to that loader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from translators.text.langid_model import cache_path, load_identifier

TEXTS = ["Premier zwołał posiedzenie rządu", "Vyriausybė posėdžiavo Vilniuje", "The cabinet met on Monday",
         "Der Bundestag tagt heute", "ąęłńśźż", "a"]


@pytest.fixture(scope="module")
def reference() -> LanguageIdentifier:
    return LanguageIdentifier.from_modelpath(Path(MODEL_DIR) / MODEL_FILE, norm_probs=True)


def _same(ours: LanguageIdentifier, reference: LanguageIdentifier) -> None:
    assert ours.nb_classes == reference.nb_classes and len(ours.nb_classes) > 100
    np.testing.assert_array_equal(ours.nb_ptc, reference.nb_ptc)
    assert ours.tk_nextmove == reference.tk_nextmove and ours.tk_row == reference.tk_row
    assert ours.tk_output == reference.tk_output
    for text in TEXTS:
        assert ours.rank(text) == reference.rank(text)


def test_the_cached_model_is_py3langids_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            reference: LanguageIdentifier) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached = cache_path(Path(MODEL_DIR) / MODEL_FILE)
    assert not cached.exists()
    _same(load_identifier(), reference)  # unpacks into the cache
    assert cached.is_dir() and cached.is_relative_to(tmp_path)
    files = {p.name: p.stat().st_mtime_ns for p in cached.iterdir()}
    assert {"ptc.npy", "pc.npy", "classes.npy", "out_feat.npy"} <= set(files) and len(files) == 6
    _same(load_identifier(), reference)  # reads it
    assert {p.name: p.stat().st_mtime_ns for p in cached.iterdir()} == files
    assert [p.name for p in cached.parent.iterdir()] == [cached.name]  # no temporary folder left


@pytest.mark.parametrize("damage", ["garbage table", "truncated words", "missing words"])
def test_a_damaged_cache_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   reference: LanguageIdentifier, damage: str,
                                   caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_identifier()
    cached = cache_path(Path(MODEL_DIR) / MODEL_FILE)
    (words,) = cached.glob("nextmove.?")
    if damage == "garbage table":
        (cached / "ptc.npy").write_bytes(b"not an npy")
    elif damage == "truncated words":
        words.write_bytes(words.read_bytes()[:-1])
    else:
        words.unlink()
    with caplog.at_level("INFO", logger="translators.text.langid_model"):
        _same(load_identifier(), reference)
    assert "py3langid model cache not used" in caplog.text


def test_an_unwritable_cache_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       reference: LanguageIdentifier) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    _same(load_identifier(), reference)
