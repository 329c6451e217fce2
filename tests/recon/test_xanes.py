"""Per-voxel linear-combination fitting of XANES spectra, and the whole chain: energy scan → SIRT → state map."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import nnls

import instruments
import recon
import sim
from instruments.xanes import energy_scan
from phantoms.xanes import two_state_particle
from recon import xanes as recon_xanes
from recon.xanes import fit_states, plot_state_map, state_map_error
from sim.errors import ValidationError

ENERGIES_KEV = np.array([8.300, 8.325, 8.335, 8.340, 8.343, 8.346, 8.349, 8.352, 8.360, 8.380])
"""Ten energies across the Ni K edge: two far below/above it, six over the edges and white lines of Ni2+/Ni3+."""


def _random_problem(rng, n_states=3, n_energies=12, n_voxels=50):
    refs = rng.uniform(0.5, 2.0, (n_states, n_energies))
    amounts = rng.uniform(0.0, 1.0, (n_states, n_voxels))
    return refs, amounts


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_states=st.integers(1, 4))
def test_noise_free_spectra_are_recovered_exactly(seed, n_states):
    """Spectra made of non-negative combinations (plus a constant background) give back the amounts to 1e-6."""
    rng = np.random.default_rng(seed)
    refs, amounts = _random_problem(rng, n_states)
    offset = rng.uniform(-0.3, 0.3, amounts.shape[1])
    data = refs.T @ amounts + offset
    fit = fit_states(data, np.linspace(8.3, 8.4, refs.shape[1]), refs, background=np.ones((1, refs.shape[1])))
    np.testing.assert_allclose(fit.amounts, amounts, atol=1e-6)
    np.testing.assert_allclose(fit.background[0], offset, atol=1e-6)
    assert fit.residual_rms.max() < 1e-8


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_non_negative_fit_equals_scipy_nnls(seed):
    """On noisy data with active constraints the fit equals scipy.optimize.nnls voxel by voxel (to 1e-6)."""
    rng = np.random.default_rng(seed)
    refs, amounts = _random_problem(rng, 3, 8, 30)
    data = refs.T @ (amounts - 0.5) + rng.normal(0, 0.3, (8, 30))
    fit = fit_states(data, np.arange(8.0), refs)
    expected = np.stack([nnls(refs.T, data[:, v])[0] for v in range(30)], axis=1)
    np.testing.assert_allclose(fit.amounts, expected, atol=1e-6)
    assert fit.amounts.min() >= 0


def test_fit_in_chunks_equals_fit_at_once(monkeypatch):
    """Voxels are fitted in chunks to bound memory; chunks of 7 voxels give the same result as one chunk (exactly)."""
    rng = np.random.default_rng(2)
    refs, amounts = _random_problem(rng, 2, 6, 40)
    data = refs.T @ (amounts - 0.3) + rng.normal(0, 0.1, (6, 40))
    whole = fit_states(data, np.arange(6.0), refs)
    monkeypatch.setattr(recon_xanes, "_CHUNK_VOXELS", 7)
    chunked = fit_states(data, np.arange(6.0), refs)
    np.testing.assert_array_equal(chunked.amounts, whole.amounts)
    np.testing.assert_array_equal(chunked.r_factor, whole.r_factor)


def test_sum_to_one_fit_matches_the_closed_form():
    """Two states with Σa = 1: a₁ = ((r₁ − r₂)·(b − r₂))/‖r₁ − r₂‖² (the 1-D least squares along the segment)."""
    rng = np.random.default_rng(4)
    refs = rng.uniform(0.5, 2.0, (2, 10))
    data = rng.uniform(0.5, 2.0, (10, 40))
    fit = fit_states(data, np.arange(10.0), refs, sum_to_one=True, non_negative=False)
    d = refs[0] - refs[1]
    expected = d @ (data - refs[1][:, None]) / (d @ d)
    np.testing.assert_allclose(fit.amounts[0], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fit.amounts.sum(axis=0), 1.0, atol=1e-6)


def test_r_factor_and_residual_have_their_definitions():
    """R = Σ(data − fit)²/Σdata² and residual_rms = sqrt(mean((data − fit)²)), checked by rebuilding the fit (1e-5)."""
    rng = np.random.default_rng(5)
    refs = rng.uniform(0.5, 2.0, (2, 9))
    data = rng.uniform(0.5, 2.0, (9, 3, 4))
    fit = fit_states(data, np.arange(9.0), refs)
    model = np.einsum("se,s...->e...", refs, fit.amounts)
    residual = data - model
    np.testing.assert_allclose(fit.residual_rms, np.sqrt(np.mean(residual**2, axis=0)), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(fit.r_factor, (residual**2).sum(0) / (data**2).sum(0), rtol=1e-4, atol=1e-7)


def _recon_per_energy(volumes, angles, method="sirt", n_iter=50):
    out = []
    for truth in volumes:
        series = sim.TiltSeries(sim.project(truth, angles), angles_deg=angles, pixel_nm=truth.voxel_nm,
                                values="line integral", unit="1", ground_truth=truth)
        out.append(recon.get(method)(series, n_iter=n_iter, progress=False))
    return out


def test_noise_free_state_map_of_a_two_state_particle():
    """32³ LiNiO2 sphere, Ni2+ in one half and Ni3+ in the other, 10 energies, 48 views over 180°, SIRT ×50, LCF.

    Fitting the true μ recovers the fractions to 1e-6 (the model is exactly
    linear). After reconstruction every particle voxel has the right dominant
    state, and the fraction RMSE is 0.037 (measured), pinned to ±0.005: the
    error sits where SIRT blurs the Ni2+|Ni3+ interface and the particle
    surface (50 iterations are not converged; 100 give 0.018).
    """
    chem = two_state_particle(n=32, voxel_nm=40.0)
    truths = [chem.mu_per_nm(e) for e in ENERGIES_KEV]
    refs = chem.reference_spectra(ENERGIES_KEV)
    background = np.ones((1, ENERGIES_KEV.size))
    mask = chem.material_fraction > 0
    exact = fit_states(truths, ENERGIES_KEV, refs, background=background)
    assert state_map_error(exact, chem.state_fractions, mask)["rmse"] < 1e-6
    angles = np.linspace(0, 180, 48, endpoint=False)
    fit = fit_states(_recon_per_energy(truths, angles), ENERGIES_KEV, refs, background=background,
                     state_names=chem.state_names)
    error = state_map_error(fit, chem.state_fractions, mask)
    assert error["correct"] == 1.0
    assert error["rmse"] == pytest.approx(0.037, abs=0.005)
    assert fit.state_names == ("Ni2+", "Ni3+")


def _noisy_state_map_error(photons_per_pixel):
    chem = two_state_particle(n=16, voxel_nm=80.0)
    angles = np.linspace(0, 180, 24, endpoint=False)
    scan = energy_scan(instruments.TXM(photons_per_pixel=photons_per_pixel), chem, ENERGIES_KEV, angles, seed=3,
                       progress=False)
    volumes = [recon.get("sirt")(s.to_line_integrals(), n_iter=30, progress=False) for s in scan.series]
    fit = fit_states(volumes, ENERGIES_KEV, scan.reference_spectra, background=np.ones((1, ENERGIES_KEV.size)))
    return state_map_error(fit, scan.true_fractions, scan.material_fraction > 0)


def test_state_map_degrades_as_the_dose_falls():
    """16³ particle (1 µm LiNiO2, 80 nm voxels), 24 views, SIRT ×30, seed 3: measured at 1e5 / 1e4 / 1e3 photons per
    pixel per view (10 energies × 24 views): RMSE 0.11 / 0.31 / 0.55, dominant state right in 99.7% / 87% / 65%
    of the particle's voxels. The acceptance reading: ≥ 90% right at 1e5 photons/pixel/view, and it falls with
    the dose."""
    errors = [_noisy_state_map_error(p) for p in (1e5, 1e4, 1e3)]
    rmse = [e["rmse"] for e in errors]
    correct = [e["correct"] for e in errors]
    assert rmse[0] < rmse[1] < rmse[2]
    assert correct[0] > correct[1] > correct[2]
    assert correct[0] >= 0.9 > correct[1]
    np.testing.assert_allclose(rmse, [0.11, 0.31, 0.55], atol=0.03)


def test_energy_scan_is_seeded_and_carries_the_truth():
    """Same seed, same 4-D data bit for bit; each series' truth is the map's μ at its energy; binning 2× averages
    the fractions (the voxel block straddling the Ni2+|Ni3+ plane at x = 3 holds half of each)."""
    chem = two_state_particle(n=6, voxel_nm=50.0, diameter_fraction=1.0)
    energies = [8.33, 8.345]
    txm = instruments.TXM(photons_per_pixel=1e3)
    a = energy_scan(txm, chem, energies, [0.0, 60.0], seed=9, progress=False)
    b = energy_scan(txm, chem, energies, [0.0, 60.0], seed=9, progress=False)
    c = energy_scan(txm, chem, energies, [0.0, 60.0], seed=10, progress=False)
    assert np.array_equal(a.data, b.data) and not np.array_equal(a.data, c.data)
    np.testing.assert_array_equal(a.ground_truth[1], chem.mu_per_nm(8.345).data)
    assert [s.provenance["parameters"]["energy_kev"] for s in a.series] == energies
    binned = energy_scan(instruments.TXM(photons_per_pixel=1e3, pixel_nm=100.0), chem, energies, [0.0],
                         seed=9, progress=False)
    assert binned.true_fractions.shape == (2, 3, 3, 3)
    assert binned.true_fractions[:, 1, 1, 1].tolist() == [0.5, 0.5]


# --- bad input -------------------------------------------------------------------------


def test_bad_scans_are_refused():
    chem = two_state_particle(n=4, voxel_nm=50.0)
    txm = instruments.TXM()
    with pytest.raises(ValidationError, match="energy_kev"):
        energy_scan(txm, chem, [8.3, 900.0], [0.0], seed=0, progress=False)
    with pytest.raises(ValidationError, match="energies_kev"):
        energy_scan(txm, chem, [8.35, 8.30], [0.0], seed=0, progress=False)
    with pytest.raises(ValidationError, match="chemical_map"):
        energy_scan(txm, chem.phantom, [8.3], [0.0], seed=0, progress=False)


def test_bad_fits_are_refused():
    refs = np.ones((2, 5))
    data = np.ones((5, 2, 2))
    with pytest.raises(ValidationError, match="energies_kev"):
        fit_states(data, np.arange(4.0), refs)
    with pytest.raises(ValidationError, match="reference_spectra.shape"):
        fit_states(data, np.arange(5.0), np.ones((2, 4)))
    with pytest.raises(ValidationError, match="energies_kev"):
        fit_states(np.ones((2, 2)), np.arange(2.0), np.ones((2, 2)), background=np.ones((1, 2)))
    with pytest.raises(ValidationError, match="volumes_by_energy"):
        fit_states(np.full((5, 2), np.nan), np.arange(5.0), refs)
    fit = fit_states(data, np.arange(5.0), refs)
    with pytest.raises(ValidationError, match="true_fractions.shape"):
        state_map_error(fit, np.ones((3, 2, 2)))
    with pytest.raises(ValidationError, match="mask"):
        state_map_error(fit, np.ones((2, 2, 2)), np.zeros((2, 2), bool))


def test_at_the_synchrotron_preset_dose_the_state_map_is_right_for_nine_voxels_in_ten():
    """The acceptance case: `txm-synchrotron` as it is (1e4 photons/pixel/view, its camera of QE 0.5 and its drifting
    beam), 91 views over 180°, 10 energies across the Ni K edge, SIRT ×30, a 16³ two-state LiNiO2 particle.

    Measured (seed 3): dominant state right in 98.9 % of the particle's voxels (fraction RMSE 0.18); at a tenth of
    the dose 89.2 % (0.30). Asserted: ≥ 90 % at the preset dose, and fewer at a tenth and a hundredth of it.
    """
    chem = two_state_particle(n=16, voxel_nm=80.0)
    angles = np.linspace(0, 180, 91, endpoint=False)
    correct = []
    for photons in (1e4, 1e3, 1e2):
        txm = instruments.preset("txm-synchrotron", photons_per_pixel=photons)
        scan = energy_scan(txm, chem, ENERGIES_KEV, angles, seed=3, progress=False)
        volumes = [recon.get("sirt")(s.to_line_integrals(), n_iter=30, progress=False) for s in scan.series]
        fit = fit_states(volumes, ENERGIES_KEV, scan.reference_spectra, background=np.ones((1, ENERGIES_KEV.size)))
        correct.append(state_map_error(fit, scan.true_fractions, scan.material_fraction > 0)["correct"])
    assert instruments.preset("txm-synchrotron").photons_per_pixel == 1e4
    assert correct[0] >= 0.9
    assert correct[0] > correct[1] > correct[2]


def test_state_map_figure_is_written(tmp_path):
    """The figure a person looks at: fitted and true dominant state, the fraction error, the spectra."""
    refs = np.array([[1.0, 2.0, 3.0, 3.5], [1.0, 1.5, 2.5, 3.6]])
    truth = np.zeros((2, 3, 6, 6))
    truth[0, :, :, :3] = 1.0
    truth[1, :, :, 3:] = 1.0
    data = np.tensordot(refs.T, truth, axes=1)
    fit = fit_states(data, [8.33, 8.34, 8.35, 8.36], refs, state_names=("Ni2+", "Ni3+"))
    path = plot_state_map(fit, tmp_path / "states.png", true_fractions=truth, reference_spectra=refs, voxel_nm=20.0)
    assert path.stat().st_size > 10_000
