"""Between *plan* and *translate*: the translation memory (``Recall``).

Every unit that would go to the model (a sentence frame, a carved quote) is looked up in one
round trip for all the documents of the call (a request, a batch chunk): an *approved* entry
whose normalized source is the unit's, in the same languages and scope (the document's scope
first, then the global entries), serves the unit, and the engines never see it. So memory wins
over the SQL cache, and a changed or deleted entry counts from the next request on.

An entry serves a unit only when it fits: its source has the unit's URLs, handles, hashtags,
e-mail addresses, emoji and numbers, and its target carries every one of them (numbers in either
notation); a unit with carved quotes is served whole only when the entry's target shows as many
quotations, whose places become the quotes' target spans. An entry that does not fit is said in
the sentence's warnings (``memory_not_applied: ...``) and the model translates.

Documents that ask for it (``Document.memory_suggestions``) get, for each sentence the model
translates, the close entries (fuzzy, score >= the threshold) as suggestions.

The memory never fails a translation: when its database fails, the documents are translated
without it and say so in their warnings.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from service.pipeline.plan import DocPlan, SentencePlan, Unit
from service.pipeline.results import MemoryRef, Suggestion
from translators.text.numbers import check_numbers, find_numbers
from translators.text.protect import EDGE_KINDS, find_protected
from translators.text.quotes import find_quotes

if TYPE_CHECKING:
    from service.storage.memory_store import FuzzyMatch, MemoryEntry

__all__ = ["MEMORY_NOT_APPLIED", "MEMORY_UNAVAILABLE", "MemoryLookup", "Recall", "misfit"]

MEMORY_NOT_APPLIED = "memory_not_applied"  # a sentence's flag: an entry matched but did not fit
MEMORY_UNAVAILABLE = "memory_unavailable"  # a document's warning: the memory could not be read

log = logging.getLogger(__name__)

Query = tuple[str, str, str, str | None]  # (segment, source_lang, target_lang, scope)


class MemoryLookup(Protocol):
    """What the pipeline asks of the memory (``service.storage.memory_store.TranslationMemory``,
    through its ``GuardedMemory``)."""

    def recall(self, exact: Iterable[Query], fuzzy: Sequence[Query], *, threshold: int = 75, limit: int = 3
               ) -> tuple[Mapping[Query, MemoryEntry], list[list[FuzzyMatch]] | Exception]:
        """``exact`` and ``fuzzy`` in one call; the fuzzy part's failure returned, not raised."""
        ...


def _tokens(text: str) -> Counter[str]:
    return Counter(p.text for p in find_protected(text) if p.kind in EDGE_KINDS)


def _numbers(text: str, lang: str) -> Counter[str]:
    return Counter(str(n.value) for n in find_numbers(text, lang))


def misfit(text: str, entry: MemoryEntry) -> str | None:
    """Why ``entry`` cannot serve ``text`` as its exact translation (None: it can)."""
    tokens = _tokens(text)
    if tokens != _tokens(entry.source):
        return "its source has other URLs, handles, hashtags or emoji"
    if _numbers(text, entry.source_lang) != _numbers(entry.source, entry.source_lang):
        return "its source has other numbers"
    for token, n in tokens.items():
        if entry.target.count(token) < n:
            return f"its translation lacks {token!r}"
    check = check_numbers(text, entry.target, entry.source_lang, entry.target_lang)
    if check.missing or check.repaired:
        return f"its translation lacks the number {(check.missing or check.repaired)[0]!r}"
    return None


def _quote_holes(target: str, unit: Unit) -> list[tuple[int, int]] | None:
    """Where the unit's carved quotes stand in an entry's target: its outermost quotations, when
    there are exactly as many (and the carved quotes hold no quotes of their own)."""
    if any(child.children for child in unit.children):
        return None
    found = [q for q in find_quotes(target) if q.kind == "quote"]
    outer = [q for q in found if not any(o is not q and o.outer.start <= q.outer.start and q.outer.end <= o.outer.end
                                         for o in found)]
    if len(outer) != len(unit.children):
        return None
    return [(q.span.start, q.span.end) for q in outer]


def _ref(entry: MemoryEntry) -> MemoryRef:
    return MemoryRef(entry.id, entry.who, entry.updated_at, entry.scope, entry.source, entry.target)


@dataclass
class Recall:
    memory: MemoryLookup
    threshold: int = 75  # least fuzzy score of a suggestion
    limit: int = 3  # suggestions per sentence

    def __call__(self, plans: Sequence[DocPlan]) -> None:
        """Serve what the memory knows; attach suggestions where the documents ask for them.
        One call to the memory per batch: the exact entries, and the close ones of every
        sentence that may still need the model (those the exact entries serve drop theirs)."""
        wanted = {self._query(unit, plan) for plan in plans for sp in plan.sentences for unit in sp.frame.walk()
                  if unit.uses_model}
        asking = [(sp, self._query(sp.frame, plan)) for plan in plans if plan.doc.memory_suggestions
                  for sp in plan.sentences if self._uses_model(sp)] if self.limit > 0 else []
        if not wanted and not asking:
            return
        try:
            found, close = self.memory.recall(wanted, [q for _, q in asking], threshold=self.threshold,
                                              limit=self.limit)
        except Exception as exc:  # the memory is never a point of failure
            self._unavailable(plans, "lookup", exc)
            return
        for plan in plans:
            for sp in plan.sentences:
                self._serve(sp.frame, plan, found)
        if isinstance(close, Exception):
            self._unavailable([p for p in plans if p.doc.memory_suggestions], "suggestions", close)
            return
        for (sp, _), matches in zip(asking, close, strict=True):
            if self._uses_model(sp):  # not served whole by an exact entry
                sp.suggestions = [_suggestion(m) for m in matches]

    @staticmethod
    def _uses_model(sp: SentencePlan) -> bool:
        return any(u.uses_model for u in sp.frame.to_translate())

    @staticmethod
    def _query(unit: Unit, plan: DocPlan) -> Query:
        return (unit.text, unit.lang, plan.doc.target_lang, plan.doc.memory_scope)

    def _serve(self, unit: Unit, plan: DocPlan, found: Mapping[Query, MemoryEntry]) -> None:
        entry = found.get(self._query(unit, plan)) if unit.uses_model else None
        if entry is not None:
            why = misfit(unit.text, entry)
            holes: list[tuple[int, int]] | None = []
            if why is None and unit.children:
                holes = _quote_holes(entry.target, unit)
                if holes is None:
                    why = f"its translation does not show where the {len(unit.children)} quotation(s) go"
            if why is None and holes is not None:
                unit.memory, unit.memory_holes = _ref(entry), holes
                return
            unit.memory_notes.append(f"{MEMORY_NOT_APPLIED}: memory entry {entry.id} not used ({why}); "
                                     "translated by the model")
        for child in unit.children:
            self._serve(child, plan, found)

    @staticmethod
    def _unavailable(plans: Sequence[DocPlan], what: str, exc: Exception) -> None:
        log.warning("translation memory unavailable; translating without it",
                    extra={"op": what, "error": f"{type(exc).__name__}: {exc}"})
        for plan in plans:
            plan.warnings.append(f"{MEMORY_UNAVAILABLE}: the translation memory could not be read ({what}); "
                                 "translated without it")


def _suggestion(m: FuzzyMatch) -> Suggestion:
    e = m.entry
    return Suggestion(e.id, e.source, e.target, m.score, e.status, e.who, e.updated_at)
