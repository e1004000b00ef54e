"""Part of step 3, *assemble*: an HTML or XML document's markup written over its translation.

Each block's translation is cut from the translated text with the word links of its sentences
(moved into the block's own coordinates; a sentence kept as it was links each word to itself), and
the block's inline elements are placed through them (``translators.text.projection``). An element
the alignment could not place is still there, and its sentence says so: the warning
``markup_placement_uncertain: ...`` with the code in ``flags``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence

from service.pipeline.plan import DocPlan
from service.pipeline.results import SentenceOut
from translators.base import Span
from translators.text.html_render import project_html
from translators.text.intervals import Intervals
from translators.text.markup import BlockTranslation, Rendered, Uncertain
from translators.text.projection import WordLink, tokens
from translators.text.xml_doc import XmlDocument, project_xml

__all__ = ["UNCERTAIN", "render_markup"]

UNCERTAIN = "markup_placement_uncertain"
_QUOTE_CHARS = 40


def render_markup(plan: DocPlan, sentences: Sequence[SentenceOut], translation: str) -> str:
    """The document's markup over ``translation``; uncertain placements become warnings of the
    sentences they stand in."""
    doc = plan.html
    assert doc is not None
    blocks = _block_translations(plan, sentences, translation)
    rendered: Rendered = project_xml(doc, blocks) if isinstance(doc, XmlDocument) else project_html(doc, blocks)
    _report(plan, sentences, rendered.uncertain)
    return rendered.markup


def _block_translations(plan: DocPlan, sentences: Sequence[SentenceOut], translation: str) -> list[BlockTranslation]:
    assert plan.html is not None
    at = Intervals([(s.source.start, s.source.end) for s in sentences])
    out: list[BlockTranslation] = []
    for block in plan.html.blocks:
        inside = [sentences[i] for i in at.overlapping(block.span.start, block.span.end)]
        if not inside:
            out.append(BlockTranslation(block.span.text, ()))
            continue
        t0 = inside[0].target.start
        links: list[WordLink] | None = []
        for s in inside:
            found = _sentence_links(s)
            if found is None:
                links = None
                break
            links += [(a - block.span.start, b - block.span.start, c - t0, d - t0) for a, b, c, d in found]
        out.append(BlockTranslation(translation[t0:inside[-1].target.end], links))
    return out


def _sentence_links(s: SentenceOut) -> list[WordLink] | None:
    """A sentence's word links in document coordinates (the model's own alignment, carried
    through masking and unmasking: ``SentenceOut.alignment``; a sentence kept as it was links
    each word to itself); ``None`` when it has none to give."""
    if s.alignment is not None:
        return [(a.start, a.end, b.start, b.end) for a, b in s.alignment]
    if not s.translated and s.source.text == s.target.text:
        shift = s.target.start - s.source.start
        return [(s.source.start + a, s.source.start + b, s.source.start + a + shift, s.source.start + b + shift)
                for a, b in tokens(s.source.text)]
    return None


def _report(plan: DocPlan, sentences: Sequence[SentenceOut], uncertain: Sequence[Uncertain]) -> None:
    assert plan.html is not None
    if not uncertain or not sentences:
        return
    starts = [s.source.start for s in sentences]
    at = Intervals([(s.source.start, s.source.end) for s in sentences])
    by_sentence: dict[int, list[str]] = defaultdict(list)
    for u in uncertain:
        block = plan.html.blocks[u.block].span
        a, b = block.start + u.start, block.start + u.end
        hit = list(at.overlapping(a, max(b, a + 1)))
        i = hit[0] if hit else max(0, bisect_right(starts, a) - 1)
        by_sentence[i].append(_describe(u, Span(a, b, plan.source_text[a:b])))
    for i, what in sorted(by_sentence.items()):
        s = sentences[i]
        s.warnings.append(f"{UNCERTAIN}: {'; '.join(what)}: placed by its neighbours, not by the word alignment")
        if UNCERTAIN not in s.flags:
            s.flags.append(UNCERTAIN)


def _describe(u: Uncertain, where: Span) -> str:
    if where.end == where.start:
        return u.label
    words = where.text if len(where.text) <= _QUOTE_CHARS else where.text[:_QUOTE_CHARS - 1] + "…"
    return f"{u.label} around “{words}”"
