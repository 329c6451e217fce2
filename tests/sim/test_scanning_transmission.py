"""Transmission signals of a scanning X-ray microscope: Beer–Lambert, centre of mass, quadrant DPC, phase."""

import numpy as np
import pytest
import xraylib
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ValidationError
from sim.ptychography import diffraction_patterns
from sim.scanning_transmission import (
    bright_field,
    centre_of_mass,
    integrate_gradient,
    optical_depth,
    phase_gradient,
    quadrant_dpc,
    quadrant_segments,
    reciprocal_pixel_per_nm,
)
from sim.xray_probe import focused_probe, gaussian_probe
from sim.xray_wave import complex_transmission, wavelength_nm
from sim.zone_plate import ZonePlate


def _gaussian(n, sigma_px):
    """Real Gaussian probe whose intensity |P|² has rms width ``sigma_px`` per axis."""
    rows, cols = np.mgrid[:n, :n] - n // 2
    return np.exp(-(rows**2 + cols**2) / (4 * sigma_px**2)).astype(complex)


def _ramp(n, cycles_row, cycles_col):
    """Phase ramp exp(2πi(a_r·row + a_c·col)) [cycles/px], on an n × n object."""
    rows, cols = np.mgrid[:n, :n]
    return np.exp(2j * np.pi * (cycles_row * rows + cycles_col * cols))


def test_optical_depth_of_a_uniform_absorber_is_mu_t():
    """Beer–Lambert: a 300 nm LiCoO2 slab at 8 keV gives −ln T = μt, μ = ρ·σ_tot from xraylib.

    The wave passes sim.xray_wave (β from xraylib's refractive index) and sim.ptychography;
    4πβ/λ and ρ·σ_tot agree to 1e-7 (sim/xray_wave.py) and the complex64 transmission
    carries ~1e-7 relative rounding, so 1e-5 relative. Holds on any detector disc once
    normalised by the bare probe's pattern on the same disc.
    """
    energy, density, thickness = 8.0, 5.06, 300.0
    delta = 1.0 - xraylib.Refractive_Index_Re("LiCoO2", energy, density)
    beta = xraylib.Refractive_Index_Im("LiCoO2", energy, density)
    mu_per_nm = xraylib.CS_Total_CP("LiCoO2", energy) * density * 1e-7
    assert 4 * np.pi * beta / wavelength_nm(energy) == pytest.approx(mu_per_nm, rel=1e-5)
    slab = np.full((48, 48), complex_transmission(delta * thickness, beta * thickness, energy))
    zp = ZonePlate(diameter_um=100.0, outer_zone_nm=20.0)
    probe = focused_probe(zp, energy, shape=(32, 32), pixel_nm=5.0, defocus_nm=2000.0, flux_photons_per_s=1e6)
    patterns = diffraction_patterns(slab, probe, [[0, 0], [8, 16], [16, 3]])
    flat = diffraction_patterns(np.ones((32, 32), complex), probe, [[0, 0]])[0]
    total = bright_field(patterns, incident=float(np.sum(np.abs(probe.astype(complex)) ** 2)))
    np.testing.assert_allclose(optical_depth(total), mu_per_nm * thickness, rtol=1e-5)
    for radius in (2.0, 5.0, 16.0):
        disc = bright_field(patterns, incident=flat, radius_px=radius)
        np.testing.assert_allclose(optical_depth(disc), mu_per_nm * thickness, rtol=1e-5)


def test_bright_field_disc_with_a_scalar_incident_is_the_fraction_inside_the_na():
    """A pure phase ramp under a flat probe puts all n² photons in one pixel k px off-centre.

    A disc smaller than k sees nothing, a larger one all of it (rounding only).
    """
    n, k = 16, 5
    patterns = diffraction_patterns(_ramp(16, 0.0, k / n), np.ones((n, n), complex), [[0, 0]])
    assert bright_field(patterns, incident=n * n, radius_px=k - 0.5)[0] == pytest.approx(0.0, abs=1e-12)
    assert bright_field(patterns, incident=n * n, radius_px=k)[0] == pytest.approx(1.0, rel=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.floats(-0.03, 0.03), st.floats(-0.03, 0.03), st.floats(1.5, 2.5))
