"""Word alignment from the model's own cross-attention: subword attention -> word links.

A backend hands over, per translated text, the attention of each generated token over the input
tokens (one head of one decoder layer, the same in both backends: see docs/engines.md) and where
each token lies in the input and the output text. This module turns that into word links
``(src_start, src_end, tgt_start, tgt_end)`` in code points, like bergamot-translator: every
target word is linked to the source word that its tokens attend to most (attention summed over
the word's tokens, each token weighted by the share of its characters inside the word). Tokens
outside any word (the end token, a target-language prefix, a lone ``▁``) take part in nothing.

It also holds the small algebra of links the layers above need: shifting them into a longer
text, composing two legs through the pivot text, and mapping them through a text rewrite
(:class:`TextMap`, for masking, number repair and splicing in the pipeline).
"""

from __future__ import annotations

import difflib
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence

import regex

from translators.base import WordLink

__all__ = ["TextMap", "compose_links", "links_from_attention", "piece_spans", "shift_links", "source_token_spans",
           "words"]

# A word: letters/digits/marks, joined by inner apostrophes, hyphens, dots or commas (don't,
# pro-EU, 3.5, 1,000); any other non-space character is a word of its own (punctuation).
_WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+(?:['’.,\-][\p{L}\p{N}\p{M}]+)*|[^\s\p{L}\p{N}\p{M}]")
SPIECE = "▁"

Span2 = tuple[int, int]


def words(text: str) -> list[Span2]:
    """The words of ``text`` as ``(start, end)``, in order."""
    return [m.span() for m in _WORD.finditer(text)]


def links_from_attention(src_text: str, src_tokens: Sequence[Span2 | None], tgt_text: str,
                         tgt_tokens: Sequence[Span2 | None], attention: Sequence[Sequence[float]]
                         ) -> tuple[WordLink, ...]:
    """Word links from ``attention[t][s]`` (generated token ``t`` over input token ``s``).

    ``src_tokens``/``tgt_tokens`` give each token's ``(start, end)`` in its text (``None`` for
    special tokens); the attention has a row per target token and a column per source token."""
    src_words = words(src_text)
    tgt_words = words(tgt_text)
    if not src_words or not tgt_words:
        return ()
    src_share = _token_shares(src_tokens, src_words)  # token -> [(word, share)]
    tgt_share = _token_shares(tgt_tokens, tgt_words)
    score: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for t, row in enumerate(attention[:len(tgt_tokens)]):
        if not tgt_share[t]:
            continue
        cols = [(s, row[s]) for s in range(min(len(row), len(src_tokens))) if src_share[s]]
        if not cols:
            continue
        for tw, tw_share in tgt_share[t]:
            for s, weight in cols:
                for sw, sw_share in src_share[s]:
                    score[tw][sw] += weight * tw_share * sw_share
    links: list[WordLink] = []
    for tw in sorted(score):
        best = max(score[tw].items(), key=lambda kv: (kv[1], -kv[0]))[0]
        (a, b), (c, d) = src_words[best], tgt_words[tw]
        links.append((a, b, c, d))
    return tuple(sorted(links, key=lambda x: (x[2], x[0])))


def _token_shares(tokens: Sequence[Span2 | None], spans: Sequence[Span2]) -> list[list[tuple[int, float]]]:
    """For each token, the words it overlaps and the share of its (non-space) characters in each."""
    starts = [a for a, _ in spans]
    out: list[list[tuple[int, float]]] = []
    for tok in tokens:
        shares: list[tuple[int, float]] = []
        if tok is not None and tok[1] > tok[0]:
            a, b = tok
            k = max(0, bisect_right(starts, a) - 1)
            inside = []
            while k < len(spans) and spans[k][0] < b:
                overlap = min(b, spans[k][1]) - max(a, spans[k][0])
                if overlap > 0:
                    inside.append((k, overlap))
                k += 1
            total = sum(n for _, n in inside)
            shares = [(k, n / total) for k, n in inside]
        out.append(shares)
    return out


# --------------------------------------------------------------------------- token offsets


def source_token_spans(tokenizer: object, prefix: str, text: str, ids: Sequence[int]) -> list[Span2 | None]:
    """Where each input token id of ``tokenizer(prefix + text)`` lies in ``text`` (``None`` for the
    prefix's tokens and the end token). Exact from SentencePiece's own offsets when its pieces are
    the tokenizer's; otherwise recovered from the pieces' surface (:func:`piece_spans`)."""
    tokens: list[str] = tokenizer.convert_ids_to_tokens(list(ids))  # type: ignore[attr-defined]
    special = set(getattr(tokenizer, "all_special_tokens", ()))
    full = prefix + text
    code, rest = _language_code(full)
    shift = len(full) - len(rest) - len(prefix)  # where ``rest`` starts in ``text``
    spans: list[Span2 | None] = [None] * len(code)
    body = tokens[len(code):]
    if body and body[-1] in special:
        body = body[:-1]
    pieces = _proto_pieces(tokenizer.spm_source, rest)  # type: ignore[attr-defined]
    if [p.piece for p in pieces] == body:
        byte_to_char = _byte_to_char(rest)
        for p in pieces:
            a, b = byte_to_char[p.begin] + shift, byte_to_char[p.end] + shift
            spans.append(_trim(text, max(0, a), max(0, b)))
    else:
        spans += piece_spans(body, text, special)
    spans += [None] * (len(tokens) - len(spans))
    return spans


def _language_code(text: str) -> tuple[list[str], str]:
    """A leading ``>>xx<<`` target-language code (one token) and the rest, as both tokenizers
    (transformers' ``MarianTokenizer`` and ``marian_vocab.MarianVocab``) split it off."""
    if text.startswith(">>") and (end := text.find("<<")) != -1:
        return [text[:end + 2]], text[end + 2:]
    return [], text


def _proto_pieces(processor: object, text: str) -> list[object]:
    """SentencePiece's pieces of ``text`` with their byte offsets (``begin``, ``end``) into it."""
    try:
        proto = processor.encode(text, return_type="proto")  # type: ignore[attr-defined]  # sentencepiece >= 0.2.1
    except (TypeError, ValueError):
        proto = processor.encode(text, out_type="immutable_proto")  # type: ignore[attr-defined]
    return list(proto.pieces)


def _byte_to_char(text: str) -> list[int]:
    out: list[int] = []
    for i, ch in enumerate(text):
        out += [i] * len(ch.encode("utf-8"))
    out.append(len(text))
    return out


def _trim(text: str, a: int, b: int) -> Span2 | None:
    """``(a, b)`` (clamped to ``text``) without surrounding whitespace; ``None`` when nothing is left."""
    a, b = max(0, a), min(len(text), b)
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return (a, b) if b > a else None


def piece_spans(tokens: Sequence[str], text: str, special: Iterable[str] = ()) -> list[Span2 | None]:
    """Where each SentencePiece token lies in ``text``, the string they decode to (up to
    normalization and stripping): the pieces' surfaces laid end to end, mapped onto ``text``."""
    special = set(special)
    surface = ""
    ranges: list[Span2 | None] = []
    for tok in tokens:
        if tok in special:
            ranges.append(None)
            continue
        piece = tok.replace(SPIECE, " ")
        ranges.append((len(surface), len(surface) + len(piece)))
        surface += piece
    lead = len(surface) - len(surface.lstrip())
    mapped = TextMap.shift(-lead) if surface.strip() == text else TextMap.diff(surface, text)
    out: list[Span2 | None] = []
    for r in ranges:
        if r is None:
            out.append(None)
            continue
        span = mapped.span(*r)
        out.append(_trim(text, *span) if span is not None else None)
    return out


# --------------------------------------------------------------------------- link algebra


def shift_links(links: Iterable[WordLink], src: int, tgt: int) -> list[WordLink]:
    return [(a + src, b + src, c + tgt, d + tgt) for a, b, c, d in links]


def compose_links(first: Iterable[WordLink], second: Iterable[WordLink]) -> tuple[WordLink, ...]:
    """Links of a pivot: ``first`` (source <-> pivot text) then ``second`` (pivot text <-> target),
    joined where their pivot-text words overlap."""
    by_pivot = sorted(second, key=lambda x: x[0])
    out: set[WordLink] = set()
    for a, b, c, d in first:
        for e, f, g, h in by_pivot:
            if e >= d:
                break
            if c < f and e < d:
                out.add((a, b, g, h))
    return tuple(sorted(out, key=lambda x: (x[2], x[0])))


class TextMap:
    """Where the characters of one text went in a rewrite of it (``old`` -> ``new``).

    Built from the rewrite's edits: characters kept map one to one, a replaced run maps as a
    whole onto its replacement (``QZ0`` onto the URL it stood for; ``5`` onto ``five``)."""

    def __init__(self, blocks: Sequence[tuple[int, int, int, int]]) -> None:
        # (old_start, old_end, new_start, new_end), sorted, disjoint; equal-length blocks are 1:1
        self.blocks = sorted(blocks)
        self._starts = [b[0] for b in self.blocks]

    @classmethod
    def shift(cls, delta: int, length: int = 1 << 40) -> TextMap:
        start = max(0, -delta)
        return cls([(start, length, start + delta, length + delta)]) if length > start else cls([])

    @classmethod
    def diff(cls, old: str, new: str, *, opaque: Sequence[Span2] = ()) -> TextMap:
        """The map of a rewrite found by comparing the texts (``difflib``, no junk heuristics).
        ``opaque`` ranges of ``new`` (spliced-in text that came from elsewhere) match nothing."""
        target = list(new)
        for a, b in opaque:
            for i in range(a, b):
                target[i] = "\x00"
        matcher = difflib.SequenceMatcher(None, list(old), target, autojunk=False)
        blocks: list[tuple[int, int, int, int]] = []
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op in ("equal", "replace"):
                blocks.append((i1, i2, j1, j2))
        return cls(blocks)

    def span(self, start: int, end: int) -> Span2 | None:
        """Where ``old[start:end]`` went: from the first to the last of its characters that
        survived (a replaced run counts whole); ``None`` when none did."""
        lo = hi = None
        k = max(0, bisect_right(self._starts, start) - 1)
        while k < len(self.blocks) and self.blocks[k][0] < end:
            a, b, c, d = self.blocks[k]
            k += 1
            s, e = max(a, start), min(b, end)
            if s >= e:
                continue
            if b - a == d - c:  # kept characters: one to one
                ns, ne = c + (s - a), c + (e - a)
            else:  # a replaced run: the whole replacement
                ns, ne = c, d
            if ne <= ns:
                continue
            lo = ns if lo is None else min(lo, ns)
            hi = ne if hi is None else max(hi, ne)
        return (lo, hi) if lo is not None and hi is not None else None
