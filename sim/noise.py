"""Counting noise, seeded: one ``numpy.random.Generator`` per acquisition."""

from __future__ import annotations

import numpy as np

from sim.errors import ValidationError


def generator(seed) -> np.random.Generator:
    """A ``numpy.random.Generator`` from an integer seed (or pass one through).

    ``None`` is refused: every simulated measurement must be reproducible from
    its recorded seed.

    Examples
    --------
    >>> int(generator(7).integers(100)) == int(generator(7).integers(100))
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError("seed", seed, "an integer >= 0 or a numpy.random.Generator")
    return np.random.default_rng(int(seed))


def poisson_counts(expected: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Poisson-distributed counts with the given mean (float32, integral values).

    ``expected`` is the mean number of detected quanta per pixel (photons or
    electrons), already including exposure and detector efficiency.

    Examples
    --------
    >>> counts = poisson_counts(np.full(100_000, 50.0), generator(0))
    >>> bool(abs(counts.mean() - 50) < 0.2), bool(abs(counts.var() - 50) < 1.5)
    (True, True)
    """
    expected = np.asarray(expected, dtype=np.float64)
    if np.any(expected < 0) or not np.all(np.isfinite(expected)):
        raise ValidationError("expected", "<negative or NaN means>", "finite means >= 0")
    return rng.poisson(expected).astype(np.float32)
