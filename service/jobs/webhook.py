"""Job callbacks signed per Standard Webhooks (https://www.standardwebhooks.com/).

Headers ``webhook-id`` (the same on every retry of one message), ``webhook-timestamp`` (Unix
seconds of this attempt) and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of
``{id}.{timestamp}.{body}`` with the secret, ``whsec_`` + base64 as the spec gives it).
Delivery is retried with exponential backoff (tenacity); a 2xx answer is success. A receiver
that keeps failing never fails the job: the job records ``webhook: failed``. What the far side
answered (or why it could not be reached) is logged for the operator, never shown to the client
that posted the job: the status says only ``delivered`` or ``failed``.

Every attempt goes through :class:`service.jobs.callback_guard.CallbackGuard`: the URL's host is
resolved and checked at connection time and the connection goes to the checked address; no
redirect is followed. A refused destination is not retried: nothing is sent to it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from typing import Any

from service.jobs.callback_guard import CallbackGuard, CallbackRefused

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
TIMEOUT_S = 10.0


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx."""


def secret_bytes(secret: str) -> bytes:
    """The key of a ``whsec_<base64>`` secret (a plain string without the prefix is base64 too)."""
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(raw + "==", validate=False)
    except ValueError as exc:
        raise ValueError("NEWSBRIDGE_WEBHOOK_SECRET must be whsec_ followed by base64") from exc
    if not key:
        raise ValueError("NEWSBRIDGE_WEBHOOK_SECRET is empty")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    mac = hmac.new(secret_bytes(secret), f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signed_headers(secret: str, msg_id: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": sign(secret, msg_id, ts, body),
            "content-type": "application/json", "user-agent": "newsbridge-webhooks/1"}


def payload(event: str, data: dict[str, Any]) -> str:
    return json.dumps({"type": event, "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "data": data},
                      ensure_ascii=False, separators=(",", ":"))


def deliver(url: str, secret: str, msg_id: str, body: str, *, attempts: int, backoff_s: float,
            guard: CallbackGuard) -> str:
    """POST ``body`` until a 2xx answer or ``attempts`` tries; returns ``delivered`` or ``failed``
    (the reason is logged, not returned: a client reads this status). httpx and tenacity load
    here, at the first delivery, not with the server."""
    import httpx
    from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

    retrying = Retrying(stop=stop_after_attempt(attempts),
                        wait=wait_exponential(multiplier=backoff_s, max=max(backoff_s, 300.0)),
                        retry=retry_if_exception_type((httpx.HTTPError, DeliveryFailed)), reraise=False)
    try:
        with guard.client(TIMEOUT_S) as client:
            for attempt in retrying:
                with attempt:
                    headers = signed_headers(secret, msg_id, body)  # a fresh timestamp per attempt
                    response = client.post(url, content=body.encode(), headers=headers)
                    if not 200 <= response.status_code < 300:
                        raise DeliveryFailed(f"HTTP {response.status_code}")
    except CallbackRefused as exc:  # checked again at delivery (e.g. the name now resolves inside)
        log.warning("webhook refused", extra={"url": url, "webhook_id": msg_id, "error": str(exc)})
        return "failed"
    except RetryError as exc:
        last = exc.last_attempt.exception()
        why = f"{type(last).__name__}: {last}" if last else "unknown"
        log.warning("webhook not delivered", extra={"url": url, "webhook_id": msg_id, "attempts": attempts,
                                                     "error": why})
        return "failed"
    log.info("webhook delivered", extra={"url": url, "webhook_id": msg_id})
    return "delivered"
