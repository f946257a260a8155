"""Common random numbers: one seeded stream for each kind of random decision.

A run's seed is split (``numpy.random.Generator.spawn``) into independent streams, one for
search and one for investment (the starting state has no randomness: its installed base is
sized to use). Each stream draws the same number of
numbers every month whatever the scenario does (one per link for discovery and one for
referral, one per facility and technology in an investment
month), so two runs with the same seed see the same draws for the same decisions, and differ
only through what their scenarios or policies change.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

__all__ = ["RandomStreams"]


@dataclass(frozen=True)
class RandomStreams:
    """The run's random streams.

    Attributes:
        search: which partners a search or a referral finds.
        investment: which technologies each facility considers in an investment round.
    """

    search: np.random.Generator
    investment: np.random.Generator

    @classmethod
    def spawn(cls, rng: np.random.Generator) -> RandomStreams:
        """Independent child streams of ``rng``; the same seed always gives the same streams."""
        return cls(*rng.spawn(len(fields(cls))))

    def states(self) -> dict[str, dict]:
        """Each stream's bit-generator state by name (JSON-serialisable)."""
        return {f.name: getattr(self, f.name).bit_generator.state for f in fields(self)}

    def restore(self, states: dict[str, dict]) -> None:
        """Set each stream to its saved state (see :meth:`states`).

        Raises:
            ValueError: a stream is missing from ``states``.
        """
        missing = [f.name for f in fields(self) if f.name not in states]
        if missing:
            raise ValueError(f"saved random state lacks the stream(s) {', '.join(missing)}")
        for f in fields(self):
            getattr(self, f.name).bit_generator.state = states[f.name]
