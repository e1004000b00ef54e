"""Find quotations and embedded tweets in plain text (Polish, Lithuanian, English).

Decisions:
- Marks: „…” „…“ „…" (PL/LT), “…” ‘…’ (EN), »…« «…» ‹…› ›…‹, ‚…’ ‚…‘, ”…” and plain "…".
  ASCII ``'`` is never a quote mark (too ambiguous with apostrophes); ``’`` between letters is
  an apostrophe, and ``’`` never opens a quote.
- Quotes may run over several sentences and single line breaks, but not over a blank line
  (paragraph break). An unclosed quote is dropped at the paragraph break; it never swallows
  the rest of the text. A closing mark pops any unclosed quotes nested inside it.
- Nested quotes are returned too. Results are sorted by ``outer.start``; at equal start the
  longer (outer) one comes first, so a container precedes what it contains.
- ``span`` is the quoted content without surrounding whitespace; quotes whose content is
  shorter than 2 characters are ignored.
- Embedded tweet: a line ending ``— Author (@handle) <date>``; its body is the text since the
  previous blank line (or, when the signature stands alone in its paragraph, the paragraph
  before it).

Everything is one left-to-right pass plus bounded look-arounds: linear in the text length.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date as Date
from typing import Literal

from translators.base import Span

__all__ = ["Quote", "find_quotes", "find_tweets", "parse_signature", "parse_tweet_date"]


@dataclass(frozen=True, slots=True)
class Quote:
    """A quotation (``kind="quote"``) or an embedded tweet (``kind="tweet"``).

    ``span`` is the quoted content / the tweet body; ``outer`` includes the quotation marks /
    the whole tweet with its signature. ``handle`` keeps its ``@``; ``date`` is as written.
    ``lang_hint`` is a declared language (e.g. the ``lang`` of an HTML tweet), never a guess.
    """

    kind: Literal["quote", "tweet"]
    span: Span
    outer: Span
    author: str | None = None
    handle: str | None = None
    date: str | None = None
    url: str | None = None
    speaker: str | None = None
    lang_hint: str | None = None


# --------------------------------------------------------------------------- quote marks

# mark -> closing marks it accepts when it opens (None: never opens)
_OPENS: dict[str, str | None] = {
    "„": '”“"',
    "‚": "’‘",
    "“": '”“"',
    "”": "”",
    "‘": "’",
    "’": None,
    "«": "»",
    "»": "«»",
    "‹": "›",
    "›": "‹›",
    '"': '"',
}
_ALWAYS_OPEN = frozenset("„‚")  # low-9 marks only ever open
_MARKS = "".join(_OPENS)
_TOKEN = re.compile(f"[{re.escape(_MARKS)}]|\\n[ \\t\\r\\f\\v]*\\n|\\u2029")
_CLOSING_PUNCT = frozenset(".,;!?)]}…")
_MAX_DEPTH = 16


def _scan_quotes(text: str) -> list[tuple[int, int]]:
    """``(open_index, close_index)`` of every matched pair of marks.

    A mark may close when preceded by a non-space and followed by end/space/punctuation
    (right-flanking); it may open when followed by a non-space and preceded by start/space/
    opening punctuation (left-flanking). Closing is tried first, against the nearest open
    quote that accepts this mark.
    """
    pairs: list[tuple[int, int]] = []
    stack: list[tuple[int, str]] = []  # (index of opening mark, accepted closers)
    n = len(text)
    opens, always_open, closing_punct = _OPENS, _ALWAYS_OPEN, _CLOSING_PUNCT
    for m in _TOKEN.finditer(text):
        i = m.start()
        mark = m.group()
        if mark not in opens:
            stack.clear()  # paragraph break: unclosed quotes are dropped
            continue
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < n else " "
        if mark in always_open:
            if len(stack) < _MAX_DEPTH and not nxt.isspace():
                stack.append((i, opens[mark] or ""))
            continue
        if stack and not prev.isspace() and not nxt.isalnum():
            k = len(stack) - 1
            while k >= 0 and mark not in stack[k][1]:
                k -= 1
            if k >= 0:
                pairs.append((stack[k][0], i))
                del stack[k:]
                continue
        closers = opens[mark]
        if (
            closers
            and len(stack) < _MAX_DEPTH
            and not nxt.isspace()
            and (prev.isspace() or (not prev.isalnum() and prev not in closing_punct))
        ):
            stack.append((i, closers))
    return pairs


# --------------------------------------------------------------------------- speakers

_PL_VERBS = (
    r"powiedzia[łl]|przekaza[łl]|doda[łl]|stwierdzi[łl]|podkre[śs]li[łl]|o[śs]wiadczy[łl]"
    r"|poinformowa[łl]|zaznaczy[łl]|napisa[łl]|oceni[łl]|wyja[śs]ni[łl]|m[óo]wi[łl]|przyzna[łl]"
    r"|zapewni[łl]|zauwa[żz]y[łl]|skomentowa[łl]|m[óo]wi|twierdzi|podkre[śs]la|dodaje|zaznacza"
)
_LT_VERBS = (
    r"sakė|teigė|pabrėžė|pažymėjo|pranešė|kalbėjo|tvirtino|patikino|aiškino|sako|teigia|rašė"
    r"|nurodė|pridūrė|pareiškė|akcentavo|komentavo|tikino|sakoma"
)
_EN_VERBS = (
    r"said|says|added|told|wrote|stated|explained|insisted|warned|noted|declared|tweeted"
    r"|announced|stressed|replied|asked"
)
_WHO = r"(?P<who>[^\s,.;:!?„“”\"«»—–-][^,.;:!?\n„“”\"«»—–]{0,79}?)"
_STOP = r"[ \t]*(?=[,.;:!?\n„“”\"«»—–]|$)"
# „…” – powiedział rzecznik.   „…“, – sakė ministerijos atstovas spaudai.
_DASH_ATTR = re.compile(
    rf"[ \t]*[,.]?[ \t]*[–—-][ \t]*(?:(?:{_PL_VERBS})(?:a|o|i|y)?|{_LT_VERBS})\s+{_WHO}{_STOP}",
    re.IGNORECASE,
)
# “…,” said the minister.
_EN_AFTER = re.compile(rf"[ \t]*,?[ \t]*(?:{_EN_VERBS})\s+{_WHO}{_STOP}", re.IGNORECASE)
# “…,” the minister said.
_EN_AFTER_INV = re.compile(
    rf"[ \t]*,?[ \t]*(?P<who>[^\s,.;:!?„“”\"«»][^,.;:!?\n„“”\"«»]{{0,59}}?)\s+(?:{_EN_VERBS})\b",
    re.IGNORECASE,
)
_ANY_VERB = re.compile(rf"\s(?:(?:{_PL_VERBS})(?:a|o|i|y)?|{_LT_VERBS}|{_EN_VERBS})(?!\w)", re.IGNORECASE)
_LAST_CLAUSE_BREAK = re.compile(r".*[.!?;\n„“”\"«»]", re.DOTALL)
_WINDOW = 120


def _clean_who(who: str | None) -> str | None:
    if who is None:
        return None
    who = who.strip()
    return who if 2 <= len(who) <= 80 else None


def _speaker_after(text: str, content_end: int, close_end: int) -> str | None:
    endpos = min(len(text), close_end + _WINDOW)
    m = _DASH_ATTR.match(text, close_end, endpos)
    if m:
        return _clean_who(m.group("who"))
    # English attribution needs the quote to end with , ? ! (inside or right after the mark)
    last = text[content_end - 1] if content_end > 0 else ""
    if last in ",?!" or text.startswith(",", close_end):
        m = _EN_AFTER.match(text, close_end, endpos) or _EN_AFTER_INV.match(text, close_end, endpos)
        if m:
            return _clean_who(m.group("who"))
    return None


def _speaker_before(text: str, open_index: int) -> str | None:
    """``Rzecznik SG: „…”`` / ``A spokesperson told reporters: “…”``."""
    i = open_index
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    if i == 0 or text[i - 1] != ":":
        return None
    start = max(0, i - 1 - _WINDOW)
    last_break = _LAST_CLAUSE_BREAK.match(text, start, i - 1)
    clause_start = last_break.end() if last_break else start
    clause = text[clause_start : i - 1].strip()
    if not clause or (clause_start == start and start > 0):
        return None
    verb = _ANY_VERB.search(" " + clause)
    if verb:
        if verb.start() == 0:
            return None
        clause = clause[: verb.start() - 1]
    return _clean_who(clause)


# --------------------------------------------------------------------------- tweets

_EN_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_EN_MONTH_NUM = (
    {name.lower(): i + 1 for i, name in enumerate(_EN_MONTH_NAMES)}
    | {name[:3].lower(): i + 1 for i, name in enumerate(_EN_MONTH_NAMES)}
    | {"sept": 9}
)
_EN_MONTHS = "|".join(sorted(_EN_MONTH_NUM, key=len, reverse=True))
_PL_MONTHS = (
    "stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca",
    "lipca", "sierpnia", "września", "października", "listopada", "grudnia",
)  # fmt: skip
_LT_MONTHS = (
    "sausio", "vasario", "kovo", "balandžio", "gegužės", "birželio",
    "liepos", "rugpjūčio", "rugsėjo", "spalio", "lapkričio", "gruodžio",
)  # fmt: skip
_DATE_EN = rf"(?P<en_m>{_EN_MONTHS})\.?[ \t]+(?P<en_d>\d{{1,2}}),?[ \t]+(?P<en_y>\d{{4}})"
_DATE_PL = rf"(?P<pl_d>\d{{1,2}})[ \t]+(?P<pl_m>{'|'.join(_PL_MONTHS)})[ \t]+(?P<pl_y>\d{{4}})(?:[ \t]*r\.)?"
_DATE_LT = (
    rf"(?P<lt_y>\d{{4}})[ \t]*m\.[ \t]*(?P<lt_m>{'|'.join(_LT_MONTHS)})[ \t]+(?P<lt_d>\d{{1,2}})[ \t]*d\."
)
_DATE_ISO = r"(?P<iso>\d{4}-\d{2}-\d{2})"
_DATE = re.compile(rf"(?:{_DATE_EN}|{_DATE_PL}|{_DATE_LT}|{_DATE_ISO})", re.IGNORECASE)
_HANDLE = re.compile(r"\([ \t]*(@\w{1,50})[ \t]*\)")
_DASH = re.compile(r"(?:(?<=\s)|^)(?:&mdash;|&#8212;|&#x2014;|--|[—–―-])(?=\s)", re.MULTILINE)
_LINE_END = re.compile(r"[ \t]*(?:\r?\n|$)")
_PARA_BREAK = re.compile(r"\n[ \t\r\f\v]*\n|\u2029")
_SIGNATURE = re.compile(
    r"^\s*(?:&mdash;|&#8212;|&#x2014;|--|[—–―-])\s*(?P<author>.*?)\s*\([ \t]*(?P<handle>@\w{1,50})[ \t]*\)"
    r"\s*(?P<date>.*?)\s*$",
    re.DOTALL,
)
_AUTHOR_MAX = 80


def parse_tweet_date(value: str) -> Date | None:
    """``November 12, 2021`` / ``12 listopada 2021`` / ``2021 m. lapkričio 12 d.`` -> a date."""
    m = _DATE.fullmatch(value.strip())
    if not m:
        return None
    try:
        if m["en_m"]:
            return Date(int(m["en_y"]), _EN_MONTH_NUM[m["en_m"].lower()], int(m["en_d"]))
        if m["pl_m"]:
            return Date(int(m["pl_y"]), _PL_MONTHS.index(m["pl_m"].lower()) + 1, int(m["pl_d"]))
        if m["lt_m"]:
            return Date(int(m["lt_y"]), _LT_MONTHS.index(m["lt_m"].lower()) + 1, int(m["lt_d"]))
        return Date.fromisoformat(m["iso"])
    except ValueError:
        return None


def parse_signature(line: str) -> tuple[str | None, str, str | None] | None:
    """``— Author (@handle) Date`` -> ``(author, "@handle", date)``; date is free text here."""
    m = _SIGNATURE.match(line)
    if not m:
        return None
    return (m["author"] or None), m["handle"], (m["date"] or None)


def _span(text: str, start: int, end: int) -> Span:
    return Span(start, end, text[start:end])


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def find_tweets(text: str) -> list[Quote]:
    """Embedded tweets: a line ending ``— Author (@handle) Date`` (EN/PL/LT date)."""
    breaks = [m.end() for m in _PARA_BREAK.finditer(text)]
    tweets: list[Quote] = []
    for h in _HANDLE.finditer(text):
        pos = h.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        d = _DATE.match(text, pos)
        if not d or not _LINE_END.match(text, d.end()):
            continue
        line_start = text.rfind("\n", 0, h.start()) + 1
        window_start = max(line_start, h.start() - _AUTHOR_MAX - 10)
        dash = None
        for found in _DASH.finditer(text, window_start, h.start()):
            dash = found  # the last dash before the handle
        if dash is None:
            continue
        author = text[dash.end() : h.start()].strip() or None
        k = bisect_right(breaks, dash.start())
        para_start = breaks[k - 1] if k else 0
        body_start, body_end = _strip(text, para_start, dash.start())
        if body_start == body_end and k:  # signature alone: the tweet is the paragraph before
            prev_start = breaks[k - 2] if k >= 2 else 0
            body_start, body_end = _strip(text, prev_start, para_start)
        if body_start == body_end or (tweets and body_start < tweets[-1].outer.end):
            continue
        tweets.append(
            Quote(
                kind="tweet",
                span=_span(text, body_start, body_end),
                outer=_span(text, body_start, d.end()),
                author=author,
                handle=h.group(1),
                date=d.group(),
            )
        )
    return tweets


# --------------------------------------------------------------------------- entry point


def find_quotes(text: str) -> list[Quote]:
    """All quotations and embedded tweets in ``text``, sorted by ``(outer.start, -outer.end)``."""
    found: list[Quote] = find_tweets(text)
    for open_i, close_i in _scan_quotes(text):
        start, end = _strip(text, open_i + 1, close_i)
        if end - start < 2:
            continue
        speaker = _speaker_after(text, end, close_i + 1) or _speaker_before(text, open_i)
        found.append(
            Quote(
                kind="quote",
                span=_span(text, start, end),
                outer=_span(text, open_i, close_i + 1),
                speaker=speaker,
            )
        )
    found.sort(key=lambda q: (q.outer.start, -q.outer.end, q.kind != "tweet"))
    return found
