"""Glossaries: term hit rate on inflected occurrences in real sentences, and a 1,000-entry glossary's cost.

Hit rate: the hand-written paradigms of ``tests/fixtures/glossary/inflections.tsv`` (65 Polish and
Lithuanian glossary-like terms) give, for each term, its inflected forms; every occurrence of such a
form in the Tatoeba sentences of ``$NEWSBRIDGE_BENCH_DATA`` is a gold
occurrence (at most ``--per-form`` per form, so "Toma" does not drown the rest; the files are not in the
repository: point ``NEWSBRIDGE_BENCH_DATA`` at them). The sentences are
translated through the pipeline with the glossary (base forms -> English); an occurrence is
*applied* when a term of the response has exactly its span. With ``--model`` (the OPUS-MT-sized
random-weight pl->en model of ``benchmarks/common.py``) the Polish sentences are also translated by
a model, and the applied terms it dropped are counted (``glossary_term_missing``).

Cost: the same sentences through the OPUS-sized model without a glossary and with two 1,000-entry
glossaries, one run each after a warm-up, cache off; the ratio of each time to the time without.
``frequent``: the 40 Polish gold terms and the corpus's 960 most frequent words (a worst case: about
five terms masked per sentence); ``rare``: the 40 gold terms and 960 words that occur once in the
corpus (a desk's glossary of names and institutions: few terms per sentence). A random-weight model
decodes to its output cap, which grows with the input's tokens, so the model inputs' SentencePiece
tokens are counted too: a masked term (``QZ<n>``) is not the same number of tokens as the words.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from pathlib import Path

from benchmarks.common import ROOT, TATOEBA, load_sentences, machine_note, make_translator, opus_model_dir
from service.engines import build_engines
from service.glossary_formats import content_hash
from service.pipeline.flow import Document, Pipeline
from service.pipeline.glossary_terms import find_terms
from service.settings import Settings
from translators.testing import EchoTranslator
from translators.text.protect import mask
from translators.text.terms import Entry, Glossary, TermDictionary

GOLD = ROOT / "tests" / "fixtures" / "glossary" / "inflections.tsv"
FILES = {"pl": "tatoeba.v2021-08-07.eng-pol.pol", "lt": "tatoeba.v2021-08-07.eng-lit.lit"}


def gold_terms() -> list[tuple[str, str, str, list[str]]]:
    rows = []
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, term, target, forms = line.split("\t")
            rows.append((lang, term, target, forms.split("|")))
    return rows


def glossary(lang: str, entries: list[Entry], gid: str) -> Glossary:
    es = tuple(entries)
    return Glossary(gid, gid, None, (TermDictionary(lang, "en", es, content_hash(lang, "en", es)),))


def occurrences(lang: str, per_form: int) -> list[tuple[str, int, int, str]]:
    """(sentence, start, end, term) of inflected gold forms in the corpus."""
    lines = (TATOEBA / FILES[lang]).read_text(encoding="utf-8").splitlines()
    found: list[tuple[str, int, int, str]] = []
    for _, term, _, forms in (r for r in gold_terms() if r[0] == lang):
        for form in forms:
            flags = 0 if form[:1].isupper() else re.IGNORECASE
            pattern = re.compile(rf"(?<!\w){re.escape(form)}(?!\w)", flags)
            hits = 0
            for line in lines:
                for m in pattern.finditer(line):
                    found.append((line, m.start(), m.end(), term))
                    hits += 1
                if hits >= per_form:
                    break
    return found


def hit_rate(pipeline: Pipeline, lang: str, occ: list[tuple[str, int, int, str]]) -> dict[str, object]:
    g = glossary(lang, [Entry(t, tgt) for la, t, tgt, _ in gold_terms() if la == lang], f"gold-{lang}")
    sentences = sorted({o[0] for o in occ})
    results = pipeline.translate_documents([Document(s, lang, "en", glossary=g) for s in sentences])  # type: ignore[arg-type]
    by_sentence = dict(zip(sentences, results, strict=True))
    applied = missing = 0
    misses: list[str] = []
    gold_spans = {(s, a, b) for s, a, b, _ in occ}
    other = Counter()
    for sentence, a, b, term in occ:
        r = by_sentence[sentence]
        assert not isinstance(r, Exception), r
        terms = [(t, s) for s in r.sentences for t in s.terms]
        hit = [(t, s) for t, s in terms if (t.source.start, t.source.end) == (a, b) and t.term == term]
        if hit:
            applied += 1
            missing += hit[0][0].placed == "guessed"
        else:
            misses.append(sentence[a:b])
    for sentence, r in by_sentence.items():
        for s in r.sentences:  # type: ignore[union-attr]
            for t in s.terms:
                if (sentence, t.source.start, t.source.end) not in gold_spans:
                    other[f"{t.source.text}->{t.term}"] += 1
    return {"occurrences": len(occ), "sentences": len(sentences), "applied": applied, "flagged_missing": missing,
            "not_applied": misses, "other_matches": other.most_common(), "other_total": sum(other.values())}


def big_glossary(kind: str) -> Glossary:
    """1,000 Polish entries: the gold terms and the corpus's most frequent words (``frequent``) or
    words that occur once in it (``rare``)."""
    entries = [Entry(t, tgt) for la, t, tgt, _ in gold_terms() if la == "pl"]
    seen = {e.source for e in entries}
    words = Counter(w for line in (TATOEBA / FILES["pl"]).read_text(encoding="utf-8").splitlines()
                    for w in re.findall(r"\w{4,}", line))
    pool = [w for w, _ in words.most_common()] if kind == "frequent" else sorted(w for w, n in words.items()
                                                                                 if n == 1 and len(w) >= 6)
    for w in pool:
        if len(entries) >= 1000:
            break
        if w not in seen:
            entries.append(Entry(w, w.upper()))
            seen.add(w)
    return glossary("pl", entries, f"big-{kind}")


def model_tokens(model_dir: Path, sentences: list[str], g: Glossary | None) -> int:
    """SentencePiece tokens of the model inputs (terms masked as the pipeline masks them)."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(model_dir / "pl-en" / "source.spm"))
    total = 0
    for s in sentences:
        _, terms = find_terms(g, s, "pl", "en", [])
        total += len(sp.encode(mask(s, [], [(m.start, m.end) for m in terms]).model_text))
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-form", type=int, default=3)
    ap.add_argument("--model", action="store_true", help="also translate with the OPUS-sized model (pl) and "
                                                         "time a 1,000-entry glossary")
    ap.add_argument("--model-per-form", type=int, default=1, help="occurrences per form translated by the model")
    ap.add_argument("--backend", default="ctranslate2")
    ap.add_argument("--sentences", type=int, default=96)
    args = ap.parse_args()
    print(machine_note())
    echo = build_engines(Settings(cache_enabled=False), backend=EchoTranslator(), coalesce=False).pipeline
    total_occ = 0
    for lang in ("pl", "lt"):
        occ = occurrences(lang, args.per_form)
        total_occ += len(occ)
        started = time.perf_counter()
        r = hit_rate(echo, lang, occ)
        print(f"{lang}: {r['applied']}/{r['occurrences']} inflected occurrences applied "
              f"({r['sentences']} sentences, {time.perf_counter() - started:.1f} s); not applied: {r['not_applied']}; "
              f"{r['other_total']} other matches (forms outside the gold lists, e.g. plurals): {r['other_matches']}")
    print(f"total gold occurrences: {total_occ}")
    if not args.model:
        return
    model_dir = opus_model_dir()
    backend = make_translator(args.backend, model_dir)
    pipeline = build_engines(Settings(cache_enabled=False, model_dir=model_dir), backend=backend,
                             coalesce=False).pipeline
    occ = occurrences("pl", args.model_per_form)
    r = hit_rate(pipeline, "pl", occ)
    print(f"pl with the OPUS-sized random model ({args.backend}): {r['applied']}/{r['occurrences']} applied, "
          f"{r['flagged_missing']} flagged glossary_term_missing (the model dropped the placeholder)")
    sentences = load_sentences(args.sentences)
    bigs = {f"1,000 entries ({kind})": big_glossary(kind) for kind in ("frequent", "rare")}
    for g in bigs.values():
        g.dictionaries[0].matcher()  # compiled once per content, as in the service
    settings: list[tuple[str, Glossary | None]] = [("warm-up", None), ("no glossary", None), *bigs.items()]
    echo_runs: dict[str, float] = {}
    for label, g in settings:  # the glossary's own cost
        docs = [Document(s, "pl", "en", glossary=g) for s in sentences]
        started = time.perf_counter()
        echo.translate_documents(docs)
        echo_runs[label] = time.perf_counter() - started
    for label in bigs:
        extra = (echo_runs[label] - echo_runs["no glossary"]) / len(sentences) * 1000
        print(f"without a model (echo): {echo_runs['no glossary']:.3f} s vs {echo_runs[label]:.3f} s with {label}: "
              f"{extra:.2f} ms more per sentence")
    runs: dict[str, float] = {}
    for label, g in settings:
        docs = [Document(s, "pl", "en", glossary=g) for s in sentences]
        started = time.perf_counter()
        out = pipeline.translate_documents(docs)
        runs[label] = time.perf_counter() - started
        applied = sum(len(s.terms) for x in out if not isinstance(x, Exception) for s in x.sentences)
        print(f"{label}: {runs[label]:.2f} s for {len(sentences)} sentences ({applied} terms applied, "
              f"{model_tokens(model_dir, sentences, g)} model input tokens)")
    for label in bigs:
        print(f"{label} / none: {runs[label] / runs['no glossary']:.2f}x (one run each)")

if __name__ == "__main__":
    main()
