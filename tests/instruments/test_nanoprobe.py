"""The scanning X-ray nanoprobe: timing, counting statistics, units of the XRF chain, DPC, bad input."""

from dataclasses import replace

import numpy as np
import pytest

import instruments
import phantoms
from instruments.nanoprobe import Nanoprobe
from phantoms.library import material
from sim.errors import ValidationError
from sim.projector import project
from sim.ptychography import diffraction_patterns
from sim.raster_scan import RasterScan
from sim.scanning_transmission import phase_gradient
from sim.xray_probe import probe_fwhm_nm
from sim.xray_wave import complex_transmission, project_refractive_index
from sim.xrf_detector import XrfDetector


def _foil(thickness_voxels=1, n=24, voxel_nm=20.0, formula="Ni"):
    """A thin square foil in the middle of the slice stack, normal to the beam at 0°."""
    fractions = np.zeros((1, 16, n, n), np.float32)
    middle = n // 2
    fractions[0, :, middle:middle + thickness_voxels, 4:-4] = 1.0
    return phantoms.Phantom(fractions, (material(formula),), voxel_nm=voxel_nm)


def _small(**overrides):
    scan = RasterScan(field_um=(0.48, 0.12), step_nm=20.0, dwell_s=0.05, mode="step", overhead_per_point_s=0.01,
                      overhead_per_line_s=0.5, jitter_nm=0.0)
    params = {"energy_kev": 10.0, "scan": scan, "probe_fwhm_nm": 20.0, "background_cps_per_kev": 0.0}
    return Nanoprobe(**{**params, **overrides})


def test_acquisition_time_is_the_sum_of_dwell_and_overheads():
    instrument = _small(rotation_overhead_s=3.0)
    n_lines, per_line = instrument.scan.shape
    budget = instrument.acquisition_time(5)
    expected = 5 * (n_lines * per_line * (0.05 + 0.01) + n_lines * 0.5) + 5 * 3.0
    assert budget["total_s"] == pytest.approx(expected, rel=1e-12)


def test_default_high_resolution_xrf_tomogram_of_a_micron_particle_takes_more_than_a_day():
    instrument = instruments.preset("hxn-nanoprobe")
    assert instrument.scan.field_um[0] >= 1.0
    assert instrument.acquisition_time(180)["total_h"] > 24.0


def test_xrf_chain_recovers_the_path_integral_of_a_thin_foil():
    # A 20 nm Ni foil at 10 keV: without self-absorption the counts / (photons · detected fraction · σ ·
    # Ω/4π) must return ∫ρ dz = ρ_Ni · 20 nm. 1e8 photons/s for 0.5 s: ~2e3 Ni Kα counts per point at
    # 4e3 counts/s, so pile-up (0.3 µs pulse pairs) removes ~0.1 %; the mean over 72 points has 0.3 %
    # counting noise (tolerance 1 %). At 1e9 photons/s pile-up alone removes 1.7 %, as in a real SDD.
    foil = _foil()
    instrument = _small(flux_photons_per_s=1.0e8, self_absorption=False,
                        scan=RasterScan(field_um=(0.48, 0.12), step_nm=20.0, dwell_s=0.5, jitter_nm=0.0))
    data = instrument.acquire(foil, [0.0], seed=1, progress=False)
    series = data.xrf["Ni"]
    inside = series.data[0][:, 6:-6]           # away from the foil's ends, blurred by the 20 nm probe
    assert float(inside.mean()) == pytest.approx(material("Ni").density_g_cm3 * 20.0, rel=0.01)


def test_same_seed_is_bit_identical_and_counts_are_poisson():
    instrument = _small(flux_photons_per_s=1.0e4)
    foil = _foil()
    first = instrument.acquire(foil, [0.0, 30.0], seed=5, progress=False)
    second = instrument.acquire(foil, [0.0, 30.0], seed=5, progress=False)
    third = instrument.acquire(foil, [0.0, 30.0], seed=6, progress=False)
    assert np.array_equal(first.transmission.data, second.transmission.data)
    assert np.array_equal(first.spectra, second.spectra)
    assert not np.array_equal(first.transmission.data, third.transmission.data)
    # Bright field in vacuum (T = 1): 500 photons at each of 10⁴ points, Poisson: variance = mean.
    empty = phantoms.Phantom(np.zeros((1, 4, 8, 8), np.float32), (material("Ni"),), voxel_nm=20.0)
    wide = _small(flux_photons_per_s=1.0e4, scan=RasterScan(field_um=(2.0, 2.0), step_nm=20.0, dwell_s=0.05))
    counts = np.exp(-wide.acquire(empty, [0.0], seed=2, progress=False).transmission.data[0]) * 500.0
    assert counts.size == 10_000
    assert float(counts.var() / counts.mean()) == pytest.approx(1.0, abs=0.05)   # 5σ of the ratio's 1.4 % spread


