"""The public hypothesis strategies of ``instruments``: valid configurations and small series with their truth."""

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import instruments
from instruments.strategies import KINDS, VOLTAGES_KV, ideal_series, instruments as instrument_configs, series
from phantoms.library import material
from phantoms.phantom import Phantom
from sim.errors import ValidationError
from sim.holder import HOLDERS, holder
from sim.projector import project
from sim.scheme import TiltScheme
from sim.strategies import ELECTRON_DOSE_E_PER_A2, XRAY_PHOTONS_PER_PIXEL, dose_budgets

MANY = settings(max_examples=50, deadline=None)
# A drawn series is a whole simulated acquisition (~0.1 s): hypothesis counts it as data generation,
# which on a loaded CI machine can trip the too_slow health check.
SOME = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@MANY
@given(instrument_configs())
def test_instruments_are_valid_configurations_in_realistic_ranges(instrument):
    kind = {instruments.TXM: "txm", instruments.STEM: "stem", instruments.TEM: "tem",
            instruments.Nanoprobe: "nanoprobe"}[type(instrument)]
    assert kind in KINDS
    again = dataclasses.replace(instrument)  # runs every validator of the configuration again
    assert dataclasses.asdict(again) == dataclasses.asdict(instrument)
    assert instrument.fidelity == "projection"
    if kind == "txm":
        assert 5.0 <= instrument.energy_kev <= 25.0 and instrument.pixel_nm is None
        assert XRAY_PHOTONS_PER_PIXEL[0] <= instrument.photons_per_pixel <= XRAY_PHOTONS_PER_PIXEL[1]
    elif kind in ("stem", "tem"):
        assert instrument.voltage_kv in VOLTAGES_KV and instrument.holder in HOLDERS
        assert ELECTRON_DOSE_E_PER_A2[0] <= instrument.dose_total_e_per_a2 <= ELECTRON_DOSE_E_PER_A2[1]
        assert instrument.pixel_nm is None
    else:
        assert 8.0 <= instrument.energy_kev <= 20.0 and 1e8 <= instrument.flux_photons_per_s <= 1e11


@MANY
@given(instrument_configs(("stem", "tem")), dose_budgets(("electron",)))
def test_electron_dose_budgets_are_accepted_as_overrides(instrument, budget):
    assert dataclasses.replace(instrument, **budget).dose_total_e_per_a2 == budget["dose_total_e_per_a2"]


@MANY
@given(dose_budgets(("xray",)))
def test_xray_dose_budgets_are_accepted_as_overrides(budget):
    assert instruments.get("txm", **budget).photons_per_pixel == budget["photons_per_pixel"]


@SOME
@given(series())
def test_series_carry_a_matching_ground_truth_and_stay_within_the_holder(s):
    phantom = s.phantom
    assert isinstance(phantom, Phantom)
    assert s.values == "-log transmission" and s.data.shape[0] == len(s.angles_deg) >= 3
    # The detector is the phantom's grid (pixel = voxel): rows along the tilt axis, columns along x.
    assert s.ground_truth.shape == phantom.shape and s.ground_truth.voxel_nm == s.pixel_nm == phantom.voxel_nm
    assert s.data.shape[1:] == (phantom.shape[0], phantom.shape[2])
    assert np.all(np.isfinite(s.data)) and s.ground_truth.data.max() > 0
    parameters = s.provenance["parameters"]
    if "holder" in parameters:
        holder(parameters["holder"]).check(s.angles_deg)
    else:  # a TXM's rotation stage: ±90°
        assert s.provenance["instrument"] == "TXM" and np.all(np.abs(s.angles_deg) <= 90.0)


@SOME
@given(series(counts=True, max_views=8))
def test_counted_series_hold_counts_with_their_incident_beam(s):
    assert s.values == "counts" and np.all(s.data >= 0)
    assert s.flat is not None or "incident_per_px" in s.views
    assert np.all(s.dose_per_view > 0)


@SOME
@given(series(noise=False, full_range=True, max_views=30))
def test_ideal_full_range_series_conserve_the_truths_mass_in_every_view(s):
    """Σ_pixels L = Σ_voxels truth · voxel for every view: nothing of an inscribed sample leaves the detector.

    Tolerance 1e-4 relative (float32 sums of a few thousand values; the projector conserves mass exactly).
    """
    assert s.values == "line integral" and s.provenance["noise"] is False
    assert np.ptp(s.angles_deg) == pytest.approx(180.0 - 180.0 / s.n_angles)
    truth = s.ground_truth
    expected = float(truth.data.sum(dtype=np.float64)) * truth.voxel_nm
    np.testing.assert_allclose(s.data.sum(axis=(1, 2), dtype=np.float64), expected, rtol=1e-4)
    if s.provenance["instrument"] != "TXM":
        assert s.provenance["parameters"]["holder"] == "on-axis"


def test_an_ideal_series_is_the_projection_of_the_instruments_ground_truth():
    """Units: μ [1/nm] gives dimensionless line integrals; ζ [1/nm³] gives 1/nm²."""
    phantom = Phantom(np.full((1, 2, 4, 4), 0.5, np.float32), (material("Si"),), 2.0)
    scheme = TiltScheme.range(-60, 60, n_views=5)
    txm = ideal_series(instruments.TXM(energy_kev=8.0), phantom, scheme, seed=3)
    np.testing.assert_array_equal(txm.data, project(txm.ground_truth, scheme.angles_deg))
    assert txm.unit == "1" and txm.provenance["seed"] == 3
    stem = ideal_series(instruments.STEM(), phantom, scheme, seed=3)
    assert stem.ground_truth.unit == "1/nm^3" and stem.unit == "1/nm^2"


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: instrument_configs(("sem",)), "kinds"),
        (lambda: instrument_configs(trackings=("psychic",)), "trackings"),
        (lambda: series(("nanoprobe",)), "kinds"),
        (lambda: series(noise=False, counts=True), "counts"),
        (lambda: series(min_views=1), "min_views/max_views"),
        (lambda: series(max_shape=(0, 4, 4)), "min_shape/max_shape"),
    ],
)
def test_bad_arguments_are_refused_when_the_strategy_is_built_naming_the_field(make, field):
    with pytest.raises(ValidationError) as error:
        make()
    assert error.value.field == field
