"""The non-eucentric stage: closed-form displacement, hysteresis, jitter, drift and the three tracking strategies."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from sim.acquisition_time import AcquisitionTiming, acquisition_time
from sim.errors import ValidationError
from sim.scheme import TiltScheme
from sim.stage import Stage, Tracking, calibration_angles, directions

QUIET = dict(jitter_nm=0.0, drift_nm_per_s=0.0)
NO_GEOMETRY = dict(height_error_nm=0.0, axis_offset_nm=0.0, runout_nm=0.0, hysteresis_nm=0.0)
RIGID = dict(axis_elevation_deg=0.0, runout_nm=0.0, hysteresis_nm=0.0, **QUIET)


def series(stage, method, angles, seed=0, timing=AcquisitionTiming()):
    times = acquisition_time(angles, timing, stage, method)
    return stage.track(
        angles,
        times.times_s,
        seed,
        method,
        exposure_s=timing.exposure_s,
        position_lag_s=times.position_lag_s,
        focus_lag_s=times.focus_lag_s,
    )


@settings(max_examples=30, deadline=None)
@given(
    st.floats(-3000, 3000),
    st.floats(-3000, 3000),
    st.floats(-3, 3),
    st.floats(0, 300),
    st.floats(0, 100),
    st.lists(st.floats(-89, 89), min_size=2, max_size=6),
)
def test_repeatable_part_is_a_rigid_rotation_about_the_axis(z0, x0, eps_deg, runout, hysteresis, angles):
    """Independent reference: scipy's rotation of the ROI (x₀, 0, z₀) about the axis (0, cos ε, sin ε).

    Frame (x = columns, y = rows, z = beam); the runout and hysteresis are added across the axis.
    Tolerance 1e-6 nm: float64 round-off on micrometre offsets.
    """
    stage = Stage(
        height_error_nm=z0, axis_offset_nm=x0, axis_elevation_deg=eps_deg,
        runout_nm=runout, hysteresis_nm=hysteresis, **QUIET,
    )
    angles = np.asarray(angles)
    track = stage.track(angles, np.arange(angles.size, dtype=float), 0, "none", exposure_s=1.0)
    eps = np.deg2rad(eps_deg)
    axis = np.array([0.0, np.cos(eps), np.sin(eps)])
    roi = np.array([x0, 0.0, z0])
    moved = Rotation.from_rotvec(np.deg2rad(angles)[:, None] * axis).apply(roi) - roi
    theta = np.deg2rad(angles)
    expected_col = moved[:, 0] + runout * np.sin(2 * theta) + directions(angles) * hysteresis
    np.testing.assert_allclose(track.shift_nm[:, 1], expected_col, atol=1e-6)
    np.testing.assert_allclose(track.shift_nm[:, 0], moved[:, 1], atol=1e-6)
    np.testing.assert_allclose(track.defocus_change_nm, moved[:, 2], atol=1e-6)


def test_ideal_eucentric_geometry_closed_form():
    """Δu = z₀ sin θ + x₀(cos θ − 1), Δf = −x₀ sin θ + z₀(cos θ − 1) (Ziese et al. 2003), rows still."""
    stage = Stage(height_error_nm=800.0, axis_offset_nm=-300.0, **RIGID)
    angles = TiltScheme.range(-70, 70, step_deg=5).angles_deg
    track = stage.track(angles, np.zeros(angles.size), 1, "none", exposure_s=0.5)
    theta = np.deg2rad(angles)
    np.testing.assert_allclose(track.shift_nm[:, 1], 800 * np.sin(theta) - 300 * (np.cos(theta) - 1), atol=1e-9)
    np.testing.assert_allclose(track.defocus_change_nm, 300 * np.sin(theta) + 800 * (np.cos(theta) - 1), atol=1e-9)
    np.testing.assert_array_equal(track.shift_nm[:, 0], 0.0)
    np.testing.assert_array_equal(track.shift_nm, track.raw_shift_nm)


def test_untracked_shifts_are_the_models_displacement():
    stage = Stage(**QUIET)
    angles = TiltScheme.range(-60, 60, step_deg=3, order="dose-symmetric").angles_deg
    track = series(stage, "none", angles)
    model = stage.repeatable_nm(angles, directions(angles))
    np.testing.assert_array_equal(track.shift_nm, model[:, :2])
    np.testing.assert_array_equal(track.defocus_change_nm, model[:, 2])
    np.testing.assert_array_equal(track.blur_nm, 0.0)


def test_hysteresis_separates_the_up_and_down_branches_by_twice_its_size():
    """Tilting up to 30° and back over the same angles: the branches differ by 2h across the axis only."""
    stage = Stage(hysteresis_nm=40.0, **QUIET)
    up = np.arange(-30.0, 31.0, 5.0)
    angles = np.concatenate([up, up[::-1][1:]])
    track = stage.track(angles, np.arange(angles.size, dtype=float), 0, "none", exposure_s=1.0)
    np.testing.assert_array_equal(track.direction, np.r_[np.ones(up.size), -np.ones(up.size - 1)])
    going_up = dict(zip(angles[: up.size], track.shift_nm[: up.size]))
    coming_down = dict(zip(angles[up.size :], track.shift_nm[up.size :]))
    for angle, down in coming_down.items():
        np.testing.assert_allclose(going_up[angle] - down, [0.0, 80.0], atol=1e-9)


def test_bidirectional_branches_are_reached_in_opposite_directions():
    angles = TiltScheme.range(-20, 20, step_deg=2, order="bidirectional").angles_deg
    track = Stage(**QUIET).track(angles, np.zeros(angles.size), 0, "none", exposure_s=1.0)
    np.testing.assert_array_equal(track.direction[angles >= 0], 1.0)
    np.testing.assert_array_equal(track.direction[angles < 0], -1.0)


def test_direction_is_that_of_the_move_into_the_view():
    """A repeated angle keeps the last direction; the first view is approached as the series continues."""
    np.testing.assert_array_equal(directions([0.0, 0.0, 5.0, 5.0, -5.0, -5.0, 0.0]), [1, 1, 1, 1, -1, -1, 1])
    np.testing.assert_array_equal(directions([10.0, 0.0, -10.0]), [-1, -1, -1])
    np.testing.assert_array_equal(directions([3.0]), [1])


def test_jitter_std_matches():
    """4000 views: the sample std is within 1.1% (1σ) of the true one; allow 5%."""
    stage = Stage(jitter_nm=7.0, drift_nm_per_s=0.0, **NO_GEOMETRY)
    angles = np.linspace(-60, 60, 4000)
    track = stage.track(angles, np.zeros(angles.size), 11, "none", exposure_s=1.0)
    assert np.std(track.shift_nm, axis=0) == pytest.approx([7.0, 7.0], rel=0.05)
    assert np.std(track.defocus_change_nm) == pytest.approx(7.0, rel=0.05)
    assert abs(np.mean(track.shift_nm)) < 0.5


def test_drift_is_a_constant_velocity_of_the_stated_speed():
    """Without geometry or jitter the ROI moves by v·t at mid-exposure and smears by v·exposure."""
    stage = Stage(jitter_nm=0.0, drift_nm_per_s=0.05, **NO_GEOMETRY)
    angles = np.linspace(-60, 60, 7)
    times = np.linspace(0, 600, 7)
    track = stage.track(angles, times, 5, "none", exposure_s=2.0)
    moved = np.column_stack([track.shift_nm, track.defocus_change_nm])
    speeds = np.linalg.norm(moved, axis=1) / (times + 1.0)
    np.testing.assert_allclose(speeds, 0.05, rtol=1e-12)
    np.testing.assert_allclose(track.blur_nm, np.tile(moved[0, :2] / 1.0 * 2.0, (7, 1)), rtol=1e-12)


@pytest.mark.parametrize("method", ["none", "tilt-by-tilt", "predictive"])
def test_same_seed_identical_other_seed_different(method):
    angles = TiltScheme.range(-60, 60, step_deg=4, order="dose-symmetric").angles_deg
    first, again, other = (series(Stage(), method, angles, seed) for seed in (3, 3, 4))
    for name in ("shift_nm", "raw_shift_nm", "defocus_change_nm", "blur_nm"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
        assert not np.array_equal(getattr(first, name), getattr(other, name))


def test_raw_displacement_does_not_depend_on_the_tracking():
    """Same seed and times: the stage moves the same way whatever the tracking does about it."""
    angles = TiltScheme.range(-60, 60, step_deg=4).angles_deg
    times = np.arange(angles.size) * 30.0
    tracks = [Stage().track(angles, times, 9, method, exposure_s=1.0) for method in ("none", "tilt-by-tilt", "predictive")]
    for track in tracks[1:]:
        np.testing.assert_array_equal(track.raw_shift_nm, tracks[0].raw_shift_nm)
        np.testing.assert_array_equal(track.raw_defocus_change_nm, tracks[0].raw_defocus_change_nm)


def test_tilt_by_tilt_leaves_only_the_measurement_error():
    """Whatever the geometry (10 µm off eucentric), the residual std is the measurement error (2000 views, 5%)."""
    stage = Stage(height_error_nm=1e4, axis_offset_nm=-5e3, drift_nm_per_s=0.0)
    method = Tracking("tilt-by-tilt", measurement_error_nm=3.0, focus_error_nm=60.0)
    angles = np.linspace(-70, 70, 2000)
    track = stage.track(angles, np.arange(2000.0), 2, method, exposure_s=1.0)
    assert np.std(track.shift_nm, axis=0) == pytest.approx([3.0, 3.0], rel=0.05)
    assert np.std(track.defocus_change_nm) == pytest.approx(60.0, rel=0.05)
    assert np.abs(track.raw_shift_nm[:, 1]).max() > 5e3


def test_tilt_by_tilt_drift_residual_is_the_drift_since_the_measurement():
    stage = Stage(jitter_nm=0.0, drift_nm_per_s=0.1)
    method = Tracking("tilt-by-tilt", measurement_error_nm=0.0, focus_error_nm=0.0)
    angles = TiltScheme.range(-60, 60, step_deg=10).angles_deg
    times = acquisition_time(angles, AcquisitionTiming(), stage, method)
    track = stage.track(
        angles, times.times_s, 4, method, exposure_s=1.0, position_lag_s=times.position_lag_s, focus_lag_s=times.focus_lag_s
    )
    lateral = track.shift_nm / (times.position_lag_s + 0.5)[:, None]
    velocity = np.column_stack([lateral, track.defocus_change_nm / (times.focus_lag_s + 0.5)])
    np.testing.assert_allclose(np.linalg.norm(velocity, axis=1), 0.1, rtol=1e-12)
    assert np.all(times.position_lag_s > times.focus_lag_s)


def test_predictive_tracking_is_exact_for_an_ideal_noise_free_stage():
    """Rigid rotation, no noise: the spline follows the smooth curve (10° knots) to < 0.5 nm and the
    ideal-geometry fit gives the focus to round-off."""
    stage = Stage(height_error_nm=1500.0, axis_offset_nm=700.0, **RIGID)
    method = Tracking("predictive", measurement_error_nm=0.0)
    track = stage.track(np.arange(-70.0, 71.0), np.zeros(141), 0, method, exposure_s=1.0)
    assert np.abs(track.shift_nm).max() < 0.5
    assert np.abs(track.defocus_change_nm).max() < 1e-6
    assert np.abs(track.raw_shift_nm).max() > 1000


def test_predictive_tracking_learns_the_hysteresis_and_runout():
    """Both branches are calibrated, so hysteresis and runout (repeatable) are removed from the shifts."""
    stage = Stage(runout_nm=300.0, hysteresis_nm=100.0, **QUIET)
    method = Tracking("predictive", measurement_error_nm=0.0)
    angles = TiltScheme.range(-70, 70, step_deg=1, order="dose-symmetric").angles_deg
    track = stage.track(angles, np.zeros(angles.size), 0, method, exposure_s=1.0)
    assert np.abs(track.shift_nm).max() < 1.0
    # the runout is not in the ideal-geometry fit, so it leaks into the focus prediction
    assert 10 < np.abs(track.defocus_change_nm).max() < 600


def test_residuals_order_none_predictive_tilt_by_tilt():
    """Default stage, −70…+70 at 2°: tracking tilt-by-tilt beats predicting, which beats nothing."""
    angles = TiltScheme.range(-70, 70, step_deg=2).angles_deg
    rms = {m: np.sqrt(np.mean(series(Stage(), m, angles, 21).shift_nm ** 2)) for m in ("none", "predictive", "tilt-by-tilt")}
    assert rms["tilt-by-tilt"] < rms["predictive"] < 0.1 * rms["none"]
    assert rms["predictive"] < 40.0  # jitter 10 nm, calibration and ~20 nm of drift


def test_shifts_in_pixels():
    track = Stage(**QUIET).track([0.0, 40.0], [0.0, 5.0], 0, "none", exposure_s=1.0)
    np.testing.assert_allclose(track.shifts_px(0.5), track.shift_nm / 0.5)


def test_calibration_covers_the_series_range():
    assert calibration_angles([-70.0, 0.0, 65.0], 10).tolist() == list(range(-70, 61, 10)) + [65]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(jitter_nm=-1.0), "jitter_nm"),
        (dict(drift_nm_per_s=-0.1), "drift_nm_per_s"),
        (dict(hysteresis_nm=-2.0), "hysteresis_nm"),
        (dict(settle_s=-1.0), "settle_s"),
        (dict(tilt_speed_deg_per_s=0.0), "tilt_speed_deg_per_s"),
        (dict(height_error_nm=float("nan")), "height_error_nm"),
        (dict(axis_elevation_deg=45.0), "axis_elevation_deg"),
    ],
)
def test_stage_rejects_bad_parameters(kwargs, field):
    with pytest.raises(ValidationError) as error:
        Stage(**kwargs)
    assert error.value.field == field
    assert field in str(error.value)


@pytest.mark.parametrize(
    "times, kwargs, field",
    [
        ([0.0, -1.0, 2.0], {}, "times_s"),
        ([0.0, 5.0, 2.0], {}, "times_s"),
        ([0.0, 1.0], {}, "times_s.shape"),
        ([0.0, 1.0, 2.0], dict(position_lag_s=-1.0), "position_lag_s"),
        ([0.0, 1.0, 2.0], dict(exposure_s=-1.0), "exposure_s"),
    ],
)
def test_track_rejects_bad_times(times, kwargs, field):
    arguments = dict(exposure_s=1.0, **kwargs) if "exposure_s" not in kwargs else kwargs
    with pytest.raises(ValidationError) as error:
        Stage().track([0.0, 1.0, 2.0], times, 0, "none", **arguments)
    assert error.value.field == field


def test_tracking_rejects_bad_input():
    with pytest.raises(ValidationError, match="method"):
        Tracking("by-hand")
    with pytest.raises(ValidationError, match="measurement_error_nm"):
        Tracking("tilt-by-tilt", measurement_error_nm=-1.0)
    with pytest.raises(ValidationError, match="direction"):
        Stage().repeatable_nm([0.0, 1.0], 0)
