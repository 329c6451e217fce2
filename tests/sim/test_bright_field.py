"""Bright-field image formation: the linear image, the coherent image, electron conservation, inelastic blur.

References: Kirkland, *Advanced Computing in Electron Microscopy*, 2nd ed.
(χ eq. 2.22, weak-phase imaging §3.1, envelopes §3.2); Egerton, *EELS in the
Electron Microscope*, 3rd ed. §3.3 (zero-loss fraction exp(−t/λ)).
"""

import math

import scipy.special

import abtem
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.constants import c, e, h, m_e

from sim.bright_field import coherent_image, exit_wave, inelastic_image, linear_image, transfer_function
from sim.electron_optics import Aberrations, focal_spread_nm, wavelength_nm
from sim.errors import ValidationError

VOLTAGE_KV = 300.0


def _wavelength_nm(voltage_kv):
    """λ = hc / sqrt(E (E + 2 m₀c²)) [nm], computed here from CODATA constants."""
    energy = e * voltage_kv * 1e3
    return h * c / math.sqrt(energy * (energy + 2 * m_e * c**2)) * 1e9


def _chi(k_per_nm, defocus_nm, cs_mm, voltage_kv):
    """Kirkland eq. 2.22 for a round lens: χ = −πλΔf k² + ½πCsλ³k⁴ (Δf > 0 underfocus)."""
    lam = _wavelength_nm(voltage_kv)
    return -math.pi * lam * defocus_nm * k_per_nm**2 + 0.5 * math.pi * cs_mm * 1e6 * lam**3 * k_per_nm**4


def test_linear_image_of_one_spatial_frequency_is_the_closed_form():
    """φ = ε·cos(2πkx), a = ā + η·cos(2πkx): I = e^{−ā}(1 + (2ε sin χ − η cos χ)·E·cos(2πkx)).

    k = 0.5 nm⁻¹ (16 px period at 0.125 nm), 300 kV, 500 nm underfocus, Cs
    2.7 mm, no envelopes: the image is the closed form to float32 rounding,
    with χ from Kirkland's formula and the wavelength from CODATA constants.
    """
    shape, pixel = (8, 64), 0.125
    k = 1.0 / (16 * pixel)
    x = np.arange(shape[1]) * pixel
    wave = np.broadcast_to(np.cos(2 * np.pi * k * x), shape)
    epsilon, eta, mean_depth = 0.02, 0.01, 0.3
    transfer = transfer_function(shape, pixel, VOLTAGE_KV, Aberrations(defocus_nm=500.0, cs_mm=2.7))
    image = linear_image(epsilon * wave, mean_depth + eta * wave, transfer)
    chi = _chi(k, 500.0, 2.7, VOLTAGE_KV)
    expected = math.exp(-mean_depth) * (1 + (2 * epsilon * math.sin(chi) - eta * math.cos(chi)) * wave)
    np.testing.assert_allclose(image, expected, atol=2e-7)


def test_linear_image_is_the_first_order_of_the_coherent_image():
    """The gap between the linear and the coherent image of exp(iφ − a/2) is second order in (φ, a).

    A random smooth field, scaled by s = 0.1 and 0.05: halving s halves the
    contrast and quarters the gap (measured exponent 2.0; required 2 ± 0.15).
    """
    shape, pixel = (64, 64), 0.1
    rng = np.random.default_rng(0)
    k_rows, k_cols = np.fft.fftfreq(64, pixel)[:, None], np.fft.fftfreq(64, pixel)[None, :]
    smooth = np.exp(-(k_rows**2 + k_cols**2) / (2 * 0.8**2))
    phase = np.fft.ifft2(np.fft.fft2(rng.standard_normal(shape)) * smooth).real
    depth = np.fft.ifft2(np.fft.fft2(rng.standard_normal(shape)) * smooth).real
    phase, depth = phase / phase.std(), 0.3 * depth / depth.std()
    transfer = transfer_function(shape, pixel, VOLTAGE_KV, Aberrations(defocus_nm=200.0, cs_mm=1.0), aperture_mrad=25.0)
    gaps, contrasts = [], []
    for scale in (0.1, 0.05):
        linear = linear_image(scale * phase, scale * depth, transfer).astype(np.float64)
        coherent = coherent_image(exit_wave(scale * phase, scale * depth), transfer).astype(np.float64)
        gaps.append(np.sqrt(np.mean((linear - coherent) ** 2)))
        contrasts.append(coherent.std())
    assert np.log2(gaps[0] / gaps[1]) == pytest.approx(2.0, abs=0.15)
    assert np.log2(contrasts[0] / contrasts[1]) == pytest.approx(1.0, abs=0.05)


