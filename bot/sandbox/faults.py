"""Injected faults for the message-sending endpoints: a queue first, then random rates."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

SYSTEM_BUSY = -1
RATE_LIMITED = 45009


@dataclass(frozen=True)
class Fault:
    """One injected outcome: an error answer, or a slow answer the client gives up on."""

    errcode: int | None = None
    errmsg: str | None = None
    timeout: bool = False
    # A timeout after the message was accepted: the answer is lost, the message is not.
    delivered: bool = False


@dataclass
class Faults:
    """What goes wrong and how often; `draw` decides for one call."""

    rate_system_busy: float = 0.0
    rate_rate_limited: float = 0.0
    rate_timeout: float = 0.0
    timeout_seconds: float = 10.0
    seed: int | None = None
    queue: deque[Fault] = field(default_factory=deque)
    rng: random.Random = field(default_factory=random.Random)

    def configure(self, **changes: Any) -> None:
        """Change the given settings; a new seed restarts the random sequence."""
        for name, value in changes.items():
            setattr(self, name, value)
        if "seed" in changes:
            self.rng = random.Random(self.seed)

    def draw(self) -> Fault | None:
        """The fault for the next call, or None: queued faults first, then the rates."""
        if self.queue:
            return self.queue.popleft()
        roll = self.rng.random()
        if roll < self.rate_system_busy:
            return Fault(errcode=SYSTEM_BUSY)
        roll -= self.rate_system_busy
        if roll < self.rate_rate_limited:
            return Fault(errcode=RATE_LIMITED)
        roll -= self.rate_rate_limited
        if roll < self.rate_timeout:
            return Fault(timeout=True)
        return None

    def describe(self) -> dict[str, Any]:
        """The current settings, for the control API's answer."""
        return {
            "rate_system_busy": self.rate_system_busy,
            "rate_rate_limited": self.rate_rate_limited,
            "rate_timeout": self.rate_timeout,
            "timeout_seconds": self.timeout_seconds,
            "seed": self.seed,
            "next": [
                {"timeout": True, "delivered": f.delivered}
                if f.timeout
                else {"errcode": f.errcode, "errmsg": f.errmsg}
                for f in self.queue
            ],
        }
