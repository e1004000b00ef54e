"""How long a summary is: the one rule both summarizers and the pipeline's summary step use
(light: no scikit-learn, no model)."""

from __future__ import annotations

import math

DEFAULT_MAX_SENTENCES = 3


def check_length_options(max_sentences: int | None, ratio: float | None) -> None:
    """``ValueError`` for ``max_sentences < 1`` or a ``ratio`` outside (0, 1] (both summarizers)."""
    if max_sentences is not None and max_sentences < 1:
        raise ValueError(f"max_sentences must be >= 1, got {max_sentences}")
    if ratio is not None and not 0.0 < ratio <= 1.0:
        raise ValueError(f"ratio must be in (0, 1], got {ratio}")


def summary_length(n_units: int, max_sentences: int | None, ratio: float | None,
                   default: int = DEFAULT_MAX_SENTENCES) -> int:
    """How many units a summary of ``n_units`` keeps.

    ``ratio`` keeps ``ceil(ratio * n_units)`` units (at least 1); ``max_sentences`` caps the
    count; given both, the smaller wins; given neither, ``default``. Never more than
    ``n_units``. Raises ``ValueError`` for ``max_sentences < 1`` or ``ratio`` outside (0, 1].
    """
    check_length_options(max_sentences, ratio)
    if n_units == 0:
        return 0
    limits = []
    if max_sentences is not None:
        limits.append(max_sentences)
    if ratio is not None:
        limits.append(max(1, math.ceil(ratio * n_units - 1e-9)))
    return min(n_units, min(limits) if limits else default)
