"""Work tickets: bound per request in a context variable, cancelled or expired from anywhere."""

from __future__ import annotations

import asyncio
import time

import pytest

from translators.base import TranslatorError
from translators.work import WorkCancelled, WorkTicket, bind, current_ticket, raise_if_cancelled


def test_no_ticket_means_nothing_to_cancel() -> None:
    assert current_ticket.get() is None
    raise_if_cancelled()


def test_bind_sets_and_restores_the_current_ticket() -> None:
    outer, inner = WorkTicket("a"), WorkTicket("b")
    with bind(outer):
        assert current_ticket.get() is outer
        with bind(inner):
            assert current_ticket.get() is inner
        assert current_ticket.get() is outer
    assert current_ticket.get() is None


def test_cancelled_ticket_raises_cancelled() -> None:
    ticket = WorkTicket("r1")
    with bind(ticket):
        raise_if_cancelled()
        ticket.cancel()
        with pytest.raises(WorkCancelled) as info:
            raise_if_cancelled()
    assert info.value.type == "cancelled" and not info.value.expired
    assert isinstance(info.value, TranslatorError)
    assert "r1" in str(info.value)


def test_expired_ticket_raises_deadline_exceeded() -> None:
    ticket = WorkTicket.with_timeout("r2", 0.0)
    assert ticket.expired() and ticket.dropped() and ticket.remaining() == 0.0
    with bind(ticket), pytest.raises(WorkCancelled) as info:
        raise_if_cancelled()
    assert info.value.type == "deadline_exceeded" and info.value.expired
    later = WorkTicket.with_timeout("r3", 60)
    assert not later.expired() and 59 < later.remaining() <= 60
    assert WorkTicket("r4").remaining() is None and not WorkTicket("r4").expired()


def test_ticket_reaches_a_worker_thread_started_from_async_code() -> None:
    ticket = WorkTicket("r5", deadline=time.monotonic() + 60)

    async def handler() -> WorkTicket | None:
        with bind(ticket):
            return await asyncio.to_thread(current_ticket.get)

    assert asyncio.run(handler()) is ticket
