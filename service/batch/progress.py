"""Progress of a batch run: a tqdm bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any


class Progress:
    """A tqdm bar on a terminal; plain log lines every ``every`` seconds otherwise."""

    def __init__(self, mode: str, total: int | None, initial: int, every: float) -> None:
        self.mode = ("bar" if sys.stderr.isatty() else "log") if mode == "auto" else mode
        self.total, self.initial, self.every = total, initial, every
        self.count = initial
        self.start = self.last = time.monotonic()
        self.bar: Any = None
        if self.mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=initial, unit="rec", dynamic_ncols=True, file=sys.stderr,
                            desc="batch")

    def update(self, n: int, errors: int) -> None:
        self.count += n
        if self.bar is not None:
            self.bar.set_postfix(errors=errors, refresh=False)
            self.bar.update(n)
            return
        now = time.monotonic()
        if self.mode == "log" and now - self.last >= self.every:
            self.last = now
            rate = (self.count - self.initial) / max(now - self.start, 1e-9)
            total = f"/{self.total}" if self.total else ""
            eta = ""
            if self.total and rate > 0 and self.total > self.count:
                eta = f", ETA {_duration((self.total - self.count) / rate)}"
            print(f"batch: {self.count}{total} records, {errors} errors, {rate:.1f} records/s{eta}",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"
