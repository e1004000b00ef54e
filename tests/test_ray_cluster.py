"""``newsbridge batch --engine ray`` on a two-node Ray cluster on this machine
(``ray.cluster_utils.Cluster``, what Ray's own tests use; one CPU per node), joined through
``RAY_ADDRESS`` as a user would, with the shared PostgreSQL cache. One node is killed mid-run:
the run still writes every record exactly once, in order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from service.batch.records import UsageProblem
from service.batch.runner import BatchOptions, run_batch
from service.engines import Engines, build_engines
from service.settings import Settings
from service.storage import db
from translators.testing import EchoTranslator

pytestmark = [pytest.mark.ray, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[object, object, object]]:
    from ray.cluster_utils import Cluster

    c = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "include_dashboard": False,
        "_system_config": {"health_check_initial_delay_ms": 0, "health_check_period_ms": 500,
                           "health_check_failure_threshold": 3}})
    worker = c.add_node(num_cpus=1)
    c.wait_for_nodes(timeout=120)
    yield c, c.head_node, worker
    c.shutdown()


def echo_engines(settings: Settings) -> Engines:
    """Each actor: the Echo model behind the real cache of the run's database URL (PostgreSQL)."""
    return build_engines(settings, backend=EchoTranslator(), coalesce=False)


def test_sqlite_cache_is_refused_on_a_multi_node_cluster(cluster, tmp_path: Path, monkeypatch) -> None:
    c, _, _ = cluster
    monkeypatch.setenv("RAY_ADDRESS", c.address)
    monkeypatch.setenv("NEWSBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cache.db'}")
    archive = tmp_path / "a.jsonl"
    archive.write_text('{"id": 1, "text": "Granica"}\n', encoding="utf-8")
    with pytest.raises(UsageProblem, match=r"2 nodes.*SQLite.*PostgreSQL"):
        run_batch(BatchOptions(str(archive), str(tmp_path / "out.jsonl"), engine="ray", workers=2,
                               progress="none"), echo_engines, settings=Settings())
    assert not (tmp_path / "out.jsonl").exists()  # refused before writing anything


@pytest.mark.postgres
def test_chunks_run_on_both_nodes_and_a_lost_node_loses_nothing(cluster, pg_url: str, tmp_path: Path,
                                                                 monkeypatch) -> None:
    c, head, worker = cluster
    db.upgrade(pg_url)
    monkeypatch.setenv("RAY_ADDRESS", c.address)
    monkeypatch.setenv("NEWSBRIDGE_DATABASE_URL", pg_url)
    ids = [f"r{i:02d}" for i in range(40)]
    archive = tmp_path / "a.jsonl"
    archive.write_text("".join(json.dumps({"id": rid, "text": f"Zdanie numer {i}. Drugie zdanie {i % 7}.",
                                           "lang": "pl"}) + "\n" for i, rid in enumerate(ids)), encoding="utf-8")
    killed: list[int] = []

    def kill_worker_node(done: int, errors: int) -> bool:
        if done >= 8 and not killed:  # chunks 0-3 are written: two went to each actor
            c.remove_node(worker, allow_graceful=False)
            killed.append(done)
        return True

    out = tmp_path / "out.jsonl"
    report = run_batch(BatchOptions(str(archive), str(out), batch_records=2, engine="ray", workers=2,
                                    in_flight=2, progress="none"), echo_engines, settings=Settings(),
                       on_progress=kill_worker_node)
    assert killed, "the node was never killed"
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [rec["id"] for rec in lines] == ids  # every record exactly once, in order
    assert all("error" not in rec for rec in lines)
    assert (report.records, report.errors) == (40, 0)
    assert set(report.engine.nodes) == {head.node_id, worker.node_id}  # both nodes did work
    assert report.engine.nodes[worker.node_id] >= 1 and sum(report.engine.nodes.values()) == 20
    # The kill lands between chunks or during one: a chunk in flight on the lost node is resent (lost == 1),
    # else none is lost; either way every record is written exactly once (checked above).
    assert report.engine.lost in (0, 1)
    with db.get_engine(pg_url).connect() as conn:  # the shared cache holds both nodes' segments
        assert conn.execute(text("SELECT count(*) FROM translation_cache")).scalar() >= 2
    assert report.cache_hits > 0  # numbers are masked in cache keys: the nodes hit each other's entries
