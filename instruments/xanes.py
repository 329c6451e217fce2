"""Spectro-tomography (TXM-XANES): one tilt series per photon energy across an absorption edge.

The energy scan of a full-field TXM: the monochromator steps through a list
of energies around an edge, and at each a full tilt series is recorded with
the same instrument otherwise (``dataclasses.replace(txm, energy_kev=E)``),
giving a 4-D dataset (energy × angle × row × column). The series carries
what the standard analysis needs to be scored: μ at each energy, the true
state fractions and the reference spectra of the pure states.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from instruments.binning import bin_factor, block_mean
from instruments.txm import TXM
from phantoms.material import check_energy
from phantoms.xanes import ChemicalMap
from sim import validate
from sim.errors import ValidationError
from sim.noise import generator
from sim.progress import track
from sim.tiltseries import TiltSeries


@dataclass(frozen=True, eq=False)
class XanesSeries:
    """An energy scan: one :class:`~sim.TiltSeries` per energy, with the chemical ground truth.

    Attributes
    ----------
    series : tuple of TiltSeries
        One per energy, in the order of ``energies_kev``; each carries its
        ground truth μ [1/nm] at its energy.
    energies_kev : ndarray, shape (n_E,)
        Photon energies [keV], strictly increasing.
    state_names : tuple of str
        The chemical states, in the order of the fraction maps.
    true_fractions : ndarray, shape (n_states, n_rows, n_z, n_x)
        Fraction [1] of the absorber in each state on the detector grid (the
        phantom's, block averaged like the ground truth μ), 0 where the
        carrying material is absent.
    material_fraction : ndarray, shape (n_rows, n_z, n_x)
        Volume fraction [1] of the carrying material on the same grid.
    reference_spectra : ndarray, shape (n_states, n_E)
        μ [1/nm] of the bulk material in each pure state at each energy.
    chemical_map : ChemicalMap
        The sample.
    """

    series: tuple
    energies_kev: np.ndarray
    state_names: tuple
    true_fractions: np.ndarray
    material_fraction: np.ndarray
    reference_spectra: np.ndarray
    chemical_map: ChemicalMap

    def __len__(self) -> int:
        return len(self.series)

    @property
    def ground_truth(self) -> np.ndarray:
        """μ [1/nm] at each energy, shape ``(n_E, n_rows, n_z, n_x)``."""
        return np.stack([s.ground_truth.data for s in self.series])

    @property
    def data(self) -> np.ndarray:
        """The recorded counts, shape ``(n_E, n_angles, n_rows, n_cols)``."""
        return np.stack([s.data for s in self.series])


def energy_scan(
    txm: TXM,
    chemical_map: ChemicalMap,
    energies_kev,
    scheme,
    *,
    seed,
    progress: bool = True,
) -> XanesSeries:
    """Record a tilt series at each energy of ``energies_kev`` with ``txm``.

    Parameters
    ----------
    txm : instruments.TXM
        The instrument; its ``energy_kev`` is replaced by each scan energy,
        everything else (photons per pixel, detector, flats) is kept.
    chemical_map : phantoms.xanes.ChemicalMap
        The sample, with its chemical states.
    energies_kev : array_like, shape (n_E,)
        Scan energies [keV], strictly increasing, each within xraylib's range.
    scheme : sim.TiltScheme or array_like
        Tilt angles [deg], the same at every energy.
    seed : int or numpy.random.Generator
        All noise comes from this; the energies draw in turn from one stream,
        so the same seed gives the same 4-D dataset.
    progress : bool
        Show a progress bar over energies.

    Returns
    -------
    XanesSeries

    Examples
    --------
    >>> from phantoms.xanes import two_state_particle
    >>> m = two_state_particle(n=6, voxel_nm=50.0)
    >>> scan = energy_scan(TXM(photons_per_pixel=1e4), m, [8.33, 8.35], [0.0, 90.0], seed=1, progress=False)
    >>> len(scan), scan.series[1].data.shape, scan.reference_spectra.shape
    (2, (2, 6, 6), (2, 2))
    """
    if not isinstance(txm, TXM):
        raise ValidationError("txm", type(txm).__name__, "an instruments.TXM")
    if not isinstance(chemical_map, ChemicalMap):
        raise ValidationError("chemical_map", type(chemical_map).__name__, "a phantoms.xanes.ChemicalMap")
    energies = validate.finite_array("energies_kev", energies_kev, 1, "(n_E,)", np.float64)
    for energy in energies:
        check_energy(energy)
    if np.any(np.diff(energies) <= 0):
        raise ValidationError("energies_kev", energies.tolist(), "strictly increasing energies [keV]")
    rng = generator(seed)
    series: list[TiltSeries] = []
    for energy in track(energies, description="energy scan", total=energies.size, enabled=progress):
        recorded = replace(txm, energy_kev=float(energy)).acquire(chemical_map, scheme, seed=rng)
        scan = {"energies_kev": energies.tolist(), "states": list(chemical_map.state_names)}
        series.append(replace(recorded, provenance={**recorded.provenance, "energy_scan": scan}))
    factor = bin_factor(txm.pixel_nm, chemical_map.voxel_nm)
    material = chemical_map.material_fraction
    binned_material = block_mean(material, factor)
    amounts = np.stack([block_mean(material * f, factor) for f in chemical_map.state_fractions])
    fractions = np.divide(amounts, binned_material, out=np.zeros_like(amounts), where=binned_material > 0)
    return XanesSeries(
        series=tuple(series),
        energies_kev=energies,
        state_names=chemical_map.state_names,
        true_fractions=validate.frozen(fractions.astype(np.float32)),
        material_fraction=validate.frozen(np.asarray(binned_material, dtype=np.float32)),
        reference_spectra=validate.frozen(chemical_map.reference_spectra(energies)),
        chemical_map=chemical_map,
    )
