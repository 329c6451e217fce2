"""Specimen holders: the tilt ranges of the field (MRS Bulletin 45, 2020) and errors that name the holder."""

import pytest

from sim.errors import ValidationError
from sim.holder import HOLDERS, Holder, holder
from sim.scheme import TiltScheme


def test_tilt_limits_are_the_fields_figures():
    """±70° for a standard grid holder, ±75° at most for a narrow tip, ±90° for a needle."""
    assert holder("standard").tilt_limit_deg == 70.0
    assert holder("high-tilt").tilt_limit_deg == 75.0
    assert holder("on-axis").tilt_limit_deg == 90.0


@pytest.mark.parametrize("name", sorted(HOLDERS))
def test_a_series_up_to_the_limit_passes_and_one_step_beyond_fails(name):
    limit = holder(name).tilt_limit_deg
    holder(name).check(TiltScheme.range(-limit, limit, step_deg=1.0).angles_deg)
    with pytest.raises(ValidationError):
        holder(name).check([0.0, limit + 0.5])


def test_error_names_the_holder_its_limit_and_the_worst_angle():
    with pytest.raises(ValidationError) as error:
        holder("standard").check([-10.0, 72.0, -71.0, 5.0])
    assert error.value.field == "angles_deg"
    assert error.value.value == 72.0
    assert error.value.allowed == "|tilt| <= 70° for the 'standard' holder"
    assert "'standard'" in str(error.value) and "70°" in str(error.value)


def test_a_needle_covers_the_whole_half_turn_that_a_grid_holder_cannot():
    angles = TiltScheme.range(-90, 90, step_deg=3).angles_deg
    holder("on-axis").check(angles)
    with pytest.raises(ValidationError, match="'high-tilt'"):
        holder("high-tilt").check(angles)


def test_unknown_holder_lists_the_names():
    with pytest.raises(ValidationError) as error:
        holder("cryo")
    assert error.value.field == "holder"
    for name in HOLDERS:
        assert name in str(error.value)


@pytest.mark.parametrize("limit", [0.0, -5.0, 95.0, float("nan")])
def test_holder_limit_must_be_a_physical_tilt(limit):
    with pytest.raises(ValidationError) as error:
        Holder("custom", limit)
    assert error.value.field == "tilt_limit_deg"
