"""Translation memory lookups at 10k and 1M entries vs a model translation of the same sentence.

    python -m benchmarks.bench_memory [--sizes 10000,1000000] [--database sqlite|postgresql]
                                      [--queries 48] [--engine ctranslate2:int8|transformers|none]

The memory is filled with synthetic Polish-like sentences: words drawn from the unigram
frequencies of 3,700 real Polish sentences (benchmarks/data), one word in seven from a long tail
of 200,000 made-up words (a newsroom's names and rare forms), 6-24 words each; plus the 96 real
sentences of ``pl96.txt``, the ones looked up. The rows are written in bulk with the store's own
normalization, hash and fuzzy keys (``service.storage.memory_store``), as ``TranslationMemory``
writes them one by one; a filled database is kept under ``$NEWSBRIDGE_BENCH_CACHE`` (SQLite) or
as ``nbbench_memory_<size>`` (PostgreSQL, ``NEWSBRIDGE_TEST_POSTGRES_URL``) for the next run.

Timed, per sentence (median and 95th percentile of ``--queries`` sentences, one lookup each, as
the pipeline makes them): the exact lookup of a sentence that is in the memory; the fuzzy lookup
of the sentence with one word changed (and whether it finds the entry); the fuzzy lookup of an
unrelated real sentence; and the model's translation of the same sentence (the OPUS-MT-sized
stand-in, ``benchmarks/common.py``: random weights run to the output cap, so the model figure is
pessimistic and the ratios flattering to nothing). One run on a shared machine: noisy.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import regex

from benchmarks.common import HERE, cache_root, load_sentences, machine_note, make_translator, opus_model_dir
from service.storage.memory_store import TranslationMemory

SYLLABLES = ["ka", "ro", "wie", "prze", "sta", "no", "mi", "ło", "rzy", "dzi", "cze", "szcz", "ba", "le", "go",
             "tu", "wy", "po", "na", "ja", "zie", "gra", "ni", "ko", "sk", "cja", "ński", "ów", "ką", "ży"]


class Sentences:
    """Synthetic Polish-like sentences (seeded: the same memory every run)."""

    def __init__(self, seed: int = 20) -> None:
        self.rnd = random.Random(seed)
        text = (HERE / "data" / "pl_distinct.txt").read_text(encoding="utf-8")
        counts = Counter(w for w in regex.findall(r"\p{L}+", text))
        self.words, weights = zip(*counts.most_common(), strict=True)
        self.cum = list(itertools.accumulate(weights))
        tail: set[str] = set()
        while len(tail) < 200_000:
            tail.add("".join(self.rnd.choice(SYLLABLES) for _ in range(self.rnd.randint(2, 5))))
        self.tail = sorted(tail)

    def word(self) -> str:
        if self.rnd.random() < 1 / 7:
            return self.rnd.choice(self.tail)
        return self.words[bisect.bisect(self.cum, self.rnd.random() * self.cum[-1])]

    def sentence(self) -> str:
        return " ".join(self.word() for _ in range(self.rnd.randint(6, 24))).capitalize() + "."


def _rows(n: int, real: Sequence[str]) -> Iterator[tuple[str, str]]:
    gen = Sentences()
    for s in real:
        yield s, f"[approved] {s}"
    for _ in range(n - len(real)):
        s = gen.sentence()
        yield s, s.upper()


def fill(url: str, n: int, real: Sequence[str], log: Callable[[str], None]) -> None:
    """Write ``n`` entries (``real`` first) in bulk, as the store would write them."""
    from sqlalchemy import insert

    from service.storage import db
    from service.storage.memory_store import MemoryKeyRow, MemoryRow, _hash, fuzzy_keys, memory_text

    db.upgrade(url)
    engine = db.get_engine(url)
    now = datetime.now(UTC)
    started = time.perf_counter()
    rows, keys, next_id = [], [], 1
    seen: set[str] = set()

    def flush() -> None:
        with engine.begin() as conn:
            conn.execute(insert(MemoryRow.__table__), rows)
            conn.execute(insert(MemoryKeyRow.__table__), keys)
        rows.clear()
        keys.clear()

    for source, target in _rows(n, real):
        norm = memory_text(source)
        digest = _hash(norm)
        if digest in seen:  # one approved entry per source
            continue
        seen.add(digest)
        rows.append({"id": next_id, "source_lang": "pl", "target_lang": "en", "scope": "", "source": source,
                     "target": target, "source_norm": norm, "source_hash": digest, "source_len": len(norm),
                     "status": "approved", "origin": "api", "note": None, "created_by": "bench", "created_at": now,
                     "updated_by": None, "updated_at": now})
        keys += [{"key": k, "entry_id": next_id} for k in fuzzy_keys(norm, "pl", "en")]
        next_id += 1
        if len(rows) >= 20_000:
            flush()
            log(f"  {next_id - 1:,} entries written ({time.perf_counter() - started:.0f} s)")
    if rows:
        flush()
    log(f"  {next_id - 1:,} entries in {time.perf_counter() - started:.0f} s")


def database(kind: str, n: int, real: Sequence[str], log: Callable[[str], None]) -> str:
    """The URL of a filled database of ``n`` entries (made once, then reused)."""
    from sqlalchemy import create_engine, text

    from service.storage import db

    if kind == "sqlite":
        path = cache_root() / f"memory-{n}-keys2.db"  # keys2: stems and stem pairs (fuzzy_keys)
        url = f"sqlite:///{path}"
        if path.is_file() and db.current_revision(url) is not None and TranslationMemory(url).count() >= n * 0.99:
            return url  # (a fill stopped half-way left a file without the tables, or short: made again)
        path.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        import os

        admin_url = os.environ.get("NEWSBRIDGE_TEST_POSTGRES_URL")
        if not admin_url:
            raise SystemExit("--database postgresql needs NEWSBRIDGE_TEST_POSTGRES_URL (an admin URL)")
        name = f"nbbench_memory_{n}_keys2"
        url = db.parse_url(admin_url).set(database=name).render_as_string(hide_password=False)
        admin = create_engine(db.parse_url(admin_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if exists and db.current_revision(url) == db.head_revision() and TranslationMemory(url).count() >= n * 0.99:
                return url
            db.dispose_engines()
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    log(f"filling a {kind} memory of {n:,} entries (once; kept for the next run)...")
    fill(url, n, real, log)
    if kind == "postgresql":
        with db.get_engine(url).connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    return url


def one_word_changed(sentence: str, rnd: random.Random) -> str:
    words = sentence.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w.strip(".,!?")) >= 3] or list(range(len(words)))
    i = rnd.choice(candidates)
    tail = words[i][len(words[i].rstrip(".,!?")):]
    words[i] = "zmienione" + tail
    return " ".join(words)


def stats(times: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def measure(memory: TranslationMemory, name: str, inputs: Sequence[tuple[str, str | None]],
            model_median: float | None, n: int) -> None:
    """Time one lookup per input; ``found``: the expected entry came back (None: nothing should)."""
    times, ok = [], 0
    for text, expected in inputs:
        query = [(text, "pl", "en", None)]
        started = time.perf_counter()
        if name.startswith("exact"):
            got = [e.source for e in memory.exact(query).values()]
        else:
            got = [m.entry.source for m in memory.fuzzy(query)[0]]
        times.append(time.perf_counter() - started)
        ok += (expected in got) if expected is not None else not got
    median, p95 = stats(times)
    ratio = f"{model_median / median:.0f}x" if model_median else "-"
    print(f"{n:>10,} {name:<22} {median * 1000:>10.2f} {p95 * 1000:>8.2f} {ratio:>13} {ok:>3}/{len(inputs)}",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,1000000")
    ap.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--queries", type=int, default=48)
    ap.add_argument("--engine", default="ctranslate2:int8", help="the model baseline (none: skip it)")
    args = ap.parse_args(argv)

    real = load_sentences(96)
    queries = real[:args.queries]
    rnd = random.Random(7)
    known = set(real)  # pl_distinct.txt holds some of pl96's sentences: an "unrelated" one must not be in the memory
    unrelated = [s for s in (HERE / "data" / "pl_distinct.txt").read_text(encoding="utf-8").splitlines()
                 if s not in known][-args.queries:]
    cases = [("exact (in memory)", [(s, s) for s in queries]),
             ("fuzzy (one word off)", [(one_word_changed(s, rnd), s) for s in queries]),
             ("fuzzy (unrelated)", [(s, None) for s in unrelated])]
    print(machine_note())
    model_median = None
    if args.engine != "none":
        backend, _, compute = args.engine.partition(":")
        translator = make_translator(backend, opus_model_dir(), compute_type=compute or "int8")
        translator.translate_batch([queries[0]], "pl", "en")  # load and warm
        times = []
        for s in queries:
            started = time.perf_counter()
            translator.translate_batch([s], "pl", "en")
            times.append(time.perf_counter() - started)
        model_median, model_p95 = stats(times)
        print(f"model ({args.engine}, one sentence): median {model_median * 1000:.1f} ms, "
              f"p95 {model_p95 * 1000:.1f} ms")
    print(f"{'entries':>10} {'lookup':<22} {'median ms':>10} {'p95 ms':>8} {'model/lookup':>13} {'found':>7}")
    for n in (int(x) for x in args.sizes.split(",")):
        url = database(args.database, n, real, lambda m: print(m, flush=True))
        memory = TranslationMemory(url)
        memory.exact([(queries[0], "pl", "en", None)])  # connect, warm the caches
        for name, inputs in cases:
            measure(memory, name, inputs, model_median, n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
