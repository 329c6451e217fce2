"""X-ray fluorescence lines and self-absorption against closed forms."""

import math

import numpy as np
import pytest
import xraylib
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

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


def test_asking_for_an_element_without_a_line_is_an_error_naming_it():
    """Co, Li and Au asked for by name at 10 keV: Au's L3 edge (11.92 keV) is above the beam and Li has
    no line in xraylib at all, so neither can be mapped: one clear error naming both with their edges;
    without ``required`` they are reported, not raised."""
    with pytest.raises(ValidationError, match=r"elements = \['Li', 'Au'\].*Au: K edge 80.7.*L3 edge 11.91"):
        reachable_lines(["Co", "Li", "Au"], ENERGY_KEV, required=True)
    with pytest.raises(ValidationError, match=r"element = 'Au'.*10.0 keV"):
        fluorescence_lines("Au", ENERGY_KEV, required=True)
    lines, missing = reachable_lines(["Co", "Li", "Au"], ENERGY_KEV)
    assert sorted(lines) == ["Co"] and [symbol for symbol, _ in missing] == ["Li", "Au"]
    assert sorted(reachable_lines(["Co", "Au"], 12.0, required=True)[0]) == ["Au", "Co"]


def test_fe_ka_cross_section_against_xraydb():
    """Independent cross-check with xraydb (Elam, Ravel & Sieber 2002 tables): Fe Kα production at
    10 keV = τ(E) · (1 − 1/J_K) · ω_K · (Kα share of the K emission) = 45.41 cm²/g, against xraylib's
    CS_FluorLine_Kissel 46.65 cm²/g (−2.6 %). The two differ in how the K-shell share of the
    photoabsorption is taken: the jump-ratio approximation 1 − 1/J_K (Elam) against Kissel's
    computed subshell cross sections (Scofield), and in the Kα/Kβ branching (Elam 0.874 of the K
    lines, Scofield 0.882); such table differences are a few %. Tolerance 4 %."""
    import xraydb

    energy_ev = ENERGY_KEV * 1e3
    _, omega_k, jump_k = xraydb.xray_edge("Fe", "K")
    lines = xraydb.xray_lines("Fe", "K")
    ka_share = sum(line.intensity for name, line in lines.items() if name.startswith("Ka")) / sum(
        line.intensity for line in lines.values())
    sigma = xraydb.mu_elam("Fe", energy_ev, kind="photo") * (1 - 1 / jump_k) * omega_k * ka_share
    (ka,) = [line for line in fluorescence_lines("Fe", ENERGY_KEV) if line.name == "Fe Ka"]
    assert ka.cross_section_cm2_g == pytest.approx(sigma, rel=0.04)
    assert ka.energy_kev * 1e3 == pytest.approx(xraydb.xray_lines("Fe", "K")["Ka1"].energy, abs=15.0)


def _slab_cone_ratio(theta_deg, half_angle_deg, mu_w):
    """Point emitter at the centre; an absorbing slab of optical depth mu_w (normal to the detector
    direction), 8..48 voxels away towards it; ratio of the signal with the cone to the single direction."""
    n, voxel, c = 101, 2.0, 50
    rho = np.zeros((n, n))
    rho[c, c] = 1.0
    slab = np.zeros((n, n))
    slab[:, c + 8 : c + 48] = mu_w / (40 * voxel)
    if theta_deg == 90.0:  # detector direction +u = +z at 90°
        slab = slab.T
    zero = np.zeros((n, n))
    kwargs = dict(energy_kev=ENERGY_KEV, voxel_nm=voxel, angle_deg=theta_deg)
    single = xrf_projection({"Fe": rho}, zero, _line_maps(slab), **kwargs)["Fe Ka"]
    cone = xrf_projection({"Fe": rho}, zero, _line_maps(slab), cone_half_angle_deg=half_angle_deg, **kwargs)["Fe Ka"]
    return cone[c] / single[c], cone, single


