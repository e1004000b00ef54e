"""An unreachable hub is retried by huggingface_hub for about 25 s: ``HubReach`` pays that once per
``pause_s``, then looks in the local cache only until the pause is over."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub.errors import LocalEntryNotFoundError

from translators.registry import HubReach


class Downloads:
    """Stands in for ``snapshot_download`` (the real hub cannot be reached from here, and an attempt
    takes 25 s): records each call's ``local_files_only`` and fails the way the real one does."""

    def __init__(self, error: Exception | None) -> None:
        self.error, self.calls = error, []

    def __call__(self, hub_id: str, *, revision: str | None, local_files_only: bool) -> str:
        self.calls.append(local_files_only)
        if self.error is not None:
            raise self.error
        return f"/cache/{hub_id}"


def test_after_one_unreachable_attempt_the_cache_only_until_the_pause_is_over(monkeypatch: pytest.MonkeyPatch
                                                                                ) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    now = [100.0]
    downloads = Downloads(LocalEntryNotFoundError("cannot reach the hub and nothing cached"))
    hub = HubReach(pause_s=60, clock=lambda: now[0], download=downloads)
    for _ in range(3):
        with pytest.raises(LocalEntryNotFoundError):
            hub.snapshot("Helsinki-NLP/opus-mt-tc-big-lt-en", "abc")
    assert downloads.calls == [False, True, True]  # one attempt at the hub, then the cache only
    now[0] += 61
    downloads.error = None
    assert hub.snapshot("Helsinki-NLP/opus-mt-tc-big-lt-en", "abc") == Path("/cache/Helsinki-NLP/opus-mt-tc-big-lt-en")
    assert downloads.calls[-1] is False  # the hub is tried again after the pause


def test_other_hub_errors_do_not_pause_it_and_offline_means_cache_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    downloads = Downloads(PermissionError("the cache folder is read-only"))
    hub = HubReach(pause_s=60, clock=lambda: 0.0, download=downloads)
    for _ in range(2):
        with pytest.raises(PermissionError):
            hub.snapshot("Helsinki-NLP/nope", None)
    assert downloads.calls == [False, False]
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    downloads.error = None
    hub.snapshot("Helsinki-NLP/opus-mt-pl-en", None)
    assert downloads.calls[-1] is True
