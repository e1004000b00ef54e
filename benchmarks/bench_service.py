"""Service-level benchmarks, each a ratio measured in one run on the same input.

1. cached vs uncached request latency (the OPUS-MT-sized model, SQLite cache, full pipeline);
2. share of model calls saved on an archive with 30% repeated sentences;
3. a 100 KB article vs a 10 KB article (pipeline overhead with a counting fake, and end to end
   with a tiny real Marian model): goal <= 11x, i.e. linear;
4. peak RSS of a server process with all four pairs loaded, per backend;
5. 32 concurrent one-sentence requests to a real server vs the same sent one by one.

    python benchmarks/bench_service.py [cache|archive|article|rss|server ...]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import ROOT, load_sentences, machine_note, opus_model_dir
from service.engines import build_engines
from service.pipeline.flow import Document
from service.settings import Settings
from translators.base import EngineInfo, Lang, ModelIdentity, Translation
from translators.testing import EchoTranslator

SAMPLES = ROOT / "tests" / "fixtures" / "samples"


class Counting:
    """Counts the segments that reach the wrapped translator."""

    def __init__(self, inner: EchoTranslator | object) -> None:
        self.inner = inner
        self.segments = 0

    def supports(self, source: Lang, target: Lang) -> bool:
        return self.inner.supports(source, target)  # type: ignore[attr-defined]

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        return self.inner.identity(source, target)  # type: ignore[attr-defined]

    def describe(self, source: Lang | None = None, target: Lang | None = None) -> EngineInfo:
        return self.inner.describe(source, target)  # type: ignore[attr-defined]

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        self.segments += len(texts)
        return self.inner.translate_batch(texts, source, target, alignment=alignment)  # type: ignore[attr-defined]


def bench_cache() -> None:
    from translators.marian import MarianTranslator

    model_dir = opus_model_dir()
    sentences = load_sentences(96)
    docs = [" ".join(sentences[i:i + 4]) for i in range(0, 40, 4)]  # 10 requests of 4 sentences
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/cache.db", model_dir=model_dir, coalesce=False)
        engines = build_engines(settings, backend=MarianTranslator(model_dir))
        engines.pipeline.translate(Document("Rozgrzewka modelu.", "pl"))  # load the model first
        t0 = time.perf_counter()
        first = [engines.pipeline.translate(Document(d, "pl")) for d in docs]
        uncached = (time.perf_counter() - t0) / len(docs)
        t0 = time.perf_counter()
        second = [engines.pipeline.translate(Document(d, "pl")) for d in docs]
        cached = (time.perf_counter() - t0) / len(docs)
    assert all(r.cache_misses == 0 for r in second) and all(r.cache_misses > 0 for r in first)
    print("[cache] 10 requests of 4 real Polish sentences, OPUS-MT-sized model (transformers, 4 beams)")
    print(f"[cache] uncached {uncached * 1000:.1f} ms/request, cached {cached * 1000:.2f} ms/request, "
          f"ratio {uncached / cached:.0f}x faster from the cache")


def _unique_sentences() -> list[str]:
    """Distinct real Polish and Lithuanian sentences (the shared Tatoeba data when present)."""
    from benchmarks.common import TATOEBA

    files = [TATOEBA / "tatoeba.v2021-08-07.eng-pol.pol", TATOEBA / "tatoeba.v2021-08-07.eng-lit.lit"]
    if not all(f.is_file() for f in files):
        files = [ROOT / "tests" / "fixtures" / "corpus" / f for f in ("pl.txt", "lt.txt")]
    lines = [line.strip() for f in files for line in f.read_text(encoding="utf-8").splitlines()]
    pool = list(dict.fromkeys(line for line in lines if len(line.split()) >= 4 and line[-1:] in ".?!"))
    random.Random(3).shuffle(pool)
    return pool


def bench_archive(records: int = 3000, repeat_share: float = 0.3) -> None:
    from translators.cached import MemoryStore

    pool = _unique_sentences()
    rng = random.Random(7)
    fresh = iter(pool)
    seen: list[str] = []
    texts: list[str] = []
    for _ in range(records):  # a record is one or two sentences; 30% of records repeat an earlier one
        if seen and rng.random() < repeat_share:
            texts.append(rng.choice(seen))
        else:
            text = " ".join(next(fresh) for _ in range(rng.randint(1, 2)))
            seen.append(text)
            texts.append(text)
    results = {}
    for label, store in (("no cache", None), ("SQL-style cache", MemoryStore())):
        counting = Counting(EchoTranslator())
        settings = Settings(cache_enabled=store is not None, coalesce=False)
        engines = build_engines(settings, backend=counting, store=store)  # type: ignore[arg-type]
        for i in range(0, len(texts), 64):
            engines.pipeline.translate_documents([Document(t) for t in texts[i:i + 64]])
        results[label] = counting.segments
    saved = 1 - results["SQL-style cache"] / results["no cache"]
    print(f"[archive] {records} records, {repeat_share:.0%} repeated: segments sent to the model "
          f"{results['no cache']} without cache, {results['SQL-style cache']} with it: "
          f"{saved:.0%} of model calls saved")


DISTINCT = ROOT / "benchmarks" / "data" / "pl_distinct.txt"


def _article(pool: Sequence[str], size: int) -> tuple[str, int]:
    """A Polish news article of about ``size`` characters in which every sentence is distinct:
    paragraphs of 3-5 sentences, every third paragraph with a quotation (carved out and
    translated on its own, so it is a distinct model input too). Returns the text and how many
    sentences of ``pool`` it used."""
    rng = random.Random(size)
    paragraphs: list[str] = []
    used = length = 0
    while length < size:
        k = rng.randint(3, 5)
        if used + k + 1 > len(pool):
            raise SystemExit(f"{DISTINCT} has too few sentences for a {size}-character article")
        sentences = list(pool[used:used + k])
        used += k
        if len(paragraphs) % 3 == 2:
            lead = sentences[0].rstrip(".?!")
            sentences[0] = f"{lead}, a rzecznik dodał: „{pool[used]}”"
            used += 1
        paragraphs.append(" ".join(sentences))
        length += len(paragraphs[-1]) + 2
    return "\n\n".join(paragraphs), used


class Recording(Counting):
    """Counting, and keeps every text that reaches the model."""

    def __init__(self, inner: object) -> None:
        super().__init__(inner)
        self.texts: list[str] = []

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        self.texts += texts
        return super().translate_batch(texts, source, target, alignment=alignment)


def bench_article() -> None:
    """10 KB vs 100 KB of distinct sentences, end to end through the HTTP app (cache off, so
    every sentence reaches the model): with a counting fake model (pipeline overhead) and with
    a tiny real Marian model."""
    from fastapi.testclient import TestClient

    from service.http.app import create_app
    from translators.marian import MarianTranslator
    from translators.testing import build_marian

    pool = [line for line in DISTINCT.read_text(encoding="utf-8").splitlines() if line]
    small, n_small = _article(pool, 10_000)
    large, n_large = _article(pool[n_small:], 100_000)  # no sentence of the small one either
    print(f"[article] 10 KB: {len(small):,} characters, {n_small} sentences; 100 KB: {len(large):,} characters, "
          f"{n_large} sentences; all {n_small + n_large} distinct (from {DISTINCT.relative_to(ROOT)})")
    tmp = Path(tempfile.mkdtemp())
    corpus = ROOT / "tests" / "fixtures" / "corpus"
    build_marian(tmp / "pl-en", (corpus / "pl.txt").read_text().splitlines(),
                 (corpus / "en.txt").read_text().splitlines(), max_length=24)
    for label in ("pipeline + HTTP, counting fake model", "end to end, tiny real Marian model"):
        inner = EchoTranslator() if label.startswith("pipeline") else MarianTranslator(tmp)
        times: list[float] = []
        for text in (small, large):
            backend = Recording(inner)
            settings = Settings(cache_enabled=False, coalesce=False, max_chars=200_000)
            app = create_app(settings, engine_factory=lambda s, b=backend: build_engines(s, backend=b))  # type: ignore[misc]
            with TestClient(app) as client:
                client.post("/v1/translate", json={"text": "Rozgrzewka modelu.", "source_lang": "pl"})
                backend.texts.clear()
                t0 = time.perf_counter()
                r = client.post("/v1/translate", json={"text": text, "source_lang": "pl", "target_lang": "en"})
                times.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text
            body = r.json()
            distinct = len(set(backend.texts))
            print(f"[article] {label}: {len(text) // 1000} KB: {len(body['sentences'])} sentences, "
                  f"{len(backend.texts)} model inputs ({distinct} distinct), {times[-1]:.2f} s", flush=True)
        print(f"[article] {label}: 100 KB / 10 KB time ratio {times[1] / times[0]:.1f}x for "
              f"{len(large) / len(small):.1f}x the text (goal <= 11x)")


_RSS_CHILD = """
import json, resource, sys
from service.engines import build_engines
from service.settings import Settings
s = Settings(model_dir=sys.argv[1], backend=sys.argv[2], cache_enabled=False, coalesce=False)
e = build_engines(s)
for pair in ("pl-en", "en-pl", "lt-en", "en-lt"):
    a, b = pair.split("-")
    e.backend.translate_batch(["Premier zwołał posiedzenie rządu."], a, b)
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_rss() -> None:
    model_dir = opus_model_dir()
    four = Path(tempfile.mkdtemp(prefix="nb-four-"))
    for pair in ("pl-en", "en-pl", "lt-en", "en-lt"):  # four copies of the OPUS-sized model
        (four / pair).symlink_to(model_dir / "pl-en", target_is_directory=True)
    figures = {}
    for backend in ("transformers", "ctranslate2"):
        out = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(four), backend], capture_output=True,
                             text=True, cwd=ROOT, check=True)
        figures[backend] = json.loads(out.stdout.strip().splitlines()[-1])["rss_mb"]
        print(f"[rss] {backend}: peak RSS with 4 OPUS-sized pairs loaded {figures[backend]:.0f} MB")
    print(f"[rss] ratio transformers/ctranslate2 {figures['transformers'] / figures['ctranslate2']:.1f}x")