def test_cone_of_zero_half_angle_is_the_single_direction():
    """Half-angle 0 is the single-direction model bit for bit; a vanishing cone (1e-9°), which goes
    through the rotated-grid machinery, agrees to rounding (rtol 1e-9)."""
    rng = np.random.default_rng(4)
    rho, mu = rng.random((15, 13)), rng.random((15, 13)) * 0.05
    kwargs = dict(energy_kev=ENERGY_KEV, voxel_nm=3.0, angle_deg=23.0)
    default = xrf_projection({"Fe": rho}, mu, _line_maps(mu), **kwargs)
    zero = xrf_projection({"Fe": rho}, mu, _line_maps(mu), cone_half_angle_deg=0.0, **kwargs)
    tiny = xrf_projection({"Fe": rho}, mu, _line_maps(mu), cone_half_angle_deg=1e-9, **kwargs)
    for name in default:
        assert np.array_equal(default[name], zero[name])
        np.testing.assert_allclose(tiny[name], default[name], rtol=1e-9)


@pytest.mark.parametrize("theta_deg", [0.0, 90.0])
@pytest.mark.parametrize(("half_angle_deg", "mu_w"), [(11.28, 2.0), (5.0, 2.0), (11.28, 1.0)])
def test_cone_lengthens_the_escape_path_through_a_slab(theta_deg, half_angle_deg, mu_w):
    """Through a slab of optical depth μW normal to the detector axis, the direction at φ travels
    W/cos φ: S_cone/S_single = ⟨exp(−μW/cos φ)⟩ / exp(−μW), the mean over the disc detector's
    in-plane weight √(1 − (φ/α)²) (numerical integral). At the default detector's α = 11.28° and
    μW = 2 the cone removes 0.97 % of the signal; the 5-direction quadrature and the grid reproduce
    that change to within 2 % of itself (measured 1.0 % at 11.28°, 0.2 % at 5°: 1e-4 of the signal)."""
    ratio, _, _ = _slab_cone_ratio(theta_deg, half_angle_deg, mu_w)
    alpha = math.radians(half_angle_deg)
    weight = lambda phi: math.sqrt(max(0.0, 1 - (phi / alpha) ** 2))  # noqa: E731
    mean = integrate.quad(lambda phi: weight(phi) * math.exp(-mu_w / math.cos(phi)), -alpha, alpha)[0]
    expected = mean / integrate.quad(weight, -alpha, alpha)[0] / math.exp(-mu_w)
    assert ratio < 1.0
    assert (ratio - 1) == pytest.approx(expected - 1, rel=0.02)


def _smooth_disc(n, radius_px, sub=8):
    """Area fraction of a disc in each pixel (sub × sub supersampling): no staircase rim."""
    offsets = (np.arange(sub) + 0.5) / sub - 0.5
    z, x = np.mgrid[:n, :n] - (n - 1) / 2
    inside = [np.hypot(x + dx, z + dz) <= radius_px for dz in offsets for dx in offsets]
    return np.mean(inside, axis=0)


