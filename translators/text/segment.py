"""Sentence segmentation for news text (Polish, Lithuanian, English).

``sentencex`` (Wikimedia, linear and fast; measured better than ``pysbd`` on pl/lt news cases
and ~200x faster) proposes boundaries inside each line, together with a regex for sentence ends
it misses (``me. The``, ``OK. I``, ``2021 r. Premier``); news rules then drop wrong proposals
and add forced boundaries:

* Line breaks always end a segment (blank lines are paragraph breaks).
* No boundary inside a protected span (URL, e-mail, number such as 3.5 or 1.000).
* No boundary before a lowercase word (``3. pułk``, ``2021 r. w Warszawie``), nor before
  ``,;:`` or a dash followed by a lowercase word (``„…” – powiedział rzecznik.``).
* Title-like abbreviations never end a sentence (``prof.``, ``np.``, ``m.in.``, ``Mr.``,
  ``Jan.``, initials ``J.``); unit-like ones (``tys.``, ``mln.``, ``proc.``, ``etc.``, ``U.S.``)
  end one only before an uppercase word.
* ``r.``/``m.``/``d.`` after a number (``2021 r.``, ``2021 m.``, ``12 d.``) end a sentence
  before an uppercase word only when the sentence so far is a real clause: more than three
  words, not opening with a preposition or a number (``W 2021 r. Premier ...`` stays one sentence,
  ``Spotkanie odbyło się 8 listopada 2021 r. Premier wyjechał.`` is two).
* Closing quotes/brackets and trailing punctuation right after a boundary stay with the
  sentence they close (``„…”.``).
* Tweets: a short ``HEADER |`` at a sentence start (``⚠️ KOMUNIKAT |``) is its own segment; a
  trailing run of hashtags/URLs/handles/emoji after sentence-final punctuation is its own
  segment; an embedded tweet's signature ``— Author (@handle) date`` is its own segment.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import cache
from itertools import pairwise

import regex
import sentencex

from translators.base import Span
from translators.text.protect import EDGE_KINDS, Protected, find_protected


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TITLES: dict[str, frozenset[str]] = {
    "pl": _words(
        "prof dr doc hab inż mgr lek płk ppłk gen bryg mjr kpt por ppor chor sierż st szer kpr plut mł kom"
        " nadkom insp asp kmdr adm marsz posł dyr prez przew ks bp abp kard św bł śp ul al pl os woj pow gm"
        " m.in np tzw tj tzn ws ds nt pt godz nr art ust par poz str rozdz tel wg zob dot ang łac niem ros ur"
        " zm jw red wyd tłum oprac"
    ),
    "lt": _words(
        "pvz gen plk ltn mjr kpt prof habil dr doc gerb vyr šv kun vysk žr vad nr tel str t.y angl lot vok"
        " rus liet"
    ),
    "en": _words(
        "mr mrs ms messrs dr prof st mt ft gen col lt sgt capt cmdr adm maj rev hon sen rep gov pres supt"
        " insp e.g i.e vs cf viz approx dept fig vol pp ed eds ca jan feb mar apr jun jul aug sep sept oct"
        " nov dec"
    ),
}
_UNITS: dict[str, frozenset[str]] = {
    "pl": _words("tys mln mld mlrd ok min sek proc pkt w itd itp zł gr km"),
    "lt": _words("tūkst mln mlrd proc val min sek a g pr al kt pan t sav aps vnt r"),
    "en": _words("no jr sr inc ltd co corp etc u.s u.k u.n e.u a.m p.m bros al"),
}
# Abbreviations that are ordinary words in another language: only units when lang is unknown.
_AMBIGUOUS = _words("sen por min pan a g t al w co no lot red par dot")
_DATE_ABBREVIATIONS = _words("r m d")  # rok / metai / diena after a number
_PREPOSITIONS = _words(
    "w we od do na po przed za z ze około pod między przez aż już jeszcze dopiero"
    " nuo iki per prieš apie už iš į ties dar jau in on since by until from after before at"
)
_CLOSERS = "\"”“»«’')]}"
_TERMINAL = ".!?…"
_DASHES = "–—-"
_NEUTRAL = str.maketrans(dict.fromkeys("„”“«»\"()[]{}", " "))
_SPACES = regex.compile(r"\s*")
_WINDOW = 300  # characters of context a rule looks at (keeps segmentation linear)

_SIGNATURE = regex.compile(
    r"""(?:^|(?<=\s))[—–]{1,2}\s*[^\s()—–][^()\n—–]{0,80}?\s*\(@[\p{L}\p{N}_]+\)
        (?:\s*(?:\p{L}+\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\.?\s+\p{L}+\.?\s+\d{4}(?:\s*r\.)?
              |\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{4}))?(?=\s|$)""",
    regex.VERBOSE,
)
# Boundaries sentencex may miss (it takes "me." or "OK." for abbreviations, and "2021 r." for an
# initial); they still go through the same rules as its own proposals.
_EXTRA_CANDIDATE = regex.compile(
    r"""(?:(?<=\d\s{1,3})[rmd]\.|(?<=[\p{L}\p{M}]{2}|\bI|\d{4}|\d:\d\d|[)”“"»’%])[.!?…]+)
        (?=[\"”“»’')\]]*\s+[„“"«(\[]*\p{Lu})""",
    regex.VERBOSE,
)
_HEADER = regex.compile(r"[^\s|.!?…][^|.!?…\n]{0,39}?\s\|(?=\s+\S)")
_LINE_BREAK = regex.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def split_sentences(text: str, lang: str | None = None) -> list[Span]:
    """Sentence spans of ``text`` (code points): ordered, non-overlapping, stripped, and
    together covering every non-whitespace character. ``lang``: pl/lt/en or None (unknown)."""
    spans: list[Span] = []
    line_start = 0
    for brk in [*_LINE_BREAK.finditer(text), None]:
        line_end = brk.start() if brk else len(text)
        line = text[line_start:line_end]
        if line.strip():
            cuts = _line_cuts(line, lang)
            prev = 0
            for cut in [*cuts, len(line)]:
                piece = line[prev:cut]
                if piece.strip():
                    a = prev + len(piece) - len(piece.lstrip())
                    b = prev + len(piece.rstrip())
                    spans.append(Span(line_start + a, line_start + b, line[a:b]))
                prev = cut
        line_start = brk.end() if brk else len(text)
    return spans


def _line_cuts(line: str, lang: str | None) -> list[int]:
    protected = find_protected(line)
    starts = [p.start for p in protected]
    cuts: list[int] = []  # increasing
    extra = [m.end() for m in _EXTRA_CANDIDATE.finditer(line)]
    for cut in sorted({*_library_cuts(line, lang, protected), *extra}):
        cut = _absorb_closers(line, cut)
        k = bisect_right(starts, cut) - 1
        inside = k >= 0 and protected[k].start < cut < protected[k].end
        if 0 < cut < len(line) and not inside and (not cuts or cut > cuts[-1]) \
                and _keeps(line, cut, lang, cuts[-1] if cuts else 0):
            cuts.append(cut)
    forced = _forced_cuts(line, cuts, protected)
    return sorted(c for c in {*cuts, *forced} if 0 < c < len(line))


@cache
def _abbreviations(lang: str | None) -> tuple[frozenset[str], frozenset[str]]:
    if lang in _TITLES:
        return _TITLES[lang], _UNITS[lang]
    titles = frozenset().union(*_TITLES.values())
    units = frozenset().union(*_UNITS.values())
    return titles - _AMBIGUOUS, units | (titles & _AMBIGUOUS)


def _library_cuts(line: str, lang: str | None, protected: list[Protected]) -> list[int]:
    """End (after the last non-space character) of each sentence sentencex proposes.

    Double quotes and brackets are blanked out first (same length, so offsets hold): sentencex
    does not split inside what it takes for a quotation, and one unbalanced or mismatched
    quote mark („…“ vs „…”) would otherwise glue the rest of a long paragraph together. URLs
    and e-mail addresses become letters, so their dots neither end nor hide a sentence.
    """
    chunks: list[str] = []
    cursor = 0
    for p in protected:
        if p.kind in ("url", "email"):
            chunks += [line[cursor:p.start], "x" * (p.end - p.start)]
            cursor = p.end
    plain = ("".join(chunks) + line[cursor:]).translate(_NEUTRAL)
    out: list[int] = []
    pos = 0
    for piece in sentencex.segment(lang if lang in _TITLES else "en", plain):
        body = piece.strip()
        if not body:
            continue
        at = plain.find(body, pos)
        if at < 0:  # the library changed the text: keep what we have, never lose text
            continue
        pos = at + len(body)
        out.append(pos)
    return out


def _absorb_closers(line: str, cut: int) -> int:
    while cut < len(line) and (line[cut] in _CLOSERS or line[cut] in _TERMINAL):
        cut += 1
    return cut


def _keeps(line: str, cut: int, lang: str | None, previous: int) -> bool:
    """Whether a proposed boundary at ``cut`` is a real sentence end."""
    titles, units = _abbreviations(lang)
    rest = line[_SPACES.match(line, cut).end():]
    if not rest:
        return False
    nxt = rest[0]
    if nxt.islower() or nxt in ",;:":
        return False
    if nxt in _DASHES and rest[1:40].lstrip()[:1].islower():
        return False
    head = line[max(previous, cut - _WINDOW):cut].rstrip(_CLOSERS)
    if not head.endswith("."):
        return True
    token = regex.split(r"[\s(\[„“\"'«»]", head)[-1]
    word = token[:-1].lower()
    if word in titles:
        return False
    initials = regex.fullmatch(r"(?:\p{Lu}\.)+", token) is not None and (token != "I." or lang == "pl")
    if initials and (len(token) == 2 or word not in units):
        return False  # initials: J. Kowalski, J.R.R. Tolkien
    if word in _DATE_ABBREVIATIONS and regex.search(r"\d\s+\S+\Z", head):
        return nxt.isupper() and _is_clause(line[previous:cut])
    if word in units:
        return nxt.isupper()
    return True


def _is_clause(sentence: str) -> bool:
    """A sentence so far that reads like a full clause, not ``W 2021 r.`` (see module doc)."""
    words = sentence[:_WINDOW].split()
    first = words[0].lower().strip("„“\"'(«") if words else ""
    return len(words) > 3 and first not in _PREPOSITIONS and not first[:1].isdigit()


def _forced_cuts(line: str, cuts: list[int], protected: list[Protected]) -> set[int]:
    """Boundaries around tweet signatures, tweet headers and trailing tag runs."""
    forced: set[int] = set()
    for m in _SIGNATURE.finditer(line):
        forced.update((m.start(), m.end()))
    edge = {p.end: p for p in protected if p.kind in EDGE_KINDS}
    bounds = sorted({0, len(line), *cuts, *forced})
    for a, b in pairwise(bounds):
        start = _SPACES.match(line, a, b).end()
        header = _HEADER.match(line, start, b)
        if header and len(line[start:header.end()].split()) <= 6:
            forced.add(header.end())
            start = header.end()
        tail = _tag_tail(line, start, b, edge)
        if tail is not None:
            forced.add(tail)
    return forced


def _tag_tail(line: str, start: int, end: int, edge: dict[int, Protected]) -> int | None:
    """Start of a trailing run of hashtags/URLs/handles/emoji that follows sentence-final
    punctuation inside ``line[start:end]``, or None."""
    pos, first = end, None
    while pos > start:
        span = edge.get(pos)
        if span is not None and span.start >= start:
            pos = first = span.start
        elif line[pos - 1].isspace() or line[pos - 1] in ",;·|•":
            pos -= 1
        else:
            break
    if first is None or pos <= start:
        return None
    head = line[max(start, pos - _WINDOW):pos].rstrip().rstrip(_CLOSERS)
    return first if head.endswith(tuple(_TERMINAL)) else None