def bench_server(requests: int = 32, backend: str = "ctranslate2") -> None:
    """32 clients each POSTing one sentence at once to a real ``newsbridge serve`` vs the same
    sentences POSTed one after another (cache off, so every request reaches the model)."""
    import os
    import socket
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    model_dir = opus_model_dir()
    sentences = load_sentences(96)[:requests]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, NEWSBRIDGE_MODEL_DIR=str(model_dir), NEWSBRIDGE_BACKEND=backend,
               NEWSBRIDGE_CACHE_ENABLED="false", HF_HUB_OFFLINE="1", NEWSBRIDGE_LOG_LEVEL="WARNING")
    server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port),
                               "--log-level", "warning"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)

        def post(text: str) -> None:
            r = httpx.post(base + "/v1/translate", json={"text": text, "source_lang": "pl"}, timeout=600)
            r.raise_for_status()

        post("Rozgrzewka modelu przed pomiarem.")
        t0 = time.perf_counter()
        for text in sentences:
            post(text)
        one_by_one = time.perf_counter() - t0
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=requests) as pool:
            list(pool.map(post, sentences))
        concurrent = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"[server] {requests} one-sentence requests to `newsbridge serve` ({backend}, OPUS-sized model, cache off): "
          f"one by one {one_by_one:.1f} s, concurrent {concurrent:.1f} s, ratio {one_by_one / concurrent:.1f}x "
          "(goal >= 3x)")


BENCHES = {"cache": bench_cache, "archive": bench_archive, "article": bench_article, "rss": bench_rss,
           "server": bench_server}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="*", help=f"any of {', '.join(BENCHES)} (default: all)")
    args = parser.parse_args(argv)
    unknown = [w for w in args.which if w not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    print(f"# {machine_note()}")
    for name in args.which or list(BENCHES):
        BENCHES[name]()


if __name__ == "__main__":
    main()
