"""Inline markup through translation: elements kept, placed exactly (copy model), flagged uncertain.

    python -m benchmarks.bench_markup [--sentences 600] [--seed 7] [--model-dir DIR] [--backend ctranslate2]

Real Polish and Lithuanian sentences from tests/fixtures/corpus get random nested inline markup
(`<b>`, `<a href>`, `<em>`, `<span class>`, ... around word ranges, two levels deep at most, and
text-less `<img>` / comments between words), seeded. Each is translated as HTML through the whole
pipeline by a Marian model trained here to copy its input (``build_copy_marian``: its translation
is its input and its attention is near-diagonal), with the word alignment the pipeline asks for.
Counted per element:

- *kept*: the output holds it exactly once with its attributes, nested as in the source;
- *placed exactly*: it wraps the same text it wrapped in the source (a text-less one: it stands
  between the same words), counted over the sentences the model copied exactly;
- *flagged uncertain*: its sentence's warning names it (``markup_placement_uncertain``).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selectolax.lexbor import LexborHTMLParser, LexborNode

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
TAGS = ["b", "strong", "i", "em", "u", "span", "sup", "sub", "code", "mark", "abbr", "q", "a"]


def _sentences() -> list[tuple[str, str]]:
    out = []
    for lang in ("pl", "lt"):
        for line in (CORPUS / f"{lang}.txt").read_text(encoding="utf-8").splitlines():
            if 4 <= len(line.split()) <= 24 and len(line) <= 140:
                out.append((lang, line))
    return out


def mark_up(words: list[str], rng: random.Random) -> str:
    """Random nested inline elements over word ranges, and text-less content between words."""
    counter = iter(range(10_000))

    def build(lo: int, hi: int, depth: int) -> str:
        out: list[str] = []
        i = lo
        while i < hi:
            if depth < 2 and rng.random() < 0.3:
                j = rng.randint(i + 1, min(hi, i + 4))
                tag = rng.choice([t for t in TAGS if t != "a" or depth == 0])
                attrs = f' id="m{next(counter)}"'
                if tag == "a":
                    attrs += f' href="https://example.org/{next(counter)}"'
                elif rng.random() < 0.3:
                    attrs += ' class="x"'
                out.append(f"<{tag}{attrs}>{build(i, j, depth + 1)}</{tag}>")
                i = j
            else:
                out.append(words[i].replace("&", "&amp;").replace("<", "&lt;"))
                i += 1
            if i < hi:
                out.append(" ")
                if rng.random() < 0.06:
                    out.append(rng.choice(['<img src="p.png" alt="">', "<!-- c -->"]) + " ")
        return "".join(out)

    return build(0, len(words), 0)


def _elements(node: LexborNode, out: list[tuple[str, str, str]]) -> None:
    """(start tag, inner text, text after) of every element under ``node``, document order."""
    stack = [node]
    while stack:
        n = stack.pop()
        child = n.last_child
        kids = []
        while child is not None:
            kids.append(child)
            child = child.prev
        for c in kids:
            if c.is_element_node:
                attrs = " ".join(f'{k}="{v}"' for k, v in sorted(c.attributes.items()))
                after = (c.next.text_content or "").strip()[:12] if c.next is not None and c.next.is_text_node else ""
                out.append((f"<{c.tag} {attrs}>", " ".join((c.text() or "").split()), after))
        stack.extend(kids)


def elements(html: str) -> list[tuple[str, str, str]]:
    body = LexborHTMLParser(f"<p>{html}</p>").css_first("p")
    out: list[tuple[str, str, str]] = []
    if body is not None:
        _elements(body, out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=600)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--model-dir", type=Path, default=None, help="a copy-model NEWSBRIDGE_MODEL_DIR (default: "
                                                                  "build one, about a minute)")
    ap.add_argument("--backend", default="ctranslate2", choices=("ctranslate2", "transformers"))
    args = ap.parse_args(argv)

    from service.engines import build_engines
    from service.pipeline.results import Document
    from service.settings import Settings
    from translators.testing import build_copy_marian

    rng = random.Random(args.seed)
    pool = _sentences()
    rng.shuffle(pool)
    picked = pool[:args.sentences]
    tmp = Path(tempfile.mkdtemp(prefix="bench-markup-"))
    model_dir = args.model_dir
    if model_dir is None:
        model_dir = tmp / "models"
        lines = [line for f in ("pl", "lt", "en") for line in (CORPUS / f"{f}.txt").read_text("utf-8").splitlines()]
        first = build_copy_marian(model_dir / "pl-en", lines)
        import shutil

        shutil.copytree(first, model_dir / "lt-en")
    settings = Settings(database_url=f"sqlite:///{tmp / 'c.db'}", model_dir=model_dir, backend=args.backend,
                        coalesce=False)
    engines = build_engines(settings)
    docs = [Document(mark_up(text.split(), rng), lang, "en", "html") for lang, text in picked]  # type: ignore[arg-type]
    results = engines.pipeline.translate_documents(docs)
    counts: Counter[str] = Counter()
    for doc, result in zip(docs, results, strict=True):
        if isinstance(result, Exception):
            counts["failed documents"] += 1
            continue
        source = elements(doc.text)
        output = elements(result.translation)
        counts["elements"] += len(source)
        counts["kept"] += sum((Counter(t for t, _, _ in output) & Counter(t for t, _, _ in source)).values())
        copied = result.translation_text == result.source_text
        counts["sentences copied exactly"] += copied
        if copied:
            counts["elements in copied sentences"] += len(source)
            counts["placed exactly"] += sum((Counter(output) & Counter(source)).values())
        flagged = [w for s in result.sentences for w in s.warnings if w.startswith("markup_placement_uncertain")]
        counts["flagged uncertain"] += sum(len(w.split(": ", 1)[1].rsplit(": placed by", 1)[0].split("; "))
                                           for w in flagged)
    n = counts["elements"]
    print(f"{len(docs)} marked-up sentences, {n} elements ({args.backend}, copy model, seed {args.seed})")
    print(f"kept:            {counts['kept']} / {n} ({counts['kept'] / max(n, 1):.1%})")
    m = counts["elements in copied sentences"]
    print(f"placed exactly:  {counts['placed exactly']} / {m} in the {counts['sentences copied exactly']} sentences "
          f"the model copied exactly ({counts['placed exactly'] / max(m, 1):.1%})")
    print(f"flagged uncertain: {counts['flagged uncertain']} / {n} ({counts['flagged uncertain'] / max(n, 1):.1%})")
    if counts["failed documents"]:
        print(f"failed documents: {counts['failed documents']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
