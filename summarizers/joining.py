"""How picked units are joined into a summary that reads as one: each unit keeps its boundary.

A unit that ends a sentence (``.``, ``!``, ``?``, ``…``, ``:`` or ``;``, maybe followed by closing
quotes or brackets, then trailing links, hashtags, handles or emoji of a tweet) is followed by a
space; any other unit (a headline, a dateline, a caption without a full stop) stands on its own
line, so it is never glued to the next sentence ("Border guards report new crossing attempts
Polish officials said..."). Nothing is added to a unit's own text, so a span of a unit in the
summary is exactly that unit.
"""

from __future__ import annotations

import regex

# Sentence-final punctuation, closing quotes/brackets after it, then what a tweet trails with.
_ENDS_SENTENCE = regex.compile(
    r"[.!?…:;]['\"”’»«)\]]*(?:\s+(?:https?://\S+|pic\.twitter\.com/\S+|[#@]\w+|[\p{Extended_Pictographic}"
    r"\p{Emoji_Modifier}\p{Regional_Indicator}\u200d\ufe0f]+))*\s*$")


def ends_sentence(text: str) -> bool:
    """True when ``text`` ends with sentence-final punctuation (links, hashtags, handles and
    emoji after it do not count)."""
    return bool(_ENDS_SENTENCE.search(text))


def separator(previous: str) -> str:
    """What goes between ``previous`` and the next unit: a space after a sentence, a line
    break after anything else."""
    return " " if ends_sentence(previous) else "\n"


def join_units(units: list[str]) -> str:
    out: list[str] = []
    for unit in units:
        if out:
            out.append(separator(out[-1]))
        out.append(unit)
    return "".join(out)
