"""Grid sizing and seeding shared by the phantom builders.

Grid rule (every named phantom unless a parameter fixes the grid): the
smallest box that holds the object with a 10 % margin in total (5 % each
side) along each axis, rounded up to an even number of voxels::

    n_axis = 2·ceil((1 + margin)·extent_axis / (2·voxel_nm))
"""

from __future__ import annotations

import math

import numpy as np

from sim import validate
from sim.errors import ValidationError

MARGIN = 0.10
"""Total margin around an object, as a fraction of its extent (5 % each side)."""


def fit_grid(extent_nm, voxel_nm: float, margin: float = MARGIN) -> tuple[int, int, int]:
    """Even grid sizes ``(n_rows, n_z, n_x)`` holding ``extent_nm`` plus ``margin``.

    ``extent_nm``: the object's size along ``(row, z, x)`` [nm]; ``voxel_nm`` [nm];
    ``margin``: total fraction added (0.1 = 10 %).

    >>> fit_grid((1500, 1500, 1500), 13.0)
    (128, 128, 128)
    >>> fit_grid((100, 20, 10), 2.0)
    (56, 12, 6)
    """
    voxel = validate.positive("voxel_nm", voxel_nm, "nm")
    margin = validate.in_range("margin", margin, 0.0, 10.0)
    extent = np.broadcast_to(np.asarray(extent_nm, dtype=float), (3,))
    if not np.all(np.isfinite(extent)) or np.any(extent <= 0):
        raise ValidationError("extent_nm", extent_nm, "3 finite lengths > 0 [nm]")
    return tuple(max(2, 2 * math.ceil((1 + margin) * float(e) / (2 * voxel) - 1e-9)) for e in extent)


def extent_of(shape) -> np.ndarray:
    """Size ``(row, z, x)`` [nm] of the box centred on the origin that holds ``shape``."""
    low, high = shape.bounds()
    return 2 * np.maximum(np.abs(low), np.abs(high))


def generator(seed) -> np.random.Generator:
    """A ``numpy.random.Generator`` from an integer seed >= 0 or a Generator (used as is).

    >>> float(generator(3).random()) == float(generator(3).random())
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError("seed", seed, "an integer >= 0 or a numpy.random.Generator")
    return np.random.default_rng(int(seed))


def seed_record(seed) -> int | None:
    """What a Phantom records as its seed: the integer, or None for a Generator (validated)."""
    generator(seed)
    return None if isinstance(seed, np.random.Generator) else int(seed)


def points_in_ball(rng: np.random.Generator, n: int, radius_nm: float) -> np.ndarray:
    """``n`` points uniform in a ball of ``radius_nm`` [nm] about the origin, shape (n, 3)."""
    direction = rng.standard_normal((int(n), 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    return direction * (radius_nm * np.cbrt(rng.random(int(n))))[:, None]
