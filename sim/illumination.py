"""The incident beam of a full-field microscope: its non-uniform profile and how it drifts.

The condenser's illumination of the field of view is not flat: the source,
the monochromator and the condenser leave a structured profile of a few per
cent, and it moves (thermal drift of the optics) and decays (storage-ring
current) while a series is recorded. Flat fields taken before the series
correct the profile only as it was then; what moved shows up as residual
structure after flat correction, the cause of ring and band artefacts
(Jailin et al., J. Synchrotron Rad. 24, 220 (2017); Van Nieuwenhove et al.,
Opt. Express 23, 27975 (2015)).

Model: a smooth random profile ``p(r)`` of mean 1, relative rms
``non_uniformity`` and Gaussian correlation length ``correlation_px``, seen at
a time ``t`` (fraction of the series, 0 at the flats) shifted by
``t·drift_px`` along the rows (the vertical drift typical of monochromator
heat load) and scaled by ``1 − t·decay``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from sim import validate


@dataclass(frozen=True)
class Illumination:
    """Beam profile on the detector and its drift over a series.

    Parameters
    ----------
    non_uniformity : float
        Relative rms of the profile, ≥ 0 (0: a flat beam). A few per cent is
        typical after a diffuser (Jailin et al. 2017).
    correlation_px : float
        Correlation length of the profile's structure [detector px], > 0.
    drift_px : float
        Shift of the profile along the rows from the flat fields to the end
        of the series [px].
    decay : float
        Relative intensity lost from the flats to the end of the series, in
        [0, 1) (decay mode: ~1 %/h; top-up: ~0).

    Examples
    --------
    >>> beam = Illumination(non_uniformity=0.05, correlation_px=8)
    >>> p = beam.profile((64, 64), np.random.default_rng(0))
    >>> round(float(p.mean()), 6), round(float(p.std()), 3)
    (1.0, 0.05)
    """

    non_uniformity: float = 0.0
    correlation_px: float = 20.0
    drift_px: float = 0.0
    decay: float = 0.0

    def __post_init__(self):
        validate.in_range("non_uniformity", self.non_uniformity, 0.0, 0.5)
        validate.positive("correlation_px", self.correlation_px, "px")
        validate.in_range("drift_px", self.drift_px, -1e4, 1e4, "px")
        validate.in_range("decay", self.decay, 0.0, 0.999)

    def profile(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        """A random beam profile of mean 1 and relative rms ``non_uniformity`` (float64, ``shape``)."""
        if self.non_uniformity == 0:
            return np.ones(shape)
        field = ndimage.gaussian_filter(rng.standard_normal(shape), self.correlation_px, mode="wrap")
        field -= field.mean()
        return 1.0 + self.non_uniformity * field / field.std()

    def at(self, profile: np.ndarray, time_fraction) -> np.ndarray:
        """The profile at times ``time_fraction`` of the series (0 = flats, 1 = end), shape ``(n, *profile.shape)``."""
        times = np.atleast_1d(np.asarray(time_fraction, dtype=np.float64))
        frames = np.empty((times.size, *profile.shape))
        for i, t in enumerate(times):
            moved = profile if self.drift_px == 0 else ndimage.shift(profile, (t * self.drift_px, 0), order=3,
                                                                      mode="wrap")
            frames[i] = moved * (1.0 - t * self.decay)
        return frames
