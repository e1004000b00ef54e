"""Word links of a sentence: the engine's links (masked model text <-> model output) carried
through masking, number repair, unmasking and the splicing of carved quotes into links between
the unit's own text and its rendered translation.

Each step rewrites text; rather than teach every step to report its edits, the edits are found by
comparing the texts before and after (:class:`translators.word_alignment.TextMap`): characters a
step kept map one to one, a run it replaced maps onto its replacement as a whole (``QZ0`` onto
the URL it stood for, ``5`` onto ``5,000``). Spliced-in translations of carved quotes are opaque
(they match nothing of the frame); their own links come from their own unit. Verbatim text (the
peeled prefix/suffix of a segment, a sentence kept as it is) is linked word to word.
"""

from __future__ import annotations

from collections.abc import Sequence

from translators.text.protect import find_protected
from translators.word_alignment import TextMap, words

__all__ = ["Link", "unit_links", "verbatim_words"]

Link = tuple[int, int, int, int]  # (src_start, src_end, tgt_start, tgt_end) in unit text / rendered text


def verbatim_words(text: str) -> list[tuple[int, int]]:
    """Words of text that passes through untranslated: a protected span (URL, handle, emoji...)
    is one word, as it is one placeholder for the model."""
    spans = [(p.start, p.end) for p in find_protected(text) if p.kind != "number"]
    out: list[tuple[int, int]] = []
    cursor = 0
    for a, b in [*spans, (len(text), len(text))]:
        out += [(x + cursor, y + cursor) for x, y in words(text[cursor:a])]
        if b > a:
            out.append((a, b))
        cursor = b
    return out


def _outside(span: tuple[int, int], ranges: Sequence[tuple[int, int]]) -> bool:
    a, b = span
    return all(b <= x or y <= a for x, y in ranges)


def _identity(text: str, lo: int, hi: int, src_at: int, tgt_at: int) -> list[Link]:
    """Word-to-word links of ``text[lo:hi]``, which reappears at ``tgt_at`` (source at ``src_at``)."""
    return [(src_at + a, src_at + b, tgt_at + a, tgt_at + b) for a, b in verbatim_words(text[lo:hi])]


def unit_links(text: str, rendered: str, holes: Sequence[tuple[int, int]], fills: Sequence[tuple[int, int]],
               children: Sequence[Sequence[Link]], *, model_text: str | None = None, output: str | None = None,
               links: Sequence[Link] | None = None, prefix: str = "", suffix: str = "") -> list[Link]:
    """Links between a unit's ``text`` and its ``rendered`` translation.

    ``holes``: where its carved quotes lie in ``text``; ``fills``: where their translations lie in
    ``rendered``; ``children``: their own links (in their text / their rendered translation).
    A translated unit gives its ``model_text`` (masked), the model's ``output`` and the engine's
    ``links`` between them, and its verbatim ``prefix``/``suffix``; a unit kept as it is gives none."""
    out: list[Link] = []
    if model_text is None or links is None or output is None:  # kept verbatim, fills spliced in
        cursor, shift = 0, 0
        for (a, b), (_, d) in [*zip(holes, fills, strict=True), ((len(text), len(text)), (len(rendered),) * 2)]:
            out += _identity(text, cursor, a, cursor, cursor + shift)
            shift = d - b
            cursor = b
    else:
        src_map = TextMap.diff(model_text, text, opaque=holes)
        tgt_map = TextMap.diff(output, rendered, opaque=fills)
        for a, b, c, d in links:
            src, tgt = src_map.span(a, b), tgt_map.span(c, d)
            if src is None or tgt is None or not _outside(src, holes) or not _outside(tgt, fills):
                continue  # a word that did not survive, or the placeholder of a carved quote
            out.append((*src, *tgt))
        if prefix and rendered.startswith(prefix):
            out += _identity(text, 0, len(prefix), 0, 0)
        if suffix and rendered.endswith(suffix) and text.endswith(suffix):
            at = len(text) - len(suffix)
            out += [(at + a, at + b, len(rendered) - len(suffix) + a, len(rendered) - len(suffix) + b)
                    for a, b in verbatim_words(suffix)]
    for (a, _), (c, _), inner in zip(holes, fills, children, strict=True):
        out += [(a + w, a + x, c + y, c + z) for w, x, y, z in inner]
    return sorted(set(out), key=lambda x: (x[2], x[0]))
