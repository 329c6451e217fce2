"""Reconstruction physics: units for any voxel size, accuracy, convergence, angle lists."""

import numpy as np
import pytest

import recon
import sim
from recon.common import angular_weights
from sim.errors import ValidationError


def _series(truth, angles, voxel_nm, values="line integral"):
    data = sim.project(truth, angles, voxel_nm=voxel_nm)
    return sim.TiltSeries(data, angles_deg=angles, pixel_nm=voxel_nm, values=values, unit="1",
                          ground_truth=sim.Volume(truth, voxel_nm=voxel_nm, quantity="mu", unit="1/nm"))


def _disc(n=64, radius=20, mu=0.01):
    coords = np.arange(n) - (n - 1) / 2
    z, x = np.meshgrid(coords, coords, indexing="ij")
    disc = (x**2 + z**2 <= radius**2).astype(np.float32) * mu
    return np.repeat(disc[None], 2, axis=0)


@pytest.mark.parametrize("method", ["fbp", "sirt"])
@pytest.mark.parametrize("voxel_nm", [0.5, 3.0, 40.0])
def test_reconstructed_mu_is_in_inverse_nm_for_any_voxel(method, voxel_nm):
    """μ = 0.01 /nm comes back as 0.01 /nm whatever the voxel size (units, not pixels)."""
    truth = _disc()
    angles = np.linspace(0, 180, 120, endpoint=False)
    params = {"progress": False, "n_iter": 60} if method == "sirt" else {}
    volume = recon.get(method)(_series(truth, angles, voxel_nm), **params)
    assert volume.unit == "1/nm" and volume.voxel_nm == voxel_nm
    inside = volume.data[:, 22:42, 22:42].mean()
    assert inside == pytest.approx(0.01, rel=0.02)


def test_fbp_of_the_same_object_is_independent_of_voxel_size():
    truth = _disc()
    angles = np.linspace(0, 180, 90, endpoint=False)
    a = recon.get("fbp")(_series(truth, angles, 1.0)).data
    b = recon.get("fbp")(_series(truth, angles, 7.5)).data
    np.testing.assert_allclose(a, b, atol=1e-6 * np.abs(a).max() + 1e-9, rtol=1e-4)


def test_fbp_accepts_a_limited_range_and_leaves_the_wedge_empty():
    """±60°: FBP still works; the error is larger than for the full range."""
    truth = _disc()
    full = np.linspace(-90, 90, 91)
    limited = np.arange(-60, 61, 2.0)
    err = {}
    for name, angles in (("full", full), ("limited", limited)):
        volume = recon.get("fbp")(_series(truth, angles, 1.0))
        err[name] = np.linalg.norm(volume.data - truth) / np.linalg.norm(truth)
    assert err["full"] < 0.15
    assert err["limited"] > 1.5 * err["full"]


def test_sirt_residual_decreases_monotonically():
    """SIRT's data residual ‖b − Ax_k‖ decreases at every iteration (noise-free data)."""
    rng = np.random.default_rng(2)
    truth = _disc() + 0.002 * rng.random((2, 64, 64), dtype=np.float32)
    angles = np.arange(-60, 61, 3.0)
    seen = []
    volume = recon.get("sirt")(_series(truth, angles, 2.0), n_iter=25, progress=False,
                               callback=lambda k, x, r, e: seen.append(r))
    residuals = volume.metadata["residuals"]
    assert residuals[:-1] == seen
    assert np.all(np.diff(residuals) < 0)
    assert residuals[-1] < 0.05 * residuals[0]


def test_angular_weights_cover_half_a_turn():
    """Any full coverage integrates to π; duplicates (0°, 180°) share their weight."""
    for angles in (np.linspace(0, 180, 181), np.linspace(-90, 90, 181), np.arange(0, 360, 2.0),
                   np.arange(0, 180, 3.0) + np.random.default_rng(0).uniform(-1, 1, 60)):
        assert angular_weights(angles).sum() == pytest.approx(np.pi)
    limited = np.arange(-60, 61, 2.0)
    np.testing.assert_allclose(angular_weights(limited), np.deg2rad(2.0))


def test_methods_refuse_counts_and_bad_parameters():
    series = sim.TiltSeries(np.ones((3, 2, 8)), angles_deg=[0, 60, 120], pixel_nm=1.0, values="counts")
    with pytest.raises(ValidationError, match="to_line_integrals"):
        recon.get("fbp")(series)
    good = series.with_data(np.zeros((3, 2, 8)), values="line integral")
    with pytest.raises(ValidationError, match="filter"):
        recon.get("fbp")(good, filter="triangle")
    with pytest.raises(ValidationError, match="n_iter"):
        recon.get("sirt")(good, n_iter=0)
    with pytest.raises(ValidationError, match="method"):
        recon.get("art-of-war")
    with pytest.raises(ValidationError, match="sirt.n_iters"):
        recon.check_params(recon.get("sirt"), {"n_iters": 5})
