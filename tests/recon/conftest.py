"""Shared test objects of the reconstruction tests: the three-level piecewise-constant phantom and its series."""

from types import SimpleNamespace

import numpy as np
import pytest

import sim

VOXEL_NM = 2.0


def phantom(n=64):
    """Two identical slices of discs and rectangles with three grey levels: μ ∈ {0, 0.01, 0.02} 1/nm."""
    c = np.arange(n) - (n - 1) / 2
    z, x = np.meshgrid(c, c, indexing="ij")
    piece = np.zeros((n, n), np.float32)
    piece[x**2 + z**2 <= 26**2] = 0.01
    piece[(x - 8) ** 2 + (z + 6) ** 2 <= 9**2] = 0.02
    piece[(abs(x + 12) <= 5) & (abs(z - 10) <= 7)] = 0.0
    piece[(abs(x + 10) <= 3) & (abs(z + 10) <= 4)] = 0.02
    return np.repeat(piece[None], 2, axis=0)


def series(truth, angles, data=None):
    """Line integrals of ``truth`` (its noise-free projections unless ``data`` is given), carrying the truth."""
    data = sim.project(truth, angles, voxel_nm=VOXEL_NM) if data is None else data
    return sim.TiltSeries(data, angles_deg=angles, pixel_nm=VOXEL_NM, values="line integral", unit="1",
                          ground_truth=sim.Volume(truth, voxel_nm=VOXEL_NM, quantity="mu", unit="1/nm"))


def low_dose_series(truth, i0=500.0, seed=1):
    """±60° every 3°, −log of Poisson counts of I0·exp(−∫μ) (a zero count read as 1)."""
    angles = np.arange(-60, 61, 3.0)
    expected = i0 * np.exp(-sim.project(truth, angles, voxel_nm=VOXEL_NM))
    counts = sim.noise.poisson_counts(expected, sim.noise.generator(seed))
    return series(truth, angles, -np.log(np.maximum(counts, 1.0) / i0).astype(np.float32))


@pytest.fixture(scope="session")
def piecewise():
    """The phantom and series builders above, and their voxel size [nm]."""
    return SimpleNamespace(phantom=phantom, series=series, low_dose_series=low_dose_series, voxel_nm=VOXEL_NM)
