"""Electron optics: closed forms, abTEM cross-checks and weak-phase imaging.

References: Kirkland, *Advanced Computing in Electron Microscopy*, 2nd ed.
(wavelength eq. 2.5, aberrations eq. 2.22, weak phase §3.1, envelopes §3.2, probe §3.5);
Born & Wolf §8.8 (focused-beam intensity near focus, Airy disc).

abTEM takes Å, eV and radians; its constants come from ase (an older CODATA),
so its wavelength differs from ours by 5e-9 relative. Every abTEM comparison
runs in float64 with abTEM's numpy FFT.
"""

import math

import abtem
import numpy as np
import pytest
from abtem.core.energy import energy2sigma
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.constants import c, e, h, m_e
from scipy.optimize import brentq

from sim import electron_optics as eo
from sim.errors import ValidationError

ABERRATION_SETS = [
    eo.Aberrations(defocus_nm=35.0, cs_mm=1.3),
    eo.Aberrations(defocus_nm=-12.0, cs_mm=0.02, c5_mm=5.0),
    eo.Aberrations(defocus_nm=20.0, cs_mm=1.0, c5_mm=2.0, astigmatism_nm=4.0, astigmatism_angle_deg=25.0),
]


@pytest.fixture
def abtem64():
    with abtem.config.set({"precision": "float64", "dask.lazy": False, "fft": "numpy"}):
        yield


def _abtem_grid(shape, pixel_nm, voltage_kv):
    return {"gpts": shape, "sampling": pixel_nm * 10.0, "energy": voltage_kv * 1e3}


# --- wavelength and interaction constant ---------------------------------------------


@pytest.mark.parametrize(("voltage_kv", "pm"), [(200.0, 2.5079), (300.0, 1.9687)])
def test_wavelength_is_the_relativistic_closed_form(voltage_kv, pm):
    """λ = hc / sqrt(E (E + 2 m₀c²)), the energy form of Kirkland eq. 2.5, to 1e-6."""
    energy_j = e * voltage_kv * 1e3
    expected_nm = h * c / math.sqrt(energy_j * (energy_j + 2.0 * m_e * c**2)) * 1e9
    assert eo.wavelength_nm(voltage_kv) == pytest.approx(expected_nm, rel=1e-6)
    assert round(eo.wavelength_nm(voltage_kv) * 1e3, 4) == pm


@pytest.mark.parametrize("voltage_kv", [80.0, 200.0, 300.0])
def test_interaction_constant_matches_abtem(voltage_kv):
    """abTEM's σ [1/(Å·eV)] × 10 is σ [rad/(V·nm)]; the CODATA versions differ by ~6e-9."""
    assert eo.interaction_constant(voltage_kv) == pytest.approx(energy2sigma(voltage_kv * 1e3) * 10.0, rel=1e-6)


# --- aberration phase and CTF zeros --------------------------------------------------


@pytest.mark.parametrize("aberrations", ABERRATION_SETS)
def test_aberration_phase_matches_abtem(abtem64, aberrations):
    """χ on a non-square grid (catches a row/column swap in the astigmatism) equals abTEM's.

    Tolerance 1e-7 of the sum of the terms' magnitudes (+1e-9 rad): each term goes as λ..λ⁵
    and the two wavelengths differ by 5e-9; the terms cancel where χ crosses zero.
    """
    shape, pixel, voltage = (48, 40), 0.03, 200.0
    lam = eo.wavelength_nm(voltage)
    k_rows, k_cols = eo.spatial_frequencies(shape, pixel)
    chi = eo.aberration_phase(k_rows, k_cols, lam, aberrations)
    reference = abtem.transfer.Aberrations(
        **_abtem_grid(shape, pixel, voltage), **aberrations.abtem_coefficients()
    )._evaluate_kernel()
    phase_difference = np.angle(reference * np.exp(1j * chi))  # abTEM stores exp(−iχ)
    k2 = k_rows**2 + k_cols**2
    scale = (
        np.pi * lam * k2 * (abs(aberrations.defocus_nm) + abs(aberrations.astigmatism_nm))
        + 0.5 * np.pi * abs(aberrations.cs_mm) * 1e6 * lam**3 * k2**2
        + np.pi / 3 * abs(aberrations.c5_mm) * 1e6 * lam**5 * k2**3
    )
    assert np.abs(chi).max() > 100.0  # phase wraps many times: a sign or factor error cannot hide
    assert np.all(np.abs(phase_difference) <= 1e-7 * scale + 1e-9)


