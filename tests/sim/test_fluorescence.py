"""X-ray fluorescence lines and self-absorption against closed forms."""

import math

import numpy as np
import pytest
import xraylib
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import project
from sim.noise import generator, poisson_counts
from sim.errors import ValidationError
from sim.fluorescence import (
    Line,
    atomic_number,
    detector_fwhm_ev,
    expected_spectrum,
    fluorescence_lines,
    reachable_lines,
    roi_maps,
    xrf_projection,
)

ENERGY_KEV = 10.0
FE_LINES = ("Fe Ka", "Fe Kb", "Fe La", "Fe Lb")


def _line_maps(mu, names=FE_LINES):
    return {name: mu for name in names}


def _disc(n, radius_px):
    z, x = np.mgrid[:n, :n] - (n - 1) / 2
    return (np.hypot(x, z) <= radius_px).astype(float)


def test_lines_follow_the_edges():
    """K lines appear only above the K edge; L lines above L3 (Au: L3 11.92 keV, K 80.7 keV)."""
    assert [line.name for line in fluorescence_lines("Au", 11.0)] == []
    assert [line.name for line in fluorescence_lines("Au", 12.0)] == ["Au La", "Au Lb"]
    assert [line.name for line in fluorescence_lines(79, 81.0)][:2] == ["Au Ka", "Au Kb"]
    # Fe just below/above its K edge (7.112 keV): the K lines switch on.
    assert all(not line.name.startswith("Fe K") for line in fluorescence_lines("Fe", 7.0))
    assert [line.name for line in fluorescence_lines("Fe", 7.2)][:2] == ["Fe Ka", "Fe Kb"]


def test_fe_ka_cross_section_from_fundamental_parameters():
    """σ(Fe Kα, 10 keV) = τ_K · ω_K · (Kα fraction): Fe K-shell photoionisation ≈ 148 cm²/g
    (total photoabsorption ≈ 170 cm²/g, Hubbell & Seltzer NIST tables, times 1 − 1/J_K with
    J_K ≈ 7.6), ω_K = 0.351 (Krause, J. Phys. Chem. Ref. Data 8, 307 (1979)), Kα share of the
    K lines 0.882 (Scofield 1974). The hand numbers are good to a few %, so 5 %.
    """
    (ka,) = [line for line in fluorescence_lines("Fe", ENERGY_KEV) if line.name == "Fe Ka"]
    assert ka.energy_kev == pytest.approx(6.40, abs=0.01)  # Bearden: Kα1 6.404, Kα2 6.391 keV
    assert ka.cross_section_cm2_g == pytest.approx(148.0 * 0.351 * 0.882, rel=0.05)


def test_unreachable_elements_are_reported():
    lines, missing = reachable_lines(["Fe", 79, "Li"], ENERGY_KEV)
    assert list(lines) == ["Fe"]
    assert all(isinstance(line, Line) for line in lines["Fe"])
    assert [symbol for symbol, _ in missing] == ["Au", "Li"]
    assert "80.7" in missing[0][1]  # the Au K edge the beam would have to exceed
    rho = np.ones((3, 3))
    with pytest.raises(ValidationError, match="concentration_maps.*Au"):
        xrf_projection({"Au": rho}, rho * 0, {}, energy_kev=ENERGY_KEV, voxel_nm=1.0, angle_deg=0.0)


@pytest.mark.parametrize("angle_deg", [0.0, 30.0, 90.0, 137.0])
def test_no_attenuation_gives_the_line_integral(angle_deg):
    """μ = 0: S(u) = Ω/4π · σ · ∫ρ dt, compared with the projector (an independent
    footprint projector). Smooth blob, so the two interpolations agree to < 1 % of the peak."""
    n, voxel = 48, 5.0
    z, x = np.mgrid[:n, :n] - (n - 1) / 2
    rho = 2.0 * np.exp(-((x - 6) ** 2 + (z + 3) ** 2) / (2 * 5.0**2))
    zero = np.zeros_like(rho)
    omega = 0.3
    out = xrf_projection({"Fe": rho}, zero, _line_maps(zero), energy_kev=ENERGY_KEV, voxel_nm=voxel,
                         angle_deg=angle_deg, solid_angle_sr=omega)
    line_integral_cm = project(rho[None], [angle_deg], voxel_nm=voxel)[0, 0] / 1e7
    for line in fluorescence_lines("Fe", ENERGY_KEV):
        expected = line_integral_cm * line.cross_section_cm2_g * omega / (4 * math.pi)
        np.testing.assert_allclose(out[line.name], expected, atol=0.01 * expected.max())


