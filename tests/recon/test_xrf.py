"""Self-absorption-aware XRF tomography: the weighted operator, the attenuation estimate and the reconstruction."""

import math

import numpy as np
import pytest
import xraylib
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from instruments.xrf_sinogram import xrf_sinograms
from phantoms.catalog.battery import battery_particle
from recon.sirt import sirt
from recon.xrf import attenuation_depths, line_attenuation, xrf_operator, xrf_tomography
from sim.errors import ValidationError
from sim.fluorescence import NM_PER_CM, fluorescence_lines, xrf_projection

ENERGY_KEV = 10.0
LINES = ("Co Ka", "Ti Ka")


def disc(n, radius, value, centre=(0.0, 0.0)):
    c = np.arange(n) - (n - 1) / 2
    z, x = np.meshgrid(c, c, indexing="ij")
    return np.where((z - centre[0]) ** 2 + (x - centre[1]) ** 2 <= radius**2, value, 0.0)


def relative_error(estimate, truth):
    return float(np.linalg.norm(estimate - truth) / np.linalg.norm(truth))


@settings(max_examples=25, deadline=None)
@given(n_z=st.integers(2, 9), n_x=st.integers(2, 9), n_angles=st.integers(1, 5), side=st.sampled_from([1, -1]),
       seed=st.integers(0, 2**32 - 1))
def test_operator_is_adjoint(n_z, n_x, n_angles, side, seed):
    rng = np.random.default_rng(seed)
    angles = rng.uniform(-200.0, 400.0, n_angles)
    mu0, mu_line = rng.uniform(0.0, 0.02, (2, n_z, n_x))
    op = xrf_operator(mu0, mu_line, angles, voxel_nm=20.0, cross_section_cm2_g=50.0, detector_side=side)
    x = rng.random((n_z, n_x))
    y = rng.random((n_angles, n_x))
    lhs = float(np.vdot(op.forward(x), y))
    rhs = float(np.vdot(x, op.adjoint(y)))
    # Float64 sparse products of one matrix and its transpose: rounding only.
    assert abs(lhs - rhs) <= 1e-6 * abs(lhs)


