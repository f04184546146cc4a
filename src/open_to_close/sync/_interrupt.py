"""Ctrl-C during a run: finish the writes on the wire, record them, then stop.

A ``KeyboardInterrupt`` raised at an arbitrary bytecode can land between a write's answer
and its link (or inside a commit), so the counts would be wrong and the next run would
look records up for nothing. While a run holds :func:`deferred_ctrl_c`, the first Ctrl-C
only sets ``stop.requested``; the engine checks it at safe points and winds down. A second
Ctrl-C raises at once. Installed only in the main thread, over Python's default handler.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

__all__ = ["Stop", "deferred_ctrl_c"]


@dataclass(slots=True)
class Stop:
    requested: bool = False  # Ctrl-C was pressed
    winding_down: bool = False  # the engine is recording what is in flight

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` here (a safe point) if Ctrl-C was pressed."""
        if self.requested and not self.winding_down:
            raise KeyboardInterrupt


@contextmanager
def deferred_ctrl_c(stop: Stop) -> Iterator[None]:
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.requested:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        stop.requested = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
