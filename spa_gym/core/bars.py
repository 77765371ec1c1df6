"""Progress display that suits where the output goes: a tqdm bar on a terminal, plain periodic lines elsewhere.

A bar redrawn with carriage returns is fine on a terminal, but in a log file it becomes one line of
thousands of characters. :func:`progress_bar` returns tqdm when its stream is a TTY and a
:class:`PlainProgress` otherwise, which prints a short line at the start, at most every ``interval``
seconds, and at the end. Both take the calls our loops make (iteration, ``update``, ``set_postfix``,
``close``, ``write``).

>>> import io
>>> log = io.StringIO()
>>> for _ in progress_bar(range(3), desc="work", file=log, interval=0.0):
...     pass
>>> print(log.getvalue().splitlines()[-1].split(",")[0])
work: 3/3 it (100%)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO


def _clock(seconds: float) -> str:
    seconds = int(max(0.0, seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def _count(n: float) -> str:
    return f"{n:.0f}" if float(n).is_integer() else f"{n:.1f}"


class PlainProgress:
    """A tqdm stand-in for non-terminal output: one self-contained line per report, no carriage returns."""

    def __init__(self, iterable: Iterable[Any] | None = None, *, total: float | None = None, desc: str = "",
                 unit: str = "it", initial: float = 0, file: TextIO | None = None, interval: float = 30.0,
                 **_ignored: Any) -> None:
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable) + initial  # type: ignore[arg-type]
        self.total, self.desc, self.unit, self.n = total, desc, unit, initial
        self.file, self.interval = file, interval
        self.postfix = ""
        self._start = self._last = time.monotonic()
        self._initial, self._closed = initial, False
        self._print()

    # -- what the loops call
    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable or ():
            yield item
            self.update(1)
        self.close()  # as tqdm does when its iterable is exhausted

    def update(self, n: float = 1) -> None:
        self.n += n
        if time.monotonic() - self._last >= self.interval:
            self._print()

    def set_postfix(self, ordered_dict: dict[str, Any] | None = None, refresh: bool = True, **kwargs: Any) -> None:
        items = {**(ordered_dict or {}), **kwargs}
        self.postfix = ", ".join(f"{k}={v}" for k, v in items.items())

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = s

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        self.desc = desc or ""

    def write(self, s: str) -> None:
        print(s, file=self.file or sys.stderr, flush=True)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._print()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- the line
    def line(self) -> str:
        elapsed = time.monotonic() - self._start
        parts = [f"{self.desc}: {_count(self.n)}" + (f"/{_count(self.total)}" if self.total else "") + f" {self.unit}"]
        if self.total:
            parts[0] += f" ({100 * self.n / self.total:.0f}%)"
        parts.append(f"{_clock(elapsed)} elapsed")
        done = self.n - self._initial
        if self.total and 0 < done and self.n < self.total:
            parts.append(f"~{_clock(elapsed / done * (self.total - self.n))} left")
        if self.postfix:
            parts.append(self.postfix)
        return ", ".join(parts)

    def _print(self) -> None:
        self._last = time.monotonic()
        print(self.line(), file=self.file or sys.stderr, flush=True)


def progress_bar(iterable: Iterable[Any] | None = None, *, disable: bool = False, file: TextIO | None = None,
                 interval: float = 30.0, **kwargs: Any) -> Any:
    """tqdm on a terminal, :class:`PlainProgress` lines when ``file`` (default stderr) is not one.

    ``kwargs`` are tqdm's (``total``, ``desc``, ``unit``, ``initial``, ``leave``); ``interval`` is the
    seconds between plain lines.
    """
    from tqdm.auto import tqdm

    stream = file or sys.stderr
    if disable or _is_tty(stream):
        return tqdm(iterable, disable=disable, file=stream, dynamic_ncols=True, **kwargs)
    return PlainProgress(iterable, file=stream, interval=interval, **kwargs)


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


__all__ = ["PlainProgress", "progress_bar"]
