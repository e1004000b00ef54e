"""``PivotTranslator``: pairs with no direct model go through English (pl<->lt), like
argos-translate's ``CompositeTranslation``."""

from __future__ import annotations

from collections.abc import Sequence

from translators.base import EngineInfo, Lang, ModelIdentity, Translation, Translator, UnsupportedPair, WordLink
from translators.registry import PIVOT
from translators.word_alignment import compose_links


class PivotTranslator:
    """Serves direct pairs from ``inner`` and the rest as source->pivot->target."""

    def __init__(self, inner: Translator, pivot: Lang = PIVOT) -> None:
        self.inner = inner
        self.pivot = pivot

    def _legs(self, source: Lang, target: Lang) -> list[tuple[Lang, Lang]]:
        if self.inner.supports(source, target):
            return [(source, target)]
        if (source != self.pivot and target != self.pivot and self.inner.supports(source, self.pivot)
                and self.inner.supports(self.pivot, target)):
            return [(source, self.pivot), (self.pivot, target)]
        raise UnsupportedPair(f"no model or pivot for {source}->{target}")

    def supports(self, source: Lang, target: Lang) -> bool:
        try:
            self._legs(source, target)
        except UnsupportedPair:
            return False
        return True

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        ids = [self.inner.identity(s, t) for s, t in self._legs(source, target)]
        if len(ids) == 1:
            return ids[0]
        return ModelIdentity("+".join(i.model_id for i in ids), "+".join(i.revision for i in ids),
                             "+".join(i.checksum for i in ids), "+".join(i.options for i in ids))

    def legs(self, source: Lang, target: Lang) -> list[ModelIdentity]:
        return [self.inner.identity(s, t) for s, t in self._legs(source, target)]

    def describe(self, source: Lang | None = None, target: Lang | None = None) -> EngineInfo:
        """A pivoted pair reports both legs (source->pivot, pivot->target)."""
        legs = tuple(self.legs(source, target)) if source is not None and target is not None else ()
        return EngineInfo("pivot", self.inner.describe(), legs)

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        """Each leg translates the previous one's output. A pivoted result's ``score`` is the
        product of the legs' (both must be right), its links the legs' composed through the
        pivot text."""
        legs = self._legs(source, target)
        if len(legs) == 1:
            return self.inner.translate_batch(texts, source, target, alignment=alignment)
        current = list(texts)
        pieces = [1] * len(current)
        cached = [True] * len(current)
        capped = [False] * len(current)
        scores: list[float | None] = [1.0] * len(current)
        links: list[tuple[WordLink, ...] | None] = [None] * len(current)
        for k, (s, t) in enumerate(legs):
            outs = self.inner.translate_batch(current, s, t, alignment=alignment)
            current = [o.text for o in outs]
            pieces = [max(p, o.pieces) for p, o in zip(pieces, outs, strict=True)]
            cached = [c and o.cached for c, o in zip(cached, outs, strict=True)]
            capped = [c or o.capped for c, o in zip(capped, outs, strict=True)]
            scores = [None if p is None or o.score is None else p * o.score for p, o in zip(scores, outs, strict=True)]
            if alignment:
                links = [o.alignment if k == 0 else _compose(prev, o.alignment)
                         for prev, o in zip(links, outs, strict=True)]
        return [Translation(text, p, c, cap, score, link)
                for text, p, c, cap, score, link in zip(current, pieces, cached, capped, scores, links, strict=True)]


def _compose(first: tuple[WordLink, ...] | None, second: tuple[WordLink, ...] | None) -> tuple[WordLink, ...] | None:
    return None if first is None or second is None else compose_links(first, second)
