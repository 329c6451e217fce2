"""X-ray multislice: the thin-sample limit is the projection approximation, thick samples differ, depths."""

import numpy as np
import pytest

from phantoms import Material
from sim.errors import ValidationError
from sim.fresnel import propagate
from sim.projector import project
from sim.slabs import project_slabs
from sim.xray_multislice import xray_multislice
from sim.xray_wave import complex_transmission, wavelength_nm

ENERGY_KEV = 8.0
GOLD = Material("Au", "Au", 19.3)
DELTA, BETA = GOLD.delta(ENERGY_KEV), GOLD.beta(ENERGY_KEV)


def slabs_of(volume, angle_deg, voxel_nm):
    """δ and β slabs (one voxel thick) of a gold occupancy volume, and their depths."""
    delta, depths = project_slabs(volume * DELTA, angle_deg, voxel_nm=voxel_nm, slab_nm=voxel_nm)
    beta, _ = project_slabs(volume * BETA, angle_deg, voxel_nm=voxel_nm, slab_nm=voxel_nm)
    return delta, beta, depths


@pytest.mark.parametrize("angle_deg", [0.0, 30.0])
def test_thin_sample_gives_the_projection_approximation(angle_deg):
    """A gold cylinder 450 nm across, 20 nm voxels: thinner than the depth of focus Δx²/λ = 2.6 µm.

    At the centre plane the multislice equals T of the summed paths (sim.project) to 1e-3 against
    a contrast |T − 1| of 0.8 (measured 9e-5 at 0°, 5e-4 at 30°: the residual diffraction inside
    the sample, which grows with T·λ/Δx² = 0.25).
    """
    voxel_nm, n = 20.0, 32
    z, x = np.mgrid[:n, :n] - (n - 1) / 2
    volume = np.broadcast_to((np.hypot(x, z) < 0.35 * n).astype(np.float32), (4, n, n)).copy()
    delta, beta, depths = slabs_of(volume, angle_deg, voxel_nm)
    delta_path = project(volume * DELTA, [angle_deg], voxel_nm=voxel_nm)[0]
    np.testing.assert_allclose(delta.sum(0), delta_path, rtol=1e-5, atol=1e-9)  # the slabs add up to the projection
    assert n * voxel_nm < voxel_nm**2 / wavelength_nm(ENERGY_KEV)
    wave = xray_multislice(delta, beta, voxel_nm, energy_kev=ENERGY_KEV, pixel_nm=voxel_nm, depths_nm=depths)
    projected = complex_transmission(delta_path, project(volume * BETA, [angle_deg], voxel_nm=voxel_nm)[0], ENERGY_KEV)
    assert np.abs(projected - 1).max() > 0.5
    assert np.abs(wave - projected).max() < 1e-3


