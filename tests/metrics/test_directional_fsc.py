"""Conical FSC: agrees with the plain FSC for a full cone, and measures the missing wedge's anisotropy."""

import numpy as np
import pytest
import scipy.ndimage

import metrics
import sim
from metrics.directional import conical_fsc, conical_resolution_nm
from recon import get
from sim import ValidationError

N = 32


def test_full_cone_is_the_plain_fsc():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 12, 16, 14))
    plain = metrics.fsc(a, b, voxel_nm=1.5)
    for curve in conical_fsc(a, b, voxel_nm=1.5, cone_half_angle_deg=90).values():
        np.testing.assert_array_equal(curve.n_voxels, plain.n_voxels)
        # same sums, different summation order: round-off only
        np.testing.assert_allclose(curve.fsc, plain.fsc, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(curve.freq_per_nm, plain.freq_per_nm)


def test_cone_holds_only_its_direction():
    # a plane wave along x correlates only in the x cone; elsewhere the shells have no power (fsc 0)
    x = np.arange(16)
    wave = np.broadcast_to(np.cos(2 * np.pi * 3 * x / 16), (16, 16, 16))
    curves = conical_fsc(wave, wave, voxel_nm=1.0)
    assert curves["x"].fsc[2] == pytest.approx(1.0)  # shell 3 holds frequency 3/16
    assert np.all(curves["z"].fsc == 0.0) and np.all(curves["rows"].fsc == 0.0)


def _smooth_truth():
    rng = np.random.default_rng(0)
    truth = scipy.ndimage.gaussian_filter(rng.normal(size=(N, N, N)), 1.0).astype(np.float32)
    _, z, x = np.mgrid[:N, :N, :N] - (N - 1) / 2
    return truth * (z**2 + x**2 < (N / 2 - 2) ** 2)  # inside the field of view at every tilt


def _fbp(truth, angles):
    series = sim.TiltSeries(sim.project(truth, angles, voxel_nm=1.0), angles_deg=angles, pixel_nm=1.0,
                            values="line integral", unit="1")
    return get("fbp")(series, shape=truth.shape).data


def test_missing_wedge_makes_z_resolution_worse_than_x():
    truth = _smooth_truth()
    limited = conical_resolution_nm(_fbp(truth, np.linspace(-60, 60, 91)), truth, voxel_nm=1.0, threshold=0.5)
    full = conical_resolution_nm(_fbp(truth, np.linspace(-90, 90, 121, endpoint=False)), truth,
                                 voxel_nm=1.0, threshold=0.5)
    # ±90°: isotropic, every direction reaches Nyquist (2 voxels) — measured 2.0 nm in all five
    assert all(value == pytest.approx(2.0) for value in full.values())
    # ±60°: the z cone (half-angle 20°) lies wholly in the 30°-wide missing wedge around z; measured
    # 26.1 nm (the curve drops below 0.5 between the first two shells), vs 2.0 nm along x, xz_60 and rows
    assert limited["z"] > 10 * limited["x"]
    assert limited["x"] == pytest.approx(2.0) and limited["rows"] == pytest.approx(2.0)
    assert limited["xz_60"] == pytest.approx(2.0)
    # the xz_30 cone (10°…50° from z) is partly in the wedge: measured 2.16 nm, between x and z
    assert limited["x"] <= limited["xz_30"] < limited["z"]


def test_bad_input_names_the_field():
    vol = np.zeros((8, 8, 8))
    with pytest.raises(ValidationError, match="reference.shape"):
        conical_fsc(vol, np.zeros((8, 8, 9)), voxel_nm=1.0)
    with pytest.raises(ValidationError, match="cone_half_angle_deg"):
        conical_fsc(vol, vol, voxel_nm=1.0, cone_half_angle_deg=95)
    with pytest.raises(ValidationError, match=r"directions\['up'\]"):
        conical_fsc(vol, vol, voxel_nm=1.0, directions={"up": (0, 0, 0)})
    with pytest.raises(ValidationError, match="voxel_nm"):
        conical_fsc(vol, vol)
    with pytest.raises(ValidationError, match="n_shells"):
        conical_fsc(vol, vol, voxel_nm=1.0, n_shells=0)
    with pytest.raises(ValidationError, match="volume"):
        conical_fsc(np.zeros((8, 8)), np.zeros((8, 8)), voxel_nm=1.0)