@settings(max_examples=20, deadline=None)
@given(n_z=st.integers(1, 12), n_x=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
def test_without_attenuation_the_operator_is_the_scaled_projector(n_z, n_x, seed):
    """μ = 0: A ρ = σ·Ω/4π · sim.project(ρ) / 10⁷ (ρ in g/cm³, path nm -> cm), the module's convention."""
    rng = np.random.default_rng(seed)
    angles = rng.uniform(0.0, 360.0, 7)
    density = rng.random((n_z, n_x))
    zero = np.zeros((n_z, n_x))
    sigma, omega = 46.6, 0.3
    op = xrf_operator(zero, zero, angles, voxel_nm=25.0, cross_section_cm2_g=sigma, solid_angle_sr=omega)
    expected = sim.project(density[None].astype(np.float32), angles, voxel_nm=25.0)[:, 0]
    expected = expected * (sigma * omega / (4 * math.pi) / NM_PER_CM)
    # sim.project works in float32 (relative rounding ~1e-7 per term, fastmath sums).
    np.testing.assert_allclose(op.forward(density), expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max())


def test_detector_depth_flips_with_the_side_and_half_turn():
    """The detector at +u at θ looks from the same side as the detector at −u at θ + 180°."""
    rng = np.random.default_rng(3)
    mu = np.abs(rng.normal(0.01, 0.005, (15, 15))) * disc(15, 6.5, 1.0)
    plus = attenuation_depths(mu, [30.0], voxel_nm=10.0, direction="detector", detector_side=1)
    minus = attenuation_depths(mu, [210.0], voxel_nm=10.0, direction="detector", detector_side=-1)
    # The two beam grids hold the same points in reverse order: equal to float rounding.
    np.testing.assert_allclose(plus, minus, rtol=1e-9, atol=1e-12)


def test_depths_of_a_uniform_square_follow_the_distance_to_its_edge():
    """θ = 90°: the beam runs along −x, so it enters at the +x edge; the +u detector is towards +z."""
    mu = np.full((6, 6), 0.01)
    incident = attenuation_depths(mu, [90.0], voxel_nm=10.0, direction="incident")[0]
    outgoing = attenuation_depths(mu, [90.0], voxel_nm=10.0, direction="detector", detector_side=1)[0]
    distance = (np.arange(6)[::-1] + 0.5) * 10.0
    # Closed form μ·(distance to the edge); the grids align with the voxels at 90°, float rounding only.
    np.testing.assert_allclose(incident, np.broadcast_to(0.01 * distance, (6, 6)), rtol=1e-6)
    np.testing.assert_allclose(outgoing, np.broadcast_to(0.01 * distance[:, None], (6, 6)), rtol=1e-6)


def test_operator_reproduces_xrf_projection_for_a_smooth_object():
    """A Gaussian Co blob in a strongly absorbing disc (optical depth up to 1.6 in and 0.8 out).

    The two discretisations differ (bilinear resampling on the beam's grid vs
    the distance-driven footprint and the depth interpolated back to the
    voxels): measured max deviation 0.55 % of the peak over 12 views, pinned
    at 1 %; the self-absorption itself changes the signal by up to 1.7× the
    attenuated peak.
    """
    n, voxel = 48, 40.0
    c = np.arange(n) - (n - 1) / 2
    z, x = np.meshgrid(c, c, indexing="ij")
    density = 3.0 * np.exp(-((z - 4) ** 2 + (x + 3) ** 2) / (2 * 7.0**2))
    mu0 = disc(n, 20.0, 1.0e-3)
    line = fluorescence_lines("Co", ENERGY_KEV)[0]
    mu_maps = {other.name: 0.5 * mu0 for other in fluorescence_lines("Co", ENERGY_KEV)}
    angles = np.linspace(0.0, 360.0, 12, endpoint=False)
    op = xrf_operator(mu0, mu_maps[line.name], angles, voxel_nm=voxel, cross_section_cm2_g=line.cross_section_cm2_g)
    reference = np.stack([xrf_projection({"Co": density}, mu0, mu_maps, energy_kev=ENERGY_KEV, voxel_nm=voxel,
                                         angle_deg=a)[line.name] for a in angles])
    unattenuated = np.stack([xrf_projection({"Co": density}, 0 * mu0, {k: 0 * m for k, m in mu_maps.items()},
                                            energy_kev=ENERGY_KEV, voxel_nm=voxel, angle_deg=a)[line.name]
                             for a in angles])
    peak = reference.max()
    assert np.abs(op.forward(density) - reference).max() < 0.01 * peak
    assert np.abs(unattenuated - reference).max() > 1.0 * peak


@pytest.fixture(scope="module")
def battery():
    """A slice of a 10 µm LiCoO2 particle (200 nm voxels, 56²) with Ti/Mg/Al domains, at 10 keV over 360°.

    A 1.5–3 µm particle is too thin for the correction to stand out at
    10 keV: there the error of plain SIRT (0.126 for Co at 3 µm) is mostly
    the reconstruction's own floor (0.097 without self-absorption).
    Cathode secondary particles of 5–20 µm are common; at 10 µm the optical
    depth is 0.57 at 10 keV and 0.22 (Co Kα) / 0.73 (Ti Kα) on the way out.
    360°: with one detector, θ and θ + 180° see each voxel from both sides.
    """
    voxel = 200.0
    phantom = battery_particle(diameter_nm=10000.0, voxel_nm=voxel, domain_size_nm=(800.0, 2000.0), n_domains=6,
                               crack_width_nm=(100.0, 200.0), supersample=2, seed=3)
    row = phantom.shape[0] // 2
    angles = np.linspace(0.0, 360.0, 60, endpoint=False)
    absorbed = xrf_sinograms(phantom, ENERGY_KEV, angles, row=row, progress=False)
    free = xrf_sinograms(phantom, ENERGY_KEV, angles, row=row, progress=False, self_absorption=False)
    mu_true = phantom.mu_per_nm(ENERGY_KEV).data[row : row + 1]
    transmission = sim.TiltSeries(sim.project(mu_true, angles, voxel_nm=voxel), angles_deg=angles, pixel_nm=voxel,
                                  values="line integral", unit="1")
    mu0 = sirt(transmission, n_iter=100, progress=False).data[0].astype(np.float64)
    return dict(phantom=phantom, row=row, angles=angles, voxel=voxel, absorbed=absorbed, free=free, mu0=mu0)


def test_aware_reconstruction_reduces_the_self_absorption_error(battery):
    """Measured (relative L2 error against element_concentrations): Co 0.250 plain -> 0.099 aware (2.53×),
    Ti 0.319 -> 0.096 (3.30×); the attenuation-free sinograms reconstruct to 0.097 (Co), the floor.

    Pinned below the measured factors (2.2× Co, 2.8× Ti) and within 10 % of
    that floor: the μ0 map is a SIRT reconstruction of the transmission (11 %
    error), not the truth. The part of the error due to self-absorption (the
    distance to the attenuation-free reconstruction, relative to the truth)
    drops from 0.226 to 0.013 (Co, 18×) and 0.295 to 0.009 (Ti, 32×); pinned
    at 10×.
    """
    b = battery
    common = dict(voxel_nm=b["voxel"], energy_kev=ENERGY_KEV, lines=LINES, matrix="LiCoO2", progress=False)
    zero = np.zeros_like(b["mu0"])
    plain = xrf_tomography(b["absorbed"].lines, b["angles"], mu_incident_per_nm=zero, n_outer=1, n_iter=200, **common)
    aware = xrf_tomography(b["absorbed"].lines, b["angles"], mu_incident_per_nm=b["mu0"], n_outer=4, n_iter=50,
                           **common)
    floor = xrf_tomography(b["free"].lines, b["angles"], mu_incident_per_nm=zero, n_outer=1, n_iter=200, **common)
    truth = b["absorbed"].concentrations
    for element, factor in (("Co", 2.2), ("Ti", 2.8)):
        plain_error = relative_error(plain.densities[element], truth[element])
        aware_error = relative_error(aware.densities[element], truth[element])
        assert aware_error * factor < plain_error
        assert aware_error < 1.1 * relative_error(floor.densities[element], truth[element])
        plain_distortion = np.linalg.norm(plain.densities[element] - floor.densities[element])
        aware_distortion = np.linalg.norm(aware.densities[element] - floor.densities[element])
        assert aware_distortion * 10 < plain_distortion
        history = aware.residuals[element]
        assert len(history) == 4 and all(len(h) == 51 for h in history)
        assert history[-1][-1] < history[0][-1] < history[0][0]


def test_split_attenuation_estimate_beats_the_matrix_ratio_in_ti_domains(battery):
    """With the element maps known, μ at Ti Kα in the Li2TiO3 domains is right; the LiCoO2 ratio alone is not."""
    phantom, row = battery["phantom"], battery["row"]
    mu0 = phantom.mu_per_nm(ENERGY_KEV).data[row].astype(np.float64)
    ti_ka = xraylib.LineEnergy(22, xraylib.KA_LINE)
    truth = phantom.mu_per_nm(ti_ka).data[row]
    domains = phantom.fraction("Li2TiO3")[row] > 0.99
    densities = {s: battery["absorbed"].concentrations[s] for s in ("Co", "Ti")}
    matrix_only = line_attenuation(mu0, ti_ka, energy_kev=ENERGY_KEV, matrix="LiCoO2")
    split = line_attenuation(mu0, ti_ka, energy_kev=ENERGY_KEV, matrix="LiCoO2", densities=densities)
    # Li2TiO3 minus Ti (Li2O3) vs LiCoO2 minus Co (LiO2): both light-element rests scale alike at these
    # energies; measured 0.06 % in the domains (0.05 % in the LiCoO2), pinned at 1 %. The LiCoO2 ratio
    # alone is 14.7 % low there (1.28 vs 1.50 for (μ/ρ)(Ti Kα)/(μ/ρ)(10 keV)).
    np.testing.assert_allclose(split[domains], truth[domains], rtol=0.01)
    assert np.abs(matrix_only[domains] / truth[domains] - 1).min() > 0.1


def test_without_self_absorption_it_is_plain_sirt():
    """μ0 = 0: two passes of 25 iterations are SIRT (recon.sirt) for 50 on the sinogram / (σ·Ω/4π/10⁷)."""
    n, voxel = 24, 50.0
    density = disc(n, 9.0, 3.0) + disc(n, 3.0, 2.0, (2.0, -4.0))
    angles = np.linspace(0.0, 360.0, 20, endpoint=False)
    zero = np.zeros((n, n))
    line = fluorescence_lines("Co", ENERGY_KEV)[0]
    maps = {other.name: zero for other in fluorescence_lines("Co", ENERGY_KEV)}
    sinogram = np.stack([xrf_projection({"Co": density}, zero, maps, energy_kev=ENERGY_KEV, voxel_nm=voxel,
                                        angle_deg=a)[line.name] for a in angles])
    aware = xrf_tomography({line.name: sinogram}, angles, voxel_nm=voxel, energy_kev=ENERGY_KEV, lines=[line.name],
                           mu_incident_per_nm=zero, matrix="LiCoO2", n_outer=2, n_iter=25, progress=False)
    scaled = sinogram / (line.cross_section_cm2_g / NM_PER_CM)
    series = sim.TiltSeries(scaled[:, None, :], angles_deg=angles, pixel_nm=voxel, values="line integral", unit="1")
    plain = sirt(series, n_iter=50, progress=False).data[0]
    # recon.sirt runs in float32, this method in float64: measured 2.9e-7 of the peak, pinned at 1e-5.
    np.testing.assert_allclose(aware.densities["Co"], plain, atol=1e-5 * plain.max())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (dict(lines=["Co Kz"]), "lines"),
        (dict(lines=["Li Ka"]), "lines"),
        (dict(lines=["Ti Ka"]), "sinograms"),
        (dict(sinograms={"Co Ka": np.zeros((5, 8))}), "sinograms[Co Ka].shape"),
        (dict(mu_incident_per_nm=-np.ones((8, 8))), "mu_incident_per_nm"),
        (dict(mu_line_per_nm={"Co Ka": np.ones((8, 7))}), "mu_line_per_nm[Co Ka].shape"),
        (dict(mu_line_per_nm={"Co Ka": -np.ones((8, 8))}, matrix=None), "mu_line_per_nm[Co Ka]"),
        (dict(matrix=None), "matrix"),
        (dict(matrix="Xq2"), "matrix"),
        (dict(n_iter=0), "n_iter"),
        (dict(n_outer=1.5), "n_outer"),
        (dict(detector_side=0), "detector_side"),
    ],
)
def test_bad_input_names_the_field(change, field):
    arguments = dict(sinograms={"Co Ka": np.zeros((4, 8))}, angles_deg=[0.0, 90.0, 180.0, 270.0], voxel_nm=50.0,
                     energy_kev=ENERGY_KEV, lines=["Co Ka"], mu_incident_per_nm=np.zeros((8, 8)), matrix="LiCoO2",
                     progress=False)
    arguments.update(change)
    sinograms = arguments.pop("sinograms")
    angles = arguments.pop("angles_deg")
    with pytest.raises(ValidationError) as error:
        xrf_tomography(sinograms, angles, **arguments)
    assert error.value.field == field
