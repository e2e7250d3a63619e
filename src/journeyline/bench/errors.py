"""The bench's one error: it could not measure something."""

from __future__ import annotations

from journeyline.model.errors import JourneylineError


class BenchError(JourneylineError):
    """The bench could not measure something (a server that did not start, a timeout...)."""
