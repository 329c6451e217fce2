"""Tests of the raster-scan geometry, jitter and acquisition-time model."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ValidationError
from sim.raster_scan import RasterScan


def test_small_scan_time_is_the_exact_sum_of_dwell_and_overheads():
    # 4 lines × 5 points: step mode 20·(0.1 + 0.02) + 4·0.5 = 4.4 s per projection; fly mode drops the 0.4 s
    # of per-point overhead. 3 angles + 3·7 s rotation. Exact arithmetic (binary-exact up to rounding).
    step = RasterScan(field_um=(0.05, 0.04), step_nm=10.0, dwell_s=0.1, overhead_per_point_s=0.02,
                      overhead_per_line_s=0.5)
    assert step.shape == (4, 5)
    assert step.scan_time()["total_s"] == pytest.approx(20 * 0.12 + 4 * 0.5, abs=1e-12)
    budget = step.tomography_time(3, rotation_overhead_s=7.0)
    assert budget["total_s"] == pytest.approx(3 * 4.4 + 21.0, abs=1e-12)
    assert budget["total_h"] == pytest.approx(budget["total_s"] / 3600.0)
    parts = ("dwell_s", "point_overhead_s", "line_overhead_s", "rotation_s")
    assert sum(budget[p] for p in parts) == pytest.approx(budget["total_s"], abs=1e-12)
    fly = RasterScan(field_um=(0.05, 0.04), step_nm=10.0, dwell_s=0.1, mode="fly", overhead_per_point_s=0.02,
                     overhead_per_line_s=0.5)
    assert fly.scan_time()["total_s"] == pytest.approx(20 * 0.1 + 4 * 0.5, abs=1e-12)


def test_high_resolution_xrf_tomogram_of_a_micron_particle_takes_more_than_a_day():
    # A 1 µm particle in a 1.5 µm field at the 15 nm step of a hard-X-ray nanoprobe, 50 ms dwell,
    # 180 angles (Crowther: π/2·100 ≈ 157 needed), default overheads: 10⁴ points × 60 ms + 100 lines × 1 s
    # = 700 s per projection, 35.5 h in all.
    scan = RasterScan(field_um=(1.5, 1.5), step_nm=15.0, dwell_s=0.05)
    budget = scan.tomography_time(180)
    assert budget["total_h"] > 24.0
    assert budget["total_h"] == pytest.approx(35.5)
    # Fly scanning saves the per-point overhead but not the dwell: still more than a day.
    assert RasterScan(field_um=(1.5, 1.5), step_nm=15.0, dwell_s=0.05, mode="fly").tomography_time(180)[
        "total_h"] > 24.0


@settings(max_examples=25, deadline=None)
@given(step_nm=st.floats(5.0, 100.0), dwell_s=st.floats(1e-3, 0.2), point_s=st.floats(1e-4, 0.05),
       line_s=st.floats(0.0, 5.0), n_angles=st.integers(1, 300))
def test_fly_scans_are_faster_than_step_scans(step_nm, dwell_s, point_s, line_s, n_angles):
    common = {"field_um": (0.5, 0.4), "step_nm": step_nm, "dwell_s": dwell_s, "overhead_per_point_s": point_s,
              "overhead_per_line_s": line_s}
    step = RasterScan(mode="step", **common).tomography_time(n_angles)
    fly = RasterScan(mode="fly", **common).tomography_time(n_angles)
    assert fly["total_s"] < step["total_s"]
    # The saving is exactly the per-point overhead.
    assert step["total_s"] - fly["total_s"] == pytest.approx(step["point_overhead_s"], rel=1e-9)


def test_grid_is_centred_with_the_step_and_row_major():
    scan = RasterScan(field_um=(0.1, 0.06), step_nm=20.0, dwell_s=0.01)
    grid = scan.commanded_nm()
    assert grid.shape == (scan.n_points, 2) == (15, 2)
    np.testing.assert_allclose(grid.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(np.diff(grid[:5, 1]), 20.0)  # first line steps in x
    assert np.all(grid[:5, 0] == grid[0, 0]) and grid[5, 0] - grid[0, 0] == pytest.approx(20.0)


def test_jitter_is_seeded_and_has_the_stated_rms():
    scan = RasterScan(field_um=(2.0, 2.0), step_nm=10.0, dwell_s=0.01, jitter_nm=3.0)
    first, again, other = scan.positions_nm(11), scan.positions_nm(11), scan.positions_nm(12)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    error = first - scan.commanded_nm()
    # 4·10⁴ draws per axis: the sample rms is within 3·σ/√(2n) ≈ 1.1 % of σ; 2 % is safe.
    np.testing.assert_allclose(np.sqrt(np.mean(error**2, axis=0)), 3.0, rtol=0.02)
    np.testing.assert_allclose(error.mean(axis=0), 0.0, atol=0.06)  # 4σ/√n = 0.06 nm
    assert np.array_equal(RasterScan(field_um=(0.1, 0.1), step_nm=10.0, dwell_s=0.01, jitter_nm=0.0)
                          .positions_nm(1), RasterScan(field_um=(0.1, 0.1), step_nm=10.0, dwell_s=0.01).commanded_nm())


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"step_nm": 0.0}, "step_nm"),
    ({"step_nm": -5.0}, "step_nm"),
    ({"dwell_s": 0.0}, "dwell_s"),
    ({"field_um": (1.0,)}, "field_um"),
    ({"field_um": (1.0, -1.0)}, "field_um"),
    ({"mode": "zigzag"}, "mode"),
    ({"overhead_per_point_s": -0.1}, "overhead_per_point_s"),
    ({"overhead_per_line_s": float("nan")}, "overhead_per_line_s"),
    ({"jitter_nm": -1.0}, "jitter_nm"),
])
def test_bad_input_names_the_field(kwargs, field):
    args = {"field_um": (1.0, 1.0), "step_nm": 10.0, "dwell_s": 0.05} | kwargs
    with pytest.raises(ValidationError, match=field):
        RasterScan(**args)


@pytest.mark.parametrize(("args", "field"), [((0,), "n_angles"), ((2.5,), "n_angles"), ((True,), "n_angles"),
                                             ((10, -1.0), "rotation_overhead_s")])
def test_bad_tomography_input_names_the_field(args, field):
    with pytest.raises(ValidationError, match=field):
        RasterScan(field_um=(1.0, 1.0), step_nm=10.0, dwell_s=0.05).tomography_time(*args)
