"""Per-segment language detection: Polish, Lithuanian, English, or ``other``.

Short, decorated text (tweets) is the hard case, so detection works on the letters only
(URLs, @handles, #hashtags, e-mails, emoji, numbers and punctuation stripped) and combines:

* ``py3langid`` and ``lingua`` both restricted to pl/lt/en (their log-probabilities summed),
* a small lexicon of function words only one of the three languages uses ("i", "jest",
  "yra", "the" ...), weighted by the share of words it covers (decisive for 1-3 words),
* letters only Polish (ł ń ś ź ż ć ó) or only Lithuanian (ė į ų ū č š ž) has, as evidence
  for one against the other (never against English: English news names Łódź and Šiauliai).

``other`` is returned for text with no letters (confidence 0), for mostly non-Latin script,
and for whole sentences that both a wider ``py3langid`` and a wider ``lingua`` put in
another language. Everything is deterministic; engines are loaded once, on first use.

``accuracy`` picks lingua's models for pl/lt/en: ``standard`` (the default) its low-accuracy
mode, trigrams only, about 10 MB; ``high`` its high-accuracy mode, 1- to 5-grams, about 110 MB
more and a second more to load, for a few tenths of a percent on two-word fragments (the
figures: docs/benchmarks.md). Measured figures: ``benchmarks/detect_bench.py``.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import regex

from translators.base import SUPPORTED_LANGS, Detection, Lang
from translators.text.patterns import strip_decorations

LANGS: tuple[Lang, ...] = SUPPORTED_LANGS

# Languages a newsroom may meet that must not be mistaken for pl/lt/en: candidates of the
# wider check that decides ``other`` (ISO 639-1 code -> lingua ``Language`` name).
OTHER_LANGS: dict[str, str] = {
    "de": "GERMAN", "fr": "FRENCH", "es": "SPANISH", "it": "ITALIAN", "pt": "PORTUGUESE",
    "nl": "DUTCH", "cs": "CZECH", "sk": "SLOVAK", "lv": "LATVIAN", "et": "ESTONIAN",
    "fi": "FINNISH", "sv": "SWEDISH", "da": "DANISH", "no": "BOKMAL", "hu": "HUNGARIAN",
    "ro": "ROMANIAN", "hr": "CROATIAN", "sl": "SLOVENE", "tr": "TURKISH", "ru": "RUSSIAN",
    "uk": "UKRAINIAN", "be": "BELARUSIAN",
}  # fmt: skip
_LINGUA_NAMES: dict[Lang, str] = {"pl": "POLISH", "lt": "LITHUANIAN", "en": "ENGLISH"}

Accuracy = Literal["standard", "high"]
ACCURACIES: tuple[Accuracy, ...] = ("standard", "high")

_NON_LETTER = regex.compile(r"[^\p{L}'’]+")
_LOOSE_APOSTROPHE = regex.compile(r"(?<!\p{L})['’]+|['’]+(?!\p{L})")
_CAPS_WORD = regex.compile(r"^\p{Lu}{2,}$")
_LATIN = regex.compile(r"\p{Script=Latin}")

_PL_ONLY = frozenset("łńśźżćó")
_LT_ONLY = frozenset("ėįųūčšž")

# Frequent function words of one language only (words shared by two of them, such as
# "to", "a", "no", "do", "go", "my", "we", "po", "tu", "be", "on", "o", "one", "ten", "man",
# are left out).
_LEXICON: dict[Lang, frozenset[str]] = {
    "pl": frozenset({
        "i", "w", "z", "ze", "się", "nie", "jest", "są", "że", "na", "ma", "mam", "masz", "mamy", "macie",
        "mają", "tego", "tej", "temu", "tym", "jak", "co", "czy", "ale", "od", "dla", "przez",
        "przy", "jego", "jej", "ich", "mój", "moja", "moje", "mojego", "twój", "twoja", "twoje", "ona",
        "ono", "oni", "wy", "ja", "ty", "pan", "pani", "panie", "był", "była", "było", "byli",
        "były", "będzie", "będę", "jestem", "jesteś", "jesteśmy", "tak", "już", "jeszcze", "bardzo",
        "tylko", "także", "też", "gdzie", "kiedy", "który", "która", "które", "których", "sobie", "mnie",
        "mi", "ci", "mu", "nam", "wam", "im", "tam", "teraz", "może", "musi", "musisz", "chce", "chcę",
        "lubi", "lubię", "trzeba", "coś", "nic", "nikt", "ktoś", "wszystko", "bo", "więc", "jednak",
        "oraz", "albo", "lub", "ani", "aby", "żeby", "gdy", "jeśli", "proszę", "dziękuję", "dobrze",
    }),
    "lt": frozenset({
        "ir", "yra", "kad", "ar", "aš", "jis", "ji", "jie", "jos", "mes", "jūs", "tai", "buvo", "bus",
        "nėra", "su", "iš", "į", "ant", "apie", "prie", "kaip", "kas", "kur", "kodėl", "kuris", "kuri",
        "kurie", "labai", "mano", "tavo", "jo", "savo", "tau", "jam", "jai", "mums", "jums", "čia",
        "dabar", "dar", "jau", "tik", "bet", "arba", "nes", "taip", "gerai", "noriu", "nori", "turiu",
        "turi", "reikia", "galiu", "gali", "būti", "nebuvo", "tą", "šis", "ši", "tas", "visi", "viskas",
        "niekas", "kada", "nuo", "iki", "už", "dėl", "tarp", "tačiau", "mus", "jį", "ją", "juos", "jų",
        "ką", "kam", "neturiu", "nenoriu", "esu", "esi", "esame", "šiandien", "rytoj", "vakar",
    }),
    "en": frozenset({
        "the", "is", "are", "was", "were", "and", "of", "you", "he", "she", "it", "they", "your", "his",
        "her", "our", "their", "this", "that", "these", "those", "have", "has", "had", "does", "did",
        "will", "would", "can", "could", "should", "not", "with", "for", "from", "at", "by", "what",
        "who", "which", "where", "when", "why", "how", "there", "here", "been", "an", "don't",
        "it's", "i'm", "me", "him", "them", "us", "if", "or", "but", "as", "so", "very", "just", "all",
        "some", "any", "yes", "than", "then", "too", "about", "into", "up", "out", "get", "i've", "i'll",
        "can't", "didn't", "doesn't", "isn't", "won't",
    }),
}

# Weights of the combined score (tuned on Tatoeba, see benchmarks/detect_bench.py).
_LEXICON_WEIGHT = 6.0  # times the share of words found in a language's lexicon
_LETTER_WEIGHT = 2.0  # pl-only vs lt-only letters
_PROB_FLOOR = 1e-4  # log-probabilities are clipped here so one engine cannot veto
# ``other`` needs a whole sentence and two engines agreeing.
_OTHER_MIN_WORDS = 3
_OTHER_MIN_LETTERS = 15
_OTHER_MIN_LANGID = 0.9  # py3langid's probability mass on other languages
_OTHER_MIN_TOP = 0.5  # ... and on its best one
_OTHER_MIN_LINGUA = 0.5  # lingua's mass on other languages (its best one must be other)
_MIN_LATIN_SHARE = 0.5


def screen(text: str) -> Detection | tuple[str, list[str]]:
    """The check every detector makes first: ``other`` for a segment with no letters or mostly
    non-Latin ones; else the segment's letters-only text and its letters."""
    clean = letters_only(text)
    if not clean:
        return Detection("other", 0.0)
    letters = [ch for ch in clean if ch.isalpha()]
    latin = sum(1 for ch in letters if _LATIN.match(ch))
    if latin < _MIN_LATIN_SHARE * len(letters):
        return Detection("other", round(1.0 - latin / len(letters), 4))
    return clean, letters