def test_coherent_image_matches_abtem():
    """|F⁻¹[F[ψ]·H]|² against abTEM's ``Waves.apply_ctf(...).intensity()``, to 1e-6 (float32 here).

    A strong random phase grating (0–2 rad) with absorption, 30 nm underfocus,
    Cs 1 mm, 20 mrad aperture, focal spread and illumination spread.
    """
    shape, pixel = (64, 48), 0.05
    rng = np.random.default_rng(0)
    wave = exit_wave(rng.uniform(0, 2, shape), rng.uniform(0, 0.5, shape))
    aberrations = Aberrations(defocus_nm=30.0, cs_mm=1.0)
    transfer = transfer_function(shape, pixel, VOLTAGE_KV, aberrations, aperture_mrad=20.0, cc_mm=1.2,
                                 energy_spread_ev=0.8, convergence_mrad=0.3)
    with abtem.config.set({"precision": "float64", "dask.lazy": False, "fft": "numpy"}):
        ctf = abtem.CTF(semiangle_cutoff=20.0, focal_spread=focal_spread_nm(1.2, 0.8, VOLTAGE_KV) * 10.0,
                        angular_spread=0.3, **aberrations.abtem_coefficients())
        waves = abtem.Waves(wave.astype(np.complex128), energy=VOLTAGE_KV * 1e3, sampling=pixel * 10.0)
        reference = np.asarray(waves.apply_ctf(ctf).intensity().array)
    np.testing.assert_allclose(coherent_image(wave, transfer), reference, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), defocus_nm=st.floats(-2000, 2000), cs_mm=st.floats(0, 3),
       depth_scale=st.floats(0, 3))
def test_electrons_are_conserved_without_aperture(seed, defocus_nm, cs_mm, depth_scale):
    """No aperture, no envelopes (H unimodular): zero-loss + unfiltered inelastic images add up to the beam.

    Parseval: mean |F⁻¹[F[ψ]H]|² = mean |ψ|² = mean exp(−a); the inelastic
    image's mean is mean(1 − exp(−a)) (its transfer is 1 at k = 0). So the
    mean total is 1, whatever the phase, defocus and Cs, to float32 rounding.
    """
    rng = np.random.default_rng(seed)
    shape, pixel = (32, 32), 0.2
    depth = depth_scale * rng.uniform(0, 1, shape)
    wave = exit_wave(rng.uniform(-3, 3, shape), depth)
    transfer = transfer_function(shape, pixel, VOLTAGE_KV, Aberrations(defocus_nm=defocus_nm, cs_mm=cs_mm))
    zero_loss = coherent_image(wave, transfer)
    inelastic = inelastic_image(depth, pixel_nm=pixel, voltage_kv=VOLTAGE_KV, cc_mm=2.7, mean_loss_ev=20.0, aperture_mrad=10.0)
    assert float(np.mean(zero_loss, dtype=np.float64)) == pytest.approx(float(np.mean(np.exp(-depth))), abs=2e-6)
    assert float(np.mean(zero_loss + inelastic, dtype=np.float64)) == pytest.approx(1.0, abs=2e-6)


def test_objective_aperture_removes_what_is_scattered_outside_it():
    """With an aperture the image keeps Σ_{k inside} |Ψ(k)|² / N²: the electrons scattered beyond it are lost."""
    shape, pixel = (64, 64), 0.05
    rng = np.random.default_rng(1)
    wave = exit_wave(rng.uniform(0, 1.5, shape), np.zeros(shape))
    transfer = transfer_function(shape, pixel, VOLTAGE_KV, Aberrations(defocus_nm=50.0), aperture_mrad=10.0)
    spectrum = np.abs(np.fft.fft2(wave)) ** 2 / wave.size**2
    kept = float(np.sum(spectrum * np.abs(transfer) ** 2))
    assert float(np.mean(coherent_image(wave, transfer), dtype=np.float64)) == pytest.approx(kept, rel=1e-5)
    assert kept < 0.9


