"""The relative data residual ‖A·x − b‖/‖b‖ of a reconstruction against its series."""

import numpy as np
import pytest

import metrics
import recon
import sim
from sim.errors import ValidationError


def _series(noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((2, 32, 32), np.float32)
    x[:, 10:20, 12:22] = 0.02
    angles = np.linspace(-90, 90, 60, endpoint=False)
    data = sim.project(x, angles, voxel_nm=1.5)
    data = data + noise * rng.normal(size=data.shape).astype(np.float32)
    truth = sim.Volume(x, voxel_nm=1.5, quantity="mu", unit="1/nm")
    return sim.TiltSeries(data, angles_deg=angles, pixel_nm=1.5, values="line integral", ground_truth=truth), truth


def test_truth_explains_noise_free_data_exactly():
    series, truth = _series()
    assert metrics.data_residual(truth, series) < 1e-6


def test_noise_sets_the_floor_and_sirt_residual_falls_towards_it():
    """With white noise of σ per pixel the truth's residual is σ·√N/‖b‖ (to sampling error); SIRT's falls with iterations."""
    sigma = 0.01
    series, truth = _series(noise=sigma)
    floor = sigma * np.sqrt(series.data.size) / np.linalg.norm(series.data.astype(np.float64))
    assert metrics.data_residual(truth, series) == pytest.approx(floor, rel=0.05)
    few = metrics.data_residual(recon.get("sirt")(series, n_iter=5, progress=False), series)
    many = metrics.data_residual(recon.get("sirt")(series, n_iter=60, progress=False), series)
    assert many < few


def test_counts_and_wrong_grids_are_refused():
    series, truth = _series()
    counts = series.with_data(series.data, values="counts")
    with pytest.raises(ValidationError, match="series.values"):
        metrics.data_residual(truth, counts)
    with pytest.raises(ValidationError, match="volume.shape"):
        metrics.data_residual(np.zeros((3, 32, 32)), series)
