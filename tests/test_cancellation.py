"""Work tickets: bound per request in a context variable, cancelled or expired from anywhere."""

from __future__ import annotations

import asyncio
import time

import pytest

from translators.base import TranslatorError
from translators.cancellation import CancelToken, WorkCancelled, bind, current_token


def test_no_ticket_means_nothing_to_cancel() -> None:
    assert current_token.get() is None


def test_bind_sets_and_restores_the_current_ticket() -> None:
    outer, inner = CancelToken("a"), CancelToken("b")
    with bind(outer):
        assert current_token.get() is outer
        with bind(inner):
            assert current_token.get() is inner
        assert current_token.get() is outer
    assert current_token.get() is None


def test_cancelled_ticket_raises_cancelled() -> None:
    ticket = CancelToken("r1")
    with bind(ticket):
        ticket.check()
        ticket.cancel()
        with pytest.raises(WorkCancelled) as info:
            current_token.get().check()
    assert info.value.type == "cancelled" and not info.value.expired
    assert isinstance(info.value, TranslatorError)
    assert "r1" in str(info.value)


def test_expired_ticket_raises_deadline_exceeded() -> None:
    ticket = CancelToken.with_timeout("r2", 0.0)
    assert ticket.expired() and ticket.dropped() and ticket.remaining() == 0.0
    with bind(ticket), pytest.raises(WorkCancelled) as info:
        ticket.check()
    assert info.value.type == "deadline_exceeded" and info.value.expired
    later = CancelToken.with_timeout("r3", 60)
    assert not later.expired() and 59 < later.remaining() <= 60
    assert CancelToken("r4").remaining() is None and not CancelToken("r4").expired()


def test_ticket_reaches_a_worker_thread_started_from_async_code() -> None:
    ticket = CancelToken("r5", deadline=time.monotonic() + 60)

    async def handler() -> CancelToken | None:
        with bind(ticket):
            return await asyncio.to_thread(current_token.get)

    assert asyncio.run(handler()) is ticket
