"""Full-field transmission X-ray microscope (TXM), absorption contrast.

Fidelity ``projection``: straight-ray Beer–Lambert transmission through the
phantom's materials at one photon energy, ideal optics, a detector with a
quantum efficiency and dark signal, and Poisson counting noise. Flat (white)
and dark frames are recorded with the series, as at a beamline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from instruments.binning import bin_factor, block_mean
from phantoms.material import ENERGY_RANGE_KEV
from sim import validate
from sim.errors import ValidationError
from sim.noise import generator, poisson_counts
from sim.projector import project
from sim.scheme import TiltScheme
from sim.tiltseries import TiltSeries
from sim.version import __version__
from sim.volume import Volume

FIDELITY_LEVELS = ("projection",)


@dataclass(frozen=True)
class TXM:
    """Configuration of an absorption-contrast TXM; :meth:`acquire` records a series.

    Parameters
    ----------
    energy_kev : float
        Photon energy [keV], within xraylib's tabulated range
        (``phantoms.ENERGY_RANGE_KEV``, 0.1–800 keV).
    photons_per_pixel : float
        Incident photons per detector pixel per view (flux × exposure) [photons].
    pixel_nm : float, optional
        Detector pixel referred to the sample [nm]; ``None`` = the phantom's
        voxel. Must be an integer multiple of the voxel (the phantom is block
        averaged onto the detector grid, and so is the ground truth).
    detector_efficiency : float
        Fraction of incident photons detected, in (0, 1].
    dark_counts : float
        Mean dark signal per pixel per frame [counts] (Poisson).
    n_flats, n_darks : int
        Number of flat (beam, no sample) and dark (no beam) frames.
    fidelity : str
        Model level; this instrument offers ``"projection"``.

    Examples
    --------
    >>> TXM(energy_kev=8.0, photons_per_pixel=1e4).fidelity
    'projection'
    >>> TXM(energy_kev=8.0, photons_per_pixel=0)
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: photons_per_pixel = 0 is not allowed; allowed: a finite number > 0 photons
    """

    energy_kev: float = 8.0
    photons_per_pixel: float = 1.0e4
    pixel_nm: float | None = None
    detector_efficiency: float = 1.0
    dark_counts: float = 0.0
    n_flats: int = 10
    n_darks: int = 10
    fidelity: str = "projection"

    def __post_init__(self):
        validate.in_range("energy_kev", self.energy_kev, *ENERGY_RANGE_KEV, "keV")
        validate.positive("photons_per_pixel", self.photons_per_pixel, "photons")
        if self.pixel_nm is not None:
            validate.positive("pixel_nm", self.pixel_nm, "nm")
        validate.in_range("detector_efficiency", self.detector_efficiency, 1e-6, 1.0)
        validate.non_negative("dark_counts", self.dark_counts, "counts")
        for name, low in (("n_flats", 1), ("n_darks", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or int(value) != value or value < low:
                raise ValidationError(name, value, f"an integer >= {low}")
        if self.fidelity not in FIDELITY_LEVELS:
            raise ValidationError("fidelity", self.fidelity, f"one of {FIDELITY_LEVELS}")

    def ground_truth(self, phantom) -> Volume:
        """μ [1/nm] at this energy on the detector grid: what an ideal reconstruction recovers."""
        mu = phantom.mu_per_nm(self.energy_kev)
        factor = bin_factor(self.pixel_nm, mu.voxel_nm)
        if factor == 1:
            return mu
        return Volume(block_mean(mu.data, factor), voxel_nm=mu.voxel_nm * factor, quantity=mu.quantity, unit=mu.unit)

    def acquire(self, phantom, scheme, *, seed, n_cols: int | None = None) -> TiltSeries:
        """Record a tilt series of ``phantom`` (counts, with flats and darks).

        Parameters
        ----------
        phantom : phantoms.Phantom
            The sample (materials and volume fractions).
        scheme : TiltScheme or array_like
            Tilt angles [deg] in acquisition order.
        seed : int or numpy.random.Generator
            All noise is drawn from this; the same seed gives the same series.
        n_cols : int, optional
            Detector width [px]; default the volume's ``n_x``.

        Returns
        -------
        TiltSeries
            ``values="counts"`` with flat and dark frames, dose in
            photons/pixel per view, the ground truth μ [1/nm] and provenance.
        """
        rng = generator(seed)
        angles = scheme if isinstance(scheme, TiltScheme) else TiltScheme.from_angles(scheme)
        truth = self.ground_truth(phantom)
        optical_depth = project(truth, angles.angles_deg, n_cols=n_cols)
        detected = self.photons_per_pixel * self.detector_efficiency
        frame = optical_depth.shape[1:]
        flats = np.stack([self._frame(np.full(frame, detected), rng) for _ in range(self.n_flats)])
        darks = [poisson_counts(np.full(frame, self.dark_counts), rng) for _ in range(self.n_darks)]
        counts = self._frame(detected * np.exp(-optical_depth.astype(np.float64)), rng)
        provenance = {
            "instrument": "TXM",
            "fidelity": self.fidelity,
            "seed": seed if not isinstance(seed, np.random.Generator) else "numpy.random.Generator",
            "version": __version__,
            "parameters": asdict(self),
            "scheme": {"order": angles.order, "n_views": len(angles)},
            "phantom": {"name": getattr(phantom, "name", None), "params": getattr(phantom, "params", None)},
        }
        return TiltSeries(
            counts,
            angles_deg=angles.angles_deg,
            pixel_nm=truth.voxel_nm,
            values="counts",
            unit="counts",
            dose_per_view=np.full(len(angles), self.photons_per_pixel),
            dose_unit="photons/pixel",
            flat=flats,
            dark=np.stack(darks) if darks else None,
            ground_truth=truth,
            phantom=phantom,
            provenance=provenance,
        )

    def _frame(self, expected_photons: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Detected photons plus dark signal, each Poisson distributed."""
        counts = poisson_counts(expected_photons, rng)
        if self.dark_counts:
            counts += poisson_counts(np.full(counts.shape, self.dark_counts), rng)
        return counts
