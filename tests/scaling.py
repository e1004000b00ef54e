"""Growth checks instead of wall-clock limits.

A test that asserts "100 KB in under 0.1 s" fails when the machine is busy and passes a quadratic
algorithm on a fast one. What these tests care about is *how the work grows*: they run the same
function on an input and on the same input made ``k`` times longer, each timed in this process's
CPU time (``time.process_time``: other processes on the machine do not count), and compare.

``superlinearity(...)`` is ``(cost(large) / cost(small)) / k``: about 1 for linear work (below 1
while fixed costs dominate), about ``log`` growth for n log n, and ``k`` for quadratic work. With
``k = 4`` a bound of 2 separates linear from quadratic with room for noise on both sides.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

LINEAR = 2.0  # the bound for "linear": quadratic work scores ~k (4), linear ~1


def cpu_cost(fn: Callable[[T], object], arg: T, *, repeat: int = 3) -> float:
    """The least CPU time of ``repeat`` calls of ``fn(arg)`` (the least is the least disturbed)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        fn(arg)
        best = min(best, time.process_time() - started)
    return max(best, 1e-6)


def superlinearity(fn: Callable[[T], object], small: T, large: T, k: float, *, repeat: int = 3) -> float:
    """How much faster than ``k``-fold the cost grew from ``small`` to ``large`` (``k`` times
    ``small``): ~1 linear, ~k quadratic."""
    fn(small)  # warm caches (compiled patterns, imports) so they are not charged to ``small``
    return cpu_cost(fn, large, repeat=repeat) / cpu_cost(fn, small, repeat=repeat) / k
