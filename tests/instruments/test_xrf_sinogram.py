"""XRF sinograms of a phantom: the truth is the element's mass density; self-absorption distorts the signal."""

import numpy as np
import pytest

import phantoms
from instruments.xrf_sinogram import element_concentrations, xrf_sinograms
from phantoms.library import material
from sim.errors import ValidationError


def _two_materials():
    """A NiO square and an Au square side by side, 100 nm voxels."""
    fractions = np.zeros((2, 1, 24, 24), np.float32)
    fractions[0, 0, 6:18, 3:11] = 1.0
    fractions[1, 0, 6:18, 13:21] = 1.0
    return phantoms.Phantom(fractions, (material("NiO"), material("Au")), voxel_nm=100.0)


def test_element_maps_are_fraction_times_density_times_mass_fraction():
    phantom = _two_materials()
    maps = element_concentrations(phantom, 0)
    nio = material("NiO")
    ni = nio.density_g_cm3 * nio.mass_fractions[28]
    assert maps["Ni"][10, 5] == pytest.approx(ni) and maps["Ni"][10, 15] == 0.0
    assert maps["Au"][10, 15] == pytest.approx(material("Au").density_g_cm3)


def test_without_attenuation_the_sinogram_is_the_projected_concentration():
    """Self-absorption off: the Ni Kα sinogram's sum over columns is the same at every angle (mass is conserved);
    with it, the Au next to the NiO absorbs Ni Kα on its way out, so the signal drops at angles where the detector
    looks through the Au, and the total falls below the attenuation-free one."""
    phantom = _two_materials()
    angles = np.linspace(0, 360, 9, endpoint=False)
    free = xrf_sinograms(phantom, 12.0, angles, self_absorption=False, progress=False).lines["Ni Ka"].sum(axis=1)
    np.testing.assert_allclose(free, free.mean(), rtol=0.01)
    real = xrf_sinograms(phantom, 12.0, angles, progress=False).lines["Ni Ka"].sum(axis=1)
    assert np.all(real < free)
    assert real.max() > 1.3 * real.min()  # measured 1.48: the Au shadows the NiO at some angles, not at others
    assert np.argmin(real) == 0  # at 0° the detector (+x) looks at the NiO through the Au beside it


def test_an_energy_that_excites_nothing_is_refused():
    """Pure gold at 1 keV excites no K or L line (L3 edge 11.9 keV; M lines are not modelled): a clear error."""
    fractions = np.ones((1, 1, 4, 4), np.float32)
    gold = phantoms.Phantom(fractions, (material("Au"),), voxel_nm=100.0)
    with pytest.raises(ValidationError, match="energy_kev"):
        xrf_sinograms(gold, 1.0, [0.0], progress=False)
    with pytest.raises(ValidationError, match="row"):
        xrf_sinograms(gold, 20.0, [0.0], row=3, progress=False)
