"""``newsbridge batch --engine ray`` on a local Ray instance (one for the whole module).

The Ray engine must give exactly the local engine's output (order, one line per record, error
records) and resume the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.batch.runner import BatchOptions, run_batch
from service.engines import Engines, build_engines
from service.settings import Settings
from translators.cached import MemoryStore
from translators.testing import EchoTranslator

ARCHIVE = Path(__file__).parent / "fixtures" / "samples" / "archive.jsonl"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")


@pytest.fixture(scope="module", autouse=True)
def ray_instance() -> Iterator[None]:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    yield
    ray.shutdown()


def echo_engines() -> Engines:
    """Built in each actor (pickled by reference)."""
    return build_engines(Settings(), backend=EchoTranslator(), store=MemoryStore(), coalesce=False)


def read_out(path: Path) -> list[dict]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for r in records:  # cache counts depend on which worker saw a segment first
        r.pop("cached", None)
        for s in r.get("sentences", []):
            s.pop("cached")
    return records


def test_ray_output_identical_to_local_and_resumes(tmp_path: Path) -> None:
    archive = tmp_path / "archive.jsonl"
    archive.write_bytes(ARCHIVE.read_bytes() * 3)  # 33 records, 9 of them errors
    local_out, ray_out = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    local_opts = BatchOptions(str(archive), str(local_out), batch_records=3, progress="none")
    local = run_batch(local_opts, echo_engines)
    # 11 chunks in windows of 6: two Ray Data executions, two actors each
    ray_opts = BatchOptions(str(archive), str(ray_out), batch_records=3, engine="ray", workers=2,
                            ray_window=18, progress="none")
    remote = run_batch(ray_opts, echo_engines)
    assert (remote.records, remote.errors, remote.exit_code) == (local.records, local.errors, 1) == (33, 9, 1)
    expected = read_out(local_out)
    assert read_out(ray_out) == expected
    assert [r["line"] for r in expected] == list(range(1, 34))

    # killed mid-line: the torn line is cut and Ray finishes the rest, nothing twice
    raw = ray_out.read_bytes().split(b"\n")
    ray_out.write_bytes(b"\n".join(raw[:20]) + b"\n" + raw[20][:15])
    resumed = run_batch(ray_opts, echo_engines)
    assert (resumed.resumed, resumed.records) == (20, 33)
    assert read_out(ray_out) == expected
