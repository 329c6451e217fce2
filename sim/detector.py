"""Electron detectors: efficiency (DQE), resolution (MTF) and the noise they add.

A detector turns the expected number of electrons per pixel into a recorded
image. Three transfer functions describe it (McMullan et al., Ultramicroscopy
109, 1126 (2009), whose definitions we follow):

- the MTF, how the mean signal at spatial frequency ``f`` is transferred;
- the NTF, how the counting noise is transferred (noise power spectrum
  ``NPS(f) = N/DQE0 · NTF²(f)`` for ``N`` electrons per pixel);
- ``DQE(f) = DQE0 · MTF²(f) / NTF²(f)``.

Frequencies are in cycles per pixel (Nyquist = 0.5), arrays in unshifted FFT
layout (``numpy.fft.fftfreq``).

The model, per image (the scheme of Vulović et al., J. Struct. Biol. 183, 19
(2013): signal filtered by MTF/NTF, counted at DQE0, the counts filtered by
the NTF):

1. The mean ``N`` is filtered by ``MTF/NTF``: the pixel aperture
   ``sinc(fx)·sinc(fy)`` (``numpy.sinc``; = sinc(π f / (2 f_N)) with f_N = 1/2,
   2/π at Nyquist) times the Gaussian spread of where an electron is recorded
   (``scatter_sigma_px``). A random displacement of each electron blurs the
   mean but leaves a Poisson process Poisson, so this part does not filter
   the noise.
2. Counting: each electron is detected with probability DQE0, independently
   ("binomial selection"; a binomially selected Poisson process is Poisson:
   Barrett & Myers, *Foundations of Image Science*, Wiley 2004, ch. 11), so
   the counts are Poisson with mean ``DQE0·N``; dividing by DQE0 reports them
   in incident electrons: mean ``N``, variance ``N/DQE0``, white.
3. Integrating detectors only: the light a scintillator emits spreads in the
   scintillator and fibre optic before the sensor integrates it
   (``light_sigma_px``), a deterministic blur of signal and noise alike:
   ``NTF = exp(−2π² σ_light² f²)``, so the NPS falls with frequency.

So a counting detector has NTF = 1 (white noise) and ``DQE(f) = DQE0 ·
MTF²(f)``; an integrating one loses signal both to its low DQE0 and, through
the scatter, at high frequency.

Presets:

- ``COUNTING``: a direct electron detector in counting mode (Gatan K3,
  Falcon 4 class). DQE0 = 0.85, inside the 0.8–0.9 range given for counting
  mode at low dose rate; MTF = the pixel's sinc, the MTF of a perfect
  counting detector, which counting-mode direct detectors approach (McMullan
  et al., Ultramicroscopy 147, 156 (2014)).
- ``INTEGRATING``: a phosphor/fibre-optic-coupled CCD or CMOS camera at
  200–300 kV. DQE0 = 0.4, the middle of the 0.3–0.5 such cameras reach there
  (McMullan et al. 2009). ``scatter_sigma_px = 0.38`` and
  ``light_sigma_px = 0.48`` are chosen so that MTF(Nyquist) ≈ 0.10 and
  DQE(Nyquist)/DQE0 ≈ 0.10: the low transfer at Nyquist of such cameras
  above 120 kV in McMullan et al. (2009) (the exact value depends on the
  camera, voltage and binning).

Not modelled: read-out noise and dark current of integrating cameras,
coincidence loss of counting detectors at high dose rate, aliasing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import validate
from sim.errors import ValidationError
from sim.noise import generator, poisson_counts

KINDS = ("counting", "integrating")


@dataclass(frozen=True)
class Detector:
    """An electron detector: kind, DQE at zero frequency and its MTF model.

    Parameters
    ----------
    kind : {"counting", "integrating"}
        ``"counting"``: events counted one by one, white counting noise.
        ``"integrating"``: scintillator light integrated, noise blurred too.
    dqe0 : float
        Detective quantum efficiency at zero frequency, 0 < DQE0 <= 1.
    scatter_sigma_px : float
        Standard deviation [pixels] of the random spread of where an electron
        is recorded (electron scattering in the sensor or scintillator); blurs
        the signal only. >= 0.
    light_sigma_px : float
        Standard deviation [pixels] of the light spread in the scintillator
        and fibre optic; blurs signal and noise. >= 0, and 0 for a counting
        detector (it has no light).
    name : str
        Label, e.g. the preset's name.

    Examples
    --------
    >>> round(float(COUNTING.mtf((8, 8))[0, 4]), 4)    # sinc at Nyquist = 2/π
    0.6366
    >>> image = COUNTING.record(np.full((64, 64), 100.0), 0)
    >>> image.dtype, bool(abs(image.mean() - 100) < 1)
    (dtype('float32'), True)
    """

    kind: str
    dqe0: float
    scatter_sigma_px: float = 0.0
    light_sigma_px: float = 0.0
    name: str = "custom"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValidationError("kind", self.kind, f"one of {KINDS}")
        dqe0 = validate.positive("dqe0", self.dqe0)
        if dqe0 > 1:
            raise ValidationError("dqe0", self.dqe0, "0 < dqe0 <= 1")
        object.__setattr__(self, "dqe0", dqe0)
        scatter = validate.non_negative("scatter_sigma_px", self.scatter_sigma_px, "px")
        light = validate.non_negative("light_sigma_px", self.light_sigma_px, "px")
        if self.kind == "counting" and light > 0:
            raise ValidationError("light_sigma_px", light, "0 for a counting detector (no scintillator light)")
        object.__setattr__(self, "scatter_sigma_px", scatter)
        object.__setattr__(self, "light_sigma_px", light)

    def mtf(self, shape) -> np.ndarray:
        """Modulation transfer function on an FFT grid of ``shape`` = (n_rows, n_cols).

        ``sinc(fx)·sinc(fy)·exp(−2π²(σ_scatter² + σ_light²)(fx² + fy²))``,
        f in cycles/pixel; float64, unshifted FFT layout, MTF(0) = 1.
        """
        f_rows, f_cols = _frequencies(shape)
        pixel = np.sinc(f_rows)[:, None] * np.sinc(f_cols)[None, :]
        return pixel * _gaussian(f_rows, f_cols, np.hypot(self.scatter_sigma_px, self.light_sigma_px))

    def ntf(self, shape) -> np.ndarray:
        """Noise transfer function (float64, FFT layout): 1 counting, ``exp(−2π²σ_light²f²)`` integrating."""
        f_rows, f_cols = _frequencies(shape)
        return _gaussian(f_rows, f_cols, self.light_sigma_px)

    def dqe(self, shape) -> np.ndarray:
        """DQE(f) = DQE0 · MTF² / NTF² (McMullan et al. 2009) on an FFT grid of ``shape``."""
        return self.dqe0 * (self.mtf(shape) / self.ntf(shape)) ** 2

    def record(self, expected_electrons, rng) -> np.ndarray:
        """Record an image: filter, count at DQE0, rescale, blur the light (module docstring).

        Parameters
        ----------
        expected_electrons : array_like, shape (n_rows, n_cols) or (n, n_rows, n_cols)
            Mean number of electrons reaching each pixel (>= 0); a stack is
            recorded image by image.
        rng : numpy.random.Generator or int
            Random generator or seed (:func:`sim.noise.generator`).

        Returns
        -------
        numpy.ndarray, float32, same shape
            Recorded image in incident electrons per pixel: mean ``N``
            filtered by the MTF, noise power ``N/DQE0 · NTF²(f)``.

        Notes
        -----
        The band-limited filter of step 1 rings: beside a bright pixel on a
        dark field the filtered mean can dip below zero by up to 1.5 % of that
        pixel (the most negative tap of the sinc kernel). Such means are set
        to 0 before counting, since a count rate cannot be negative; on any
        field brighter than that (bright-field images) nothing changes. An
        integrating detector's blurred counts may be negative beside bright
        pixels, as a real one's read-out may.
        """
        rng = generator(rng)
        expected = validate.finite_array(
            "expected_electrons", expected_electrons, (2, 3), "(n_rows, n_cols) or (n, n_rows, n_cols)", np.float64
        )
        if np.any(expected < 0):
            bad = int(np.count_nonzero(expected < 0))
            raise ValidationError("expected_electrons", f"<{bad} negative values>", "expected electrons >= 0")
        shape = expected.shape[-2:]
        ntf = self.ntf(shape)
        mean = np.maximum(_filter(expected, self.mtf(shape) / ntf), 0.0)
        counts = poisson_counts(self.dqe0 * mean, rng).astype(np.float64) / self.dqe0
        if self.kind == "integrating" and self.light_sigma_px > 0:
            counts = _filter(counts, ntf)
        return counts.astype(np.float32)


COUNTING = Detector(kind="counting", dqe0=0.85, name="counting")
INTEGRATING = Detector(kind="integrating", dqe0=0.4, scatter_sigma_px=0.38, light_sigma_px=0.48, name="integrating")
DETECTORS = {d.name: d for d in (COUNTING, INTEGRATING)}


def detector(name: str) -> Detector:
    """The preset detector called ``name`` (``"counting"`` or ``"integrating"``).

    >>> detector("integrating").dqe0
    0.4
    """
    if name not in DETECTORS:
        raise ValidationError("name", name, f"one of {tuple(DETECTORS)}")
    return DETECTORS[name]


def _frequencies(shape) -> tuple[np.ndarray, np.ndarray]:
    dims = tuple(np.atleast_1d(shape))
    if len(dims) != 2 or any(int(n) != n or n < 1 for n in dims):
        raise ValidationError("shape", shape, "two integers >= 1: (n_rows, n_cols)")
    return np.fft.fftfreq(int(dims[0])), np.fft.fftfreq(int(dims[1]))


def _gaussian(f_rows: np.ndarray, f_cols: np.ndarray, sigma_px: float) -> np.ndarray:
    """Transfer function of a Gaussian of standard deviation ``sigma_px``: ``exp(−2π²σ²f²)``."""
    f_sq = f_rows[:, None] ** 2 + f_cols[None, :] ** 2
    return np.exp(-2.0 * np.pi**2 * sigma_px**2 * f_sq)


def _filter(images: np.ndarray, transfer: np.ndarray) -> np.ndarray:
    """Multiply the 2-D spectrum of each image (last two axes) by a real, even ``transfer``."""
    n_cols = images.shape[-1]
    spectrum = np.fft.rfft2(images) * transfer[:, : n_cols // 2 + 1]
    return np.fft.irfft2(spectrum, s=images.shape[-2:])
