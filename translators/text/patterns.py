"""The one set of patterns for what newsroom text is decorated with: URLs (scheme, ``www.``,
bare domains with a known TLD, ``pic.twitter.com/...``), e-mail addresses, @handles, #hashtags,
emoji sequences (flags, keycaps, ZWJ sequences, skin tones, variation selectors, tag sequences),
translation tools' placeholders (Weblate's ``[X6X]``) and numbers.

Protection (``protect.py``) masks them, detection (``detect.py``) ignores them, HTML rendering
(``html_render.py``) places inline elements that hold one, and the extractive summarizer leaves
URLs out of its features: all from these patterns, so the four agree on what a URL or a handle is.
"""

from __future__ import annotations

import regex

__all__ = ["DECORATION", "PROTECTED", "TWEET_STATUS_URL", "URL", "URL_TRAIL", "WORD_CHARS", "strip_decorations"]

WORD_CHARS = r"\p{L}\p{M}\p{N}_"
_W = WORD_CHARS
_TLDS = (
    "com|org|net|edu|gov|mil|int|info|biz|news|io|co|eu|pl|lt|lv|ee|de|uk|us|fr|by|ru|ua|cz|sk|tv|ly|app"
)
_DIGIT = r"\p{Nd}(?!\uFE0F?\u20E3)"  # a digit that does not start a keycap emoji
_EMOJI_TAIL = r"(?:[\uFE0E\uFE0F]|\p{Emoji_Modifier}|[\U000E0020-\U000E007E]+\U000E007F)*"
_EMOJI_BASE = r"(?:\p{Extended_Pictographic}|\p{Emoji_Modifier})"

_URL = r"""(?P<url>(?:https?|ftp)://[^\s<>"“”„«»]+ | (?i:www)\.[^\s<>"“”„«»]+ )"""
_EMAIL = rf"(?P<email>(?:(?<![{_W}.+-])|\G)[{_W}.+-]+@[\p{{L}}\p{{N}}-]+(?:\.[\p{{L}}\p{{N}}-]+)+)"
_DOMAIN = rf"""(?P<domain>(?<![\p{{L}}\p{{N}}_.-])(?:[\p{{L}}\p{{N}}-]{{1,63}}\.){{1,10}}(?:{_TLDS})(?![{_W}-])
        (?:/[^\s<>"“”„«»]*)?)"""
_EMOJI = rf"""(?P<emoji>
        \p{{Regional_Indicator}}{{1,2}}
      | [0-9#*]\uFE0F?\u20E3
      | {_EMOJI_BASE}{_EMOJI_TAIL}(?:\u200D(?:{_EMOJI_BASE}|\p{{Regional_Indicator}}){_EMOJI_TAIL})*
      | [\u20E3\U000E0020-\U000E007F]
    )"""
_HANDLE = rf"(?P<handle>@[{_W}]+)"
# a translation tool's own placeholder, e.g. Weblate's [X6X] for a format string: passes through as is
_PLACEHOLDER = r"(?P<placeholder>\[X[0-9]{1,9}X\])"
_HASHTAG = rf"(?P<hashtag>\#[{_W}]+)"
_NUMBER = rf"""(?P<number>(?:(?<![{_W}])|\G)[\p{{L}}\p{{M}}\p{{No}}\p{{Nl}}_]*{_DIGIT}
        (?:[\p{{L}}\p{{M}}\p{{No}}\p{{Nl}}_]|{_DIGIT}|[.,:/-](?={_DIGIT}))*)"""

_FLAGS = regex.VERBOSE | regex.V0
# Everything protection finds; the group name is the kind (``domain`` is a URL without scheme).
PROTECTED = regex.compile("|".join([_PLACEHOLDER, _URL, _EMAIL, _DOMAIN, _EMOJI, _HANDLE, _HASHTAG, _NUMBER]),
                          _FLAGS)
# The same without numbers: what a text is decorated with (not its words).
DECORATION = regex.compile("|".join([_PLACEHOLDER, _URL, _EMAIL, _DOMAIN, _EMOJI, _HANDLE, _HASHTAG]), _FLAGS)
URL = regex.compile("|".join([_URL, _DOMAIN]), _FLAGS)
# the link of a post on X/Twitter (an embedded tweet's permalink)
TWEET_STATUS_URL = regex.compile(r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/\w+/status(?:es)?/\d+")
# punctuation that ends a sentence rather than a URL (a URL's match gives these back)
URL_TRAIL = ".,;:!?…'\"”“’‘»«)]}"


def strip_decorations(text: str, *, hashtag_words: bool = False) -> str:
    """``text`` with URLs, e-mails, handles, hashtags and emoji replaced by spaces; with
    ``hashtag_words`` a hashtag leaves its word (``#granica`` -> ``granica``)."""

    def repl(m: regex.Match[str]) -> str:
        if hashtag_words and m.lastgroup == "hashtag":
            return f" {m.group()[1:]} "
        return " "

    return DECORATION.sub(repl, text)
