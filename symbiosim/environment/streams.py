"""Common random numbers: one seeded stream for each kind of random decision.

A run's seed is split (``numpy.random.Generator.spawn``) into independent streams, one for
search and one for investment (the starting state has no randomness: its installed base is
sized to use). Each stream draws the same numbers every month whatever the scenario does (a
key per month for discovery and one for referral, from which each link's draw is a hash of the
key and the link's two facilities, see :func:`keyed_uniform`; one number per facility and
technology in an investment month), so two runs with the same seed see the same draws for the
same decisions, and differ only through what their scenarios or policies change. A link's draw
does not depend on which other links exist, so leaving out routes that cannot pay changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numba import njit

__all__ = ["RandomStreams", "keyed_uniform"]


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MULTIPLIER_1, _MULTIPLIER_2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_SHIFT_11, _SHIFT_27, _SHIFT_30, _SHIFT_31 = np.uint64(11), np.uint64(27), np.uint64(30), np.uint64(31)


def keyed_uniform(rng: np.random.Generator, keys: np.ndarray) -> np.ndarray:
    """One uniform draw in [0, 1) per key, from a single number drawn from ``rng``.

    The draw for a key depends only on that number and the key, not on the other keys, so the
    same key gets the same draw whichever set it comes in.

    Examples:
        >>> a = keyed_uniform(np.random.default_rng(1), np.array([5, 7, 9]))
        >>> b = keyed_uniform(np.random.default_rng(1), np.array([7]))
        >>> bool(a[1] == b[0]), bool(((a >= 0) & (a < 1)).all())
        (True, True)
    """
    seed = np.uint64(rng.integers(0, 2**63, dtype=np.int64))
    return _keyed_draws(np.asarray(keys, dtype=np.uint64), seed)


@njit(cache=True)
def _keyed_draws(keys: np.ndarray, seed: np.uint64) -> np.ndarray:
    """``splitmix64(splitmix64(key) ^ seed)``'s top 53 bits as a float in [0, 1), per key, in one compiled pass."""
    out = np.empty(len(keys))
    for i in range(len(keys)):
        out[i] = np.float64(_mix(_mix(keys[i]) ^ seed) >> _SHIFT_11) * 2.0**-53
    return out


@njit(cache=True)
def _mix(x: np.uint64) -> np.uint64:
    """The SplitMix64 finaliser (Steele, Lea & Flood 2014): a well-mixed 64-bit hash of ``x`` (wrapping at 64 bits)."""
    x = x + _GOLDEN
    x = (x ^ (x >> _SHIFT_30)) * _MULTIPLIER_1
    x = (x ^ (x >> _SHIFT_27)) * _MULTIPLIER_2
    return x ^ (x >> _SHIFT_31)


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