def test_projection_level_dpc_equals_the_centre_of_mass_of_the_patterns():
    # The instrument computes DPC as the probe-intensity-weighted phase gradient; the centre of mass of
    # far-field patterns of the same thin phase object gives ⟨∇φ⟩ exactly for a phase linear over the
    # probe, so on a weak smooth object the two agree to a few % of the signal.
    n, voxel = 48, 5.0
    z = np.arange(n) - n / 2
    bump = np.exp(-(z[:, None] ** 2 + z[None, :] ** 2) / (2 * 8.0**2))
    fractions = np.zeros((1, n, 6, n), np.float32)
    fractions[0, :, :, :] = bump[:, None, :]
    sample = phantoms.Phantom(fractions, (material("a-C"),), voxel_nm=voxel)   # C Kα is not detected: no pile-up
    scan = RasterScan(field_um=(0.12, 0.12), step_nm=5.0, dwell_s=0.01, jitter_nm=0.0)
    instrument = Nanoprobe(energy_kev=10.0, probe_fwhm_nm=10.0, scan=scan, background_cps_per_kev=0.0,
                           flux_photons_per_s=1e14)
    data = instrument.acquire(sample, [0.0], seed=0, progress=False)
    delta, beta = project_refractive_index(sample.delta(10.0), sample.beta(10.0), [0.0], voxel_nm=voxel)
    obj = complex_transmission(np.pad(delta[0], 16), np.pad(beta[0], 16) * 0.0, 10.0)
    probe = instrument.probe(voxel, 32)
    rows, cols = np.meshgrid(np.arange(24) + 12, np.arange(24) + 12, indexing="ij")
    corners = np.stack([rows.ravel(), cols.ravel()], axis=1)      # probe centre on object pixel corner + 16
    patterns = diffraction_patterns(obj, probe, corners)
    com = phase_gradient(patterns, pixel_nm=voxel).reshape(24, 24, 2)
    dpc = data.dpc_rad_per_nm[0][:, :24, :24]
    signal = float(np.abs(com).max())
    assert signal > 1e-5
    np.testing.assert_allclose(np.moveaxis(dpc, 0, -1), com, atol=0.05 * signal)


def test_bad_input_raises_clearly():
    with pytest.raises(ValidationError, match="step_nm"):
        RasterScan(field_um=(1.0, 1.0), step_nm=0.0, dwell_s=0.05)
    with pytest.raises(ValidationError, match="dwell_s"):
        RasterScan(field_um=(1.0, 1.0), step_nm=10.0, dwell_s=-1.0)
    with pytest.raises(ValidationError, match="distance_mm"):
        _small(detector=XrfDetector(distance_mm=1e-4)).acquire(_foil(), [0.0], progress=False)
    with pytest.raises(ValidationError, match="ptycho_step_nm"):
        instruments.preset("hxn-nanoprobe", ptycho_defocus_nm=0.0, ptycho_step_nm=60.0).ptychography(_foil())
    with pytest.raises(ValidationError, match="detector_side"):
        _small(detector_side=0)
    with pytest.raises(ValidationError, match="Au"):          # Au L3 edge 11.9 keV: nothing excited at 10 keV
        _small().acquire(_foil(), [0.0], elements=("Ni", "Au"), progress=False)


def test_partial_coherence_widens_the_probe_and_keeps_the_photons():
    # Gaussian probe (20 nm) ⊗ Gaussian source image (15 nm): FWHM √(20² + 15²) = 25 nm, flux unchanged.
    coherent = _small(probe_fwhm_nm=20.0).probe_kernel(2.0)
    mixed = _small(probe_fwhm_nm=20.0, source_fwhm_nm=15.0).probe_kernel(2.0)
    assert probe_fwhm_nm(np.sqrt(coherent), 2.0) == pytest.approx(20.0, rel=0.02)
    assert probe_fwhm_nm(np.sqrt(mixed), 2.0) == pytest.approx(25.0, rel=0.02)
    sample = _foil()
    patterns = [replace(instruments.preset("hxn-nanoprobe"), source_fwhm_nm=f, ptycho_field_um=0.1,
                        ptycho_pattern_px=32, ptycho_pixel_nm=16.0).ptychography(sample, seed=3).patterns
                for f in (0.0, 20.0)]
    # The incoherent mixture of the 9 source modes keeps the photons per pattern (Poisson spread 1/√(5e7)).
    assert patterns[1].sum() == pytest.approx(patterns[0].sum(), rel=1e-3)
