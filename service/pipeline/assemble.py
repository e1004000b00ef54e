"""Step 3 of the pipeline, *assemble*: splice, align, offsets.

Each sentence's translation is its frame's model output unmasked, with the carved quotes'
translations spliced in where the frame held their placeholders; the gaps between sentences are
kept. So every target span (sentence, quote) is exact by construction, and ``text[start:end]``
equals its ``text``. HTML and XML input get their blocks' translations put back into the markup (``place_markup.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from service.pipeline.glossary_terms import TermHit, check_terms, term_fills
from service.pipeline.memory_step import MEMORY_NOT_APPLIED
from service.pipeline.nesting import parents
from service.pipeline.place_markup import render_markup
from service.pipeline.plan import DocPlan, Unit
from service.pipeline.quality import QualityPolicy
from service.pipeline.results import DocumentResult, Origin, QuoteOut, SentenceOut, TermOut
from service.pipeline.word_links import Link, unit_links
from translators.base import Lang, ModelIdentity, Span, Translator
from translators.give_way import giving_way
from translators.text.intervals import Intervals, splice
from translators.text.numbers import check_numbers
from translators.text.protect import place_dropped, restore

__all__ = ["assemble"]


def assemble(plan: DocPlan, translator: Translator, quality: QualityPolicy | None = None) -> DocumentResult:
    """The translated document of a plan whose units all have their results."""
    quality = quality or QualityPolicy()
    src = plan.source_text
    target = plan.doc.target_lang
    out: list[str] = []
    pos = 0  # length of the translation so far
    cursor = 0  # position in the source
    sentences: list[SentenceOut] = []
    quote_target: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    hits = misses = memory_hits = 0
    for sp in giving_way(plan.sentences):
        gap = src[cursor:sp.span.start]
        out.append(gap)
        pos += len(gap)
        text, where, applied, links = _render(sp.frame, target)
        for qi, (a, b) in where.items():
            quote_target[qi][len(sentences)] = (pos + a, pos + b)
        used = [u for u in sp.frame.to_translate() if u.uses_model]
        masked = [u for u in sp.frame.to_translate() if u.masked is not None]
        recalled = [u for u in sp.frame.walk() if u.memory is not None]
        for u in used:
            _check_quality(u, target, quality)
        hits += sum(u.cached for u in used)
        misses += sum(not u.cached for u in used)
        memory_hits += len(recalled)
        pieces = max([1] + [u.pieces for u in used])
        capped = any(u.capped for u in used)
        flags = ([f for u in masked for f in u.flags] + ["split"] * (pieces > 1) + ["capped"] * capped
                 + [MEMORY_NOT_APPLIED] * any(u.memory_notes for u in sp.frame.walk()))
        # a sentence is as sure as its least sure part (a frame and the quotes carved from it); a
        # part the memory serves has no model score, and then neither has the sentence
        scores = [u.score for u in used]
        sentences.append(SentenceOut(
            source=sp.span, target=Span(pos, pos + len(text), text), lang=sp.detection.lang,
            confidence=round(sp.detection.confidence, 4), translated=bool(used or recalled),
            pieces=pieces, cached=bool(used) and all(u.cached for u in used), capped=capped,
            warnings=[w for u in masked for w in u.warnings] + [n for u in sp.frame.walk() for n in u.memory_notes],
            flags=list(dict.fromkeys(flags)),
            origin=_origin(used, recalled), memory=recalled[0].memory if recalled else None,
            suggestions=list(sp.suggestions), terms=[_term_out(u, h, src, text, pos) for u, h in applied],
            translation_confidence=round(min(scores), 4)  # type: ignore[type-var]
            if scores and None not in scores and not recalled else None,
            alignment=[(Span(sp.span.start + a, sp.span.start + b, sp.span.text[a:b]),
                        Span(pos + c, pos + d, text[c:d])) for a, b, c, d in links]
            if sp.frame.needs_links else None))
        out.append(text)
        pos += len(text)
        cursor = sp.span.end
    out.append(src[cursor:])
    translation_text = "".join(out)

    quotes = _align_quotes(plan, sentences, quote_target, translation_text)
    translation = translation_text
    if plan.html is not None:
        translation = render_markup(plan, sentences, translation_text)
    warnings = list(plan.warnings)
    warnings += [f"sentence {i}: {w}" for i, s in enumerate(sentences) for w in s.warnings]
    split = sum(1 for s in sentences if s.pieces > 1)
    if split:
        warnings.append(f"{split} sentence(s) exceeded the model's input limit and were translated in pieces")
    capped = sum(1 for s in sentences if s.capped)
    if capped:
        warnings.append(f"{capped} sentence(s) stopped at the model's output length cap or repeated themselves "
                        "(the loop was cut): their translation may be incomplete")
    models: dict[str, list[ModelIdentity]] = {}
    for lang in {u.lang for u in plan.units_to_translate() if u.masked is not None}:
        pair = f"{lang}-{target}"
        models[pair] = list(translator.describe(lang, target).legs)  # type: ignore[arg-type]
    return DocumentResult(
        source_lang=plan.doc_lang or "und", target_lang=target, format=plan.doc.format, source_text=src,
        translation_text=translation_text, translation=translation, sentences=sentences, quotes=quotes,
        models=models, cache_hits=hits, cache_misses=misses, warnings=warnings, memory_hits=memory_hits,
        alignment=plan.doc.alignment)


def _origin(used: Sequence[Unit], recalled: Sequence[Unit]) -> Origin | None:
    """Where a sentence's translation came from: the memory (every part of it), else the cache
    (every part the engines gave), else the model; None when it was kept as is."""
    if not used:
        return "memory" if recalled else None
    return "cache" if all(u.cached for u in used) else "model"


def _align_quotes(plan: DocPlan, sentences: Sequence[SentenceOut],
                  carved: dict[int, dict[int, tuple[int, int]]], translation: str) -> list[QuoteOut]:
    """A quote's target runs from its first to its last piece: the carved-out translation in a
    sentence where it was carved, the whole sentence where the quote fills it."""
    result: list[QuoteOut] = []
    at = Intervals([(s.source.start, s.source.end) for s in sentences])
    parent = parents(plan.quotes)
    for qi, q in enumerate(plan.quotes):
        inside = list(at.overlapping(q.span.start, q.span.end))
        pieces = [carved.get(qi, {}).get(i) or _uncarved_piece(sentences[i], q.span, translation) for i in inside]
        target = None
        if pieces:
            start, end = pieces[0][0], pieces[-1][1]
            target = Span(start, end, translation[start:end])
        result.append(QuoteOut(
            kind=q.kind, lang=plan.quote_langs[qi], source=q.span, outer=q.outer, target=target,
            sentences=inside, author=q.author, handle=q.handle, date=q.date, url=q.url, speaker=q.speaker,
            parent=parent[qi]))
    return result


_MARKS = frozenset("„”“\"«»‘’‹›'")


def _uncarved_piece(sentence: SentenceOut, quote: Span, translation: str) -> tuple[int, int]:
    """The part of a sentence's translation that an uncarved quote stands for. With word links
    (computed for every sentence a quote covers only in part): from the first to the last target
    word linked to a source word inside the quote. Otherwise (a quote filling the sentence but for
    quote marks and punctuation around it, which were not carved): the sentence's target without
    the marks and punctuation that lie outside the quote in the source."""
    linked = [t for s, t in sentence.alignment or () if quote.start <= s.start and s.end <= quote.end]
    if linked:
        return min(t.start for t in linked), max(t.end for t in linked)
    a, b = sentence.target.start, sentence.target.end
    lead = sentence.source.text[:max(0, quote.start - sentence.source.start)]
    trail = sentence.source.text[max(0, quote.end - sentence.source.start):]
    if lead.strip():
        strip = set(lead) | _MARKS
        while a < b and (translation[a] in strip or translation[a].isspace()):
            a += 1
    if trail.strip():
        strip = set(trail) | _MARKS
        while b > a and (translation[b - 1] in strip or translation[b - 1].isspace()):
            b -= 1
    return a, b


def _numbers_checked(unit: Unit, target: Lang) -> str:
    """The unit's model output with the source's numbers checked (repaired where clear; what
    stays missing is a warning on the unit)."""
    assert unit.masked is not None
    if not unit.uses_model:
        return unit.result or ""
    check = check_numbers(unit.masked.model_text, unit.result or "", unit.lang, target)
    unit.warnings = list(check.warnings)
    if check.missing:
        unit.flags.append("number_missing")
    return check.text


def _check_quality(unit: Unit, target: Lang, quality: QualityPolicy) -> None:
    """The unit's quality flags, as warnings ``"<code>: <detail>"`` and codes."""
    assert unit.masked is not None
    for code, detail in quality.flags(unit.lang, target, unit.masked.model_text, unit.result or "", unit.score):
        unit.warnings.append(f"{code}: {detail}")
        unit.flags.append(code)