@pytest.mark.parametrize(
    ("defocus_nm", "cs_mm"), [(60.0, 1.2), (-30.0, 1.0), (200.0, 0.5), (50.0, -0.02), (80.0, 0.0)]
)
def test_ctf_zeros_are_the_sign_changes_of_sin_chi(defocus_nm, cs_mm):
    """Under- and overfocus, many zeros before χ's minimum, negative Cs, Cs = 0: to the grid step."""
    voltage, n_zeros, step = 200.0, 8, 2e-4
    zeros = eo.ctf_zeros_per_nm(defocus_nm, cs_mm, voltage, n_zeros)
    k = np.arange(step / 2, zeros[-1] + 0.5, step)
    chi = eo.aberration_phase(k, 0.0, eo.wavelength_nm(voltage), eo.Aberrations(defocus_nm=defocus_nm, cs_mm=cs_mm))
    sign = np.sign(np.sin(chi))
    crossings = k[:-1][sign[:-1] != sign[1:]] + step / 2
    np.testing.assert_allclose(crossings[:n_zeros], zeros, atol=step)


@pytest.mark.parametrize(("cs_mm", "voltage_kv"), [(1.2, 200.0), (0.5, 300.0), (2.7, 120.0)])
def test_scherzer_first_zero_closed_form(cs_mm, voltage_kv):
    """At Δf = sqrt(4/3 Cs λ) the first zero is at (16/3)^(1/4) (Cs λ³)^(−1/4), and min χ = −2π/3."""
    lam = eo.wavelength_nm(voltage_kv)
    cs_nm = cs_mm * 1e6
    defocus = eo.scherzer_defocus_nm(cs_mm, voltage_kv)
    first = eo.ctf_zeros_per_nm(defocus, cs_mm, voltage_kv, 1)[0]
    assert first == pytest.approx((16.0 / 3.0) ** 0.25 * (cs_nm * lam**3) ** -0.25, rel=1e-9)
    k = np.linspace(0.0, first, 20001)
    chi = eo.aberration_phase(k, 0.0, lam, eo.Aberrations(defocus_nm=defocus, cs_mm=cs_mm))
    assert chi.min() == pytest.approx(-2.0 * math.pi / 3.0, rel=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    defocus_nm=st.floats(-300.0, 300.0),
    cs_mm=st.floats(-3.0, 3.0),
    n_zeros=st.integers(1, 6),
)
def test_ctf_zeros_solve_chi_equals_m_pi(defocus_nm, cs_mm, n_zeros):
    """Every returned k is increasing and has χ(k)/π an integer (to 1e-8 of χ's scale)."""
    assume(abs(defocus_nm) > 1e-3 or abs(cs_mm) > 1e-6)
    zeros = eo.ctf_zeros_per_nm(defocus_nm, cs_mm, 200.0, n_zeros)
    assert zeros.shape == (n_zeros,) and np.all(zeros > 0) and np.all(np.diff(zeros) > 0)
    lam = eo.wavelength_nm(200.0)
    chi_over_pi = eo.aberration_phase(zeros, 0.0, lam, eo.Aberrations(defocus_nm=defocus_nm, cs_mm=cs_mm)) / np.pi
    scale = np.abs(lam * defocus_nm * zeros**2) + np.abs(0.5 * cs_mm * 1e6 * lam**3 * zeros**4) + 1.0
    assert np.all(np.abs(chi_over_pi - np.round(chi_over_pi)) <= 1e-8 * scale)


# --- envelopes and the CTF -----------------------------------------------------------


def test_focal_spread_relativistic_factor_and_fwhm():
    """Δ = Cc·δE/E* with dV*/V* from V* = V(1 + eV/2m₀c²) by finite differences; δE = FWHM/(2√ln2)."""
    cc_mm, fwhm_ev, voltage_kv = 1.4, 0.7, 200.0
    rest_v = m_e * c**2 / e

    def corrected(volts):
        return volts * (1.0 + volts / (2.0 * rest_v))

    volts, dv = voltage_kv * 1e3, 1e-2
    dlog = (corrected(volts + dv) - corrected(volts - dv)) / (2 * dv) / corrected(volts)
    expected = cc_mm * 1e6 * fwhm_ev / (2.0 * math.sqrt(math.log(2.0))) * dlog
    assert eo.focal_spread_nm(cc_mm, fwhm_ev, voltage_kv) == pytest.approx(expected, rel=1e-8)


