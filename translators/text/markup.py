"""What HTML and XML rendering share: a block's translation with its word links in, the block's
inline markup written over the translation out, and a report of what the alignment could not
place (``markup_placement_uncertain``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from translators.text.inline import Mark, Placement, serialize, walk
from translators.text.projection import WordLink, project

__all__ = ["BlockTranslation", "Rendered", "Uncertain", "render_run"]

_LABEL_MAX = 60


@dataclass(frozen=True, slots=True)
class BlockTranslation:
    """A block's translation and its word links (offsets into the block's source text and
    into ``text``); ``links=None``: no alignment (identical words are matched instead)."""

    text: str
    links: Sequence[WordLink] | None = None


@dataclass(frozen=True, slots=True)
class Uncertain:
    """An inline element of block ``block`` that the alignment could not place: ``start``/``end``
    in the block's source text (a point's are equal), ``label`` its tag (``<a href="...">``)."""

    block: int
    start: int
    end: int
    label: str


@dataclass
class Rendered:
    markup: str
    uncertain: list[Uncertain] = field(default_factory=list)


def label(open_tag: str) -> str:
    return open_tag if len(open_tag) <= _LABEL_MAX else open_tag[:_LABEL_MAX - 2] + "…>"


def render_run(block: int, root: Mark, source: str, translation: BlockTranslation,
               escape: Callable[[str], str], lead: str = "", trail: str = "") -> tuple[str, list[Uncertain]]:
    """The markup of one block over its translation, and its uncertain placements."""
    placed: dict[int, Placement] = project(root, source, translation.text, translation.links)
    uncertain: list[Uncertain] = []
    for node in walk(root):
        if placed[id(node)].uncertain:
            if isinstance(node, Mark):
                uncertain.append(Uncertain(block, node.start, node.end, node.label))
            else:
                uncertain.append(Uncertain(block, node.pos, node.pos, label(node.markup)))
    return serialize(root, translation.text, placed, escape, lead, trail), uncertain
