"""Protected spans: text that passes through translation byte-for-byte.

URLs (scheme, ``www.``, bare domains with a known TLD, ``pic.twitter.com/...``), e-mail
addresses, @handles, #hashtags, emoji sequences (flags, keycaps, ZWJ sequences, skin tones,
variation selectors, tag sequences) and the placeholders translation tools put in for what must
not be translated (Weblate's ``[X6X]`` for a ``%s`` or ``{name}``) never reach the model in a form
it can rewrite: each comes back exactly once.

Numbers are found here too (the segmenter never cuts inside ``3.5`` or ``1.000``) but are NOT
masked: the model must see them (Polish and Lithuanian nouns agree with the number, English
moves it), and ``translators.text.numbers`` checks them in the output afterwards.

``mask`` peels protected runs at the edges of a segment into a verbatim ``prefix``/``suffix``
(the model never sees them) and replaces interior ones with placeholders ``QZ0``, ``QZ1``, ...

Why ``QZ<n>``: ASCII only (every byte is in any OPUS-MT SentencePiece vocabulary, so it never
becomes ``<unk>``), no punctuation or spaces for the tokenizer to split or the model to drop,
digits that models copy reliably, and a letter pair that occurs in no Polish, Lithuanian or
English word, so it reads like an opaque code/acronym that models copy verbatim. Numbers stay
in the masked text, so a source word that looks like a placeholder (``QZ12``) is masked itself:
every ``QZ<n>`` the model sees is one of ours.

Glossary terms (``terms``) are masked the same way, as placeholders of kind ``term``: a
do-not-translate term comes back verbatim, a translatable one as its glossary target
(``restore`` with ``fills``); the model never sees a term it could rewrite or inflect wrongly.

``unmask`` trusts nothing: it finds placeholder lookalikes with a tolerant regex (case, inner
spaces), keeps the longest in-order run of valid ones (each index once), drops the rest
(duplicates, invented indices), and re-inserts every missing one in order (missing ones after
the last kept one go at the end, before final punctuation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import regex

from translators.text.intervals import splice
from translators.text.patterns import PROTECTED, URL_TRAIL, WORD_CHARS

Kind = Literal["url", "handle", "hashtag", "email", "emoji", "placeholder", "number", "code", "hole", "term"]
EDGE_KINDS = frozenset({"url", "handle", "hashtag", "email", "emoji", "placeholder"})

PLACEHOLDER = "QZ{}"
# Tolerant: any case, spaces inside, glued to words. Digits capped later (int() guard).
_PLACEHOLDER_RE = regex.compile(r"[Qq]\s*[Zz]\s*([0-9]+)")
PLACEHOLDER_RE = _PLACEHOLDER_RE

# Characters that may sit between protected spans in a peeled prefix/suffix. None of them
# occurs in a lookbehind/lookahead of PROTECTED, so peeling never changes what is protected.
_SEP = frozenset(" \t\n\r\f\v\u00a0\u2009\u202f|·•–—:,;!?…()[]{}„“”\"'«»‚‘’*")
_OPENERS = frozenset("([{„“«‚‘\"'|·•–—")
_CLOSERS = frozenset(")]}”“»’'\"|·•–—:,;")
_LETTER = regex.compile(r"\p{L}")
_WORD_CHAR = regex.compile(rf"[{WORD_CHARS}]")
_NO_SPACE_BEFORE = frozenset(".,;:!?…)]}”’»")
_FINAL_RE = regex.compile(r"[\s.!?…:;,\"'”“’»«)\]]*\Z")


@dataclass(frozen=True)
class Protected:
    start: int
    end: int
    text: str
    kind: str  # url|handle|hashtag|email|emoji|placeholder|number (|code, hole, term: QZ lookalikes, carved
    # quotes, glossary terms)


@dataclass(frozen=True)
class Masked:
    model_text: str  # what is sent to the model ("" when nothing translatable remains)
    prefix: str  # verbatim text peeled off the start
    suffix: str  # verbatim text peeled off the end
    placeholders: tuple[Protected, ...]  # interior spans (and holes), in order; QZ<i> stands for [i]


def find_protected(text: str) -> list[Protected]:
    """Protected spans of ``text``: non-overlapping, sorted, ``text[start:end] == span.text``."""
    out: list[Protected] = []
    pos = 0
    while pos < len(text):
        m = PROTECTED.search(text, pos)
        if m is None:
            break
        kind = m.lastgroup or "number"
        start, end = m.span()
        if kind in ("url", "domain"):
            end = _trim_url(text, start, end)
            kind = "url"
        out.append(Protected(start, end, text[start:end], kind))
        pos = end
    return out


def _trim_url(text: str, start: int, end: int) -> int:
    """Drop trailing punctuation from a URL, keeping a ``)`` that closes a ``(`` inside it."""
    opened = text.count("(", start, end) - text.count(")", start, end)
    while end > start + 1 and text[end - 1] in URL_TRAIL:
        if text[end - 1] == ")":
            if opened >= 0:
                break
            opened += 1
        end -= 1
    return end


def mask(segment: str, holes: Sequence[tuple[int, int]] = (), terms: Sequence[tuple[int, int]] = ()) -> Masked:
    """Split ``segment`` into verbatim prefix/suffix and the text for the model.

    ``holes`` are ``(start, end)`` ranges (carved-out quotes translated on their own) that
    become placeholders too; ``unmask_with`` puts their translations back. ``terms`` are the
    ranges of glossary terms (outside ``protected_ranges``): placeholders of kind ``term``,
    filled by ``restore``.
    """
    hole_list = sorted(holes)
    prev = 0
    for a, b in sorted(hole_list + list(terms)):
        if not prev <= a < b <= len(segment):
            raise ValueError(f"bad or overlapping hole or term {(a, b)} in a segment of length {len(segment)}")
        prev = b
    spans = _masked_spans(segment, hole_list)
    if any(p.start < b and a < p.end for a, b in terms for p in spans):
        raise ValueError("a glossary term overlaps a protected span (see protected_ranges)")
    hole_items = [Protected(a, b, segment[a:b], "hole") for a, b in hole_list]
    hole_items += [Protected(a, b, segment[a:b], "term") for a, b in terms]
    hole_items.sort(key=lambda p: p.start)
    hole_list = sorted(hole_list + list(terms))

    covered = sorted([(p.start, p.end) for p in spans] + hole_list)
    if not _has_letter_outside(segment, covered):
        return Masked("", segment, "", tuple(hole_items))

    first_hole = hole_list[0][0] if hole_list else len(segment)
    last_hole = hole_list[-1][1] if hole_list else 0
    p_end = min(_prefix_end(segment, spans), first_hole)
    s_start = max(_suffix_start(segment, spans, p_end), last_hole)
    items = sorted([p for p in spans if p_end <= p.start and p.end <= s_start] + hole_items,
                   key=lambda p: p.start)

    model = ""
    cursor = p_end
    for i, item in enumerate(items):
        model += segment[cursor:item.start]
        token = PLACEHOLDER.format(i)
        if model and _is_word(model[-1]):
            token = " " + token
        if item.end < s_start and _is_word(segment[item.end]):
            token += " "
        model += token
        cursor = item.end
    model += segment[cursor:s_start]
    return Masked(model, segment[:p_end], segment[s_start:], tuple(items))


def protected_ranges(segment: str, holes: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """The ranges ``mask`` protects in ``segment`` besides ``holes`` (and the holes): where no
    glossary term may be matched."""
    return sorted([(p.start, p.end) for p in _masked_spans(segment, sorted(holes))] + list(holes))


def _masked_spans(segment: str, holes: Sequence[tuple[int, int]]) -> list[Protected]:
    """Protected spans to mask: no numbers, nothing in a hole, plus placeholder lookalikes."""
    spans = [p for p in find_protected(segment) if p.kind != "number"]
    taken = sorted([(p.start, p.end) for p in spans] + list(holes))
    for m in _PLACEHOLDER_RE.finditer(segment):
        if not any(a < m.end() and m.start() < b for a, b in taken):
            spans.append(Protected(m.start(), m.end(), m.group(), "code"))
    return sorted((p for p in spans if not any(p.start < b and a < p.end for a, b in holes)),
                  key=lambda p: p.start)


def _is_word(ch: str) -> bool:
    return _WORD_CHAR.match(ch) is not None


def _has_letter_outside(text: str, covered: Sequence[tuple[int, int]]) -> bool:
    cursor = 0
    for a, b in [*covered, (len(text), len(text))]:
        if _LETTER.search(text, cursor, max(cursor, a)):
            return True
        cursor = max(cursor, b)
    return False


def _prefix_end(text: str, spans: Sequence[Protected]) -> int:
    """End of the leading run of edge spans and separators (plus the separators after it)."""
    by_start = {p.start: p for p in spans if p.kind in EDGE_KINDS}
    pos, last = 0, -1
    while pos < len(text):
        if pos in by_start:
            pos = last = by_start[pos].end
        elif text[pos] in _SEP:
            pos += 1
        else:
            break
    if last < 0:
        return len(text) - len(text.lstrip())
    while last < len(text) and (text[last].isspace() or text[last] in _CLOSERS):
        last += 1
    return last


def _suffix_start(text: str, spans: Sequence[Protected], floor: int) -> int:
    """Start of the trailing run of edge spans and separators (plus the separators before it)."""
    by_end = {p.end: p for p in spans if p.kind in EDGE_KINDS and p.start >= floor}
    pos, first = len(text), -1
    while pos > floor:
        if pos in by_end:
            pos = first = by_end[pos].start
        elif text[pos - 1] in _SEP:
            pos -= 1
        else:
            break
    if first < 0:
        return max(floor, len(text.rstrip()))
    while first > floor and (text[first - 1].isspace() or text[first - 1] in _OPENERS):
        first -= 1
    return first


_TOKEN_RE = regex.compile(rf"[{WORD_CHARS}]+|[^\s{WORD_CHARS}]")


Link = tuple[int, int, int, int]  # (src_start, src_end, tgt_start, tgt_end): model text <-> model output


def place_dropped(model_output: str, masked: Masked, links: Sequence[Link]) -> tuple[str, list[Link]]:
    """``model_output`` with each placeholder the model dropped put back where its neighbours
    went: right after the translation of the word before it in the model text, or right before
    that of the word after it (the nearer one), using ``links`` (word links between
    ``masked.model_text`` and ``model_output``, as the engines return them). It stays between the
    placeholders kept on either side of it (their order is the source's), and one that no aligned
    neighbour places is left to ``unmask`` (in order, as before). Returns the new output and the
    links moved into it (plus one from each placeholder put back to where it went)."""
    items = masked.placeholders
    if not items or not masked.model_text or not links:
        return model_output, list(links)
    found = [(m.start(), m.end(), _index(m.group(1), len(items))) for m in _PLACEHOLDER_RE.finditer(model_output)]
    kept = _longest_increasing([(k, idx) for k, (_, _, idx) in enumerate(found) if idx is not None])
    at = {found[k][2]: (found[k][0], found[k][1]) for k in kept}
    where = {int(m.group(1)): (m.start(), m.end()) for m in regex.finditer(r"QZ([0-9]+)", masked.model_text)}
    words = [m.span() for m in _TOKEN_RE.finditer(masked.model_text)
             if not any(a <= m.start() < b for a, b in where.values())]
    src_links: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for s0, s1, t0, t1 in links:
        src_links.setdefault((s0, s1), []).append((t0, t1))
    inserts: list[tuple[int, int]] = []  # (position in model_output, index)
    floor = 0
    for i in range(len(items)):
        if i in at:
            floor = at[i][1]
            continue
        if i not in where:
            continue
        ceiling = min((at[j][0] for j in at if j > i), default=len(model_output))
        pos = _aligned(where[i], words, src_links)
        if pos is None:
            continue
        pos = min(max(pos, floor), ceiling)
        inserts.append((pos, i))
        floor = pos
    out = model_output
    moved = list(links)
    for pos, i in sorted(inserts, reverse=True):
        left = " " if pos > 0 and not out[pos - 1].isspace() else ""
        token = PLACEHOLDER.format(i)
        right = " " if pos < len(out) and not out[pos].isspace() and out[pos] not in _NO_SPACE_BEFORE else ""
        out = out[:pos] + left + token + right + out[pos:]
        grow = len(left) + len(token) + len(right)
        moved = [(a, b, c + grow if c >= pos else c, d + grow if d > pos else d) for a, b, c, d in moved]
        moved.append((*where[i], pos + len(left), pos + len(left) + len(token)))
    return out, moved


def _aligned(span: tuple[int, int], words: Sequence[tuple[int, int]],
             links: dict[tuple[int, int], list[tuple[int, int]]]) -> int | None:
    """Where a placeholder at ``span`` of the model text goes in the output: after the
    translation of the nearest linked word before it, or before that of the nearest after it."""
    def linked(w: tuple[int, int]) -> list[tuple[int, int]]:
        return [t for (a, b), ts in links.items() if a < w[1] and w[0] < b for t in ts]

    before = next(((w, t) for w in reversed(words) if w[1] <= span[0] and (t := linked(w))), None)
    after = next(((w, t) for w in words if w[0] >= span[1] and (t := linked(w))), None)
    if before and (not after or span[0] - before[0][1] <= after[0][0] - span[1]):
        return max(b for _, b in before[1])
    if after:
        return min(a for a, _ in after[1])
    return None


def unmask(model_output: str, masked: Masked) -> str:
    """Put the protected spans back into a model's output (see ``unmask_with``)."""
    return unmask_with(model_output, masked, ())[0]


def unmask_with(model_output: str, masked: Masked, fills: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """Like ``unmask``; holes get ``fills`` (their translations; the original text when not
    given). Returns the text and the ``(start, end)`` of each hole's fill in it, in order."""
    holes = [i for i, p in enumerate(masked.placeholders) if p.kind == "hole"]
    if fills and len(fills) != len(holes):
        raise ValueError(f"{len(fills)} fills for {len(holes)} holes")
    done = restore(model_output, masked, dict(zip(holes, fills, strict=False)))
    return done.text, [done.where[i] for i in holes]


@dataclass(frozen=True)
class Restored:
    """The model's output with every placeholder put back."""

    text: str
    where: dict[int, tuple[int, int]]  # placeholder index -> (start, end) of its text in ``text``
    guessed: frozenset[int]  # placeholders the model dropped: put back at a guessed place


def restore(model_output: str, masked: Masked, fills: Mapping[int, str]) -> Restored:
    """Put every placeholder back: placeholder ``i`` becomes ``fills[i]`` when given (a hole's
    translation, a glossary term's target), else its own original text."""
    items = masked.placeholders
    texts = [fills.get(i, p.text) for i, p in enumerate(items)]
    if not masked.model_text:  # nothing was translated: splice the fills into the verbatim text
        text, where = splice(masked.prefix, [(p.start, p.end, texts[i]) for i, p in enumerate(items)])
        return Restored(text, dict(enumerate(where)), frozenset())

    body = model_output.strip()
    matches = [(m.start(), m.end(), _index(m.group(1), len(items))) for m in _PLACEHOLDER_RE.finditer(body)]
    kept = _longest_increasing([(k, idx) for k, (_, _, idx) in enumerate(matches) if idx is not None])

    parts: list[str | int] = []
    cursor, joined = 0, False
    for k, (s, e, idx) in enumerate(matches):
        chunk = body[cursor:s]
        if joined and parts and isinstance(parts[-1], str):
            parts[-1] = _join_removed(parts[-1], chunk)
        else:
            parts.append(chunk)
        if k in kept:
            assert idx is not None
            parts.append(idx)
            joined = False
        else:
            joined = True
        cursor = e
    tail = body[cursor:]
    if joined and parts and isinstance(parts[-1], str):
        parts[-1] = _join_removed(parts[-1], tail)
    else:
        parts.append(tail)
    if parts and isinstance(parts[0], str):
        parts[0] = parts[0].lstrip()
    if parts and isinstance(parts[-1], str):
        parts[-1] = parts[-1].rstrip()
    placed = {p for p in parts if isinstance(p, int)}
    _insert_missing(parts, len(items))

    out: list[str] = [masked.prefix]
    pos = len(masked.prefix)
    where: dict[int, tuple[int, int]] = {}
    for part in parts:
        piece = part if isinstance(part, str) else texts[part]
        if isinstance(part, int):
            where[part] = (pos, pos + len(piece))
        out.append(piece)
        pos += len(piece)
    out.append(masked.suffix)
    return Restored("".join(out), where, frozenset(range(len(items))) - placed)


def _index(digits: str, n: int) -> int | None:
    if len(digits) > 6:
        return None
    i = int(digits)
    return i if i < n else None


def _longest_increasing(seq: Sequence[tuple[int, int]]) -> set[int]:
    """Keys of a longest strictly increasing (by value) subsequence of ``(key, value)``."""
    tails: list[int] = []  # index into seq of the smallest tail of each length
    back: list[int] = [-1] * len(seq)
    for j, (_, v) in enumerate(seq):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if seq[tails[mid]][1] < v:
                lo = mid + 1
            else:
                hi = mid
        back[j] = tails[lo - 1] if lo else -1
        if lo == len(tails):
            tails.append(j)
        else:
            tails[lo] = j
    keep: set[int] = set()
    j = tails[-1] if tails else -1
    while j >= 0:
        keep.add(seq[j][0])
        j = back[j]
    return keep


def _join_removed(left: str, right: str) -> str:
    """Join the text around a dropped placeholder without leaving a double space."""
    if left[-1:].isspace() or right[:1].isspace():
        left, right = left.rstrip(), right.lstrip()
        return left + ("" if right[:1] in _NO_SPACE_BEFORE else " ") + right
    return left + right


def _insert_missing(parts: list[str | int], n: int) -> None:
    """Insert every index in ``range(n)`` that ``parts`` lacks, keeping increasing order."""
    present = {p for p in parts if isinstance(p, int)}
    for i in range(n):
        if i in present:
            continue
        later = next((k for k, p in enumerate(parts) if isinstance(p, int) and p > i), None)
        if later is not None:
            parts[later:later] = [i, " "]
        else:
            last = parts[-1] if parts and isinstance(parts[-1], str) else ""
            if parts and isinstance(parts[-1], str):
                parts.pop()
            m = _FINAL_RE.search(last)
            core, tail = (last[:m.start()], last[m.start():]) if m else (last, "")
            if core or (parts and isinstance(parts[-1], int)):
                core += " "
            parts.extend([core, i, tail])
        present.add(i)

