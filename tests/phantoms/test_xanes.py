"""Chemical states and near-edge spectra: normalisation to xraylib, edge shifts, the state map's μ, bad input."""

import numpy as np
import pytest
import xraylib
from hypothesis import given, settings
from hypothesis import strategies as st

from phantoms.library import material
from phantoms.material import Material
from phantoms.phantom import Phantom
from phantoms.xanes import (
    REFERENCE_STATES,
    XANES_WINDOW_EV,
    ChemicalMap,
    ChemicalState,
    element_cross_section_cm2_g,
    mass_attenuation_cm2_g,
    state_mu_per_nm,
    two_state_particle,
)
from sim.errors import ValidationError

NI_EDGE_KEV = xraylib.EdgeEnergy(28, xraylib.K_SHELL)
CO_EDGE_KEV = xraylib.EdgeEnergy(27, xraylib.K_SHELL)
CASES = [("LiNiO2", "Ni2+", NI_EDGE_KEV), ("NiO", "Ni3+", NI_EDGE_KEV), ("LiCoO2", "Co3+", CO_EDGE_KEV),
         ("LiCoO2", "Co4+", CO_EDGE_KEV)]


@pytest.mark.parametrize(("formula", "state", "edge_kev"), CASES)
def test_far_from_the_edge_equals_xraylib(formula, state, edge_kev):
    """Beyond ±50 eV of the edge μ/ρ is xraylib's CS_Total_CP to 1e-3 (the issue's tolerance; by construction it is exact)."""
    offsets_ev = np.array([-2000.0, -300.0, -XANES_WINDOW_EV, XANES_WINDOW_EV, 80.0, 300.0, 2000.0])
    energies = edge_kev + offsets_ev / 1000.0
    ours = mass_attenuation_cm2_g(formula, REFERENCE_STATES[state], energies)
    reference = np.array([xraylib.CS_Total_CP(formula, e) for e in energies])
    np.testing.assert_allclose(ours, reference, rtol=1e-3)


@pytest.mark.parametrize("state", ["Ni2+", "Ni3+"])
def test_continuous_at_the_window_boundary(state):
    """No step where the model hands over to xraylib: 0.01 eV inside the window μ/ρ is within 1e-5 of xraylib's
    (xraylib itself changes by ~3e-6 relative per 0.01 eV there, E^-2.7)."""
    for side in (-1.0, 1.0):
        energy = NI_EDGE_KEV + side * (XANES_WINDOW_EV - 0.01) / 1000.0
        ours = float(element_cross_section_cm2_g(REFERENCE_STATES[state], energy))
        assert ours == pytest.approx(xraylib.CS_Total(28, energy), rel=1e-5)


def test_edge_jump_matches_xraylib_photoionisation_jump():
    """A bare step (no white line, 0.5 eV wide) rises by xraylib's K-shell photo-jump.

    Reference: CS_Photo(Ni) just above minus just below xraylib's edge
    (independent of the CS_Total power laws the model uses), and its ratio is
    xraylib's JumpFactor (7.707). Tolerance 2%: measured at ±20 eV, where the
    E^-2.7 fall over 40 eV (~1.3%) and the arctangent tails (0.4%) enter.
    """
    bare = ChemicalState("bare", "Ni", edge_width_ev=0.5)
    below, above = element_cross_section_cm2_g(bare, NI_EDGE_KEV + np.array([-0.020, 0.020]))
    photo_jump = xraylib.CS_Photo(28, NI_EDGE_KEV + 0.002) - xraylib.CS_Photo(28, NI_EDGE_KEV - 0.0005)
    assert above - below == pytest.approx(photo_jump, rel=0.02)
    assert xraylib.CS_Photo(28, NI_EDGE_KEV + 0.002) / xraylib.CS_Photo(28, NI_EDGE_KEV - 0.0005) == pytest.approx(
        xraylib.JumpFactor(28, xraylib.K_SHELL), rel=0.01)


def _derivative_maximum_kev(formula, state, energies):
    mu = mass_attenuation_cm2_g(formula, state, energies)
    return energies[np.argmax(np.gradient(mu, energies))]


