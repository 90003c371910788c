"""Hub instruments, one module each. ``INSTRUMENTS`` fixes their order within a month."""

from propeller.core.instruments.coaching import Coaching
from propeller.core.instruments.education import Education
from propeller.core.instruments.events import Events
from propeller.core.instruments.llo import Llo
from propeller.core.instruments.trajectories import Trajectories

INSTRUMENTS = (Events, Trajectories, Education, Llo, Coaching)
INSTRUMENT_NAMES = tuple(cls.name for cls in INSTRUMENTS)

__all__ = ["INSTRUMENTS", "INSTRUMENT_NAMES", "Coaching", "Education", "Events", "Llo", "Trajectories"]