def letters_only(text: str) -> str:
    """Words of ``text`` with URLs, handles, hashtags, e-mails, emoji, digits and
    punctuation removed (hashtag words are kept only when nothing else is left)."""
    text = unicodedata.normalize("NFC", text)
    without_tags = _words(strip_decorations(text))
    if not without_tags:
        return " ".join(_words(strip_decorations(text, hashtag_words=True)))
    # ALL-CAPS labels ("PILNE", "BREAKING", "SG") say little; drop them when words remain.
    lower = [w for w in without_tags if not _CAPS_WORD.match(w)]
    return " ".join(lower or without_tags)


def _words(text: str) -> list[str]:
    return _LOOSE_APOSTROPHE.sub(" ", _NON_LETTER.sub(" ", text)).split()


@dataclass(frozen=True, slots=True)
class _Engines:
    langid: Any  # py3langid LanguageIdentifier restricted to pl/lt/en
    langid_wide: Any  # ... restricted to pl/lt/en + OTHER_LANGS
    lingua: Any  # lingua LanguageDetector for pl/lt/en
    lingua_wide: Any  # low-accuracy lingua LanguageDetector for pl/lt/en + OTHER_LANGS (built on first use)
    lingua_code: dict[Any, str]  # lingua Language -> ISO 639-1