def test_inelastic_image_is_blurred_by_the_chromatic_disc():
    """A cosine of optical depth at k is transferred by the disc of confusion's 2·J1(x)/x, x = 2π·r·k.

    300 kV, Cc 2.7 mm, E_m = 20 eV, mean depth ā = 0.5 so ΔE = E_m·ā/(1 − e^{−ā}) = 25.4 eV;
    r = Cc·(ΔE/E)·(1 + E/E₀)/(1 + E/2E₀)·α with α = 10 mrad: 2.81 nm, computed here from constants.
    """
    shape, pixel = (4, 128), 0.25
    k = 8 / (shape[1] * pixel)
    x = np.arange(shape[1]) * pixel
    depth = 0.5 + 0.01 * np.broadcast_to(np.cos(2 * np.pi * k * x), shape)
    image = inelastic_image(depth, pixel_nm=pixel, voltage_kv=VOLTAGE_KV, cc_mm=2.7, mean_loss_ev=20.0, aperture_mrad=10.0)
    amplitude = np.abs(np.fft.fft(image[0].astype(np.float64))[8]) / (shape[1] / 2)
    rest = m_e * c**2 / e
    energy = VOLTAGE_KV * 1e3
    loss = 20.0 * 0.5 / (1 - math.exp(-0.5))
    radius = 2.7e6 * (loss / energy) * (1 + energy / rest) / (1 + energy / (2 * rest)) * 10e-3
    argument = 2 * math.pi * radius * k
    transfer = 2 * scipy.special.j1(argument) / argument
    assert radius == pytest.approx(2.81, abs=0.01)
    # d(1 − e^{−a})/da = e^{−a}: the scattered fraction's cosine has amplitude e^{−0.5}·0.01 (to 1e-5 of
    # the mean depth's second-order term), then the disc's transfer; the mean depth moves by 1e-4 only.
    assert amplitude == pytest.approx(math.exp(-0.5) * 0.01 * abs(transfer), rel=5e-3)
    assert float(image.mean(dtype=np.float64)) == pytest.approx(float(np.mean(1 - np.exp(-depth))), rel=1e-5)


def test_chromatic_blur_grows_with_the_path():
    """More inelastic events per scattered electron (thicker path) → more loss → a wider disc."""
    edge = np.zeros((8, 128))
    edge[:, 64:] = 1.0
    sharpness = []
    for mean in (0.2, 2.0):
        depth = mean * (0.5 + edge)
        image = inelastic_image(depth, pixel_nm=0.5, voltage_kv=VOLTAGE_KV, cc_mm=2.7, mean_loss_ev=20.0, aperture_mrad=10.0)
        profile = image[0] / image[0].max()
        sharpness.append(float(np.max(np.abs(np.diff(profile)))))
    assert sharpness[1] < sharpness[0]


@pytest.mark.parametrize("slit_ev, passes", [(None, True), (39.9, False), (40.0, True), (10.0, False)])
def test_energy_filter_slit_passes_the_loss_only_when_wide_enough(slit_ev, passes):
    """A slit centred on the zero loss passes inelastic electrons (loss E_m = 20 eV) only if w/2 >= E_m."""
    depth = np.full((8, 8), 1.0)
    image = inelastic_image(depth, pixel_nm=1.0, voltage_kv=VOLTAGE_KV, cc_mm=2.7, mean_loss_ev=20.0, aperture_mrad=10.0,
                            slit_ev=slit_ev)
    assert float(image.mean()) == pytest.approx(1 - math.exp(-1.0) if passes else 0.0, abs=1e-6)


def test_zero_loss_intensity_is_beer_lambert():
    """|exp(iφ − a/2)|² = exp(−a): the zero-loss fraction after a mean of a inelastic events."""
    depth = np.linspace(0.0, 3.0, 16).reshape(4, 4)
    np.testing.assert_allclose(np.abs(exit_wave(np.full((4, 4), 2.0), depth)) ** 2, np.exp(-depth), rtol=1e-6)


@pytest.mark.parametrize("params, field", [
    ({"mean_loss_ev": 0.0}, "mean_loss_ev"),
    ({"mean_loss_ev": 20.0, "slit_ev": -1.0}, "slit_ev"),
    ({"mean_loss_ev": 20.0, "pixel_nm": 0.0}, "pixel_nm"),
    ({"mean_loss_ev": 20.0, "aperture_mrad": 0.0}, "aperture_mrad"),
])
def test_bad_inelastic_input_names_the_field(params, field):
    arguments = {"pixel_nm": 1.0, "voltage_kv": VOLTAGE_KV, "cc_mm": 2.7, "aperture_mrad": 10.0, **params}
    with pytest.raises(ValidationError, match=f"^{field} = "):
        inelastic_image(np.ones((4, 4)), **arguments)


def test_wavelength_helper_agrees_with_the_library():
    assert wavelength_nm(VOLTAGE_KV) == pytest.approx(_wavelength_nm(VOLTAGE_KV), rel=1e-6)
