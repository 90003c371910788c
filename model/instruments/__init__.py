"""Hub instruments, one module each. ``INSTRUMENTS`` fixes their order within a month."""

from model.instruments.coaching import Coaching
from model.instruments.education import Education
from model.instruments.events import Events
from model.instruments.llo import Llo
from model.instruments.trajectories import Trajectories

INSTRUMENTS = (Events, Trajectories, Education, Llo, Coaching)
INSTRUMENT_NAMES = tuple(cls.name for cls in INSTRUMENTS)

__all__ = ["INSTRUMENTS", "INSTRUMENT_NAMES", "Coaching", "Education", "Events", "Llo", "Trajectories"]
