"""TF-IDF vectors of character n-grams inside word boundaries, for the extractive summarizer.

The same vectors as scikit-learn's ``TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5),
sublinear_tf=True, smooth_idf=True, norm="l2")`` (``tests/test_summarize_tfidf.py`` compares
them), built with numpy and ``scipy.sparse`` alone: importing scikit-learn cost a server about
130 MB and 2 s (it brings pandas and pyarrow) for these forty lines.

Each whitespace-separated word is padded with one space on both sides and cut into its n-grams
for each n in the range; a padded word shorter than n counts once, whole (scikit-learn's rule).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

import numpy as np
from scipy import sparse


def char_wb_ngrams(text: str, low: int = 3, high: int = 5) -> Iterator[str]:
    """The ``char_wb`` n-grams of ``text``, ``low`` to ``high`` characters long."""
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            if size <= n:  # the whole padded word, once, and no longer n-grams of it
                yield padded
                break
            for start in range(size - n + 1):
                yield padded[start:start + n]


def tfidf_vectors(texts: Sequence[str], low: int = 3, high: int = 5) -> sparse.csr_matrix:
    """One L2-normalised row per text (float32): sublinear term frequency (1 + ln tf) times
    smoothed inverse document frequency (ln((1 + n) / (1 + df)) + 1). A text without n-grams
    gets an all-zero row."""
    vocabulary: dict[str, int] = {}
    rows: list[Counter[int]] = []
    for text in texts:
        counts = Counter(vocabulary.setdefault(gram, len(vocabulary)) for gram in char_wb_ngrams(text, low, high))
        rows.append(counts)
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(row) for row in rows])
    indices = np.fromiter((col for row in rows for col in row), dtype=np.int64, count=int(indptr[-1]))
    tf = np.fromiter((count for row in rows for count in row.values()), dtype=np.float64, count=int(indptr[-1]))
    df = np.bincount(indices, minlength=len(vocabulary))
    idf = np.log((1 + len(texts)) / (1 + df)) + 1.0
    values = (1.0 + np.log(tf)) * idf[indices]
    row_of = np.repeat(np.arange(len(texts)), np.diff(indptr))
    norms = np.sqrt(np.bincount(row_of, weights=values ** 2, minlength=len(texts)))
    values /= norms[row_of]  # a row with values has a positive norm
    matrix = sparse.csr_matrix((values.astype(np.float32), indices, indptr),
                               shape=(len(texts), max(len(vocabulary), 1)))
    matrix.sort_indices()
    return matrix


__all__ = ["char_wb_ngrams", "tfidf_vectors"]
