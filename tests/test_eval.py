"""``newsbridge eval`` on the tiny models: the scores are sacrebleu's on the very outputs, every
compared setting saw identical inputs, and the outputs are the pipeline's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sacrebleu.metrics import BLEU, CHRF, TER
from typer.testing import CliRunner

from service.cli import app as cli
from service.engines import build_engines
from service.evaluation import EvalProblem, parse_setting
from service.pipeline.flow import Document
from service.settings import Settings
from tests.conftest import corpus

N = 10


@pytest.fixture
def test_set(tmp_path: Path) -> tuple[Path, Path, list[str], list[str]]:
    sources = [*corpus("pl")[:N], "", "Rzecznik: https://example.com/komunikat @MSWiA_GOV_PL"]  # a blank line too
    references = [*corpus("en")[:N], "", "Spokesman: https://example.com/komunikat @MSWiA_GOV_PL"]
    src, ref = tmp_path / "src.pl", tmp_path / "ref.en"
    src.write_text("\n".join(sources) + "\n", encoding="utf-8")
    ref.write_text("\n".join(references) + "\n", encoding="utf-8")
    return src, ref, sources, references


def _eval(model_dir: Path, *args: str) -> tuple[int, str]:
    out = CliRunner().invoke(cli, ["eval", *args], env={"NEWSBRIDGE_MODEL_DIR": str(model_dir),
                                                         "NEWSBRIDGE_CACHE_ENABLED": "true"})
    return out.exit_code, out.stdout


def test_scores_are_sacrebleus_on_the_same_inputs(model_dir: Path, test_set, tmp_path: Path) -> None:
    src, ref, sources, references = test_set
    code, out = _eval(model_dir, "--pair", "pl-en", "--src", str(src), "--ref", str(ref), "--json",
                      "--compare", "ct2:int8", "ct2:float32", "transformers", "fast")
    assert code == 0, out
    report = json.loads(out)
    results = report["results"]
    assert [r["setting"] for r in results] == ["ct2:int8", "ct2:float32", "transformers", "fast"]
    assert [(r["backend"], r["compute_type"], r["quality"]) for r in results] == [
        ("ctranslate2", "int8", "best"), ("ctranslate2", "float32", "best"), ("transformers", None, "best"),
        ("ctranslate2", "int8", "fast")]  # a bare tier runs on the default backend
    assert report["segments"] == N + 1 and report["same_inputs"] is True
    digests = {r["inputs_sha256"] for r in results}
    assert len(digests) == 1 and all(r["model_inputs"] >= N + 1 for r in results)  # each saw the same texts
    for r in results:
        hyps = r["hypotheses"]
        assert len(hyps) == len(references) and hyps[N] == "" and all(h for i, h in enumerate(hyps) if i != N)
        for name, metric in (("bleu", BLEU()), ("chrf", CHRF()), ("ter", TER())):
            assert r["scores"][name] == metric.corpus_score(hyps, [references]).score
            assert r["signatures"][name] == str(metric.get_signature())
        assert r["segments_per_s"] > 0 and r["errors"] == []
        assert "https://example.com/komunikat" in hyps[-1] and "@MSWiA_GOV_PL" in hyps[-1]  # protection ran
    assert results[3]["models"]["pl-en"] == ["local:pl-en.fast@local (fast)"]
    assert results[2]["models"]["pl-en"] == ["local:pl-en@local (quality)"]
    # the hypotheses are what the pipeline gives, uncached, for the same documents
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", model_dir=model_dir, cache_enabled=False)
    pipeline = build_engines(settings, coalesce=False).pipeline
    direct = pipeline.translate_documents([Document(s, "pl", "en", quality="fast") for s in sources if s])
    assert [d.translation_text for d in direct] == [h for h in results[3]["hypotheses"] if h]
    assert report["comet"].startswith("not computed")  # optional, never required


def test_the_table_names_scores_signatures_and_throughput(model_dir: Path, test_set) -> None:
    src, ref, _, _ = test_set
    code, out = _eval(model_dir, "--pair", "pl-en", "--src", str(src), "--ref", str(ref), "--compare", "best",
                      "--compare", "fast")
    assert code == 0, out
    header = next(line for line in out.splitlines() if line.startswith("setting"))
    assert header.split()[:6] == ["setting", "BLEU", "chrF", "TER", "seg/s", "chars/s"]
    rows = [line.split()[0] for line in out.splitlines() if line.startswith(("best ", "fast "))]
    assert rows == ["best", "fast"]
    for name, metric in (("bleu", BLEU()), ("ter", TER())):
        metric.corpus_score(["a"], [["a"]])  # a signature names the number of references: score once
        assert f"{name}: {metric.get_signature()}" in out
    assert "(identical for every setting)" in out


def test_bad_test_sets_and_settings_exit_2(model_dir: Path, test_set, tmp_path: Path) -> None:
    src, ref, _, _ = test_set
    short = tmp_path / "short.en"
    short.write_text("One line.\n", encoding="utf-8")
    code, _ = _eval(model_dir, "--pair", "pl-en", "--src", str(src), "--ref", str(short))
    assert code == 2
    code, _ = _eval(model_dir, "--pair", "pl-en", "--src", str(src), "--ref", str(ref), "--compare", "ct2:int3")
    assert code == 2
    code, _ = _eval(model_dir, "--pair", "pl-de", "--src", str(src), "--ref", str(ref))
    assert code == 2
    base = Settings()
    assert parse_setting("fast+ct2:int8", base).describe() == "ctranslate2 int8, fast tier"
    with pytest.raises(EvalProblem, match="twice"):
        parse_setting("fast+best", base)
