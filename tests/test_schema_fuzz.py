"""Schemathesis against /openapi.json of a live server (uvicorn on loopback, real tiny models):
every operation, bounded examples; no 5xx, responses and content types as the schema says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from service.http.app import create_app
from service.settings import Settings
from tests.servers import serve_in_thread

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live_url(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("fuzz")
    app = create_app(Settings(model_dir=model_dir, database_url=f"sqlite:///{tmp / 'c.db'}", max_chars=2000,
                              jobs_dir=tmp / "jobs", log_level="WARNING", preload=True))
    with serve_in_thread(app) as url:
        yield url


def test_every_operation_conforms(live_url: str) -> None:
    """Each operation in turn (schemathesis's pytest plugin does not load under this pytest)."""
    schema = schemathesis.openapi.from_url(live_url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    cases: list[str] = []
    for op in operations:

        @given(case=op.as_strategy())
        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                  derandomize=True)
        def run(case) -> None:
            cases.append(f"{case.method} {case.path}")
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance,
                                           content_type_conformance], timeout=60)

        run()
    print(f"\nschemathesis: {len(cases)} cases over {len(operations)} operations")
    assert len({c for c in cases}) >= len(operations) // 2


def test_schema_says_one_of_text_texts_and_metrics_is_text(live_url: str) -> None:
    import httpx

    spec = httpx.get(live_url + "/openapi.json").json()
    translate = spec["components"]["schemas"]["TranslateRequest"]
    assert {"required": ["text"]} in translate["oneOf"] and {"required": ["texts"]} in translate["oneOf"]
    assert translate["properties"]["text"]["anyOf"][0]["minLength"] == 1
    metrics = spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain"]
