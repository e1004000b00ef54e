"""Limits of a whole request, applied before any model work is queued:

- ``max_batch_texts``: number of ``texts`` (413 ``too_many_texts``);
- ``max_request_chars``: characters of all texts of one request (413 ``request_too_large``).

Each text's own checks (empty, ``max_chars``, encoding, ``max_html_depth``) are the pipeline's
(``service.pipeline.checks``): a failing text of a batch is answered in its place. The body size
itself is limited while it is read (``service.http.middleware.BodyLimit``).
"""

from __future__ import annotations

from collections.abc import Sequence

from service.errors import RequestTooLarge, TooManyTexts
from service.settings import Settings


def check_request(texts: Sequence[str], settings: Settings) -> int:
    """Check one request's texts against the request-wide limits; the characters to admit."""
    if len(texts) > settings.max_batch_texts:
        raise TooManyTexts(f"{len(texts)} texts in one request; the limit is {settings.max_batch_texts}")
    total = sum(map(len, texts))
    if total > settings.max_request_chars:
        raise RequestTooLarge(f"the request has {total} characters in all; the limit is "
                              f"{settings.max_request_chars}")
    return total
