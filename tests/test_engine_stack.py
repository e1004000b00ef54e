"""The composed engine stack reports itself through ``describe()`` and ``health()``: no probes."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from service.engines import build_engines
from service.http.app import create_app
from service.settings import Settings
from tests.conftest import fresh_python
from translators.base import EngineInfo, Health, Translator
from translators.cached import CachedTranslator, MemoryStore
from translators.coalesce import CoalescingTranslator
from translators.marian import MarianTranslator
from translators.pivot import PivotTranslator
from translators.testing import EchoTranslator


def _settings(tmp_path: Path, **kw: object) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", **kw)  # type: ignore[arg-type]


def test_every_layer_describes_itself_and_the_layer_it_wraps(tmp_path: Path) -> None:
    echo = EchoTranslator()
    engines = build_engines(_settings(tmp_path), backend=echo, store=MemoryStore(), coalesce=True)
    for layer in (engines.translator, echo):
        assert isinstance(layer, Translator)
    info = engines.translator.describe()
    assert [layer.kind for layer in info.layers()] == ["pivot", "cached", "coalescing", "echo"]
    assert info.backend.kind == "echo"
    assert info.backend.loaded_pairs == ("en-lt", "en-pl", "lt-en", "pl-en")
    assert info.find("cached") is not None and info.find("cached").health == Health()
    assert info.find("nothing") is None
    assert info.legs == ()  # no pair asked


def test_a_pivoted_pair_reports_both_legs_a_direct_pair_one() -> None:
    stack = PivotTranslator(CachedTranslator(CoalescingTranslator(EchoTranslator()), MemoryStore()))
    legs = stack.describe("pl", "lt").legs
    assert [leg.model_id for leg in legs] == ["echo:pl-en", "echo:en-lt"]
    assert [leg.model_id for leg in stack.describe("pl", "en").legs] == ["echo:pl-en"]
    assert stack.describe("pl", "lt").inner.legs == ()  # the legs are the pivot's answer


def test_coalescer_forwards_nothing_implicitly() -> None:
    tr = CoalescingTranslator(EchoTranslator())
    assert not hasattr(tr, "pairs")  # the inner engine's attributes are not reachable through it
    assert not hasattr(tr, "calls")


def test_api_reports_models_per_pair_from_describe(tmp_path: Path) -> None:
    engines = build_engines(_settings(tmp_path), backend=EchoTranslator(), store=MemoryStore())
    with TestClient(create_app(engines.settings, engines=engines)) as c:
        r = c.post("/v1/translate", json={"text": "Premier zwołał posiedzenie rządu.", "target_lang": "lt"})
        ready = c.get("/readyz").json()
    assert r.status_code == 200, r.text
    models = r.json()["model"]
    assert list(models) == ["pl-lt"]
    assert [m["id"] for m in models["pl-lt"]] == ["echo:pl-en", "echo:en-lt"]
    assert ready["status"] == "ok" and ready["cache"] == "ok"
    assert ready["models_failed"] == {}


def test_readyz_names_failed_pairs_reported_by_the_backend(tmp_path: Path) -> None:
    class Failing(EchoTranslator):
        def describe(self, source=None, target=None) -> EngineInfo:  # type: ignore[no-untyped-def,override]
            info = super().describe(source, target)
            return EngineInfo(info.kind, None, info.legs, info.loaded_pairs, {"lt-en": "truncated weights"},
                              Health("degraded", "failed to load: lt-en"))

    engines = build_engines(_settings(tmp_path), backend=Failing(), store=MemoryStore())
    with TestClient(create_app(engines.settings, engines=engines)) as c:
        ready = c.get("/readyz").json()
    assert ready["status"] == "degraded"
    assert ready["models_failed"] == {"lt-en": "truncated weights"}


def test_marian_backend_describes_loaded_pairs(model_dir: Path) -> None:
    tr = MarianTranslator(model_dir, device="cpu")
    assert tr.describe().loaded_pairs == ()
    info = tr.describe("pl", "en")
    assert info.kind == "transformers" and info.legs == (tr.identity("pl", "en"),)
    assert tr.describe().loaded_pairs == ()  # the identity comes from the files, no weights loaded
    tr.translate_batch(["Tak."], "pl", "en")
    assert tr.describe().loaded_pairs == ("pl-en",)
    assert tr.describe().health.ok


def test_readiness_waits_for_the_models_and_the_detector_not_the_summarizer(tmp_path: Path) -> None:
    """PRELOAD's warm-up: ``/readyz`` turns 200 once every pair decoded and the detector answered;
    the summarizer's warm-up (its libraries' import) runs after that, in the same thread."""
    import threading

    from summarizers.extractive import CentralitySummarizer

    release, summarizing = threading.Event(), threading.Event()

    class HeldSummarizer(CentralitySummarizer):
        def summarize(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            summarizing.set()
            assert release.wait(30)
            return super().summarize(*args, **kwargs)

    echo = EchoTranslator()
    engines = build_engines(_settings(tmp_path, preload=True), backend=echo, store=MemoryStore(),
                            summarizer=HeldSummarizer())
    with TestClient(create_app(engines.settings, engines=engines)) as c:
        assert summarizing.wait(30)  # the warm-up reached the summarizer, which is held...
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ok"  # ...and the server is ready
        assert {(src, tgt) for src, tgt, _ in echo.calls} >= {("pl", "en"), ("en", "pl"), ("lt", "en"), ("en", "lt")}
        release.set()
        r = c.post("/v1/summarize", json={"text": "Premier zwołał posiedzenie. Rząd obradował.", "target_lang": "en"})
        assert r.status_code == 200, r.text


def test_warm_up_loads_the_ready_pairs_then_the_detector_then_converts(tmp_path: Path) -> None:
    """One thread: the pairs ready on disk first, then the detector, which does not wait for the
    pairs to convert; a detector that fails fails the warm-up once the conversions are done."""
    from translators.text.detect import LanguageDetector

    order: list[str] = []

    class Converting(EchoTranslator):
        def is_prepared(self, src: str, tgt: str) -> bool:
            return src != "lt"

        def prepare(self, src: str, tgt: str) -> None:
            order.append(f"prepare {src}-{tgt}")

    class Recording(LanguageDetector):
        fail = False

        def detect(self, text: str):  # type: ignore[no-untyped-def]
            order.append("detector")
            if self.fail:
                raise RuntimeError("no tables")
            return super().detect(text)

    detector = Recording()
    engines = build_engines(_settings(tmp_path), backend=Converting(), store=MemoryStore(), detector=detector)
    engines.warm_up()
    assert order == ["prepare pl-en", "prepare en-pl", "prepare en-lt", "detector", "prepare lt-en"]
    order.clear()
    detector.fail = True
    try:
        engines.warm_up()
    except RuntimeError as exc:
        assert str(exc) == "no tables"
    else:
        raise AssertionError("the detector's failure was swallowed")
    assert order[-1] == "prepare lt-en"  # converted all the same


CLI_IMPORT_GC = """
import gc, sys
import service.cli
assert gc.isenabled(), "the collector was left off"
frozen = gc.get_freeze_count()
assert frozen > 50_000, frozen  # the imports' objects: no later pass walks them
class Node: pass
a, b = Node(), Node(); a.other, b.other = b, a
del a, b
assert gc.collect() >= 2  # what the command creates is still collected
print("OK", frozen)
"""


def test_the_cli_import_freezes_its_objects_and_leaves_the_collector_on() -> None:
    """The first pass after the CLI's imports would walk their 120,000 objects (0.05 s of every
    command's start): they are frozen instead, and new garbage is still collected."""
    assert fresh_python(CLI_IMPORT_GC).stdout.startswith("OK ")


def test_the_collector_is_on_once_the_app_has_started(tmp_path: Path) -> None:
    """``serve`` turns the cyclic collector off for its start-up; the lifespan turns it back on
    (a server left without it would never free reference cycles)."""
    import gc

    import service.cli  # noqa: F401  (its import turns the collector off and on again)

    assert gc.isenabled()
    engines = build_engines(_settings(tmp_path), backend=EchoTranslator(), store=MemoryStore())
    gc.disable()  # as serve leaves it
    try:
        with TestClient(create_app(engines.settings, engines=engines)) as c:
            assert c.get("/healthz").status_code == 200
            assert gc.isenabled()
    finally:
        gc.enable()