@pytest.mark.parametrize("angle_deg", [0.0, 90.0])
def test_uniform_square_self_absorption_closed_form(angle_deg):
    """Uniform square of side L, element everywhere, detector at 90°:
    Σ_u S = σρL²/voxel · (1−e^{−a})/a · (1−e^{−b})/b, a = μ0·L, b = μ1·L.
    Midpoint-rule error (μ·voxel)²/24 ≈ 1e-5 here, so rtol 1e-4."""
    n_pad, n, voxel = 8, 64, 2.0
    length = n * voxel
    a, b = 1.0, 2.0
    inside = np.zeros((n + 2 * n_pad, n + 2 * n_pad))
    inside[n_pad:-n_pad, n_pad:-n_pad] = 1.0
    rho = 3.0 * inside
    out = xrf_projection({"Fe": rho}, inside * a / length, _line_maps(inside * b / length),
                         energy_kev=ENERGY_KEV, voxel_nm=voxel, angle_deg=angle_deg)
    sigma = fluorescence_lines("Fe", ENERGY_KEV)[0].cross_section_cm2_g
    factor = (1 - math.exp(-a)) / a * (1 - math.exp(-b)) / b
    expected = sigma * 3.0 * (length / 1e7) * length / voxel * factor
    assert out["Fe Ka"].sum() == pytest.approx(expected, rel=1e-4)


def test_near_side_is_brighter_by_the_escape_attenuation():
    """A point emitter at x0 on the centre row of an absorbing disc: facing the detector
    side it is closer to, it is brighter by exp(μ1·voxel·(n_far − n_near)), n the disc voxels
    on each side of it along the escape path (exact at θ = 0: rtol 1e-9)."""
    n, voxel, mu1 = 41, 4.0, 0.01
    disc = _disc(n, 17.0)
    rho = np.zeros((n, n))
    row, col = n // 2, n // 2 + 9
    rho[row, col] = 1.0
    kwargs = dict(energy_kev=ENERGY_KEV, voxel_nm=voxel, angle_deg=0.0)
    near = xrf_projection({"Fe": rho}, disc * 0.002, _line_maps(disc * mu1), detector_side=1, **kwargs)
    far = xrf_projection({"Fe": rho}, disc * 0.002, _line_maps(disc * mu1), detector_side=-1, **kwargs)
    n_near, n_far = disc[row, col + 1 :].sum(), disc[row, :col].sum()
    assert near["Fe Ka"][col] > far["Fe Ka"][col]
    assert near["Fe Ka"][col] / far["Fe Ka"][col] == pytest.approx(math.exp(mu1 * voxel * (n_far - n_near)), rel=1e-9)


def test_incident_attenuation_of_a_layer_behind_a_slab():
    """A thin element layer at depth d behind an absorbing slab: S = S_free · exp(−μ0·d)
    (escape path along the layer is absorber-free). Exact on the grid: rtol 1e-9."""
    n, voxel, mu0 = 32, 2.0, 0.02
    absorber = np.zeros((n, n))
    absorber[:10] = mu0
    rho = np.zeros((n, n))
    rho[20] = 1.0
    zero = np.zeros((n, n))
    kwargs = dict(energy_kev=ENERGY_KEV, voxel_nm=voxel, angle_deg=0.0)
    free = xrf_projection({"Fe": rho}, zero, _line_maps(zero), **kwargs)["Fe Ka"]
    shaded = xrf_projection({"Fe": rho}, absorber, _line_maps(zero), **kwargs)["Fe Ka"]
    np.testing.assert_allclose(shaded, free * math.exp(-mu0 * 10 * voxel), rtol=1e-9)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    angle=st.floats(-180, 180),
    scale=st.floats(0.1, 10.0),
)
def test_attenuation_only_reduces_and_signal_is_linear_in_concentration(seed, angle, scale):
    """With fixed attenuation maps the signal is linear in ρ, and never exceeds the μ = 0 signal."""
    rng = np.random.default_rng(seed)
    rho = rng.random((9, 7))
    mu = rng.random((9, 7)) * 0.05
    kwargs = dict(energy_kev=ENERGY_KEV, voxel_nm=3.0, angle_deg=angle)
    one = xrf_projection({"Fe": rho}, mu, _line_maps(mu), **kwargs)["Fe Ka"]
    scaled = xrf_projection({"Fe": rho * scale}, mu, _line_maps(mu), **kwargs)["Fe Ka"]
    free = xrf_projection({"Fe": rho}, mu * 0, _line_maps(mu * 0), **kwargs)["Fe Ka"]
    np.testing.assert_allclose(scaled, one * scale, rtol=1e-12, atol=1e-300)
    assert np.all(one <= free * (1 + 1e-12))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (dict(voxel_nm=0.0), "voxel_nm"),
        (dict(energy_kev=-1.0), "energy_kev"),
        (dict(detector_side=0), "detector_side"),
        (dict(solid_angle_sr=13.0), "solid_angle_sr"),
        (dict(solid_angle_sr=0.0), "solid_angle_sr"),
        (dict(mu_line_maps={"Fe Ka": np.zeros((4, 4))}), "mu_line_maps"),
        (dict(mu_incident_map=-np.ones((4, 4))), "mu_incident_map"),
        (dict(concentration_maps={"Fe": np.ones((4, 5))}), r"concentration_maps\[Fe\].shape"),
        (dict(concentration_maps={"Xx": np.ones((4, 4))}), "element"),
    ],
)
def test_bad_input_names_the_field(change, field):
    zero = np.zeros((4, 4))
    kwargs = dict(concentration_maps={"Fe": np.ones((4, 4))}, mu_incident_map=zero, mu_line_maps=_line_maps(zero),
                  energy_kev=ENERGY_KEV, voxel_nm=1.0, angle_deg=0.0)
    kwargs.update(change)
    with pytest.raises(ValidationError, match=field):
        xrf_projection(**kwargs)


