"""Step 2 of the pipeline, *translate*: every unit of every planned document to the engines.

Units are grouped by language pair and de-duplicated by their model text, so the sentences of
many documents (a batch chunk, coalesced requests) share one ``translate_batch`` call per pair.
Units in which a glossary found terms are grouped by its content hash too, and translated in that
cache scope (``translators.cached.cache_scope``). A failing call fails the documents that used it,
and only those.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from service.pipeline.plan import DocPlan, Unit
from translators.base import Translator
from translators.cached import cache_scope

__all__ = ["translate_units"]


def translate_units(translator: Translator, plans: Sequence[DocPlan]) -> dict[int, Exception]:
    """Translate every unit of every plan, grouped by pair and de-duplicated. Texts whose units
    need word links are sent in a call that asks for them; the rest in one that does not (links
    cost a little, and nothing when not asked)."""
    groups: dict[tuple[str, str, str], dict[str, list[tuple[Unit, DocPlan]]]] = defaultdict(dict)
    for plan in plans:
        for unit in plan.units_to_translate():
            if unit.masked is None:
                continue
            if not unit.masked.model_text.strip():
                unit.result = ""
                continue
            key = (unit.lang, plan.doc.target_lang, unit.scope)
            groups[key].setdefault(unit.masked.model_text, []).append((unit, plan))
    failures: dict[int, Exception] = {}
    for (src, tgt, scope), by_text in groups.items():
        linked = [t for t, users in by_text.items() if any(u.needs_links for u, _ in users)]
        plain = [t for t, users in by_text.items() if not any(u.needs_links for u, _ in users)]
        for texts, alignment in ((plain, False), (linked, True)):
            if not texts:
                continue
            try:
                with cache_scope(scope):
                    outs = translator.translate_batch(texts, src, tgt, alignment=alignment)  # type: ignore[arg-type]
            except Exception as exc:
                for text in texts:
                    for _, plan in by_text[text]:
                        failures[id(plan)] = exc
                continue
            for text, out in zip(texts, outs, strict=True):
                for unit, _ in by_text[text]:
                    unit.result, unit.pieces, unit.cached, unit.capped = out.text, out.pieces, out.cached, out.capped
                    unit.score, unit.links = out.score, out.alignment
    return failures