@settings(max_examples=8, deadline=None)
@given(shift_ev=st.floats(-5.0, 12.0), step_ev=st.floats(0.5, 4.0))
def test_edge_shifts_by_the_states_shift(shift_ev, step_ev):
    """The derivative maximum of μ/ρ moves by exactly the change of edge_shift_ev (grid 0.01 eV, tolerance 0.02 eV).

    The white line and pre-edge travel with the edge, so the whole shape
    translates; the smooth power-law background is too flat to move the
    maximum by more than 0.01 eV.
    """
    energies = np.arange(8.310, 8.365, 0.00001)
    low = ChemicalState("low", "Ni", edge_shift_ev=shift_ev, white_line_amplitude=0.6, pre_edge_amplitude=0.03)
    high = ChemicalState("high", "Ni", edge_shift_ev=shift_ev + step_ev, white_line_amplitude=0.6,
                         pre_edge_amplitude=0.03)
    moved_ev = (_derivative_maximum_kev("LiNiO2", high, energies) - _derivative_maximum_kev("LiNiO2", low, energies)) * 1e3
    assert moved_ev == pytest.approx(step_ev, abs=0.02)
    assert _derivative_maximum_kev("LiNiO2", low, energies) == pytest.approx(low.edge_kev, abs=0.2e-3)


@pytest.mark.parametrize(("formula", "low", "high", "edge_kev", "expected_ev"),
                         [("LiNiO2", "Ni2+", "Ni3+", NI_EDGE_KEV, 2.0), ("LiCoO2", "Co3+", "Co4+", CO_EDGE_KEV, 1.5)])
def test_reference_states_shift_with_valence(formula, low, high, edge_kev, expected_ev):
    """One oxidation step moves the edge (derivative maximum) by 1–2 eV (Wong et al. 1984), here 2.0 (Ni) and 1.5 eV (Co)
    to 0.05 eV (the white lines differ a little between states)."""
    energies = edge_kev + np.arange(-0.02, 0.03, 0.00001)
    moved_ev = (_derivative_maximum_kev(formula, REFERENCE_STATES[high], energies)
                - _derivative_maximum_kev(formula, REFERENCE_STATES[low], energies)) * 1e3
    assert moved_ev == pytest.approx(expected_ev, abs=0.05)


def test_white_line_rises_above_the_jump():
    """The Ni2+ white line peaks 1 + A_w ≈ 1.7 jumps above the pre-edge level (model: 0.7 + the step's 1, minus tails)."""
    state = REFERENCE_STATES["Ni2+"]
    energies = np.arange(8.33, 8.36, 0.0001)
    shape = state.jump_shape(energies)
    assert shape.max() == pytest.approx(1.0 + state.white_line_amplitude, abs=0.1)
    assert energies[np.argmax(shape)] == pytest.approx(state.edge_kev + state.white_line_offset_ev / 1e3, abs=1e-3)


def test_tabulated_spectrum_is_used():
    """A tabulated normalised spectrum with a step at 8.345 keV gives a jump there (interpolated linearly)."""
    table = ChemicalState("tab", "Ni", energies_kev=[8.30, 8.344, 8.346, 8.40], absorption=[0.0, 0.0, 1.0, 1.0])
    assert float(table.normalised(8.345)) == pytest.approx(0.5)
    mu = mass_attenuation_cm2_g("NiO", table, [8.3435, 8.3465])
    assert mu[1] / mu[0] > 5.0


def test_state_mu_scales_with_density():
    """μ = μ/ρ·ρ: twice the density, twice μ (to float rounding)."""
    state = REFERENCE_STATES["Ni2+"]
    light, heavy = Material("a", "NiO", 3.0), Material("b", "NiO", 6.0)
    assert float(state_mu_per_nm(heavy, state, 8.345)) == pytest.approx(2 * float(state_mu_per_nm(light, state, 8.345)))


def test_chemical_map_mu_is_the_fraction_weighted_state_mu():
    """μ(E, v) = Σ_s c_s(v)·μ_s(E) in full voxels, and the phantom's xraylib μ outside the window."""
    chem = two_state_particle(n=8, voxel_nm=50.0)
    energies = [8.30, 8.343, 8.35, 8.45]
    refs = chem.reference_spectra(energies)
    full = chem.material_fraction == 1
    for k, energy in enumerate(energies):
        mu = chem.mu_per_nm(energy).data
        expected = np.tensordot(refs[:, k], chem.state_fractions, axes=(0, 0))
        np.testing.assert_allclose(mu[full], expected[full], rtol=1e-5)
    np.testing.assert_allclose(chem.mu_per_nm(8.45).data, chem.phantom.mu_per_nm(8.45).data, rtol=1e-6)


