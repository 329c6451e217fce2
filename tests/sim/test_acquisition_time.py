"""Acquisition time: the field's 1–3 h tilt-by-tilt and ~10× predictive speed-up from per-step times."""

import numpy as np
import pytest

from sim.acquisition_time import AcquisitionTiming, acquisition_time
from sim.errors import ValidationError
from sim.scheme import TiltScheme
from sim.stage import Stage, Tracking, calibration_angles

FULL = TiltScheme.range(-70, 70, step_deg=1).angles_deg  # 141 views


def test_tilt_by_tilt_takes_one_to_three_hours_and_prediction_is_five_to_twenty_times_faster():
    """MRS Bulletin 45 (2020): tilt-by-tilt tracking takes 1–3 h for −70…+70; predictive tracking cuts
    it about 10×. The defaults give 1.79 h and 6.2× with a fresh calibration (9.6× reusing one)."""
    slow = acquisition_time(FULL, AcquisitionTiming(), Stage(), "tilt-by-tilt")
    fast = acquisition_time(FULL, AcquisitionTiming(), Stage(), "predictive")
    assert FULL.size == 141
    assert 1.0 <= slow.total_s / 3600 <= 3.0
    assert 5.0 <= slow.total_s / fast.total_s <= 20.0
    assert 5.0 <= slow.total_s / (fast.total_s - fast.calibration_s) <= 20.0


@pytest.mark.parametrize("method", ["tilt-by-tilt", "predictive", "none"])
@pytest.mark.parametrize("order", ["sequential", "dose-symmetric", "bidirectional"])
def test_total_is_the_sum_of_the_parts_and_the_end_of_the_timeline(method, order):
    angles = TiltScheme.range(-60, 60, step_deg=3, order=order).angles_deg
    timing = AcquisitionTiming()
    result = acquisition_time(angles, timing, Stage(), method)
    assert result.total_s == pytest.approx(sum(result.parts().values()), rel=1e-12)
    names = {"tilt_moves_s", "settling_s", "exposures_s", "readouts_s", "tracking_s", "focusing_s", "calibration_s"}
    assert set(result.parts()) == names
    # independent tally: the last record's end on the timeline, plus the calibration before it
    end = result.times_s[-1] + timing.exposure_s + timing.readout_s
    assert result.calibration_s + end == pytest.approx(result.total_s, rel=1e-12)
    assert np.all(np.diff(result.times_s) >= timing.exposure_s + timing.readout_s + Stage().settle_s)


def test_untracked_series_is_moves_settling_and_records():
    stage = Stage(settle_s=3.0, tilt_speed_deg_per_s=4.0)
    timing = AcquisitionTiming(exposure_s=2.0, readout_s=0.5)
    angles = TiltScheme.range(-60, 60, step_deg=2).angles_deg  # 0 → −60, then 120° up
    result = acquisition_time(angles, timing, stage, "none")
    assert result.tilt_moves_s == pytest.approx((60 + 120) / 4.0)
    assert result.total_s == pytest.approx(180 / 4.0 + angles.size * (3.0 + 2.0 + 0.5))
    assert result.times_s[0] == pytest.approx(60 / 4.0 + 3.0)


def test_dose_symmetric_spends_more_time_tilting():
    """Alternating sides in groups of 2 crosses 0° repeatedly (Hagen et al. 2017)."""
    schemes = {order: TiltScheme.range(-60, 60, step_deg=2, order=order) for order in ("sequential", "dose-symmetric")}
    moves = {order: acquisition_time(s.angles_deg, AcquisitionTiming(), Stage(), "none").tilt_moves_s
             for order, s in schemes.items()}
    assert moves["sequential"] == pytest.approx(180 / 2.0)
    assert moves["dose-symmetric"] > 5 * moves["sequential"]


def test_tilt_by_tilt_costs_follow_the_per_step_times():
    """Each extra focus iteration adds, per view and area, the focus images and one computation."""
    base = AcquisitionTiming()
    more = AcquisitionTiming(focus_iterations=base.focus_iterations + 1)
    one, two = (acquisition_time(FULL, t, Stage(), "tilt-by-tilt") for t in (base, more))
    step = base.focus_images * (base.focus_exposure_s + base.readout_s) + base.computation_s
    assert two.focusing_s - one.focusing_s == pytest.approx(FULL.size * base.focus_areas * step)
    cycle = base.tracking_exposure_s + base.readout_s + base.computation_s
    assert one.tracking_s == pytest.approx(FULL.size * base.tracking_iterations * cycle)


def test_calibration_time_follows_its_sweep():
    stage, timing = Stage(), AcquisitionTiming()
    result = acquisition_time(FULL, timing, stage, Tracking("predictive", calibration_step_deg=20.0))
    points = calibration_angles(FULL, 20.0)
    sweep_deg = 70 + 140 + 140 + 70
    per_stop = stage.settle_s + timing.tracking_exposure_s + timing.readout_s + timing.computation_s
    assert result.calibration_s == pytest.approx(sweep_deg / stage.tilt_speed_deg_per_s + 2 * points.size * per_stop)


def test_only_tilt_by_tilt_tracking_doses_the_region_of_interest():
    timing = AcquisitionTiming(tracking_dose_e_per_a2=0.2)
    tilt_by_tilt = acquisition_time(FULL, timing, Stage(), "tilt-by-tilt")
    np.testing.assert_allclose(tilt_by_tilt.tracking_dose_e_per_a2, timing.tracking_iterations * 0.2)
    assert tilt_by_tilt.tracking_dose_e_per_a2.sum() == pytest.approx(141 * 2 * 0.2)
    for method in ("predictive", "none"):
        np.testing.assert_array_equal(acquisition_time(FULL, timing, Stage(), method).tracking_dose_e_per_a2, 0.0)


def test_lags_are_positive_for_tilt_by_tilt_and_zero_otherwise():
    lags = acquisition_time(FULL, AcquisitionTiming(), Stage(), "tilt-by-tilt")
    assert np.all(lags.position_lag_s > lags.focus_lag_s) and np.all(lags.focus_lag_s > 0)
    none = acquisition_time(FULL, AcquisitionTiming(), Stage(), "none")
    np.testing.assert_array_equal(none.position_lag_s, 0.0)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(exposure_s=-1.0), "exposure_s"),
        (dict(readout_s=float("inf")), "readout_s"),
        (dict(focus_iterations=0), "focus_iterations"),
        (dict(tracking_iterations=1.5), "tracking_iterations"),
        (dict(tracking_dose_e_per_a2=-0.1), "tracking_dose_e_per_a2"),
    ],
)
def test_timing_rejects_bad_input(kwargs, field):
    with pytest.raises(ValidationError) as error:
        AcquisitionTiming(**kwargs)
    assert error.value.field == field


def test_acquisition_time_rejects_bad_arguments():
    with pytest.raises(ValidationError, match="stage"):
        acquisition_time(FULL, AcquisitionTiming(), "goniometer", "none")
    with pytest.raises(ValidationError, match="timing"):
        acquisition_time(FULL, {}, Stage(), "none")
    with pytest.raises(ValidationError, match="method"):
        acquisition_time(FULL, AcquisitionTiming(), Stage(), "by-hand")
    with pytest.raises(ValidationError, match="angles_deg"):
        acquisition_time([0.0, float("nan")], AcquisitionTiming(), Stage(), "none")
