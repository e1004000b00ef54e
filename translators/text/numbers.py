"""Numbers after translation: every number of the source must be in the translation.

Numbers are not masked (Polish and Lithuanian nouns agree with the number: 1 osoba, 2 osoby,
5 osób; 1 žmogus, 10 žmonių; a model that cannot see the number cannot agree with it, nor put
it where English puts it). They reach the model as written, and ``check_numbers`` compares the
numbers of the model's input with those of its output afterwards:

* A number is a run of digits, with group separators (``1 000``, ``1,000``, ``1.000``) and a
  decimal separator (``3,5``, ``3.5``) read in the source language's notation first (pl/lt:
  space or ``.`` groups, ``,`` decimals; en: ``,`` groups, ``.`` decimals), then in the other.
  A token that is a number in neither notation (``12.11.2021``, ``1,2,3``) counts as its
  digit runs, each a number of its own. ``12:30``, ``24/7`` and ``2–4`` are two numbers.
* A source number is found in the translation when a target token has the same value in the
  target's notation or in the source's (``1 000`` may come out as ``1,000`` or ``1000``;
  ``3,5`` as ``3.5``). Values are matched as a multiset, in order.
* Repairs, only where the place is clear: a changed number (as many unmatched numbers in the
  output as missing ones in the input) is replaced, in order, by the source number written in
  the target's notation; a missing number that stood before (after) every word of the source
  goes before (after) the output's words. Anything else missing gets a warning, never silence.

Placeholders of protected spans (``QZ<n>``) are not numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import regex

from translators.text.protect import PLACEHOLDER_RE

_SPACES = " \u00a0\u202f\u2009"
# space-grouped thousands first (1 000 000,5), then digits with . and , between digit runs
_TOKEN = regex.compile(rf"\d{{1,3}}(?:[{_SPACES}]\d{{3}})+(?:[.,]\d+)?(?!\d)|\d+(?:[.,]\d+)*")
_LETTER = regex.compile(r"\p{L}")

# notation -> (group separators, decimal separator)
_NOTATION: dict[str, tuple[str, str]] = {"en": (",", "."), "pl": ("." + _SPACES, ","), "lt": ("." + _SPACES, ",")}


@dataclass(frozen=True)
class Number:
    start: int
    end: int
    text: str
    value: Decimal | str  # a Decimal, or the digit run itself when the token is no number


@dataclass(frozen=True)
class NumberCheck:
    text: str  # the output, repaired where that was clear
    missing: tuple[str, ...]  # source numbers still not in ``text``
    repaired: tuple[str, ...]  # source numbers put back
    warnings: tuple[str, ...]


def parse(token: str, lang: str) -> Decimal | None:
    """The value of ``token`` in ``lang``'s notation, or ``None`` when it is not one."""
    groups, decimal = _NOTATION.get(lang, _NOTATION["en"])
    runs = regex.split(r"[^\d]", token)
    seps = regex.findall(r"[^\d]", token)
    if not seps:
        return Decimal(token)
    frac = ""
    if seps[-1] == decimal:
        frac = runs[-1]
        seps, runs = seps[:-1], runs[:-1]
    if seps:
        if any(s not in groups for s in seps) or len(set(seps)) > 1:
            return None
        if not 1 <= len(runs[0]) <= 3 or any(len(r) != 3 for r in runs[1:]):
            return None
    return Decimal("".join(runs) + ("." + frac if frac else ""))


def find_numbers(text: str, lang: str) -> list[Number]:
    """Numbers of ``text`` read in ``lang``'s notation (placeholders ``QZ<n>`` skipped)."""
    blank = _blank(text)
    out: list[Number] = []
    other = "en" if lang != "en" else "pl"
    for m in _TOKEN.finditer(blank):
        value = parse(m.group(), lang)
        if value is None:
            value = parse(m.group(), other)
        if value is not None:
            out.append(Number(m.start(), m.end(), m.group(), value))
            continue
        for run in regex.finditer(r"\d+", m.group()):
            out.append(Number(m.start() + run.start(), m.start() + run.end(), run.group(), Decimal(run.group())))
    return out