Applied = list[tuple[Unit, TermHit]]


def _render(unit: Unit, target: Lang) -> tuple[str, dict[int, tuple[int, int]], Applied, list[Link]]:
    """The unit's translation with its carved quotes' translations in place, where each carved
    quote (at any depth) lies in it, the glossary terms applied in it (positions in it), and the
    word links between the unit's text and it (none for a unit the translation memory serves: no
    model aligned it)."""
    if unit.memory is not None:  # the entry's target, its quotations where the carved quotes stand
        text = unit.memory.target
        return text, {qi: hole for (_, _, qi), hole in zip(unit.carved, unit.memory_holes, strict=True)}, [], []
    rendered = [_render(child, target) for child in unit.children]
    applied: Applied = []
    if unit.masked is None:
        text, holes = splice(unit.text, [(a, b, f) for (a, b, _), (f, *_) in zip(unit.carved, rendered, strict=True)])
    else:
        if unit.result is None:  # pragma: no cover - every masked unit is translated or failed
            raise RuntimeError("unit was not translated")
        aligned: frozenset[int] = frozenset()
        if unit.in_markup and unit.uses_model and unit.links:
            # a placeholder the model dropped goes where its neighbours went (the markup follows the links)
            dropped = restore(unit.result, unit.masked, {}).guessed if unit.terms else frozenset()
            unit.result, moved = place_dropped(unit.result, unit.masked, unit.links)
            unit.links = tuple(moved)
            aligned = dropped
        hole_ids = [i for i, p in enumerate(unit.masked.placeholders) if p.kind == "hole"]
        fills = dict(zip(hole_ids, [f for f, *_ in rendered], strict=True))
        fills.update(term_fills(unit.masked, unit.terms))
        done = restore(_numbers_checked(unit, target), unit.masked, fills)
        holes = [done.where[i] for i in hole_ids]
        text, terms, warnings, flags = check_terms(unit.masked, unit.terms, done, target, aligned - done.guessed)
        unit.warnings += warnings
        unit.flags += flags
        applied = [(unit, h) for h in terms]
    links: list[Link] = []
    if unit.needs_links:
        model = unit.masked if unit.uses_model else None
        links = unit_links(unit.text, text, [(a, b) for a, b, _ in unit.carved], holes, [r[3] for r in rendered],
                           model_text=model.model_text if model else None, output=unit.result if model else None,
                           links=(unit.links or ()) if model else None, prefix=model.prefix if model else "",
                           suffix=model.suffix if model else "")
    where: dict[int, tuple[int, int]] = {}
    for (_, _, qi), (a, b), (_, inner, inner_terms, _) in zip(unit.carved, holes, rendered, strict=True):
        where[qi] = (a, b)
        where.update({k: (a + c, a + d) for k, (c, d) in inner.items()})
        applied += [(u, replace(h, start=a + h.start, end=a + h.end)) for u, h in inner_terms]
    applied.sort(key=lambda x: x[1].start)
    return text, where, applied, links


def _term_out(unit: Unit, hit: TermHit, source_text: str, text: str, pos: int) -> TermOut:
    """A term applied in a sentence: its source span (in the document) and target span (at
    ``pos`` in the translation; ``hit`` is relative to the sentence's ``text``)."""
    m = hit.match
    a, b = unit.offset + m.start, unit.offset + m.end
    return TermOut(source=Span(a, b, source_text[a:b]), target=Span(pos + hit.start, pos + hit.end,
                                                                     text[hit.start:hit.end]),
                   term=m.entry.source, translation=m.entry.target, match=m.how, keep=m.entry.keep, placed=hit.placed)
