"""Dose per view, cumulative dose in acquisition order, STEM dose conversions."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.constants import e

from sim.dose import cumulative_dose, dose_per_view, electrons_per_pixel, stem_dose_e_per_a2, stem_dwell_time_us
from sim.errors import ValidationError
from sim.scheme import ORDERS, TiltScheme


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.floats(-89.9, 89.9, allow_nan=False), min_size=1, max_size=60),
    st.floats(0.0, 1e5, allow_nan=False),
    st.sampled_from(("uniform", "1/cos")),
    st.sampled_from(ORDERS),
)
def test_doses_sum_to_the_budget(angles, total, weighting, order):
    """For every weighting and acquisition order the views share exactly the budget.

    Tolerance 1e-12 relative: a sum of <= 60 float64 terms is off by a few ulp at most.
    """
    scheme = TiltScheme.from_angles(angles, order=order)
    dose = dose_per_view(scheme.angles_deg, total, weighting)
    assert dose.dtype == np.float64 and dose.shape == (len(angles),)
    assert np.all(dose >= 0)
    assert math.isclose(dose.sum(), total, rel_tol=1e-12, abs_tol=1e-300)


def test_one_over_cos_ratio():
    """dose_i / dose_j = cos θ_j / cos θ_i (Saxberg & Saxton 1981), to float64 rounding."""
    angles = np.array([0.0, -20.0, 35.0, -50.0, 65.0, 80.0])
    dose = dose_per_view(angles, 150.0, "1/cos")
    cos = np.cos(np.deg2rad(angles))
    ratio = dose[:, None] / dose[None, :]
    np.testing.assert_allclose(ratio, cos[None, :] / cos[:, None], rtol=1e-13)


def test_uniform_is_flat():
    dose = dose_per_view(np.linspace(-60, 60, 41), 123.0)
    np.testing.assert_allclose(dose, 123.0 / 41, rtol=1e-15)


def test_dose_symmetric_cumulative_dose():
    """Hagen's scheme: 0 at the first view (0°), then the two sides take turns.

    With uniform dose d per view and groups of 2, the dose at ±θ grows with |θ|
    on each side, and the two sides never differ by more than one group (2 d).
    """
    scheme = TiltScheme.range(-60, 60, step_deg=3, order="dose-symmetric")
    dose = dose_per_view(scheme.angles_deg, 120.0)
    start = cumulative_dose(dose)
    assert scheme.angles_deg[0] == 0.0 and start[0] == 0.0
    np.testing.assert_allclose(cumulative_dose(dose, at="end"), start + dose, rtol=1e-15)
    by_angle = dict(zip(scheme.angles_deg.tolist(), start.tolist()))
    d = dose[0]
    for side in (1, -1):
        values = [by_angle[side * a] for a in range(3, 61, 3)]
        assert np.all(np.diff(values) > 0)
    for a in range(3, 61, 3):
        assert abs(by_angle[a] - by_angle[-a]) <= 2 * d * (1 + 1e-12)
    # the alternation: in acquisition order the side changes every group of two
    signs = np.sign(scheme.angles_deg[1:])
    assert signs[:8].tolist() == [1, 1, -1, -1, 1, 1, -1, -1]


def test_bidirectional_cumulative_dose():
    """Bidirectional: the whole positive side is recorded before any negative tilt."""
    scheme = TiltScheme.range(-30, 30, step_deg=10, order="bidirectional")
    start = cumulative_dose(dose_per_view(scheme.angles_deg, 70.0))
    by_angle = dict(zip(scheme.angles_deg.tolist(), start.tolist()))
    assert max(by_angle[a] for a in (10, 20, 30)) < min(by_angle[a] for a in (-10, -20, -30))


def test_extra_dose_is_added_before_each_view():
    """Tracking dose t per view: start_i = Σ_{j<i}(d_j + t_j) + t_i."""
    dose = np.array([5.0, 6.0, 7.0])
    extra = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(cumulative_dose(dose, extra), [1.0, 8.0, 17.0])
    np.testing.assert_allclose(cumulative_dose(dose, extra, at="end"), [6.0, 14.0, 24.0])
    np.testing.assert_allclose(cumulative_dose(dose, 0.5), [0.5, 6.0, 12.5])


def test_stem_dose_closed_form():
    """N = I t / e electrons over p² (p in Å): 50 pA × 10 µs on 1 Å² is 3120.75 e⁻/Å²."""
    assert math.isclose(stem_dose_e_per_a2(50.0, 10.0, 0.1), 50e-12 * 10e-6 / e, rel_tol=1e-14)
    assert math.isclose(stem_dose_e_per_a2(50.0, 10.0, 0.1), 3120.7547, rel_tol=1e-7)
    # doubling the pixel spreads the same electrons over four times the area
    assert math.isclose(stem_dose_e_per_a2(50.0, 10.0, 0.2), 3120.7547 / 4, rel_tol=1e-7)
    for current, dwell, pixel in [(50.0, 10.0, 0.1), (2.0, 0.5, 0.35), (500.0, 64.0, 1.7)]:
        dose = stem_dose_e_per_a2(current, dwell, pixel)
        assert math.isclose(stem_dwell_time_us(dose, current, pixel), dwell, rel_tol=1e-13)
        # the electrons on one pixel are I t / e, whatever its size
        assert math.isclose(electrons_per_pixel(dose, pixel), current * 1e-12 * dwell * 1e-6 / e, rel_tol=1e-13)


def test_electrons_per_pixel_array():
    np.testing.assert_allclose(electrons_per_pixel(np.array([1.0, 20.0]), 0.5), [25.0, 500.0])


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda: dose_per_view([0, 10], -1.0), "total_e_per_a2"),
        (lambda: dose_per_view([0, 10], float("nan")), "total_e_per_a2"),
        (lambda: dose_per_view([0, 90], 10.0, "1/cos"), "angles_deg"),
        (lambda: dose_per_view([0, 10], 10.0, "cos"), "weighting"),
        (lambda: cumulative_dose([1.0, -1.0]), "dose_e_per_a2"),
        (lambda: cumulative_dose([1.0, 1.0], [1.0]), "extra_e_per_a2"),
        (lambda: cumulative_dose([1.0, 1.0], -1.0), "extra_e_per_a2"),
        (lambda: cumulative_dose([1.0], at="middle"), "at"),
        (lambda: stem_dose_e_per_a2(-5.0, 1.0, 0.1), "probe_current_pa"),
        (lambda: stem_dose_e_per_a2(5.0, 0.0, 0.1), "dwell_time_us"),
        (lambda: stem_dwell_time_us(10.0, 5.0, 0.0), "pixel_nm"),
        (lambda: electrons_per_pixel([1.0, -2.0], 0.1), "dose_e_per_a2"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(ValidationError, match=field):
        call()
