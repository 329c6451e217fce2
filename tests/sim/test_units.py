"""A reconstruction carries the unit of its ground truth, whatever the instrument."""

import pytest

import instruments
import phantoms
import recon
import sim
from sim.units import per_nm, times_nm


@pytest.mark.parametrize("unit", ["1/nm", "1/nm^3", "1/nm^2", "g/cm^3", "rad/nm"])
def test_projecting_then_reconstructing_returns_the_unit(unit):
    assert per_nm(times_nm(unit)) == unit


@pytest.mark.parametrize("preset", ["txm-synchrotron", "stem-200kv-haadf"])
def test_a_reconstruction_is_in_the_truths_unit(preset):
    phantom = phantoms.get("nanoplate", width_nm=40.0, thickness_nm=8.0, voxel_nm=4.0)
    scheme = sim.TiltScheme.range(-60, 60, n_views=9)
    series = instruments.preset(preset).acquire(phantom, scheme, seed=1).to_line_integrals()
    volume = recon.get("fbp")(series)
    assert volume.unit == series.ground_truth.unit
