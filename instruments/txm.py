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

Fidelity ``wave``: the complex transmission of each view (projection
approximation: exp(−k∫β dz − ik∫δ dz)) imaged by the zone-plate objective under
the condenser's partially coherent illumination, with defocus and an optional
Zernike phase ring (:mod:`instruments.txm_optics`); the zone plate's
first-order efficiency scales the detected photons.

Fidelity ``multislice``: as ``wave``, but the wave diffracts inside the
sample, slab by slab, before the objective images its centre plane
(:mod:`instruments.txm_multislice`): for samples thicker than the depth of focus.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np

from instruments.binning import bin_factor, block_mean
from instruments.txm_multislice import multislice_intensity
from instruments.txm_optics import image_intensity
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
from sim.xray_wave import project_refractive_index
from sim.zone_plate import ZonePlate

FIDELITY_LEVELS = ("projection", "wave", "multislice")


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
    zone_plate : sim.zone_plate.ZonePlate
        The objective (``wave`` level): diameter, outermost zone, central
        stop, efficiency. Default: D = 160 µm, Δr_N = 25 nm (Rayleigh 30.5 nm),
        a 30 % central stop, 15 % efficiency (hard-X-ray Au zone plates reach
        ~10–30 %: Howells et al. 2007).
    condenser_sigma_inner, condenser_sigma_outer : float
        The condenser's hollow cone as fractions of the objective's NA
        (``wave`` level); a capillary condenser matched to the zone plate
        fills ~0.6–0.9 of it (assumed).
    zernike_phase_rad : float, optional
        Phase shift of a Zernike ring matched to the condenser annulus [rad]
        (``+π/2`` positive, ``−π/2`` negative phase contrast); None: no ring.
    ring_transmission : float
        Intensity transmission of the phase ring, in (0, 1].
    defocus_nm : float
        Defocus of the objective [nm] (``wave`` level).
    n_source_points : int
        Condenser points summed in the partially coherent image (``wave``).
    slab_nm : float, optional
        Slab thickness of the ``multislice`` level [nm]; default a tenth of
        the zone plate's depth of focus, at least a voxel.
    n_flats, n_darks : int
        Number of flat (beam, no sample) and dark (no beam) frames.
    fidelity : str
        Model level: ``"projection"`` (ideal optics), ``"wave"`` or ``"multislice"``.

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
    zone_plate: ZonePlate = field(default_factory=lambda: ZonePlate(diameter_um=160.0, outer_zone_nm=25.0,
                                                                    central_stop_fraction=0.3, efficiency=0.15))
    condenser_sigma_inner: float = 0.6
    condenser_sigma_outer: float = 0.9
    zernike_phase_rad: float | None = None
    ring_transmission: float = 0.25
    defocus_nm: float = 0.0
    n_source_points: int = 64
    slab_nm: float | None = None
    n_flats: int = 10
    n_darks: int = 10
    fidelity: str = "projection"

    def __post_init__(self):
        validate.in_range("energy_kev", self.energy_kev, *ENERGY_RANGE_KEV, "keV")
        validate.positive("photons_per_pixel", self.photons_per_pixel, "photons")
        if self.pixel_nm is not None:
            validate.positive("pixel_nm", self.pixel_nm, "nm")
        validate.in_range("condenser_sigma_outer", self.condenser_sigma_outer, 0.0, 2.0)
        validate.in_range("condenser_sigma_inner", self.condenser_sigma_inner, 0.0, self.condenser_sigma_outer)
        if self.zernike_phase_rad is not None:
            validate.in_range("zernike_phase_rad", self.zernike_phase_rad, -np.pi, np.pi, "rad")
            if self.condenser_sigma_outer <= self.condenser_sigma_inner:
                raise ValidationError("condenser_sigma_inner", self.condenser_sigma_inner,
                                      "below condenser_sigma_outer: a Zernike ring needs an annular condenser")
            if self.condenser_sigma_outer > 1.0:
                raise ValidationError("condenser_sigma_outer", self.condenser_sigma_outer,
                                      "<= 1 with a Zernike ring: the ring, matched to the condenser, must fit "
                                      "inside the objective's pupil")
        validate.in_range("ring_transmission", self.ring_transmission, 1e-6, 1.0)
        validate.in_range("defocus_nm", self.defocus_nm, -1e7, 1e7, "nm")
        if self.slab_nm is not None:
            validate.positive("slab_nm", self.slab_nm, "nm")
        if isinstance(self.n_source_points, bool) or int(self.n_source_points) != self.n_source_points \
                or self.n_source_points < 1:
            raise ValidationError("n_source_points", self.n_source_points, "an integer >= 1")
        for name, kind in (("detector", XrayDetector), ("illumination", Illumination), ("timing", ScanTiming),
                           ("zone_plate", ZonePlate)):
            if not isinstance(getattr(self, name), kind):
                raise ValidationError(name, getattr(self, name), f"a {kind.__module__}.{kind.__name__}")
        for name, low in (("n_flats", 1), ("n_darks", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or int(value) != value or value < low:
                raise ValidationError(name, value, f"an integer >= {low}")
        if self.fidelity not in FIDELITY_LEVELS:
            raise ValidationError("fidelity", self.fidelity, f"one of {FIDELITY_LEVELS}")

    def ground_truth(self, phantom) -> Volume:
        """μ [1/nm] at this energy on the detector grid: what an ideal reconstruction recovers.

        The same at every level: at ``wave`` and ``multislice`` the line
        integrals −log(I/I₀) also carry phase effects (edge fringes, defocus),
        and with a Zernike ring they are not a linear measure of μ or of δ
        (halo, shade-off): scores against μ show how far from quantitative
        such a series is. ``Phantom.delta(E)`` is the phase quantity.
        """
        mu = phantom.mu_per_nm(self.energy_kev)
        factor = bin_factor(self.pixel_nm, mu.voxel_nm)
        if factor == 1:
            return mu
        return Volume(block_mean(mu.data, factor), voxel_nm=mu.voxel_nm * factor, quantity=mu.quantity, unit=mu.unit)

    @classmethod
    def from_flux(cls, flux_photons_per_s_per_um2: float, *, pixel_nm: float, exposure_s: float, **params) -> "TXM":
        """A TXM whose photons per pixel come from the flux density at the sample and the exposure.

        ``photons_per_pixel = flux × (pixel_nm/1000)² × exposure_s``; the
        exposure also goes into ``timing`` (the scan time and the dark
        signal). The zone plate's efficiency and the camera's QE then act on
        these photons (``wave`` level; QE only at ``projection``).

        Examples
        --------
        >>> txm = TXM.from_flux(5e8, pixel_nm=20.0, exposure_s=0.05)
        >>> round(txm.photons_per_pixel), txm.timing.exposure_s
        (10000, 0.05)
        """
        flux = validate.positive("flux_photons_per_s_per_um2", flux_photons_per_s_per_um2, "photons/s/um^2")
        pixel = validate.positive("pixel_nm", pixel_nm, "nm")
        exposure = validate.positive("exposure_s", exposure_s, "s")
        timing = replace(params.pop("timing", ScanTiming()), exposure_s=exposure)
        return cls(photons_per_pixel=flux * (pixel / 1000.0) ** 2 * exposure, pixel_nm=pixel, timing=timing, **params)

    def resolution_nm(self, pixel_nm: float | None = None) -> dict[str, float]:
        """What limits the resolution [nm]: the zone plate (Rayleigh 1.22·Δr_N) and the pixel (Nyquist 2·pixel).

        ``pixel_nm`` is the detector pixel at the sample [nm], default this
        TXM's; when neither is known (the phantom's voxel, decided at
        acquisition) the pixel term is left out. The zone-plate term holds at
        the ``wave`` and ``multislice`` levels (``projection`` has ideal optics).
        """
        limits = {"zone_plate_rayleigh_nm": self.zone_plate.rayleigh_resolution_nm}
        pixel = self.pixel_nm if pixel_nm is None else validate.positive("pixel_nm", pixel_nm, "nm")
        if pixel is not None:
            limits["pixel_nyquist_nm"] = 2.0 * pixel
        limits["achievable_nm"] = max(limits.values())
        return limits

    def acquire(self, phantom, scheme, *, seed, n_cols: int | None = None, progress: bool = False,
                beam=None) -> TiltSeries:
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
        progress : bool
            Show progress (``wave`` and ``multislice`` levels).
        beam : (ndarray, ndarray), optional
            ``(profile, time_fractions)``: the beam profile of the scan
            (:meth:`sim.illumination.Illumination.profile`, detector frame
            shape) and each view's time as a fraction of it, for a scan
            recorded in several calls (e.g. a sample that changes meanwhile);
            the flats are those of the profile at time 0. Default: a new
            profile, views evenly spread over the scan.

        Returns
        -------
        TiltSeries
            ``values="counts"`` with flat and dark frames, dose in
            photons/pixel per view, the ground truth μ [1/nm] and provenance.
        """
        rng = generator(seed)
        angles = scheme if isinstance(scheme, TiltScheme) else TiltScheme.from_angles(scheme)
        truth = self.ground_truth(phantom)
        if self.fidelity in ("wave", "multislice"):
            intensity, open_beam = self._wave_intensity(phantom, angles.angles_deg, n_cols, progress)
        else:
            intensity, open_beam = np.exp(-project(truth, angles.angles_deg, n_cols=n_cols).astype(np.float64)), 1.0
        frame = intensity.shape[1:]
        exposure = self.timing.exposure_s
        if beam is None:
            profile = self.illumination.profile(frame, rng)
            times = np.arange(len(angles)) / max(len(angles) - 1, 1)
        else:
            profile, times = _beam(beam, frame, len(angles))
        beam = self.photons_per_pixel * self.illumination.at(profile, times)
        flats = self.detector.record(np.broadcast_to(self.photons_per_pixel * open_beam * profile,
                                                     (self.n_flats, *frame)), exposure_s=exposure, rng=rng)
        darks = self.detector.record(np.zeros((self.n_darks, *frame)), exposure_s=exposure, rng=rng)
        counts = self.detector.record(beam * intensity, exposure_s=exposure, rng=rng)
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
            "resolution_nm": self.resolution_nm(truth.voxel_nm),
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

    def _wave_intensity(self, phantom, angles_deg, n_cols, progress):
        """Zone-plate image intensity of every view and of the open beam (``wave`` and ``multislice`` levels)."""
        factor = bin_factor(self.pixel_nm, phantom.voxel_nm)
        delta, beta = phantom.delta(self.energy_kev), phantom.beta(self.energy_kev)
        if factor > 1:
            delta, beta = (Volume(block_mean(v.data, factor), voxel_nm=v.voxel_nm * factor) for v in (delta, beta))
        if self.fidelity == "multislice":
            return multislice_intensity(delta, beta, angles_deg, self, n_cols=n_cols, progress=progress)
        delta_paths, beta_paths = project_refractive_index(delta, beta, angles_deg, n_cols=n_cols)
        return image_intensity(delta_paths, beta_paths, self, delta.voxel_nm, progress=progress)


def _beam(beam, frame: tuple[int, int], n_views: int):
    """A caller's ``(profile, time_fractions)``: one beam profile for several acquisitions of one scan, checked."""
    try:
        profile, times = beam
    except (TypeError, ValueError):
        raise ValidationError("beam", type(beam).__name__, "(profile, time_fractions) or None") from None
    profile = np.asarray(profile, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    if profile.shape != tuple(frame):
        raise ValidationError("beam.profile.shape", profile.shape, f"the detector frame {tuple(frame)}")
    if times.shape != (n_views,) or not np.all(np.isfinite(times)):
        raise ValidationError("beam.time_fractions", times.shape, f"{n_views} finite fractions of the scan, one per view")
    return profile, times
