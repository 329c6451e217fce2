"""Closed-form limits: the Crowther criterion and Radermacher's missing-wedge elongation."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import crowther_views, missing_wedge_elongation
from sim import ValidationError

FAST = settings(max_examples=50, deadline=None, database=None)


def test_crowther_closed_form():
    """n = π·D/d, rounded up (Crowther, DeRosier & Klug, Proc. R. Soc. Lond. A 317, 319 (1970))."""
    assert crowther_views(100.0, 1.0) == 315  # π·100 = 314.16
    assert crowther_views(10.0, 10.0) == 4  # π
    assert crowther_views(1.0, 2.0) == 2  # π/2 = 1.57


def test_crowther_matches_the_review_statements():
    """PHYSICS.md: X-ray TXM needs thousands of projections for a few-thousand-pixel
    detector; nanoscale ET uses 70–140 projections (e.g. a 100 nm object at 3 nm)."""
    pixel_nm = 20.0
    views = crowther_views(2048 * pixel_nm, 2 * pixel_nm)  # Nyquist resolution: 2 pixels
    assert views == math.ceil(math.pi * 1024) == 3217
    assert 70 <= crowther_views(100.0, 3.0) <= 140


@FAST
@given(diameter=st.floats(1.0, 1e5), resolution=st.floats(0.05, 100.0))
def test_crowther_is_the_smallest_count_that_meets_the_criterion(diameter, resolution):
    n = crowther_views(diameter, resolution)
    assert n >= math.pi * diameter / resolution > n - 1
    assert crowther_views(2 * diameter, resolution) >= n


def test_missing_wedge_elongation_literature_values():
    """Radermacher (1988; in Frank, Electron Tomography, 1992): e(α) ≈ 1.31 at ±70°,
    1.55 at ±60°, 2.12 at ±45° — the values quoted in PHYSICS.md and the MRS Bulletin review."""
    assert missing_wedge_elongation(70) == pytest.approx(1.31, abs=0.005)
    assert missing_wedge_elongation(60) == pytest.approx(1.55, abs=0.005)
    assert missing_wedge_elongation(45) == pytest.approx(2.12, abs=0.005)


def test_full_tilt_range_has_no_elongation():
    assert missing_wedge_elongation(90) == pytest.approx(1.0, abs=1e-15)


@FAST
@given(low=st.floats(1e-6, 89.0), step=st.floats(0.01, 30.0))
def test_elongation_shrinks_as_the_range_grows(low, step):
    high = min(low + step, 90.0)
    assert missing_wedge_elongation(low) > missing_wedge_elongation(high) >= 1.0


def test_elongation_is_accurate_for_tiny_ranges():
    """For small α, e ≈ sqrt(3)/α (α in radians): the series avoids the cancellation."""
    alpha = math.radians(1e-4)
    assert missing_wedge_elongation(1e-4) == pytest.approx(math.sqrt(3) / alpha, rel=1e-9)


@pytest.mark.parametrize("tilt", [0.0, -10.0, 90.0001, 180.0, math.nan, math.inf, "steep", None, True])
def test_bad_tilt_names_the_field(tilt):
    with pytest.raises(ValidationError, match="^max_tilt_deg =") as info:
        missing_wedge_elongation(tilt)
    assert "(0, 90]" in str(info.value)


@pytest.mark.parametrize(("diameter", "resolution", "field"), [
    (0.0, 1.0, "diameter_nm"), (-5.0, 1.0, "diameter_nm"), (100.0, 0.0, "resolution_nm"),
    (100.0, math.nan, "resolution_nm")])
def test_crowther_bad_input_names_the_field(diameter, resolution, field):
    with pytest.raises(ValidationError, match=f"^{field} ="):
        crowther_views(diameter, resolution)
