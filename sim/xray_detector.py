"""X-ray area detectors of full-field microscopes: scintillator, lens, camera.

A TXM images the sample, magnified by the objective, onto a scintillator; the
visible light is relayed by a lens or fibre optic to a CCD/sCMOS camera
(Chao et al., Nature 435, 1210 (2005); Andrews et al., Microsc. Microanal. 16,
327 (2010)). Per pixel and exposure, the recorded signal is modelled as:

1. X-ray absorption in the scintillator: each incident photon is absorbed
   with probability ``quantum_efficiency`` (a binomially selected Poisson
   process is Poisson: Barrett & Myers, *Foundations of Image Science*, 2004,
   ch. 11), so the absorbed photons are Poisson with mean ``QE·N``.
2. Light spread in the scintillator and relay optics: a Gaussian of standard
   deviation ``psf_px`` [detector px] blurs the absorbed photons, signal and
   noise alike (a deterministic blur after counting), so the noise becomes
   correlated and its per-pixel variance drops by ``Σ k²`` of the kernel.
3. Dark current: Poisson electrons at ``dark_current_e_per_s`` per pixel.
4. Read-out: Gaussian noise of ``readout_noise_e`` electrons rms per frame.

The camera output is reported in *detected-photon units* (electrons divided
by the electrons per absorbed X-ray, ``gain_e_per_photon``), so the mean
signal of a bright pixel is ``QE·N`` plus the dark signal. Default values are
those of an ideal counter (QE 1, no spread, no dark or read noise); the
instrument presets give realistic ones.

Not modelled: saturation (full well), fixed-pattern noise, lag.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from sim import validate
from sim.noise import poisson_counts


@dataclass(frozen=True)
class XrayDetector:
    """A scintillator–lens–camera detector; :meth:`record` turns expected photons into a frame.

    Parameters
    ----------
    quantum_efficiency : float
        Fraction of the X-rays reaching a pixel that the scintillator absorbs,
        in (0, 1]. A 20 µm LuAG:Ce or CsI scintillator absorbs ~0.3–0.8 at
        8 keV (Martin & Koch, J. Synchrotron Rad. 13, 180 (2006)).
    psf_px : float
        Standard deviation of the scintillator + relay light spread [detector
        px], ≥ 0. Thin-film scintillators at 10–20× optical magnification give
        ~1–2 µm, about one camera pixel (Martin & Koch 2006).
    dark_current_e_per_s : float
        Dark current per pixel [e⁻/s], ≥ 0 (cooled sCMOS: ~0.1–1 e⁻/s).
    readout_noise_e : float
        Read-out noise per pixel and frame [e⁻ rms], ≥ 0 (sCMOS ~1–2 e⁻,
        slow-scan CCD ~3–10 e⁻).
    gain_e_per_photon : float
        Camera electrons per absorbed X-ray photon, > 0 (the light yield
        times the optical coupling and the sensor's quantum efficiency;
        ~1–10 for lens-coupled scintillators at 8 keV).

    Examples
    --------
    >>> det = XrayDetector(quantum_efficiency=0.5)
    >>> frame = det.record(np.full((64, 64), 200.0), exposure_s=1.0, rng=np.random.default_rng(0))
    >>> round(float(frame.mean()) / 100, 1)   # QE·N detected photons
    1.0
    """

    quantum_efficiency: float = 1.0
    psf_px: float = 0.0
    dark_current_e_per_s: float = 0.0
    readout_noise_e: float = 0.0
    gain_e_per_photon: float = 1.0

    def __post_init__(self):
        validate.in_range("quantum_efficiency", self.quantum_efficiency, 1e-6, 1.0)
        validate.non_negative("psf_px", self.psf_px, "px")
        validate.non_negative("dark_current_e_per_s", self.dark_current_e_per_s, "e/s")
        validate.non_negative("readout_noise_e", self.readout_noise_e, "e")
        validate.positive("gain_e_per_photon", self.gain_e_per_photon, "e/photon")

    def dark_signal(self, exposure_s: float) -> float:
        """Mean dark signal of one frame [detected-photon units]."""
        return self.dark_current_e_per_s * exposure_s / self.gain_e_per_photon

    def blur(self, image: np.ndarray) -> np.ndarray:
        """The scintillator + relay light spread applied to each frame of ``image`` (last two axes)."""
        if self.psf_px == 0:
            return image
        sigma = (0,) * (image.ndim - 2) + (self.psf_px, self.psf_px)
        return ndimage.gaussian_filter(image, sigma, mode="reflect")

    def record(self, expected_photons: np.ndarray, *, exposure_s: float, rng: np.random.Generator) -> np.ndarray:
        """One or several frames [detected-photon units] from the expected incident photons per pixel.

        Parameters
        ----------
        expected_photons : ndarray, (..., rows, cols)
            Mean X-ray photons reaching each pixel during the exposure.
        exposure_s : float
            Exposure time [s] (sets the dark signal).
        rng : numpy.random.Generator
            The acquisition's generator.

        Returns
        -------
        ndarray of float32, the shape of ``expected_photons``
            Absorbed photons (Poisson), blurred, plus dark (Poisson) and
            read-out (Gaussian) noise, in detected-photon units; can be
            slightly negative where read-out noise dominates, as a camera
            with its offset subtracted reports.
        """
        validate.non_negative("exposure_s", exposure_s, "s")
        absorbed = poisson_counts(self.quantum_efficiency * np.asarray(expected_photons, dtype=np.float64), rng)
        frame = self.blur(absorbed).astype(np.float64)
        electrons_dark = self.dark_current_e_per_s * exposure_s
        if electrons_dark > 0:
            frame += poisson_counts(np.full(frame.shape, electrons_dark), rng) / self.gain_e_per_photon
        if self.readout_noise_e > 0:
            frame += rng.normal(0.0, self.readout_noise_e / self.gain_e_per_photon, frame.shape)
        return frame.astype(np.float32)

    def noise_variance(self, expected_photons: float, exposure_s: float) -> float:
        """Variance of a uniformly lit pixel [detected-photon units²], the closed form of :meth:`record`.

        ``QE·N·Σk² + dark/gain² + (read/gain)²`` with ``Σk²`` the sum of the
        squared blur kernel (1 without blur).
        """
        impulse = np.zeros((65, 65))
        impulse[32, 32] = 1.0
        kernel_power = float(np.sum(self.blur(impulse) ** 2))
        gain = self.gain_e_per_photon
        return (self.quantum_efficiency * expected_photons * kernel_power
                + self.dark_current_e_per_s * exposure_s / gain**2 + (self.readout_noise_e / gain) ** 2)