def _readings(token: str, langs: Sequence[str]) -> set[Decimal | str]:
    values: set[Decimal | str] = set()
    for lang in langs:
        value = parse(token, lang)
        if value is not None:
            values.add(value)
    return values


def _match(source: Sequence[Number], target: Sequence[Number], langs: Sequence[str]
           ) -> tuple[list[int], list[int]]:
    """Indices of unmatched source numbers and unmatched target numbers (greedy, in order)."""
    used = [False] * len(target)
    missing: list[int] = []
    readings = [_readings(t.text, langs) | {t.value} for t in target]
    for i, s in enumerate(source):
        j = next((j for j in range(len(target)) if not used[j] and s.value in readings[j]), None)
        if j is None:
            missing.append(i)
        else:
            used[j] = True
    return missing, [j for j, u in enumerate(used) if not u]


def render(number: Number, source_lang: str, target_lang: str) -> str:
    """``number`` written in the target's notation (as written when it is no plain number)."""
    if not isinstance(number.value, Decimal) or parse(number.text, source_lang) is None:
        return number.text
    groups, decimal = _NOTATION.get(target_lang, _NOTATION["en"])
    src_groups, src_decimal = _NOTATION.get(source_lang, _NOTATION["en"])
    out = []
    for ch in number.text:
        if ch == src_decimal:
            out.append(decimal)
        elif ch in src_groups:
            out.append(groups[0] if target_lang == "en" else "\u00a0")
        else:
            out.append(ch)
    return "".join(out)


def check_numbers(source: str, output: str, source_lang: str, target_lang: str) -> NumberCheck:
    """Compare the numbers of a model's input ``source`` and its ``output``; repair where clear."""
    src = find_numbers(source, source_lang)
    if not src:
        return NumberCheck(output, (), (), ())
    langs = [target_lang, source_lang]
    tgt = find_numbers(output, target_lang)
    missing, extra = _match(src, tgt, langs)
    if not missing:
        return NumberCheck(output, (), (), ())
    repaired: list[str] = []
    text = output
    if len(extra) == len(missing):  # changed numbers: replace them in order
        for i, j in reversed(list(zip(missing, extra, strict=True))):
            t = tgt[j]
            text = text[:t.start] + render(src[i], source_lang, target_lang) + text[t.end:]
        repaired = [src[i].text for i in missing]
        missing = []
    elif not extra:
        missing, text, repaired = _place_at_edges(source, src, missing, text, source_lang, target_lang)
    # the guarantee: whatever is still missing (checked again) carries a warning
    still, _ = _match(src, find_numbers(text, target_lang), langs)
    lost = tuple(src[i].text for i in still)
    warnings = tuple(f"number {n!r} of the source is not in the translation" for n in lost)
    if repaired and not lost:
        warnings += (f"number(s) {', '.join(repr(n) for n in repaired)} restored in the translation",)
    return NumberCheck(text, lost, tuple(repaired), warnings)


def _place_at_edges(source: str, src: Sequence[Number], missing: list[int], text: str, source_lang: str,
                    target_lang: str) -> tuple[list[int], str, list[str]]:
    """Put back missing numbers that stood before the first or after the last word (placeholders
    are no words): before the output's first word, after its last one."""
    letters = [m.start() for m in _LETTER.finditer(_blank(source))]
    words = [m.start() for m in _LETTER.finditer(_blank(text))]
    if not letters or not words:
        return missing, text, []
    lead = [i for i in missing if src[i].end <= letters[0]]
    trail = [i for i in missing if src[i].start > letters[-1]]
    if not lead and not trail:
        return missing, text, []
    out = text
    if trail:
        at = words[-1] + 1
        out = out[:at] + " " + " ".join(render(src[i], source_lang, target_lang) for i in trail) + out[at:]
    if lead:
        at = words[0]
        out = out[:at] + " ".join(render(src[i], source_lang, target_lang) for i in lead) + " " + out[at:]
    done = [*lead, *trail]
    return [i for i in missing if i not in done], out, [src[i].text for i in done]


def _blank(text: str) -> str:
    return PLACEHOLDER_RE.sub(lambda m: " " * len(m.group()), text)


__all__ = ["Number", "NumberCheck", "check_numbers", "find_numbers", "parse", "render"]