def test_centre_of_mass_of_a_phase_ramp_is_its_gradient(cycles_row, cycles_col, sigma_px):
    """k_com = (1/2π)∇φ exactly for a ramp under a Gaussian probe (Waddell & Chapman 1979).

    The pattern is the probe's Gaussian spectrum (rms σ_k = n/(4πσ) = 2.0–3.4 px) moved to
    (a_r, a_c)·n ≤ 1.9 px; its sampled first moment equals the shift up to the sampling term
    ~exp(−2π²σ_k²) and the tail beyond the detector edge ~exp(−30²/(2σ_k²)), both < 1e-15;
    1e-9 absolute allows for rounding. The gradient in rad/nm is 2π·a/pixel_nm.
    """
    n, pixel_nm = 64, 2.5
    patterns = diffraction_patterns(_ramp(80, cycles_row, cycles_col), _gaussian(n, sigma_px), [[0, 0], [16, 9]])
    com = centre_of_mass(patterns)
    np.testing.assert_allclose(com, np.tile([cycles_row * n, cycles_col * n], (2, 1)), atol=1e-9)
    np.testing.assert_allclose(com * reciprocal_pixel_per_nm(n, pixel_nm),
                               np.tile([cycles_row, cycles_col], (2, 1)) / pixel_nm, atol=1e-9)
    gradient = phase_gradient(patterns, pixel_nm=pixel_nm)
    np.testing.assert_allclose(gradient, 2 * np.pi * np.tile([cycles_row, cycles_col], (2, 1)) / pixel_nm, atol=1e-9)


def test_centre_of_mass_of_a_ramp_adds_to_a_defocused_zone_plate_probe():
    """An integer ramp (k px) rolls the pattern of any periodic probe by k px: COM moves by k.

    Defocused zone-plate probe with a central stop (complex, rings); its pupil (radius
    4 px) stays clear of the detector edge, so the shift is exact to rounding.
    """
    n, k_row, k_col = 64, -3, 4
    zp = ZonePlate(diameter_um=100.0, outer_zone_nm=20.0, central_stop_fraction=0.4)
    probe = focused_probe(zp, 10.0, shape=(n, n), pixel_nm=2.5, defocus_nm=3000.0)
    bare = centre_of_mass(diffraction_patterns(np.ones((n, n), complex), probe, [[0, 0]]))
    moved = centre_of_mass(diffraction_patterns(_ramp(n, k_row / n, k_col / n), probe, [[0, 0]]))
    np.testing.assert_allclose(moved - bare, [[k_row, k_col]], atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.1, 3.0))
def test_com_and_quadrant_dpc_are_odd_in_the_phase(seed, strength):
    """φ → −φ under a real probe mirrors the pattern through the centre: both signals flip sign.

    |F{P e^{−iφ}}(k)| = |F{P e^{iφ}}(−k)| for real P; the quadrant weights map A↔C, B↔D
    under inversion, so the identity holds to rounding (1e-12). A rough random phase
    scatters up to the detector edge, where the Nyquist row and column have no mirror
    pixel: the COM is taken on a disc of radius n/2 − 1.
    """
    rng = np.random.default_rng(seed)
    phase = strength * rng.standard_normal((24, 24))
    probe = _gaussian(16, 2.0)
    positions = [[0, 0], [4, 7], [8, 8]]
    plus = diffraction_patterns(np.exp(1j * phase), probe, positions)
    minus = diffraction_patterns(np.exp(-1j * phase), probe, positions)
    np.testing.assert_allclose(centre_of_mass(minus, radius_px=7), -centre_of_mass(plus, radius_px=7), atol=1e-12)
    np.testing.assert_allclose(quadrant_dpc(minus, inner_px=1, outer_px=7),
                               -quadrant_dpc(plus, inner_px=1, outer_px=7), atol=1e-12)


def test_centre_of_mass_from_counts_is_unbiased_with_shot_noise_sigma_over_root_n():
    """N photons drawn from a spot of rms width σ_k: the COM scatters by σ_k/√N per axis.

    The COM of M counted photons is the mean of M draws (variance σ_k²/M, M ~ Poisson(N),
    E[1/M] = (1 + O(1/N))/N). N = 400, σ_k = 1.70 px, 4000 repeats: the std is known to
    1.1 % (1/√(2·4000)) → 4 % bound; the mean to σ_k/√(4000·N) = 0.0013 px → 0.006 px bound.
    Measured (seed 11): std/(σ_k/√N) = 1.008 (row), 1.019 (col); mean off by 2e-4 px.
    """
    n, sigma_r, photons, shift_px = 32, 1.5, 400.0, 0.8
    sigma_k = n / (4 * np.pi * sigma_r)
    counts = diffraction_patterns(_ramp(n, 0.0, shift_px / n), _gaussian(n, sigma_r), np.zeros((4000, 2)),
                                  photons_per_pattern=photons, seed=11)
    com = centre_of_mass(counts)
    np.testing.assert_allclose(com.mean(axis=0), [0.0, shift_px], atol=0.006)
    np.testing.assert_allclose(com.std(axis=0), sigma_k / np.sqrt(photons), rtol=0.04)