def test_thick_sample_differs_from_the_projection_approximation():
    """Voxel-sized gold grains spread over 256 nm ≈ 10 depths of focus (Δx = 2 nm: Δx²/λ = 26 nm).

    Each grain is imaged defocused by its depth, so the multislice departs from the projection
    approximation by most of the contrast (measured 0.8 of it); the same grains on 20-nm voxels (320 nm,
    0.12 DOF) depart by < 5 % (measured 2.7 %).
    """
    rng = np.random.default_rng(0)
    ratios = {}
    for voxel_nm, n_z in [(2.0, 128), (20.0, 16)]:
        volume = np.zeros((16, n_z, 64), np.float32)
        index = rng.integers(0, [16, n_z, 64], size=(64 * n_z // 8, 3))
        volume[index[:, 0], index[:, 1], index[:, 2]] = 1
        delta, beta, depths = slabs_of(volume, 0.0, voxel_nm)
        wave = xray_multislice(delta, beta, voxel_nm, energy_kev=ENERGY_KEV, pixel_nm=voxel_nm, depths_nm=depths)
        projected = complex_transmission(delta.sum(0), beta.sum(0), ENERGY_KEV)
        ratios[voxel_nm] = np.abs(wave - projected).max() / np.abs(projected - 1).max()
    assert ratios[2.0] > 0.5
    assert ratios[20.0] < 0.05


def test_a_layer_at_depth_d_is_seen_defocused_by_d():
    """One thin layer at depth d among vacuum slabs: the centre-plane wave is T propagated by −d.

    Checks the depth bookkeeping (beam towards +depth, output plane) against :func:`propagate`;
    the exit-surface wave is T propagated to the exit. 1e-5: float32 rounding of a few FFTs.
    """
    n_slabs, slab_nm, pixel_nm = 9, 50.0, 5.0
    rng = np.random.default_rng(1)
    layer_delta = np.abs(rng.normal(size=(32, 32))) * 2e-3
    delta = np.zeros((n_slabs, 32, 32))
    delta[2] = layer_delta
    beta = np.zeros_like(delta)
    depths = (np.arange(n_slabs) - 4) * slab_nm  # layer at −100 nm, upstream of the centre
    kwargs = dict(energy_kev=ENERGY_KEV, pixel_nm=pixel_nm, depths_nm=depths)
    transmission = complex_transmission(layer_delta, np.zeros((32, 32)), ENERGY_KEV)
    centre = xray_multislice(delta, beta, slab_nm, **kwargs)
    expected = propagate(transmission, 100.0, energy_kev=ENERGY_KEV, pixel_nm=pixel_nm)
    assert np.abs(centre - expected).max() < 1e-5
    exit_wave = xray_multislice(delta, beta, slab_nm, output_depth_nm=None, **kwargs)
    expected_exit = propagate(transmission, 4.5 * slab_nm + 100.0, energy_kev=ENERGY_KEV, pixel_nm=pixel_nm)
    assert np.abs(exit_wave - expected_exit).max() < 1e-5
    assert np.abs(expected_exit - expected).max() > 1e-3  # the two planes do differ


def test_vacuum_carries_the_incident_wave_from_entrance_to_exit():
    """Zero slabs: the incident wave (at the entrance surface) arrives propagated by n·Δ (1e-5, float32)."""
    rng = np.random.default_rng(2)
    incident = np.exp(1j * rng.normal(size=(24, 24)) * 0.3).astype(np.complex64)
    zeros = np.zeros((6, 24, 24))
    out = xray_multislice(zeros, zeros, 40.0, energy_kev=ENERGY_KEV, pixel_nm=5.0, incident=incident, output_depth_nm=None)
    expected = propagate(incident, 240.0, energy_kev=ENERGY_KEV, pixel_nm=5.0)
    assert np.abs(out - expected).max() < 1e-5


def test_phase_slabs_conserve_energy_and_absorbing_slabs_follow_beer_lambert():
    """Periodic, no band limit, β = 0: Σ|ψ|² kept (1e-5, float32). Uniform β: |ψ|² = exp(−∫μ) (1e-5)."""
    rng = np.random.default_rng(3)
    delta = rng.uniform(0, 2e-3, size=(12, 32, 32))
    wave = xray_multislice(
        delta, np.zeros_like(delta), 20.0, energy_kev=ENERGY_KEV, pixel_nm=4.0, pad=1, band_limit=False
    )
    assert np.sum(np.abs(wave.astype(np.complex128)) ** 2) == pytest.approx(32 * 32, rel=1e-5)
    thickness_nm, n_slabs = 300.0, 6
    beta = np.full((n_slabs, 16, 16), BETA * thickness_nm / n_slabs)
    wave = xray_multislice(np.zeros_like(beta), beta, thickness_nm / n_slabs, energy_kev=ENERGY_KEV, pixel_nm=4.0)
    np.testing.assert_allclose(np.abs(wave) ** 2, np.exp(-GOLD.mu_per_nm(ENERGY_KEV) * thickness_nm), rtol=1e-5)


def test_views_run_together_equal_views_run_alone():
    """A leading views axis is a batch: same result as one view at a time (1e-6: FFT batching order)."""
    volume = np.zeros((8, 24, 24), np.float32)
    volume[:, 6:14, 9:20] = 1
    per_view = [slabs_of(volume, angle, 5.0) for angle in (0.0, 90.0)]
    assert per_view[0][0].shape == per_view[1][0].shape
    delta = np.stack([view[0] for view in per_view])
    beta = np.stack([view[1] for view in per_view])
    kwargs = dict(energy_kev=ENERGY_KEV, pixel_nm=5.0, depths_nm=per_view[0][2])
    together = xray_multislice(delta, beta, 5.0, **kwargs)
    for v in range(2):
        alone = xray_multislice(delta[v], beta[v], 5.0, **kwargs)
        assert np.abs(together[v] - alone).max() < 1e-6


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(beta_slabs_nm=np.zeros((2, 4, 5))), "beta_slabs_nm.shape"),
        (dict(beta_slabs_nm=np.full((2, 4, 4), -1e-6)), "beta_slabs_nm"),
        (dict(delta_slabs_nm=np.zeros((4, 4))), "delta_slabs_nm.shape"),
        (dict(slab_nm=0.0), "slab_nm"),
        (dict(depths_nm=[0.0, 3.0]), "depths_nm"),
        (dict(depths_nm=[0.0]), "depths_nm.shape"),
        (dict(output_depth_nm=float("nan")), "output_depth_nm"),
        (dict(pad_mode="reflect"), "pad_mode"),
        (dict(incident=np.ones((3, 3))), "incident.shape"),
        (dict(energy_kev=0.0), "energy_kev"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    arguments = dict(
        delta_slabs_nm=np.zeros((2, 4, 4)), beta_slabs_nm=np.zeros((2, 4, 4)), slab_nm=10.0, energy_kev=8.0, pixel_nm=5.0
    )
    arguments.update(kwargs)
    with pytest.raises(ValidationError) as error:
        xray_multislice(
            arguments.pop("delta_slabs_nm"), arguments.pop("beta_slabs_nm"), arguments.pop("slab_nm"), **arguments
        )
    assert error.value.field == field