@pytest.mark.parametrize("theta_deg", [0.0, 17.0])
def test_cone_leaves_the_centre_of_a_uniform_disc_unchanged(theta_deg):
    """From the centre of a uniform absorbing disc every escape direction crosses the radius R, so the
    cone cannot change the signal, which is exp(−μR) of the free one. Anti-aliased rim; bilinear sampling
    of the rim differs by direction by < 1e-3 of the signal (measured 7e-4 at worst), so rtol 1e-3."""
    n, voxel, radius = 81, 2.0, 35.0
    disc = _smooth_disc(n, radius)
    rho = np.zeros((n, n))
    rho[n // 2, n // 2] = 1.0
    kwargs = dict(energy_kev=ENERGY_KEV, voxel_nm=voxel, angle_deg=theta_deg)
    mu_line = disc * 0.8 / (radius * voxel)
    free = xrf_projection({"Fe": rho}, disc * 0.0, _line_maps(disc * 0.0), **kwargs)["Fe Ka"][n // 2]
    single = xrf_projection({"Fe": rho}, disc * 0.0, _line_maps(mu_line), **kwargs)["Fe Ka"][n // 2]
    cone = xrf_projection({"Fe": rho}, disc * 0.0, _line_maps(mu_line), cone_half_angle_deg=11.28,
                          **kwargs)["Fe Ka"][n // 2]
    assert cone == pytest.approx(single, rel=1e-3)
    assert cone == pytest.approx(free * math.exp(-0.8), rel=1e-3)


@pytest.mark.parametrize("theta_deg", [0.0, 30.0])
def test_cone_over_a_strongly_absorbing_disc_follows_the_exact_chord_lengths(theta_deg):
    """Uniform disc (R = 30 voxels, μ0R = 0.5, μ1R = 2), element everywhere, pencil beam at u0: the
    escape path from (u0, z) in the direction φ from the detector axis is the exact chord length
    L = −b + √(b² − u0² − z² + R²), b = u0 cos φ + z sin φ, and S_cone/S_single =
    ∫∫ e^{−μ0(z+h)} ⟨e^{−μ1 L(φ)}⟩ dz / ∫ e^{−μ0(z+h)} e^{−μ1 L(0)} dz (double quadrature, disc-detector
    weight). Tilted rays from the far side reach the rim sooner (+2.6 % at u0 = −20), from the centre
    and the near side they cross more material (−0.4 %). The grid's own error for a single direction is
    ≈ 0.7 % of the signal here (partial-volume rim, μ1·voxel = 0.07), so the ratio is held to 6e-3
    (measured ≤ 4.6e-3) and the sign of the change must be right."""
    n, radius, voxel, a0, a1 = 81, 30.0, 2.0, 0.5, 2.0
    disc = _smooth_disc(n, radius)
    alpha = math.radians(11.28)
    kwargs = dict(energy_kev=ENERGY_KEV, voxel_nm=voxel, angle_deg=theta_deg)
    maps = (disc * a0 / (radius * voxel), _line_maps(disc * a1 / (radius * voxel)))
    single = xrf_projection({"Fe": disc}, *maps, **kwargs)["Fe Ka"]
    cone = xrf_projection({"Fe": disc}, *maps, cone_half_angle_deg=11.28, **kwargs)["Fe Ka"]

    def chord(u, z, phi):
        b = u * math.cos(phi) + z * math.sin(phi)
        return -b + math.sqrt(b * b - u * u - z * z + radius**2)

    weight = lambda phi: math.sqrt(max(0.0, 1 - (phi / alpha) ** 2))  # noqa: E731
    norm = integrate.quad(weight, -alpha, alpha)[0]
    for offset in (-20, -10, 0, 10, 20):
        half = math.sqrt(radius**2 - offset**2)
        incident = lambda z: math.exp(-a0 / radius * (z + half))  # noqa: E731, B023
        straight = integrate.quad(lambda z: incident(z) * math.exp(-a1 / radius * chord(offset, z, 0.0)),
                                  -half, half, epsrel=1e-8)[0]
        tilted = integrate.dblquad(lambda phi, z: incident(z) * weight(phi) / norm
                                   * math.exp(-a1 / radius * chord(offset, z, phi)),
                                   -half, half, -alpha, alpha, epsrel=1e-7)[0]
        expected = tilted / straight
        measured = cone[n // 2 + offset] / single[n // 2 + offset]
        assert measured == pytest.approx(expected, abs=6e-3)
        assert np.sign(measured - 1) == np.sign(expected - 1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (dict(cone_half_angle_deg=-1.0), "cone_half_angle_deg"),
        (dict(cone_half_angle_deg=60.0), "cone_half_angle_deg"),
        (dict(cone_half_angle_deg=5.0, cone_directions=0), "cone_directions"),
        (dict(cone_half_angle_deg=5.0, cone_directions=2.5), "cone_directions"),
    ],
)
def test_bad_cone_names_the_field(change, field):
    zero = np.zeros((4, 4))
    with pytest.raises(ValidationError, match=field):
        xrf_projection({"Fe": np.ones((4, 4))}, zero, _line_maps(zero), energy_kev=ENERGY_KEV, voxel_nm=1.0,
                       angle_deg=0.0, **change)
