"""CTranslate2 backend: same output as transformers on the same weights, cached conversion."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from tests.conftest import fresh_python
from translators.base import UnsupportedPair
from translators.ct2 import CTranslate2Translator, convert_pair, ensure_converted
from translators.ct2_convert import conversion_dir
from translators.marian import DecodeOptions, MarianTranslator
from translators.registry import REGISTRY, ResolvedModel, resolve
from translators.testing import build_marian

FIXTURE = Path(__file__).parent / "fixtures" / "tatoeba_pl_en_240.tsv"
ROWS = [line.split("\t") for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
PL = [r[0] for r in ROWS]
EN = [r[1] for r in ROWS]
SAMPLE = [*PL[:6], "Tak.", PL[50] + " " + PL[51]]


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    build_marian(root / "pl-en", PL, EN, num_beams=2, max_length=32)
    build_marian(root / "en-pl", EN, PL, num_beams=2, max_length=32, prefix=">>pol<< ", seed=3)
    return root


def _pair(tiny_models: Path, options: DecodeOptions | None = None, source: str = "pl", target: str = "en",
          texts: list[str] = SAMPLE) -> tuple[list, list]:
    marian = MarianTranslator(tiny_models, device="cpu", options=options)
    ct2 = CTranslate2Translator(tiny_models, device="cpu", options=options, compute_type="float32")
    return marian.translate_batch(texts, source, target), ct2.translate_batch(texts, source, target)


@pytest.mark.parametrize("beams", [1, None, 4], ids=["greedy", "model-beams", "beams4"])
def test_float32_output_identical_to_transformers(tiny_models: Path, beams: int | None) -> None:
    expected, got = _pair(tiny_models, DecodeOptions(num_beams=beams, batch_size=4))
    assert [t.text for t in got] == [t.text for t in expected]
    assert any(t.text for t in got)


def test_multi_target_prefix_used_like_transformers(tiny_models: Path) -> None:
    expected, got = _pair(tiny_models, source="en", target="pl", texts=EN[:5])
    assert [t.text for t in got] == [t.text for t in expected]


def test_over_long_input_is_split_not_truncated(tiny_models: Path) -> None:
    long = " ".join(PL[:6])
    options = DecodeOptions(max_input_tokens=8)
    expected, got = _pair(tiny_models, options, texts=[long, "Tak."])
    assert got[0].pieces > 1
    assert [t.pieces for t in got] == [t.pieces for t in expected]
    assert [t.text for t in got] == [t.text for t in expected]


def test_identity_names_backend_and_compute_type(tiny_models: Path) -> None:
    ct2 = CTranslate2Translator(tiny_models, device="cpu", compute_type="int8")
    ident = ct2.identity("pl", "en")
    marian_ident = MarianTranslator(tiny_models, device="cpu").identity("pl", "en")
    assert "ctranslate2" in ident.options and "int8" in ident.options
    assert ident.checksum == marian_ident.checksum  # same weights
    assert ident.key() != marian_ident.key()
    assert ident.key() != CTranslate2Translator(tiny_models, device="cpu", compute_type="float32").identity(
        "pl", "en").key()
    with pytest.raises(UnsupportedPair):
        ct2.translate_batch(["x"], "pl", "lt")


def test_conversion_is_cached_and_follows_the_weights(tmp_path: Path) -> None:
    build_marian(tmp_path / "pl-en", PL, EN, seed=1, max_length=32)
    first = CTranslate2Translator(tmp_path, device="cpu", compute_type="float32")
    first.translate_batch(["Tak."], "pl", "en")
    converted = first.convert("pl", "en")
    assert converted.parent == tmp_path / "pl-en" and converted.name.startswith("ct2-float32-")
    stamp = (converted / "model.bin").stat().st_mtime_ns

    second = CTranslate2Translator(tmp_path, device="cpu", compute_type="float32")
    second.translate_batch(["Tak."], "pl", "en")
    assert second.convert("pl", "en") == converted
    assert (converted / "model.bin").stat().st_mtime_ns == stamp  # not converted again

    build_marian(tmp_path / "pl-en", PL, EN, seed=2, max_length=32)  # new weights under the same name
    third = CTranslate2Translator(tmp_path, device="cpu", compute_type="float32")
    assert third.identity("pl", "en").checksum != first.identity("pl", "en").checksum
    assert third.convert("pl", "en") != converted
    expected = MarianTranslator(tmp_path, device="cpu").translate_batch(SAMPLE[:4], "pl", "en")
    assert [t.text for t in third.translate_batch(SAMPLE[:4], "pl", "en")] == [t.text for t in expected]
    assert not list((tmp_path / "pl-en").glob(".ct2-*"))  # no temporary folders left behind


@pytest.mark.parametrize("leftover", [[], ["config.json"]], ids=["empty", "without-weights"])
def test_a_leftover_conversion_folder_is_replaced(tmp_path: Path, leftover: list[str]) -> None:
    build_marian(tmp_path / "pl-en", PL, EN, seed=1, max_length=32)
    translator = CTranslate2Translator(tmp_path, device="cpu", compute_type="float32")
    final = conversion_dir(resolve("pl", "en", tmp_path), "float32")
    final.mkdir(parents=True)
    for name in leftover:
        (final / name).write_text("{}", encoding="utf-8")
    assert translator.convert("pl", "en") == final and (final / "model.bin").is_file()
    expected = MarianTranslator(tmp_path, device="cpu").translate_batch(SAMPLE[:3], "pl", "en")
    assert [t.text for t in translator.translate_batch(SAMPLE[:3], "pl", "en")] == [t.text for t in expected]


def test_hub_snapshot_converts_into_cache_once_under_concurrency(tiny_models: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    local = resolve("pl", "en", tiny_models)
    hub = ResolvedModel(REGISTRY["pl-en"], local.path, "Helsinki-NLP/opus-mt-pl-en", "0123abcd",
                        "0123abcd", "")
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(ensure_converted(hub, "int8")))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results[0] == results[1]
    assert results[0].parent == tmp_path / "cache" / "newsbridge" / "ct2"
    assert (results[0] / "model.bin").is_file()
    assert [p.name for p in results[0].parent.iterdir()] == [results[0].name]


def test_a_converted_folder_serves_as_the_pair_folder(tiny_models: Path, tmp_path: Path) -> None:
    converted = convert_pair("pl-en", tiny_models, "float32")
    shutil.copytree(converted, tmp_path / "pl-en")
    expected = CTranslate2Translator(tiny_models, device="cpu", compute_type="float32")
    ct2_only = CTranslate2Translator(tmp_path, device="cpu", compute_type="float32")
    got = ct2_only.translate_batch(SAMPLE, "pl", "en")
    assert [t.text for t in got] == [t.text for t in expected.translate_batch(SAMPLE, "pl", "en")]
    assert not list((tmp_path / "pl-en").glob("ct2-*"))  # used in place, not converted again


CONVERT_IN_CHILD = """
import json, sys
from pathlib import Path
from translators import ct2_convert
from translators.registry import resolve
models, broken = Path(sys.argv[1]), Path(sys.argv[2])
ct2_convert._CONVERTER = ct2_convert.ConverterChild(idle=2.0)
out = {}
for pair in ("pl-en", "en-pl"):
    source, _, target = pair.partition("-")
    out[pair] = str(ct2_convert.ensure_converted(resolve(source, target, models), "int8"))
