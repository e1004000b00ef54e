"""The glossary step of the pipeline: terms found before translation, enforced, checked after.

*Before* (``plan``): the unit's dictionary (its language -> the target) finds the terms in the
unit's text (``translators.text.terms``: exact surface matches, then inflected forms), outside
the protected spans and carved quotes. Each term is masked as a placeholder (``mask(terms=...)``)
so the model never sees it; the unit's cache scope becomes the dictionary's content hash.

*After* (``assemble``): each term's placeholder is filled (``term_fills``): a do-not-translate term
matched exactly comes back verbatim; any other term as the glossary's target (a do-not-translate
term met in an inflected form comes back in the glossary's form). Then every term is checked in
the translation (``check_terms``):

- ``glossary_term_missing``: the model dropped the term's placeholder (it was put back where its
  neighbours' translations went when the unit has word links and inline markup (``aligned``, by
  ``protect.place_dropped``), else at a guessed place), or the term's target is not in the unit's
  translation at all;
- ``glossary_case_uncertain``: into Polish or Lithuanian, a term put in as the glossary writes it
  (the nominative, usually) where the sentence may want another case.

Why placeholders: Marian models cannot be steered towards a term without retraining, and
CTranslate2 has no lexical constraints (its issue 739); see docs/engines.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from translators.base import Lang
from translators.text.protect import Masked, Restored, protected_ranges
from translators.text.terms import Glossary, TermDictionary, TermMatch

__all__ = ["TermHit", "check_terms", "find_terms", "term_fills"]

INFLECTING_TARGETS = frozenset({"pl", "lt"})
Placed = Literal["model", "aligned", "guessed"]  # by the model; the model dropped it: by the word links, or a guess
_OPENING = frozenset(" \t\n\"'„“«‚‘(")


@dataclass(frozen=True)
class TermHit:
    """A term applied in a unit: where it stood in the unit's text and where its translation
    stands in the unit's translation."""

    match: TermMatch
    fill: str
    start: int
    end: int
    placed: Placed


def find_terms(glossary: Glossary | None, text: str, lang: str, target: Lang,
               holes: Sequence[tuple[int, int]]) -> tuple[TermDictionary | None, list[TermMatch]]:
    """The dictionary that applies to a unit in ``lang`` and the terms it finds in ``text``."""
    if glossary is None:
        return None, []
    dictionary = glossary.dictionary(lang, target)
    if dictionary is None:
        return None, []
    return dictionary, dictionary.matcher().find(text, protected_ranges(text, holes))


def _term_indices(masked: Masked) -> list[int]:
    return [i for i, p in enumerate(masked.placeholders) if p.kind == "term"]


def term_fills(masked: Masked, terms: Sequence[TermMatch]) -> dict[int, str]:
    """Placeholder index -> what the term becomes in the translation."""
    out: dict[int, str] = {}
    for i, m in zip(_term_indices(masked), terms, strict=True):
        item = masked.placeholders[i]
        out[i] = item.text if m.entry.keep and m.how == "exact" else m.entry.target
    return out


def check_terms(masked: Masked, terms: Sequence[TermMatch], restored: Restored, target: Lang,
                aligned: frozenset[int] = frozenset()) -> tuple[str, list[TermHit], list[str], list[str]]:
    """The unit's translation (a term opening it capitalised), its applied terms, and the
    warnings and flags of their check. ``aligned``: placeholders the model dropped that the word
    links put back before ``restore`` (``protect.place_dropped``)."""
    text = restored.text
    hits: list[TermHit] = []
    warnings: list[str] = []
    flags: list[str] = []
    for i, m in zip(_term_indices(masked), terms, strict=True):
        a, b = restored.where[i]
        fill = text[a:b]
        if fill and fill[0].islower() and not m.entry.keep and not text[:a].strip(" \t\n\"'„“«‚‘("):
            text = text[:a] + fill[0].upper() + text[a + 1:]  # the sentence opens with the term
            fill = text[a:b]
        placed: Placed = "guessed" if i in restored.guessed else "aligned" if i in aligned else "model"
        hits.append(TermHit(m, fill, a, b, placed))
        quoted = f'"{m.entry.target}" (for "{masked.placeholders[i].text}")'
        if placed != "model":
            where = "at a guessed place" if placed == "guessed" else "where its neighbours went (word alignment)"
            warnings.append(f"glossary_term_missing: {quoted}: the model dropped the term; it was put back {where}")
            flags.append("glossary_term_missing")
        elif fill.casefold() != (m.entry.target if not (m.entry.keep and m.how == "exact")
                                 else masked.placeholders[i].text).casefold():
            warnings.append(f"glossary_term_missing: {quoted} is not in the translation")
            flags.append("glossary_term_missing")
        if target in INFLECTING_TARGETS and not (m.entry.keep and m.how == "exact"):
            before = text[:a].rstrip().rsplit(maxsplit=1)[-1:] or [""]
            where = f' after "{before[0]}"' if before[0] else " at the start"
            warnings.append(f"glossary_case_uncertain: {quoted} was put in as the glossary writes it{where}; "
                            "the sentence may need another case")
            flags.append("glossary_case_uncertain")
    return text, hits, warnings, sorted(set(flags), key=flags.index)