class _OnFirstUse:
    """A lingua detector built when first asked: the wide one (25 languages, 10-40 MB) is only
    consulted for a whole sentence that py3langid already puts in another language."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build, self._built, self._lock = build, None, threading.Lock()

    def compute_language_confidence_values(self, text: str) -> Any:
        if self._built is None:
            with self._lock:
                if self._built is None:
                    self._built = self._build()
        return self._built.compute_language_confidence_values(text)


def _restricted(full: Any, langs: list[str]) -> Any:
    """A py3langid identifier over ``langs`` only, sharing ``full``'s tokenizer tables but not
    its 142-language probability table (28 MB, freed with ``full``: ``set_languages`` would keep
    it alive in every copy)."""
    from py3langid.langid import LanguageIdentifier

    columns = [i for i, lang in enumerate(full.nb_classes) if lang in langs]
    return LanguageIdentifier(full.nb_ptc[:, columns].copy(), full.nb_pc[columns],
                              [full.nb_classes[i] for i in columns], full.tk_nextmove, full.tk_output,
                              norm_probs=True, tk_row=full.tk_row)


def _load_engines(accuracy: Accuracy) -> _Engines:
    from lingua import Language, LanguageDetectorBuilder

    from translators.text.langid_model import load_identifier

    full = load_identifier()  # unpacked once into the user cache, memory-mapped
    langid, langid_wide = _restricted(full, list(LANGS)), _restricted(full, [*LANGS, *OTHER_LANGS])
    names = {**_LINGUA_NAMES, **OTHER_LANGS}
    code = {getattr(Language, name): iso for iso, name in names.items()}
    ours = [getattr(Language, _LINGUA_NAMES[lang]) for lang in LANGS]
    builder = LanguageDetectorBuilder.from_languages(*ours)
    if accuracy == "standard":
        builder = builder.with_low_accuracy_mode()
    lingua = builder.with_preloaded_language_models().build()
    lingua_wide = _OnFirstUse(lambda: LanguageDetectorBuilder.from_languages(*code).with_low_accuracy_mode()
                              .with_preloaded_language_models().build())
    return _Engines(langid, langid_wide, lingua, lingua_wide, code)


class LanguageDetector:
    """Detects pl / lt / en / other per segment; deterministic and thread-safe.

    Construction is cheap; the engines (about 1 s and 90 MB with ``standard`` accuracy, 2 s and
    200 MB with ``high``; 10-30 MB more once a sentence in another language needs the wide lingua
    check) load on the first call and are shared by every instance of that accuracy in the process.
    """

    _engines: dict[Accuracy, _Engines] = {}  # noqa: RUF012 (shared by the instances, on purpose)
    _lock = threading.Lock()

    def __init__(self, lexicon_weight: float = _LEXICON_WEIGHT, letter_weight: float = _LETTER_WEIGHT, *,
                 accuracy: Accuracy = "standard") -> None:
        """The weights of the function words and of the pl-/lt-only letters in the combined
        score (the defaults were tuned on one half of the Tatoeba data: detect_bench.py), and
        which lingua models to load (module docstring)."""
        if accuracy not in ACCURACIES:
            raise ValueError(f"unknown detection accuracy {accuracy!r}: choose one of {', '.join(ACCURACIES)}")
        self.weights = (lexicon_weight, letter_weight)
        self.accuracy: Accuracy = accuracy

    def detect(self, text: str) -> Detection:
        """Language of one segment; ``other`` with confidence 0 when it has no letters."""
        screened = screen(text)
        if isinstance(screened, Detection):
            return screened
        clean, letters = screened
        engines = self._load()
        other = self._other_confidence(clean, len(letters), engines)
        if other is not None:
            return Detection("other", other)
        probs = self._probabilities(_drop_names(clean), engines, self.weights)
        best = max(LANGS, key=probs.__getitem__)
        return Detection(best, round(probs[best], 4))

    def detect_many(self, texts: Iterable[str]) -> list[Detection]:
        """``detect`` for each text, in order (repeated texts are detected once)."""
        texts = list(texts)
        found = {text: self.detect(text) for text in dict.fromkeys(texts)}
        return [found[text] for text in texts]

    def _load(self) -> _Engines:
        engines = self._engines.get(self.accuracy)
        if engines is None:
            with self._lock:
                engines = self._engines.get(self.accuracy)
                if engines is None:
                    engines = self._engines[self.accuracy] = _load_engines(self.accuracy)
        return engines

    @staticmethod
    def _probabilities(clean: str, engines: _Engines, weights: tuple[float, float]) -> dict[Lang, float]:
        """Combined pl/lt/en probabilities of letters-only text."""
        langid = dict(engines.langid.rank(clean))
        lingua = {
            engines.lingua_code[value.language]: value.value
            for value in engines.lingua.compute_language_confidence_values(clean)
        }
        hits, words = _lexicon_hits(clean)
        letters = set(clean.lower())
        pl_vs_lt = bool(letters & _PL_ONLY) - bool(letters & _LT_ONLY)
        lexicon_weight, letter_weight = weights
        bonus = {"pl": letter_weight * pl_vs_lt, "lt": -letter_weight * pl_vs_lt, "en": 0.0}
        scores = {
            lang: 0.5
            * (
                math.log(max(langid.get(lang, 0.0), _PROB_FLOOR))
                + math.log(max(lingua.get(lang, 0.0), _PROB_FLOOR))
                + lexicon_weight * hits[lang] / words
                + bonus[lang]
            )
            for lang in LANGS
        }
        top = max(scores.values())
        exp = {lang: math.exp(score - top) for lang, score in scores.items()}
        total = sum(exp.values())
        return {lang: value / total for lang, value in exp.items()}

    @staticmethod
    def _other_confidence(clean: str, letters: int, engines: _Engines) -> float | None:
        """Confidence that a whole sentence is in another language, or ``None``."""
        if letters < _OTHER_MIN_LETTERS or len(clean.split()) < _OTHER_MIN_WORDS:
            return None
        ranked = engines.langid_wide.rank(clean)
        langid = sum(prob for lang, prob in ranked if lang not in LANGS)
        if ranked[0][0] in LANGS or ranked[0][1] < _OTHER_MIN_TOP or langid < _OTHER_MIN_LANGID:
            return None
        values = engines.lingua_wide.compute_language_confidence_values(clean)
        lingua = sum(v.value for v in values if engines.lingua_code[v.language] not in LANGS)
        if engines.lingua_code[values[0].language] in LANGS or lingua < _OTHER_MIN_LINGUA:
            return None
        return round(min(langid, lingua), 4)


def _drop_names(clean: str) -> str:
    """``clean`` without its capitalised words after the first: names ("Łódź", "Nausėda")
    would pull English text to pl/lt. Title-case text (headlines) is kept whole."""
    first, *rest = clean.split(" ")
    kept = [word for word in rest if not word[0].isupper() or word == "I"]
    return " ".join([first, *kept]) if len(kept) >= 2 or len(kept) == len(rest) else clean


def _lexicon_hits(clean: str) -> tuple[dict[Lang, int], int]:
    """Function words of each language in ``clean`` and the number of words."""
    hits: dict[Lang, int] = dict.fromkeys(LANGS, 0)
    words = clean.split()
    for position, word in enumerate(words):
        if word == "I":  # English pronoun, unless it opens the segment (Polish "I ty?")
            hits["en"] += position > 0
            continue
        lowered = word.lower()
        for lang in LANGS:
            hits[lang] += lowered in _LEXICON[lang]
    return hits, max(len(words), 1)


__all__ = ["ACCURACIES", "LANGS", "OTHER_LANGS", "Accuracy", "LanguageDetector", "letters_only"]