def test_atomic_number_rejects_nonsense():
    assert atomic_number("Co") == 27 == xraylib.SymbolToAtomicNumber("Co")
    for bad in ("Q", 0, 120, 2.5, True):
        with pytest.raises(ValidationError, match="element"):
            atomic_number(bad)


def test_detector_resolution_follows_fano_statistics():
    """130 eV at Mn Kα by construction; the statistical part FWHM² − noise² grows as
    8ln2·F·ε·E (Knoll ch. 11), so the difference of squares between two energies is exact."""
    assert float(detector_fwhm_ev(5.895)) == pytest.approx(130.0, rel=1e-12)
    d_sq = float(detector_fwhm_ev(10.0)) ** 2 - float(detector_fwhm_ev(2.0)) ** 2
    assert d_sq == pytest.approx(8 * math.log(2) * 0.115 * 3.65 * 8000.0, rel=1e-12)
    with pytest.raises(ValidationError, match="fwhm_at_mn_ka_ev"):
        detector_fwhm_ev(5.0, fwhm_at_mn_ka_ev=100.0)  # below the Fano limit (~117 eV)


def test_spectrum_peak_width_counts_and_poisson():
    """Peak area = line count (exact bin integrals, rtol 1e-9 with the peak well inside);
    measured FWHM from the second moment matches detector_fwhm_ev to 1 % (5 eV bins);
    Poisson counts: mean ≈ variance within 3 % over 20000 points; same seed bit-identical."""
    edges = np.arange(2.0, 10.0, 0.005)
    counts = np.array([[1000.0, 0.0], [250.0, 40.0]])
    spectrum = expected_spectrum({"Fe Ka": counts}, {"Fe Ka": 6.4}, edges, background_per_kev=2.0)
    assert spectrum.shape == (2, 2, edges.size - 1)
    width_kev = edges[-1] - edges[0]
    np.testing.assert_allclose(spectrum.sum(axis=-1), counts + 2.0 * width_kev, rtol=1e-9)
    peak = expected_spectrum({"Fe Ka": np.array(1.0)}, {"Fe Ka": 6.4}, edges)
    centres = 0.5 * (edges[1:] + edges[:-1])
    sigma_ev = math.sqrt(np.sum(peak * (centres - 6.4) ** 2)) * 1e3
    assert sigma_ev * 2 * math.sqrt(2 * math.log(2)) == pytest.approx(float(detector_fwhm_ev(6.4)), rel=0.01)
    top = np.argmax(spectrum[0, 0])
    many = np.broadcast_to(spectrum[0, 0, top - 5 : top + 5], (20000, 10))
    draws = poisson_counts(many, generator(3))
    assert draws[:, 5].mean() == pytest.approx(spectrum[0, 0, top], rel=0.01)
    assert draws[:, 5].var() == pytest.approx(draws[:, 5].mean(), rel=0.03)
    assert np.array_equal(draws, poisson_counts(many, generator(3)))


def test_roi_maps_recover_line_counts():
    """Separated Fe Kα / Cu Kα peaks, no background: the ROI maps return the line counts
    (exact in expectation, rtol 1e-9); from Poisson spectra within 4 σ of the counting error."""
    edges = np.arange(4.0, 10.0, 0.01)
    energies = {"Fe Ka": 6.40, "Cu Ka": 8.04}
    fe = np.array([[500.0, 100.0], [0.0, 2000.0]])
    cu = np.array([[50.0, 800.0], [300.0, 0.0]])
    mean = expected_spectrum({"Fe Ka": fe, "Cu Ka": cu}, energies, edges)
    exact = roi_maps(mean, edges, energies)
    np.testing.assert_allclose(exact["Fe Ka"], fe, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(exact["Cu Ka"], cu, rtol=1e-9, atol=1e-9)
    noisy = roi_maps(poisson_counts(mean, generator(11)), edges, energies)
    assert np.all(np.abs(noisy["Fe Ka"] - fe) <= 4 * np.sqrt(fe + 1))
    with pytest.raises(ValidationError, match="line_energies_kev"):
        roi_maps(mean, edges, {"Au La": 9.7 + 5})