def test_mixed_voxel_is_linear_in_the_fractions():
    """A voxel with 30% Ni2+ and 70% Ni3+ has 0.3·μ₂ + 0.7·μ₃ (float32 rounding: 1e-5)."""
    nio = material("NiO")
    phantom = Phantom(np.ones((1, 1, 1, 1), np.float32), (nio,), voxel_nm=10.0)
    states = (REFERENCE_STATES["Ni2+"], REFERENCE_STATES["Ni3+"])
    chem = ChemicalMap(phantom, "NiO", states, np.array([0.3, 0.7], np.float32).reshape(2, 1, 1, 1))
    refs = chem.reference_spectra([8.345])[:, 0]
    assert float(chem.mu_per_nm(8.345).data[0, 0, 0]) == pytest.approx(0.3 * refs[0] + 0.7 * refs[1], rel=1e-5)


def test_beta_is_mu_lambda_over_four_pi():
    """β = μλ/4π with λ = hc/E (below the window, where μ is xraylib's: compare with xraylib's Refractive_Index_Im)."""
    chem = two_state_particle(n=6, voxel_nm=50.0)
    beta = chem.beta(8.0).data[3, 3, 3]
    assert float(beta) == pytest.approx(xraylib.Refractive_Index_Im("LiNiO2", 8.0, 4.78), rel=1e-3)


# --- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize("energy", [0.05, 900.0, float("nan")])
def test_energy_outside_xraylib_range_is_refused(energy):
    with pytest.raises(ValidationError, match="energy_kev"):
        mass_attenuation_cm2_g("NiO", REFERENCE_STATES["Ni2+"], energy)
    with pytest.raises(ValidationError, match="energy_kev"):
        two_state_particle(n=4).mu_per_nm(energy)


@pytest.mark.parametrize(("element", "edge"), [("Li", "L3"), ("H", "L1"), ("Ni", "Q"), ("Li", "K")])
def test_edge_the_element_lacks_is_refused(element, edge):
    """Li has no L3 edge, H no L1; "Q" is no edge; Li K (55 eV) lies below xraylib's 0.1 keV."""
    with pytest.raises(ValidationError, match="edge"):
        ChemicalState("s", element, edge)


def test_element_absent_from_the_material_is_refused():
    with pytest.raises(ValidationError, match="state.element"):
        mass_attenuation_cm2_g("LiCoO2", REFERENCE_STATES["Ni2+"], 8.3)
    phantom = Phantom(np.ones((1, 2, 2, 2), np.float32), (material("LiCoO2"),), voxel_nm=10.0)
    with pytest.raises(ValidationError, match="state.element"):
        ChemicalMap(phantom, "LiCoO2", (REFERENCE_STATES["Ni2+"], REFERENCE_STATES["Ni3+"]),
                    np.full((2, 2, 2, 2), 0.5, np.float32))


def test_bad_chemical_maps_are_refused():
    phantom = Phantom(np.ones((1, 2, 2, 2), np.float32), (material("NiO"),), voxel_nm=10.0)
    states = (REFERENCE_STATES["Ni2+"], REFERENCE_STATES["Ni3+"])
    with pytest.raises(ValidationError, match="material"):
        ChemicalMap(phantom, "CoO", states, np.full((2, 2, 2, 2), 0.5, np.float32))
    with pytest.raises(ValidationError, match="state_fractions"):
        ChemicalMap(phantom, "NiO", states, np.full((2, 2, 2, 2), 0.4, np.float32))
    with pytest.raises(ValidationError, match="state_fractions.shape"):
        ChemicalMap(phantom, "NiO", states, np.full((2, 2, 2), 0.5, np.float32))
    with pytest.raises(ValidationError, match="states"):
        ChemicalMap(phantom, "NiO", (states[0], REFERENCE_STATES["Co3+"]), np.full((2, 2, 2, 2), 0.5, np.float32))


@pytest.mark.parametrize(("field", "value"), [("edge_shift_ev", 40.0), ("edge_width_ev", 0.0),
                                              ("white_line_amplitude", -0.1), ("element", "Xx")])
def test_bad_state_parameters_name_the_field(field, value):
    kwargs = {"name": "s", "element": "Ni", field: value}
    with pytest.raises(ValidationError, match=field):
        ChemicalState(**kwargs)
