"""Several server processes, one cache: two ``newsbridge serve`` on one PostgreSQL database. A
translation made by one is a cache hit on the other (what N replicas behind a load balancer
rely on, see docs/deploy.md)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from service.storage import db
from tests.servers import Server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_a_translation_made_by_one_replica_is_a_cache_hit_on_the_other(model_dir: Path, pg_url: str,
                                                                        tmp_path: Path) -> None:
    db.upgrade(pg_url)  # `newsbridge db upgrade`, once, before the replicas start
    env = {"NEWSBRIDGE_MODEL_DIR": str(model_dir), "NEWSBRIDGE_DATABASE_URL": pg_url,
           "NEWSBRIDGE_JOBS_DIR": str(tmp_path / "jobs"), "NEWSBRIDGE_LOG_LEVEL": "WARNING"}
    text = "Premier zwołał nadzwyczajne posiedzenie rządu. Straż Graniczna odnotowała 300 prób."
    a = Server(env, tmp_path / "a.log")
    try:
        b = Server(env, tmp_path / "b.log")
        try:
            assert a.port != b.port
            first = httpx.post(a.base + "/v1/translate", json={"text": text, "target_lang": "en"}, timeout=120)
            assert first.status_code == 200, first.text
            assert first.json()["cached"]["misses"] == 2 and first.json()["cached"]["hits"] == 0
            second = httpx.post(b.base + "/v1/translate", json={"text": text, "target_lang": "en"}, timeout=120)
            assert second.status_code == 200, second.text
            assert second.json()["cached"] == {"hits": 2, "misses": 0}
            assert second.json()["translation"] == first.json()["translation"]
            assert httpx.get(b.base + "/readyz", timeout=30).json()["status"] == "ok"
        finally:
            b.stop()
    finally:
        a.stop()