def test_temporal_envelope_is_the_focal_average():
    """⟨exp(−iχ(Δf + δ))⟩ over p(δ) ∝ exp(−δ²/Δ²) equals E_t exp(−iχ); χ is linear in Δf (quadrature 1e-10)."""
    lam, spread = eo.wavelength_nm(300.0), 4.0
    aberrations = eo.Aberrations(defocus_nm=30.0, cs_mm=1.0)
    k = np.linspace(0.0, 6.0, 61)
    nodes, weights = np.polynomial.hermite.hermgauss(80)  # ∫exp(−x²) f(x) dx, δ = Δ·x
    averaged = sum(
        w * np.exp(-1j * eo.aberration_phase(k, 0.0, lam, aberrations.with_defocus(30.0 + spread * x)))
        for x, w in zip(nodes, weights)
    ) / math.sqrt(math.pi)
    expected = eo.temporal_envelope(k, lam, spread) * np.exp(-1j * eo.aberration_phase(k, 0.0, lam, aberrations))
    np.testing.assert_allclose(averaged, expected, atol=1e-10)


def test_envelopes_match_abtem(abtem64):
    """E_t (focal_spread in Å) and E_s (angular_spread = α in mrad) against abTEM, to 1e-7 absolute."""
    shape, pixel, voltage = (48, 40), 0.03, 200.0
    aberrations = ABERRATION_SETS[2]
    lam = eo.wavelength_nm(voltage)
    k_rows, k_cols = eo.spatial_frequencies(shape, pixel)
    spread = eo.focal_spread_nm(1.4, 0.7, voltage)
    grid = _abtem_grid(shape, pixel, voltage)
    temporal = abtem.transfer.TemporalEnvelope(focal_spread=spread * 10.0, **grid)._evaluate_kernel()
    np.testing.assert_allclose(eo.temporal_envelope(np.hypot(k_rows, k_cols), lam, spread), temporal, atol=1e-7)
    spatial = abtem.transfer.SpatialEnvelope(
        angular_spread=0.8, **grid, **aberrations.abtem_coefficients()
    )._evaluate_kernel()
    ours = eo.spatial_envelope(k_rows, k_cols, lam, aberrations, 0.8)
    assert ours.min() < 0.1  # the envelope really damps on this grid
    np.testing.assert_allclose(ours, spatial, atol=1e-7)


@pytest.mark.parametrize("aberrations", ABERRATION_SETS)
def test_ctf_matches_abtem(abtem64, aberrations):
    """Aperture (soft edge) · E_t · E_s · exp(−iχ) against abTEM's CTF, to 1e-6 absolute (|H| <= 1)."""
    shape, pixel, voltage = (64, 50), 0.025, 300.0
    spread = eo.focal_spread_nm(1.2, 0.8, voltage)
    ours = eo.ctf(
        shape, pixel, voltage, aberrations, aperture_mrad=22.0, cc_mm=1.2, energy_spread_ev=0.8, convergence_mrad=0.3
    )
    reference = abtem.CTF(
        semiangle_cutoff=22.0,
        focal_spread=spread * 10.0,
        angular_spread=0.3,
        **_abtem_grid(shape, pixel, voltage),
        **aberrations.abtem_coefficients(),
    )._evaluate_kernel()
    np.testing.assert_allclose(ours, reference, atol=1e-6)


def test_weak_phase_object_images_through_sin_chi():
    """|F⁻¹[F[e^{iφ}] H]|² = 1 + 2 F⁻¹[Φ sinχ E A] + O(φ²); underfocus images positive phase dark."""
    shape, pixel, voltage = (64, 64), 0.05, 200.0
    aberrations = eo.Aberrations(defocus_nm=60.0, cs_mm=1.2)
    options = {"aperture_mrad": 18.0, "cc_mm": 1.4, "energy_spread_ev": 0.7, "convergence_mrad": 0.2}
    transfer = eo.ctf(shape, pixel, voltage, aberrations, **options)
    sin_chi = eo.phase_contrast_transfer(shape, pixel, voltage, aberrations, **options)
    rows, cols = np.indices(shape) - 32
    rng = np.random.default_rng(3)
    blob = np.exp(-(rows**2 + cols**2) / (2 * 2.0**2)) + 0.3 * rng.standard_normal(shape)
    for epsilon in (1e-3, 2e-3):
        phase = epsilon * blob
        brute = np.abs(np.fft.ifft2(np.fft.fft2(np.exp(1j * phase)) * transfer)) ** 2
        linear = 1.0 + 2.0 * np.fft.ifft2(np.fft.fft2(phase) * sin_chi).real
        contrast = np.abs(linear - 1.0).max()
        # The residual is second order: measured 0.27·ε of the first-order contrast, so the
        # bound ε·contrast (checked at two amplitudes) holds with a margin of ~4.
        assert np.abs(brute - linear).max() <= epsilon * contrast
    blob_only = 1e-3 * np.exp(-(rows**2 + cols**2) / (2 * 2.0**2))
    image = np.abs(np.fft.ifft2(np.fft.fft2(np.exp(1j * blob_only)) * transfer)) ** 2
    assert image[32, 32] < 1.0