try:
    ct2_convert.ensure_converted(resolve("pl", "en", broken), "int8")
except RuntimeError as exc:
    out["broken"] = str(exc)
out["children"] = ct2_convert._CONVERTER.started
child = ct2_convert._CONVERTER._proc
out["alive"] = child is not None and child.poll() is None
import time
time.sleep(3.0)  # idle for longer than 2 s: the child is told to end...
child.wait(timeout=60)  # ...and does (an interpreter with torch takes a moment to exit)
out["ended"] = ct2_convert._CONVERTER._proc is None and child.returncode == 0
out["torch"] = "torch" in sys.modules
print("RESULT " + json.dumps(out))
"""


def test_a_process_without_torch_converts_every_pair_in_one_child(tiny_models: Path, tmp_path: Path) -> None:
    """A server on CTranslate2 converts in a child process (libtorch never maps into it), one child
    for all its pairs: torch and transformers are imported once, not once per pair. A folder that
    does not convert is an error naming the cause, and the child carries on."""
    import json

    models, broken = tmp_path / "models", tmp_path / "broken"
    for pair in ("pl-en", "en-pl"):
        shutil.copytree(tiny_models / pair, models / pair, ignore=shutil.ignore_patterns("ct2-*"))
    shutil.copytree(tiny_models / "pl-en", broken / "pl-en", ignore=shutil.ignore_patterns("ct2-*"))
    (broken / "pl-en" / "model.safetensors").write_bytes(b"not weights")
    done = fresh_python(CONVERT_IN_CHILD, str(models), str(broken), cwd=tmp_path, timeout=600,
                        env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    out = json.loads(next(x for x in done.stdout.splitlines() if x.startswith("RESULT ")).removeprefix("RESULT "))
    assert out["torch"] is False
    for pair in ("pl-en", "en-pl"):
        assert (Path(out[pair]) / "model.bin").is_file()
    assert out["broken"].startswith("conversion to CTranslate2 failed: ")
    assert out["children"] == 1
    assert out["alive"] and out["ended"]  # kept between conversions, ended once idle
