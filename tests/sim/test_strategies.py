"""The public hypothesis strategies of ``sim``: everything drawn is valid, within its holder and in its units."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.dose import dose_per_view
from sim.errors import ValidationError
from sim.geometry import ParallelGeometry
from sim.holder import HOLDERS, holder
from sim.projector import backproject, project
from sim.scheme import TiltScheme
from sim.strategies import (
    ELECTRON_DOSE_E_PER_A2,
    SCHEME_ORDERS,
    XRAY_PHOTONS_PER_PIXEL,
    dose_budgets,
    full_range_schemes,
    geometries,
    holders,
    log_uniform,
    tilt_schemes,
)

MANY = settings(max_examples=50, deadline=None)


@MANY
@given(st.data())
def test_tilt_schemes_stay_within_the_holders_limit_and_revalidate(data):
    chosen = data.draw(holders())
    scheme = data.draw(tilt_schemes(chosen, min_views=3, max_views=21, min_range_deg=20.0))
    chosen.check(scheme.angles_deg)  # raises if any |tilt| is beyond the holder's limit
    again = TiltScheme(scheme.angles_deg, order=scheme.order)  # the validators accept it as is
    assert np.array_equal(again.angles_deg, scheme.angles_deg)
    assert 3 <= len(scheme) <= 21 and scheme.order in SCHEME_ORDERS
    ordered = np.sort(scheme.angles_deg)
    # Evenly spaced, both ends included: linspace rounding only (1e-9 deg).
    np.testing.assert_allclose(np.diff(ordered), np.diff(ordered).mean(), atol=1e-9)
    assert ordered[-1] - ordered[0] >= 20.0 - 1e-9


@MANY
@given(tilt_schemes("standard", orders=("dose-symmetric",), max_views=15))
def test_dose_symmetric_schemes_start_at_the_tilt_nearest_zero(scheme):
    """Hagen et al. (2017): the first view is the least tilted, when the sample is undamaged."""
    assert abs(scheme.angles_deg[0]) == np.min(np.abs(scheme.angles_deg))


@MANY
@given(tilt_schemes(symmetric=True))
def test_symmetric_schemes_span_plus_minus_the_same_tilt(scheme):
    assert np.isclose(scheme.angles_deg.min(), -scheme.angles_deg.max(), atol=1e-12)
    assert scheme.max_tilt_deg <= max(h.tilt_limit_deg for h in HOLDERS.values())


@MANY
@given(full_range_schemes(max_views=40))
def test_full_range_schemes_cover_a_half_turn_evenly_without_a_duplicate(scheme):
    n = len(scheme)
    ordered = np.sort(scheme.angles_deg)
    expected = -90.0 + 180.0 / n * np.arange(n)
    np.testing.assert_allclose(ordered, expected, atol=1e-9)
    holder("on-axis").check(scheme.angles_deg)
    assert np.unique(np.mod(np.round(ordered, 9), 180.0)).size == n  # θ and θ+180° would be one line set


@MANY
@given(geometries(max_shift_px=2.0, max_axis_offset_px=1.5), st.data())
def test_geometries_are_valid_and_the_projector_pair_is_adjoint_on_them(geometry, data):
    """<A·x, y> = <x, Aᵀ·y> on every drawn geometry (shifts and axis offset included).

    Tolerance 1e-4 relative: float32 sums of at most ~16·8·16 products.
    """
    again = ParallelGeometry(geometry.angles_deg, geometry.n_rows, geometry.n_cols, geometry.shifts_px,
                             geometry.axis_offset_px)
    assert again.n_angles == geometry.n_angles <= 16 and geometry.n_rows <= 8 and geometry.n_cols <= 16
    assert np.all(np.abs(geometry.shifts_px) <= 2.0) and abs(geometry.axis_offset_px) <= 1.5
    seed = data.draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    shape = (geometry.n_rows, data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12)))
    x = rng.random(shape, dtype=np.float32)
    y = rng.random((geometry.n_angles, geometry.n_rows, geometry.n_cols), dtype=np.float32)
    kwargs = {"shifts_px": geometry.shifts_px, "axis_offset_px": geometry.axis_offset_px}
    forward = project(x, geometry.angles_deg, voxel_nm=1.5, n_cols=geometry.n_cols, **kwargs)
    adjoint = backproject(y, geometry.angles_deg, shape, voxel_nm=1.5, **kwargs)
    left, right = float(np.vdot(forward, y)), float(np.vdot(x, adjoint))
    assert left == pytest.approx(right, rel=1e-4, abs=1e-6)


@MANY
@given(dose_budgets(), tilt_schemes())
def test_dose_budgets_carry_their_unit_and_lie_in_the_realistic_range(budget, scheme):
    ((name, value),) = budget.items()
    low, high = {"dose_total_e_per_a2": ELECTRON_DOSE_E_PER_A2, "photons_per_pixel": XRAY_PHOTONS_PER_PIXEL}[name]
    assert low <= value <= high
    if name == "dose_total_e_per_a2":
        # The electron budget splits over the views and sums back (float64 rounding).
        assert dose_per_view(scheme.angles_deg, value).sum() == pytest.approx(value, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(log_uniform(1.0, 1e4))
def test_log_uniform_stays_inside_its_range(value):
    assert 1.0 <= value <= 1e4


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: tilt_schemes("standard", min_views=1), "min_views/max_views"),
        (lambda: tilt_schemes("standard", min_range_deg=150.0), "min_range_deg"),
        (lambda: tilt_schemes("standard", orders=("random",)), "orders"),
        (lambda: tilt_schemes("tripod"), "holder"),
        (lambda: full_range_schemes(min_views=5, max_views=4), "min_views/max_views"),
        (lambda: geometries(max_rows=0), "max_rows"),
        (lambda: geometries(max_shift_px=-1.0), "max_shift_px"),
        (lambda: dose_budgets(("neutron",)), "kinds"),
        (lambda: log_uniform(0.0, 1.0), "low/high"),
    ],
)
def test_bad_arguments_are_refused_when_the_strategy_is_built_naming_the_field(make, field):
    with pytest.raises(ValidationError) as error:
        make()
    assert error.value.field == field
