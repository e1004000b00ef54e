"""``newsbridge batch``: real CLI on real files, error records, resuming after SIGKILL."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.batch.records import UsageProblem
from service.batch.runner import BatchOptions, run_batch
from service.cli import app
from service.engines import Engines, build_engines
from service.settings import Settings
from translators.cached import MemoryStore
from translators.testing import EchoTranslator, build_marian

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
ARCHIVE = FIXTURES / "samples" / "archive.jsonl"
CORPUS = FIXTURES / "corpus"


def corpus(lang: str) -> list[str]:
    return (CORPUS / f"{lang}.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def fast_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny Marian models, greedy and short, for pl-en and lt-en."""
    root = tmp_path_factory.mktemp("batch-models")
    for seed, pair in enumerate(("pl-en", "lt-en")):
        src, tgt = pair.split("-")
        build_marian(root / pair, corpus(src), corpus(tgt), seed=seed, spm_vocab=300, max_length=8,
                     num_beams=1)
    return root


@pytest.fixture
def env(tmp_path: Path, fast_models: Path) -> dict[str, str]:
    return {"NEWSBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'cache.db'}",
            "NEWSBRIDGE_MODEL_DIR": str(fast_models), "NEWSBRIDGE_INTRA_THREADS": "1", "HF_HUB_OFFLINE": "1"}


def echo_factory() -> Callable[[Settings], Engines]:
    def make(settings: Settings) -> Engines:
        return build_engines(settings.model_copy(update={"cache_enabled": True}), backend=EchoTranslator(),
                             store=MemoryStore(), coalesce=False)

    return make


