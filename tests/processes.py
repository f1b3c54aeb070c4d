"""Helpers for tests that run real processes: a free port, and polling until something holds."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

DEADLINE_SECONDS = 180.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def until(
    done: Callable[[], bool],
    what: str,
    watched: Sequence[subprocess.Popen[Any]] = (),
    *,
    deadline: float = DEADLINE_SECONDS,
    interval: float = 0.05,
    log: Path | None = None,
) -> None:
    """Poll until `done`, failing at the deadline or as soon as a watched process dies.

    A failure message ends with the text of `log` (the processes' output) when one is given.
    """
    give_up = time.monotonic() + deadline
    while not done():
        for process in watched:
            if process.poll() is not None:
                raise AssertionError(f"{process.args} exited with {process.returncode}{_tail(log)}")
        if time.monotonic() >= give_up:
            raise AssertionError(f"timed out after {deadline:g} s waiting for {what}{_tail(log)}")
        time.sleep(interval)


def _tail(log: Path | None) -> str:
    return f":\n{log.read_text(errors='replace')}" if log is not None and log.exists() else ""
