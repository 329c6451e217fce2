"""Full-field transmission X-ray microscope (TXM), absorption contrast.

Fidelity ``projection``: straight-ray Beer–Lambert transmission through the
phantom's materials at one photon energy and ideal optics. The beam has a
structured profile that drifts and decays over the scan
(:class:`sim.illumination.Illumination`); the camera absorbs photons with a
quantum efficiency, spreads the light, and adds dark current and read-out
noise (:class:`sim.xray_detector.XrayDetector`). Flat (white) and dark frames
are recorded before the views, as at a beamline, so a beam that moved leaves
residual structure after flat correction. The scan's time comes from the
exposure, readout, rotation and flats (:class:`sim.scan_time.ScanTiming`);
each view's time is recorded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from instruments.binning import bin_factor, block_mean
from phantoms.material import ENERGY_RANGE_KEV
from sim import validate
from sim.errors import ValidationError
from sim.illumination import Illumination
from sim.noise import generator
from sim.projector import project
from sim.scan_time import ScanTiming, scan_time
from sim.scheme import TiltScheme
from sim.tiltseries import TiltSeries
from sim.version import __version__
from sim.volume import Volume
from sim.xray_detector import XrayDetector

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
    detector : sim.xray_detector.XrayDetector
        The camera: quantum efficiency, light spread, dark current, read-out
        noise (default: an ideal counter).
    illumination : sim.illumination.Illumination
        The beam profile and its drift and decay over the scan (default: flat
        and still).
    timing : sim.scan_time.ScanTiming
        Exposure, readout, rotation and flat-field times (the exposure also
        sets the dark signal).
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
    detector: XrayDetector = field(default_factory=XrayDetector)
    illumination: Illumination = field(default_factory=Illumination)
    timing: ScanTiming = field(default_factory=ScanTiming)
    n_flats: int = 10
    n_darks: int = 10
    fidelity: str = "projection"

    def __post_init__(self):
        validate.in_range("energy_kev", self.energy_kev, *ENERGY_RANGE_KEV, "keV")
        validate.positive("photons_per_pixel", self.photons_per_pixel, "photons")
        if self.pixel_nm is not None:
            validate.positive("pixel_nm", self.pixel_nm, "nm")
        for name, kind in (("detector", XrayDetector), ("illumination", Illumination), ("timing", ScanTiming)):
            if not isinstance(getattr(self, name), kind):
                raise ValidationError(name, getattr(self, name), f"a {kind.__module__}.{kind.__name__}")
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
        frame = optical_depth.shape[1:]
        exposure = self.timing.exposure_s
        profile = self.illumination.profile(frame, rng)
        times = np.arange(len(angles)) / max(len(angles) - 1, 1)
        beam = self.photons_per_pixel * self.illumination.at(profile, times)
        flats = self.detector.record(np.broadcast_to(self.photons_per_pixel * profile, (self.n_flats, *frame)),
                                     exposure_s=exposure, rng=rng)
        darks = self.detector.record(np.zeros((self.n_darks, *frame)), exposure_s=exposure, rng=rng)
        counts = self.detector.record(beam * np.exp(-optical_depth.astype(np.float64)), exposure_s=exposure, rng=rng)
        budget = scan_time(self.timing, n_views=len(angles), range_deg=max(float(np.ptp(angles.angles_deg)), 1e-3))
        view_s = budget["projections_s"] / len(angles) + budget["rotation_s"] / max(len(angles) - 1, 1)
        start = budget["flats_darks_s"]
        provenance = {
            "instrument": "TXM",
            "fidelity": self.fidelity,
            "seed": seed if not isinstance(seed, np.random.Generator) else "numpy.random.Generator",
            "version": __version__,
            "parameters": asdict(self),
            "scheme": {"order": angles.order, "n_views": len(angles)},
            "scan_time_s": budget,
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
            dark=darks if self.n_darks else None,
            ground_truth=truth,
            phantom=phantom,
            provenance=provenance,
            views={"time_s": start + view_s * np.arange(len(angles))},
        )