def test_quadrant_dpc_is_proportional_to_a_small_gradient():
    """For a Gaussian spot of rms σ_k [px] moved by s [px], (A−C)/Σ = s/(√π σ_k) to first order.

    Closed form: d/ds of the Gaussian's weight in a 90° wedge is 1/(2√π σ_k). Measured on
    64 px patterns, σ_k = 3.4 px: the slope is within 0.6 % of it for s ≤ 0.32 px
    (pixelation of the wedges; bound 0.75 %); at 0.64 px the response has fallen 1.3 % below
    linear (bound 1.5 %), the onset of saturation. Each axis follows its own gradient with
    the other axis's ramp present.
    """
    n, sigma_r = 64, 1.5
    sigma_k = n / (4 * np.pi * sigma_r)
    probe = _gaussian(n, sigma_r)
    slope = 1 / (np.sqrt(np.pi) * sigma_k)
    ratios = []
    for cycles in (0.001, 0.005, 0.01):
        patterns = diffraction_patterns(_ramp(n, 0.3 * cycles, cycles), probe, [[0, 0]])
        dpc = quadrant_dpc(patterns, inner_px=0, outer_px=n // 2)[0]
        ratios.append(dpc / (np.array([0.3, 1.0]) * cycles * n * slope))
    np.testing.assert_allclose(ratios[:2], 1.0, atol=0.0075)
    np.testing.assert_allclose(ratios[2], 1.0, atol=0.015)


def test_quadrant_segments_cover_the_annulus_once():
    """A + B + C + D is the intensity on the annulus (diagonals split, centre shared): rounding only."""
    rng = np.random.default_rng(4)
    patterns = rng.uniform(0, 1, (5, 16, 16))
    rows, cols = np.mgrid[:16, :16] - 8
    r2 = rows**2 + cols**2
    annulus = (r2 >= 2.0**2) & (r2 <= 6.5**2)
    segments = quadrant_segments(patterns, inner_px=2.0, outer_px=6.5)
    np.testing.assert_allclose(segments.sum(axis=-1), (patterns * annulus).sum(axis=(1, 2)), rtol=1e-12)


def test_phase_from_com_of_a_gaussian_bump_matches_the_truth():
    """Scan a 3 rad Gaussian phase bump (σ = 30 nm) with an 8 nm FWHM probe; integrate the COM.

    Exact relation: 2π·k_com is the gradient of the phase blurred by the normalised probe
    intensity, b(r) = Σ |P(x)|² φ(r + x) / Σ|P|²; the recovered map matches b up to a
    constant to 1e-4 rad (measured 2.3e-5: spectral integration of the 8 nm sampled gradient).
    Against the unblurred truth the difference is the probe blur ≈ (σ_P²/2)∇²φ: measured
    max 0.038 rad, rms 0.0054 rad (1.3 % and 0.2 % of the 3 rad bump); bounds 0.05 / 0.01 rad.
    """
    size, n, step, pixel_nm, amplitude, sigma_px = 160, 32, 4, 2.0, 3.0, 15.0
    rows, cols = np.mgrid[:size, :size] - size / 2
    phase = amplitude * np.exp(-(rows**2 + cols**2) / (2 * sigma_px**2))
    probe = gaussian_probe(8.0, shape=(n, n), pixel_nm=pixel_nm)
    corners = np.arange(0, size - n + 1, step)
    positions = np.stack(np.meshgrid(corners, corners, indexing="ij"), axis=-1).reshape(-1, 2)
    patterns = diffraction_patterns(np.exp(1j * phase), probe, positions)
    gradient = phase_gradient(patterns, pixel_nm=pixel_nm).reshape(corners.size, corners.size, 2)
    found = integrate_gradient(gradient[..., 0], gradient[..., 1], step_nm=step * pixel_nm)

    weight = np.abs(probe.astype(complex)) ** 2
    weight /= weight.sum()
    windows = np.lib.stride_tricks.sliding_window_view(phase, (n, n))[::step, ::step]
    blurred = np.einsum("abij,ij->ab", windows, weight)
    truth = phase[np.ix_(corners + n // 2, corners + n // 2)]
    assert np.abs(found - (blurred - blurred.mean())).max() < 1e-4
    error = found - (truth - truth.mean())
    assert np.abs(error).max() < 0.05
    assert np.sqrt(np.mean(error**2)) < 0.01


def test_com_and_integration_match_abtem():
    """Independent reference: abTEM's DiffractionPatterns.center_of_mass and Images.integrate_gradient.

    Same scan as the bump test, patterns handed to abTEM in Å (1/Å → 1/nm: ×10; abTEM's x
    is our row). abTEM integrates periodically without mirroring, which agrees with ours
    for gradients that vanish at the edges: measured 5e-18 1/nm (COM) and 6e-15 rad
    (phase, after removing abTEM's constant); bounds 1e-12 and 1e-9 (rounding).
    """
    import abtem
    from abtem.measurements import DiffractionPatterns, Images

    size, n, step, pixel_nm = 160, 32, 8, 2.0
    rows, cols = np.mgrid[:size, :size] - size / 2
    phase = 3.0 * np.exp(-(rows**2 + cols**2) / (2 * 15.0**2))
    probe = gaussian_probe(8.0, shape=(n, n), pixel_nm=pixel_nm)
    corners = np.arange(0, size - n + 1, step)
    positions = np.stack(np.meshgrid(corners, corners, indexing="ij"), axis=-1).reshape(-1, 2)
    patterns = diffraction_patterns(np.exp(1j * phase), probe, positions).reshape(corners.size, corners.size, n, n)
    scan_axes = [abtem.core.axes.ScanAxis(label=label, sampling=step * pixel_nm * 10, units="Å") for label in "xy"]
    theirs = DiffractionPatterns(patterns, sampling=1 / (n * pixel_nm * 10), fftshift=True,
                                 ensemble_axes_metadata=scan_axes).center_of_mass()
    com_per_nm = centre_of_mass(patterns) * reciprocal_pixel_per_nm(n, pixel_nm)
    np.testing.assert_allclose(com_per_nm[..., 0], theirs.array.real * 10, atol=1e-12)
    np.testing.assert_allclose(com_per_nm[..., 1], theirs.array.imag * 10, atol=1e-12)
    their_phase = Images(2 * np.pi * theirs.array, sampling=theirs.sampling).integrate_gradient().array
    gradient = phase_gradient(patterns, pixel_nm=pixel_nm)
    ours = integrate_gradient(gradient[..., 0], gradient[..., 1], step_nm=step * pixel_nm)
    np.testing.assert_allclose(ours, their_phase - their_phase.mean(), atol=1e-9)


def test_integrate_gradient_recovers_an_off_centre_wedge_and_bump():
    """Mirror extension: a phase wedge (different at opposite edges) plus a bump integrates back.

    Anisotropic steps (4 nm rows, 6 nm cols). The wedge's constant gradient meets its mirror
    image in a jump, which rings at the edges: measured max 0.019 rad of a 5 rad range;
    bound 0.03 rad. A periodic (unmirrored) integrator cannot represent the wedge at all.
    """
    y, x = np.mgrid[:40, :30] * np.array([4.0, 6.0])[:, None, None]
    bump = 2.0 * np.exp(-((y - 70.0) ** 2 + (x - 90.0) ** 2) / (2 * 15.0**2))
    phase = 0.02 * x + 0.01 * y + bump
    grad_row = 0.01 - bump * (y - 70.0) / 15.0**2
    grad_col = 0.02 - bump * (x - 90.0) / 15.0**2
    found = integrate_gradient(grad_row, grad_col, step_nm=(4.0, 6.0))
    assert found.mean() == pytest.approx(0.0, abs=1e-12)
    assert np.abs(found - (phase - phase.mean())).max() < 0.03


def test_bad_input_names_the_field():
    good = np.ones((2, 8, 8))
    cases = [
        (lambda: bright_field(-good, incident=1.0), "patterns"),
        (lambda: bright_field(np.ones((2, 8, 6)), incident=1.0), "patterns.shape"),
        (lambda: bright_field(good, incident=0.0), "incident"),
        (lambda: bright_field(good, incident=np.ones((6, 6))), "incident.shape"),
        (lambda: bright_field(good, incident=1.0, radius_px=5.0), "radius_px"),
        (lambda: centre_of_mass(good, radius_px=0.0), "radius_px"),
        (lambda: centre_of_mass(np.zeros((2, 8, 8))), "patterns"),
        (lambda: centre_of_mass(np.full((2, 8, 8), np.nan)), "patterns"),
        (lambda: phase_gradient(good, pixel_nm=-1.0), "pixel_nm"),
        (lambda: quadrant_dpc(good, inner_px=3.0, outer_px=2.0), "outer_px"),
        (lambda: quadrant_dpc(good, inner_px=-1.0, outer_px=2.0), "inner_px"),
        (lambda: quadrant_dpc(good, inner_px=0.0, outer_px=5.0), "outer_px"),
        (lambda: optical_depth([0.5, 0.0]), "transmission"),
        (lambda: integrate_gradient(np.ones((4, 4)), np.ones((4, 5)), step_nm=1.0), "grad_col_rad_per_nm.shape"),
        (lambda: integrate_gradient(np.ones((4, 4)), np.ones((4, 4)), step_nm=0.0), "step_nm"),
        (lambda: integrate_gradient(np.ones((4, 4)), np.ones((4, 4)), step_nm=[1.0, 2.0, 3.0]), "step_nm"),
        (lambda: reciprocal_pixel_per_nm(1, 2.0), "n_px"),
    ]
    for call, field in cases:
        with pytest.raises(ValidationError) as error:
            call()
        assert error.value.field == field