# --- probe ---------------------------------------------------------------------------


def _fwhm_nm(intensity, pixel_nm):
    """FWHM along the central row, with linear interpolation at both half-maximum crossings."""
    row = intensity[intensity.shape[0] // 2]
    centre = intensity.shape[1] // 2
    half = row[centre] / 2.0
    right = centre + np.argmax(row[centre:] < half)
    left = centre - np.argmax(row[centre::-1] < half)
    x_right = right - 1 + (row[right - 1] - half) / (row[right - 1] - row[right])
    x_left = left + 1 - (row[left + 1] - half) / (row[left + 1] - row[left])
    return (x_right - x_left) * pixel_nm


@pytest.mark.parametrize("aberrations", [eo.Aberrations(), *ABERRATION_SETS])
def test_probe_matches_abtem(abtem64, aberrations):
    """Complex probe at the array centre against abTEM's Probe (soft aperture), to 1e-5 of the peak."""
    shape, pixel, voltage, alpha = (96, 80), 0.02, 200.0, 25.0
    psi = eo.probe_wave(shape, pixel, voltage, alpha, aberrations)
    centre = (shape[0] // 2 * pixel * 10.0, shape[1] // 2 * pixel * 10.0)
    reference = abtem.Probe(
        semiangle_cutoff=alpha, **_abtem_grid(shape, pixel, voltage), **aberrations.abtem_coefficients()
    ).build(scan=[centre], lazy=False).array.reshape(shape)
    reference = reference / np.sqrt(np.sum(np.abs(reference) ** 2))
    assert np.sum(np.abs(psi) ** 2) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(psi, reference, atol=1e-5 * np.abs(psi).max())
    intensity = eo.probe_intensity(shape, pixel, voltage, alpha, aberrations)
    np.testing.assert_allclose(intensity, np.abs(reference) ** 2, atol=1e-5 * intensity.max())


def test_aberration_free_probe_width_scales_as_lambda_over_alpha():
    """Airy FWHM = 0.5145 λ/α (Born & Wolf §8.5): doubling α halves it (measured to 0.15 pixel)."""
    shape, pixel, voltage = (256, 256), 0.01, 200.0
    lam = eo.wavelength_nm(voltage)
    widths = {
        alpha: _fwhm_nm(eo.probe_intensity(shape, pixel, voltage, alpha, eo.Aberrations()), pixel)
        for alpha in (10.0, 20.0)
    }
    for alpha, width in widths.items():
        assert width == pytest.approx(0.5145 * lam / (alpha * 1e-3), abs=0.3 * pixel)
    assert widths[10.0] / 2.0 == pytest.approx(widths[20.0], abs=0.3 * pixel)


def test_source_size_broadens_the_probe():
    """A Gaussian source of FWHM s: sum stays 1; s ≫ probe gives FWHM ≈ sqrt(s² + d²) (2 %)."""
    shape, pixel, voltage, alpha = (256, 256), 0.01, 200.0, 20.0
    sharp = eo.probe_intensity(shape, pixel, voltage, alpha, eo.Aberrations())
    widths = [_fwhm_nm(sharp, pixel)]
    for source in (0.05, 0.5):
        blurred = eo.probe_intensity(shape, pixel, voltage, alpha, eo.Aberrations(), source_size_nm=source)
        assert blurred.sum() == pytest.approx(1.0, abs=1e-12)
        widths.append(_fwhm_nm(blurred, pixel))
    assert widths[0] < widths[1] < widths[2]
    assert widths[2] == pytest.approx(math.hypot(0.5, widths[0]), rel=0.02)


def test_depth_of_field_is_the_axial_fwhm_of_the_probe():
    """Half-maximum of |ψ(0)|² through focus, from probe_wave itself, is ±DOF/2 (0.5 %: discrete aperture)."""
    shape, pixel, voltage, alpha = (128, 128), 0.02, 200.0, 25.0
    peak = np.abs(eo.probe_wave(shape, pixel, voltage, alpha, eo.Aberrations())[64, 64]) ** 2

    def excess(defocus):
        psi = eo.probe_wave(shape, pixel, voltage, alpha, eo.Aberrations(defocus_nm=defocus))
        return np.abs(psi[64, 64]) ** 2 / peak - 0.5

    dof = eo.depth_of_field_nm(voltage, alpha)
    half = brentq(excess, 0.1 * dof, 0.9 * dof, xtol=1e-4)
    assert 2.0 * half == pytest.approx(dof, rel=0.005)
    assert dof == pytest.approx(7.11, abs=0.01)
    assert math.sin(eo._SINC_HALF_POWER_ROOT) / eo._SINC_HALF_POWER_ROOT == pytest.approx(2**-0.5, rel=1e-14)


def test_pixel_beyond_nyquist_names_the_largest_allowed_pixel():
    """The aperture α/λ must fit inside 1/(2·pixel): pixel <= λ/(2α); the boundary itself is accepted."""
    lam = eo.wavelength_nm(200.0)
    largest = lam / (2.0 * 0.025)
    eo.probe_wave((32, 32), largest, 200.0, 25.0, eo.Aberrations())
    with pytest.raises(ValidationError, match=rf"pixel_nm .* <= {largest:.6g} nm"):
        eo.probe_wave((32, 32), largest * 1.01, 200.0, 25.0, eo.Aberrations())


# --- bad input -----------------------------------------------------------------------

GRID = ((16, 16), 0.05, 200.0)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: eo.Aberrations(defocus_nm=float("inf")), "defocus_nm"),
        (lambda: eo.Aberrations(astigmatism_angle_deg="north"), "astigmatism_angle_deg"),
        (lambda: eo.focal_spread_nm(1.0, -0.1, 200.0), "energy_spread_ev"),
        (lambda: eo.focal_spread_nm(-1.0, 0.7, 200.0), "cc_mm"),
        (lambda: eo.focal_spread_nm(1.0, 0.7, 0.0), "voltage_kv"),
        (lambda: eo.temporal_envelope(1.0, 0.002, -1.0), "focal_spread_nm"),
        (lambda: eo.spatial_envelope(1.0, 0.0, 0.002, eo.Aberrations(), -0.1), "convergence_mrad"),
        (lambda: eo.aberration_phase(1.0, 0.0, 0.002, {"defocus_nm": 1.0}), "aberrations"),
        (lambda: eo.spatial_frequencies((16,), 0.05), "shape"),
        (lambda: eo.spatial_frequencies((16, 0), 0.05), "shape"),
        (lambda: eo.spatial_frequencies((16, 16), 0.0), "pixel_nm"),
        (lambda: eo.ctf(*GRID, eo.Aberrations(), aperture_mrad=0.0), "aperture_mrad"),
        (lambda: eo.ctf(*GRID, eo.Aberrations(), convergence_mrad=-1.0), "convergence_mrad"),
        (lambda: eo.phase_contrast_transfer(*GRID, eo.Aberrations(), cc_mm=-1.0), "cc_mm"),
        (lambda: eo.scherzer_defocus_nm(0.0, 200.0), "cs_mm"),
        (lambda: eo.ctf_zeros_per_nm(0.0, 0.0, 200.0, 3), "defocus_nm"),
        (lambda: eo.ctf_zeros_per_nm(50.0, 1.0, 200.0, 0), "n_zeros"),
        (lambda: eo.probe_wave(*GRID, 0.0, eo.Aberrations()), "convergence_mrad"),
        (lambda: eo.probe_wave(*GRID, -5.0, eo.Aberrations()), "convergence_mrad"),
        (lambda: eo.probe_intensity(*GRID, 20.0, eo.Aberrations(), source_size_nm=-0.1), "source_size_nm"),
        (lambda: eo.depth_of_field_nm(200.0, 0.0), "convergence_mrad"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(ValidationError) as raised:
        call()
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field} = ")
