"""A classroom on one server: at most a few trainings run at once, the others wait in line, first come first served.

Twenty students who press "Load and train" together on a 2-core machine would otherwise start twenty training
threads that share two cores: every page would stop answering and every training would take twenty times as
long. The server's TrainingSlots (one per process: it is the only state shared by every browser session, and
that is its point) lets ``capacity`` trainings run and queues the rest; a queued job shows its place in line,
and a job stopped (or whose tab closed) while queued leaves the line.

    RNNLAB_MAX_TRAININGS=2 make app      # the capacity (default: half the CPU cores, at least 1)
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Callable

log = logging.getLogger("rnnlab.app")


def default_capacity() -> int:
    """$RNNLAB_MAX_TRAININGS when it is a whole number >= 1, else half the CPU cores (at least 1)."""
    fallback = max(1, (os.cpu_count() or 2) // 2)
    text = os.environ.get("RNNLAB_MAX_TRAININGS", "").strip()
    if not text:
        return fallback
    if not text.isdigit() or int(text) < 1:
        log.warning("RNNLAB_MAX_TRAININGS must be a whole number >= 1; received %r, so %d is used", text, fallback)
        return fallback
    return int(text)


class TrainingSlots:
    """``capacity`` trainings at once; the others wait in line (FIFO)."""

    POLL_S = 0.2  # how often a waiting job looks at its stop flag

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1; received {capacity}")
        self.capacity = capacity
        self._cond = threading.Condition()
        self._running: set[str] = set()
        self._waiting: list[str] = []

    def acquire(self, job_id: str, should_stop: Callable[[], bool]) -> bool:
        """Wait for a slot, first come first served -> True once the job holds one; False when ``should_stop``
        said so while it waited (it then leaves the line)."""
        with self._cond:
            self._waiting.append(job_id)
            try:
                while self._waiting[0] != job_id or len(self._running) >= self.capacity:
                    if should_stop():
                        return False
                    self._cond.wait(self.POLL_S)
                self._running.add(job_id)
                return True
            finally:
                self._waiting.remove(job_id)
                self._cond.notify_all()

    def release(self, job_id: str) -> None:
        """Give the slot back (a job that never got one changes nothing)."""
        with self._cond:
            self._running.discard(job_id)
            self._cond.notify_all()

    def place(self, job_id: str) -> int | None:
        """1 for the next in line, 2 behind it, ...; None when the job is not waiting."""
        with self._cond:
            return self._waiting.index(job_id) + 1 if job_id in self._waiting else None

    def counts(self) -> tuple[int, int]:
        """(running, waiting) now."""
        with self._cond:
            return len(self._running), len(self._waiting)


#: The server's slots, shared by every browser session of this process.
SERVER_SLOTS = TrainingSlots(default_capacity())
