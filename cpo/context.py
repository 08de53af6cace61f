"""What every use case needs from the outside world, passed in rather than imported."""

from __future__ import annotations

from dataclasses import dataclass, field

from cpo.bus import InProcessBus, MessageBus
from cpo.clock import Clock, SystemClock
from cpo.settings import Settings


@dataclass(frozen=True, slots=True)
class Context:
    settings: Settings
    bus: MessageBus = field(default_factory=InProcessBus)
    clock: Clock = field(default_factory=SystemClock)
