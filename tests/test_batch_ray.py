"""``newsbridge batch --engine ray`` on a local Ray instance (one for the whole module).

The Ray engine must give exactly the local engine's output (order, one line per record, error
records), resume the same way, keep its actors (and their models) for the whole run, and read
the input only as fast as the actors translate it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.batch.records import Record
from service.batch.runner import BatchOptions, run_batch
from service.engines import Engines, build_engines
from service.settings import Settings
from translators.cached import MemoryStore
from translators.testing import EchoTranslator

ARCHIVE = Path(__file__).parent / "fixtures" / "samples" / "archive.jsonl"
pytestmark = pytest.mark.ray


@pytest.fixture(scope="module", autouse=True)
def ray_instance() -> Iterator[None]:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    yield
    ray.shutdown()


def echo_engines(settings: Settings) -> Engines:
    """Built in each actor (pickled by reference) from the settings it receives."""
    return build_engines(settings, backend=EchoTranslator(), store=MemoryStore(), coalesce=False)


def read_out(path: Path) -> list[dict]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for r in records:  # cache counts and origins depend on which worker saw a segment first
        r.pop("cached", None)
        for s in r.get("sentences", []):
            s.pop("cached")
            s.pop("origin", None)
    return records


def test_ray_output_identical_to_local_and_resumes(tmp_path: Path) -> None:
    archive = tmp_path / "archive.jsonl"
    archive.write_bytes(ARCHIVE.read_bytes() * 3)  # 33 records, 9 of them errors
    local_out, ray_out = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    local_opts = BatchOptions(str(archive), str(local_out), batch_records=3, progress="none")
    local = run_batch(local_opts, echo_engines, settings=Settings())
    ray_opts = BatchOptions(str(archive), str(ray_out), batch_records=3, engine="ray", workers=2,
                            progress="none")
    remote = run_batch(ray_opts, echo_engines, settings=Settings())
    assert (remote.records, remote.errors, remote.exit_code) == (local.records, local.errors, 1) == (33, 9, 1)
    assert remote.engine.actors == 2 and remote.engine.lost == 0
    assert sum(remote.engine.nodes.values()) == 11  # chunks, each translated once
    expected = read_out(local_out)
    assert read_out(ray_out) == expected
    assert [r["line"] for r in expected] == list(range(1, 34))

    # killed mid-line: the torn line is cut and Ray finishes the rest, nothing twice
    raw = ray_out.read_bytes().split(b"\n")
    ray_out.write_bytes(b"\n".join(raw[:20]) + b"\n" + raw[20][:15])
    resumed = run_batch(BatchOptions(str(archive), str(ray_out), batch_records=3, engine="ray", progress="none"),
                        echo_engines, settings=Settings())
    assert (resumed.resumed, resumed.records) == (20, 33)
    assert read_out(ray_out) == expected


def test_actors_load_each_model_once_per_run(tmp_path: Path, model_dir: Path, monkeypatch) -> None:
    """Real (tiny) Marian models, no cache: 2 actors, 20 chunks of a Polish and a Lithuanian
    record each; each actor loads pl-en and lt-en once, however many chunks it translates."""
    monkeypatch.setenv("NEWSBRIDGE_MODEL_DIR", str(model_dir))
    monkeypatch.setenv("NEWSBRIDGE_CACHE_ENABLED", "false")  # every chunk reaches the models
    pl = "Rząd przyjął w środę nowy projekt ustawy o mediach publicznych."
    lt = "Vyriausybė trečiadienį pritarė naujam įstatymo projektui dėl žiniasklaidos."
    archive = tmp_path / "a.jsonl"
    archive.write_text("".join(json.dumps({"id": i, "text": f"{(pl, lt)[i % 2]} ({i})", "lang": ("pl", "lt")[i % 2]})
                               + "\n" for i in range(40)), encoding="utf-8")
    report = run_batch(BatchOptions(str(archive), str(tmp_path / "out.jsonl"), batch_records=2, engine="ray",
                                    workers=2, progress="none"), settings=Settings())
    assert (report.records, report.errors) == (40, 0)
    assert report.engine.actors == 2
    assert sum(report.engine.nodes.values()) == 20
    assert report.engine.model_loads == 2 * 2  # two pairs, once in each actor
    assert "4 model loads in 2 worker(s)" in report.summary_line()


def test_workers_never_exceed_cpus_and_reading_is_bounded() -> None:
    """3 workers asked on 2 CPUs: 2 actors of one thread. With 2 chunks in flight per actor the
    driver never reads more than 4 chunks ahead of what it has handed on."""
    from service.batch.ray_engine import RayEngine

    engine = RayEngine(echo_engines, "en", False, settings=Settings(), workers=3, in_flight=2)
    read = handed = ahead = 0

    def chunks() -> Iterator[list[Record]]:
        nonlocal read, ahead
        for i in range(30):
            read += 1
            ahead = max(ahead, read - handed)
            yield [Record(i + 1, f"r{i}", f"Zdanie numer {i}.", "pl")]

    try:
        assert engine.workers == 2
        for outcomes in engine.map_chunks(chunks()):
            assert json.loads(outcomes[0].line)["id"] == f"r{handed}"
            handed += 1
        stats = engine.collect_stats()
    finally:
        engine.close()
    assert handed == 30
    assert 1 < ahead <= 2 * 2 + 1  # the one being read counts too
    assert stats.actors == 2
