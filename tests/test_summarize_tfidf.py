"""The summarizer's TF-IDF (summarizers/tfidf.py) gives scikit-learn's vectors, without importing it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from summarizers.extractive import _content
from summarizers.tfidf import char_wb_ngrams, tfidf_vectors

WORDS = st.text(alphabet="abcząęłńóśźżėįųūčšž ", min_size=0, max_size=40)


def _sklearn(texts: list[str]) -> np.ndarray:
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=False,
                                 dtype=np.float32)
    matrix = vectorizer.fit_transform(texts)
    return (matrix @ matrix.T).toarray()


@settings(max_examples=150, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=12).filter(lambda texts: any(t.split() for t in texts)))
def test_same_similarities_as_scikit_learn(texts: list[str]) -> None:
    ours = tfidf_vectors(texts)
    assert ours.shape[0] == len(texts)
    np.testing.assert_allclose((ours @ ours.T).toarray(), _sklearn(texts), atol=1e-5)  # float32 sums


def test_same_ngrams_as_scikit_learn_including_short_words() -> None:
    text = "a żółw ab i dużo-słów Šiauliai"
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=False).build_analyzer()
    ours = list(char_wb_ngrams(text))
    assert ours, "no n-grams"
    assert ours == analyzer(text)
    assert " a " in ours  # a padded word shorter than the n-gram counts once, whole


def test_rows_are_unit_length_and_a_text_without_words_is_zero() -> None:
    texts = [_content("Premier zwołał posiedzenie rządu."), _content("🇵🇱 👇"), "rząd zebrał się"]
    matrix = tfidf_vectors(texts)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms, [1.0, 0.0, 1.0], atol=1e-6)


def test_the_summarizer_does_not_import_scikit_learn() -> None:
    code = ("import sys; from summarizers.extractive import CentralitySummarizer as S; "
            "r = S().summarize(['Rząd zebrał się.', 'Premier mówił długo.', 'Nic więcej.'], 'pl', max_sentences=1); "
            "assert r.picked, r; print('sklearn' in sys.modules, 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
