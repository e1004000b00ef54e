"""Extractive summaries by sentence centrality (LexRank / TextRank family).

Each unit (a sentence, or a whole quote that must never be cut) becomes a TF-IDF vector of
character n-grams (``char_wb`` 3-5, :mod:`summarizers.tfidf`): inflected forms of one Polish or
Lithuanian word share most of their n-grams, so no stemmer or stop-word list is needed and one
model serves pl, lt and en. Units are nodes of a graph weighted by cosine similarity; a unit's
score is its PageRank in that graph. The teleport distribution of the PageRank carries a small lead prior
(news puts the gist first): a ``position_weight`` share of it is spread over units in
proportion to ``exp(-3 * i / n)`` (relative position, so it means the same for a tweet and a
long feature: the first unit gets about 20 times the last one's share of it), the rest
uniformly; ``position_weight=0`` is plain (continuous) LexRank. The prior breaks near-ties;
it does not outweigh a clearly more central unit.

Units are picked by score (ties: earlier first), skipping near-duplicates of an already
picked unit, and returned in document order, each keeping its boundary
(:mod:`summarizers.joining`: a space after a sentence, a line break after a unit without
sentence-final punctuation, such as a headline).

Which units are offered is the caller's choice: the pipeline's summary step
(``service/pipeline/summarize.py``) offers the article's sentences and leaves headings and
flagged sentences out while it has enough others (its docstring says why).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from summarizers.joining import join_units
from summarizers.length import DEFAULT_MAX_SENTENCES, check_length_options, summary_length
from summarizers.tfidf import tfidf_vectors
from translators.base import Lang, SummaryResult
from translators.text.patterns import URL

__all__ = ["DEFAULT_MAX_SENTENCES", "CentralitySummarizer", "check_length_options", "summary_length"]

_NON_WORD = re.compile(r"[\W_]+")


def _content(unit: str) -> str:
    """Lower-cased words of a unit, URLs and punctuation dropped ("" for emoji-only units)."""
    return _NON_WORD.sub(" ", URL.sub(" ", unit)).strip().lower()


class CentralitySummarizer:
    """Extractive summarizer; no model weights, language-independent (pl, lt, en).

    ``position_weight`` in [0, 1]: share of the PageRank teleport given to the lead prior.
    ``redundancy``: a unit whose cosine similarity to an already picked one is at least this
    is skipped (used only when nothing else is left). ``dense_limit``: above this many units
    the similarity graph keeps only each unit's ``top_k`` neighbours (sparse), so cost stays
    near-linear in memory and the run time bounded.
    """

    def __init__(
        self,
        *,
        default_max_sentences: int = DEFAULT_MAX_SENTENCES,
        position_weight: float = 0.3,
        damping: float = 0.85,
        redundancy: float = 0.8,
        dense_limit: int = 2000,
        top_k: int = 50,
    ) -> None:
        if not 0.0 <= position_weight <= 1.0:
            raise ValueError("position_weight must be in [0, 1]")
        if not 0.0 < damping < 1.0:
            raise ValueError("damping must be in (0, 1)")
        if default_max_sentences < 1:
            raise ValueError("default_max_sentences must be >= 1")
        self.default_max_sentences = default_max_sentences
        self.position_weight = position_weight
        self.damping = damping
        self.redundancy = redundancy
        self.dense_limit = dense_limit
        self.top_k = top_k

    def summarize(
        self,
        units: Sequence[str],
        lang: Lang,
        *,
        max_sentences: int | None = None,
        ratio: float | None = None,
    ) -> SummaryResult:
        """Pick the most central units; ``lang`` is accepted for the interface, not needed."""
        n = len(units)
        k = summary_length(n, max_sentences, ratio, self.default_max_sentences)
        picked = list(range(n)) if k >= n else self._pick(units, k)
        return SummaryResult(text=join_units([units[i] for i in picked]), picked=picked)

    def scores(self, units: Sequence[str]) -> np.ndarray:
        """Centrality of each unit (a PageRank probability; units without words score 0)."""
        return self._rank(units)[0]

    def _pick(self, units: Sequence[str], k: int) -> list[int]:
        score, vectors = self._rank(units)
        # Stable sort on rounded scores: equal scores keep document order.
        order = np.argsort(-np.round(score, 12), kind="stable")
        chosen: list[int] = []
        skipped: list[int] = []
        for i in order:
            if len(chosen) == k:
                break
            if vectors is not None and chosen and score[i] > 0:
                sims = (vectors[chosen] @ vectors[i].T).toarray().ravel()
                if sims.max() >= self.redundancy:
                    skipped.append(int(i))
                    continue
            chosen.append(int(i))
        chosen.extend(skipped[: k - len(chosen)])
        return sorted(chosen)

    def _rank(self, units: Sequence[str]) -> tuple[np.ndarray, sparse.csr_matrix | None]:
        n = len(units)
        texts = [_content(u) for u in units]
        has_words = np.array([bool(t) for t in texts])
        lead = np.exp(-3.0 * np.arange(n) / n)
        teleport = (1 - self.position_weight) / n + self.position_weight * lead / lead.sum()
        if not has_words.any():
            return teleport, None
        vectors = tfidf_vectors(texts)
        weights = self._similarity(vectors)
        score = self._pagerank(weights, teleport)
        score[~has_words] = 0.0
        return score, vectors

    def _similarity(self, vectors: sparse.csr_matrix) -> sparse.csr_matrix | np.ndarray:
        n = vectors.shape[0]
        if n <= self.dense_limit:
            sim = (vectors @ vectors.T).toarray().astype(np.float64)
            np.fill_diagonal(sim, 0.0)
            return sim
        # Large documents: keep each unit's top_k neighbours, computed block by block.
        k = min(self.top_k, n - 1)
        rows, cols, vals = [], [], []
        block = 512
        for start in range(0, n, block):
            sim = (vectors[start:start + block] @ vectors.T).toarray()
            idx = np.arange(sim.shape[0])
            sim[idx, start + idx] = 0.0
            top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
            rows.append(np.repeat(start + idx, k))
            cols.append(top.ravel())
            vals.append(sim[idx[:, None], top].ravel())
        graph = sparse.csr_matrix(
            (np.concatenate(vals).astype(np.float64), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n, n))
        return graph.maximum(graph.T).tocsr()

    def _pagerank(self, weights: sparse.csr_matrix | np.ndarray, teleport: np.ndarray,
                  tol: float = 1e-10, max_iter: int = 200) -> np.ndarray:
        out = np.asarray(weights.sum(axis=1)).ravel()
        dangling = out == 0
        inv = np.divide(1.0, out, out=np.zeros_like(out), where=~dangling)
        # Column-stochastic transition: r_new = d * (W^T (r / out) + dangling mass * t) + (1-d) t.
        transposed = weights.T
        r = teleport.copy()
        for _ in range(max_iter):
            spread = transposed @ (r * inv)
            new = self.damping * (np.asarray(spread).ravel() + r[dangling].sum() * teleport)
            new += (1 - self.damping) * teleport
            if np.abs(new - r).sum() < tol:
                return new
            r = new
        return r