def read_out(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.endswith(b"\n") or not raw
    return [json.loads(line) for line in raw.decode("utf-8").splitlines()]


def without_cache_fields(records: list[dict]) -> list[dict]:
    """Records without what depends on the cache's state: ``cached``, and a sentence's ``origin``
    (``cache`` or ``model``)."""
    out = []
    for r in records:
        r = {k: v for k, v in r.items() if k != "cached"}
        if "sentences" in r:
            r["sentences"] = [{k: v for k, v in s.items() if k not in ("cached", "origin")} for s in r["sentences"]]
        out.append(r)
    return out


def run(tmp_path: Path, source: Path | str, name: str = "out.jsonl", **kw: object) -> tuple[list[dict], int]:
    out = tmp_path / name
    report = run_batch(BatchOptions(str(source), str(out), progress="none", **kw), echo_factory(),  # type: ignore[arg-type]
                       settings=Settings())
    return read_out(out), report.exit_code


# ----------------------------------------------------------------------------- the real CLI


def test_messy_archive_one_record_per_line_with_errors_and_cache(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["batch", str(ARCHIVE), "--output", str(out), "--batch-records", "2"],
                                env=env)
    assert result.exit_code == 1, result.output  # some records are errors
    records = read_out(out)
    lines = ARCHIVE.read_text(encoding="utf-8").splitlines()
    assert len(records) == len(lines)
    assert [r["line"] for r in records] == list(range(1, len(lines) + 1))
    assert [r["id"] for r in records] == ["pl-001", "pl-002", "lt-001", "lt-002", "en-001", "pl-003",
                                          "empty-001", "broken-001", "de-001", "pl-004", "mixed-001"]
    errors = {r["id"]: r["error"]["type"] for r in records if "error" in r}
    assert errors == {"empty-001": "empty_text", "broken-001": "invalid_json",
                      "de-001": "unsupported_language"}
    by_id = {r["id"]: r for r in records}
    # pl-003 repeats pl-001 in a later chunk: served from the cache, same translation
    assert by_id["pl-003"]["translation"] == by_id["pl-001"]["translation"]
    assert by_id["pl-003"]["cached"]["hits"] > 0 and by_id["pl-003"]["cached"]["misses"] == 0
    assert by_id["pl-001"]["cached"]["hits"] == 0
    assert by_id["lt-001"]["source_lang"] == "lt" and by_id["en-001"]["source_lang"] == "en"
    texts = {json.loads(x)["id"]: json.loads(x)["text"] for x in lines if x.endswith("}")}
    for r in records:
        if "error" not in r:  # source spans index the record's own text
            assert r["sentences"], r
            for s in r["sentences"]:
                assert texts[r["id"]][s["source"]["start"]:s["source"]["end"]] == s["source"]["text"]
    assert "11 records" in result.stderr and "3 errors" in result.stderr and "from cache" in result.stderr


def test_stdin_to_output(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "out.jsonl"
    data = "\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False)
                     for i, t in enumerate(corpus("pl")[:3])) + "\n"
    result = CliRunner().invoke(app, ["batch", "-", "-o", str(out)], input=data, env=env)
    assert result.exit_code == 0, result.output
    assert [(r["id"], r["source_lang"]) for r in read_out(out)] == [("0", "pl"), ("1", "pl"), ("2", "pl")]


def test_usage_errors_exit_2(tmp_path: Path, env: dict[str, str]) -> None:
    runner = CliRunner()
    out = str(tmp_path / "o.jsonl")
    missing = runner.invoke(app, ["batch", str(tmp_path / "nope.jsonl"), "-o", out], env=env)
    assert missing.exit_code == 2 and "not found" in missing.stderr
    (tmp_path / "a.csv").write_text("id,body\n1,Dzień dobry.\n", encoding="utf-8")
    no_column = runner.invoke(app, ["batch", str(tmp_path / "a.csv"), "-o", out], env=env)
    assert no_column.exit_code == 2 and "--text-column" in no_column.stderr
    assert not (tmp_path / "o.jsonl").exists()
    bad_lang = runner.invoke(app, ["batch", str(ARCHIVE), "-o", out, "-t", "de"], env=env)
    assert bad_lang.exit_code == 2


# ----------------------------------------------------------------------------- readers (echo engine)


def test_csv_with_named_columns(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text('doc,body,language\n'
                   'a,"Dzień dobry, panie.",pl\n'
                   'b,"Pierwsze zdanie.\nDrugie zdanie.",\n'
                   'c,Guten Tag,de\n'
                   'd,za,du,zo\n'
                   ',Labas rytas.,lt\n', encoding="utf-8")
    records, code = run(tmp_path, src, id_column="doc", text_column="body", lang_column="language")
    assert code == 1
    assert [(r["id"], r["line"]) for r in records] == [("a", 2), ("b", 3), ("c", 5), ("d", 6), ("line-7", 7)]
    assert records[0]["translation"].startswith("[en] ")
    assert records[1]["sentences"][1]["source"]["text"] == "Drugie zdanie."
    assert records[2]["error"]["type"] == "unsupported_language"
    assert records[3]["error"]["type"] == "invalid_record"
    assert records[4]["source_lang"] == "lt" and any("line-7" in w for w in records[4]["warnings"])


def test_folder_of_txt_and_html_recursive_sorted(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "b.txt").write_text("Premier zwołał posiedzenie rządu.", encoding="utf-8")
    (root / "sub" / "a.html").write_text("<p>Lietuvos kariuomenė perkelia pajėgas.</p>", encoding="utf-8")
    (root / "a.txt").write_bytes(b"\xff\xfe broken \x80")
    (root / "notes.md").write_text("ignored", encoding="utf-8")
    records, code = run(tmp_path, root)
    assert code == 1
    assert [r["id"] for r in records] == ["a.txt", "b.txt", "sub/a.html"]
    assert records[0]["error"]["type"] == "invalid_encoding"
    assert records[1]["translation"] == "[en] Premier zwołał posiedzenie rządu."
    html = records[2]
    assert html["format"] == "html" and html["translation"].startswith("<p>") and html["source_lang"] == "lt"


def test_gzip_matches_plain_and_summaries(tmp_path: Path) -> None:
    gz = tmp_path / "archive.jsonl.gz"
    gz.write_bytes(gzip.compress(ARCHIVE.read_bytes()))
    plain, _ = run(tmp_path, ARCHIVE, "plain.jsonl", summarize=True)
    zipped, code = run(tmp_path, gz, "gz.jsonl", summarize=True)
    assert code == 1 and zipped == plain and len(plain) == 11
    assert plain[0]["summary"]["summary"].startswith("[en] ")


def test_truncated_gzip_reports_where_it_broke(tmp_path: Path) -> None:
    gz = tmp_path / "cut.jsonl.gz"
    whole = gzip.compress(generated_archive(tmp_path / "gen.jsonl", 400).read_bytes())
    gz.write_bytes(whole[: len(whole) // 2])
    records, code = run(tmp_path, gz)
    assert code == 1 and 0 < len(records) < 400
    assert records[-1]["error"]["type"] == "broken_input" and "after line" in records[-1]["error"]["detail"]
    assert [r["id"] for r in records[:-1]] == [f"r{i}" for i in range(len(records) - 1)]
    again, _ = run(tmp_path, gz)  # a rerun finds it finished: nothing twice
    assert again == records


class PoisonTranslator(EchoTranslator):
    """Fails the whole model batch when one of its texts holds the word BOOM."""

    def translate_batch(self, texts, source, target, *, alignment=False):  # type: ignore[no-untyped-def]
        if any("BOOM" in t for t in texts):
            raise RuntimeError("CUDA error: device-side assert triggered")
        return super().translate_batch(texts, source, target, alignment=alignment)


def test_a_poison_record_fails_alone(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    texts = ["Premier zwołał posiedzenie rządu.", "Straż Graniczna BOOM poinformowała.", "Rzecznik był zły."]
    src.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts)),
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    report = run_batch(BatchOptions(str(src), str(out), progress="none"),
                       lambda s: build_engines(s, backend=PoisonTranslator(), store=MemoryStore(), coalesce=False),
                       settings=Settings())
    records = read_out(out)
    assert report.exit_code == 1 and [r["id"] for r in records] == ["0", "1", "2"]
    assert records[1]["error"] == {"type": "internal_error",
                                   "detail": "RuntimeError: CUDA error: device-side assert triggered"}
    assert records[0]["translation"].startswith("[en] ") and records[2]["translation"].startswith("[en] ")


# ----------------------------------------------------------------------------- resuming


def generated_archive(path: Path, n: int) -> Path:
    pl, lt = corpus("pl"), corpus("lt")
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            src = lt if i % 3 == 0 else pl
            text = f"{src[i % len(src)]} {src[(i * 7 + 3) % len(src)]}"
            f.write(json.dumps({"id": f"r{i}", "text": text}, ensure_ascii=False) + "\n")
    return path


def test_torn_last_line_is_cut_and_run_resumed(tmp_path: Path) -> None:
    archive = generated_archive(tmp_path / "gen.jsonl", 120)
    reference, _ = run(tmp_path, archive, "ref.jsonl", batch_records=16)
    out = tmp_path / "out.jsonl"
    run(tmp_path, archive, "out.jsonl", batch_records=16)
    raw = out.read_bytes().split(b"\n")
    out.write_bytes(b"\n".join(raw[:37]) + b"\n" + raw[37][: len(raw[37]) // 2])  # killed mid-line
    resumed, code = run(tmp_path, archive, "out.jsonl", batch_records=7)  # chunk size may change
    assert code == 0
    assert without_cache_fields(resumed) == without_cache_fields(reference)


def test_restart_with_other_arguments_or_foreign_output_refused(tmp_path: Path) -> None:
    archive = generated_archive(tmp_path / "gen.jsonl", 10)
    run(tmp_path, archive)
    with pytest.raises(UsageProblem, match="target_lang"):
        run(tmp_path, archive, target_lang="pl")
    other = generated_archive(tmp_path / "other.jsonl", 11)
    with pytest.raises(UsageProblem, match="input differs"):
        run(tmp_path, other)
    restarted, _ = run(tmp_path, archive, target_lang="lt", restart=True)
    assert len(restarted) == 10 and restarted[0]["target_lang"] == "lt"
    (tmp_path / "foreign.jsonl").write_text('{"x": 1}\n', encoding="utf-8")
    with pytest.raises(UsageProblem, match="--restart"):
        run(tmp_path, archive, "foreign.jsonl")


def test_progress_lines_when_stderr_is_not_a_terminal(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    archive = generated_archive(tmp_path / "gen.jsonl", 20)
    options = BatchOptions(str(archive), str(tmp_path / "o.jsonl"), batch_records=5, progress="auto",
                           log_every=0)
    run_batch(options, echo_factory(), settings=Settings())
    err = capsys.readouterr().err
    assert "batch: 5/20 records" in err and "records/s" in err and "ETA" in err


def _wait_for_lines(path: Path, n: int, proc: subprocess.Popen, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return path.read_bytes().count(b"\n")
        time.sleep(0.01)
    raise AssertionError(f"the batch process wrote fewer than {n} lines (exit {proc.poll()})")


def test_sigkill_midway_then_resume_equals_uninterrupted_run(tmp_path: Path, env: dict[str, str]) -> None:
    n = 120
    archive = generated_archive(tmp_path / "gen.jsonl", n)
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "service.cli", "batch", str(archive), "--output", str(out),
           "--batch-records", "8"]
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        written = _wait_for_lines(out, 16, proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert written < n, "the run finished before it could be killed"
    done = subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "already done" in done.stderr
    resumed = read_out(out)
    assert [r["id"] for r in resumed] == [f"r{i}" for i in range(n)]  # no duplicate, none missing, in order

    ref = tmp_path / "ref.jsonl"  # the uninterrupted run, in-process, same models and cache
    result = CliRunner().invoke(app, ["batch", str(archive), "-o", str(ref), "--batch-records", "8"], env=env)
    assert result.exit_code == 0, result.output
    assert without_cache_fields(resumed) == without_cache_fields(read_out(ref))

    again = subprocess.run([*cmd, "--target-lang", "pl"], cwd=ROOT, env=full_env, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 2 and "different run" in again.stderr
    assert read_out(out) == resumed


def test_no_progress_prints_no_bars(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "out.jsonl"
    data = json.dumps({"id": 1, "text": corpus("pl")[0]}, ensure_ascii=False) + "\n"
    result = CliRunner().invoke(app, ["batch", "-", "-o", str(out), "--no-progress"], input=data, env=env)
    assert result.exit_code == 0, result.output
    assert [line for line in result.stderr.splitlines() if line.strip()] == [result.stderr.strip()]
    assert result.stderr.startswith("newsbridge batch: 1 records"), result.stderr  # the summary line only
