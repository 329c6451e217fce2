"""Fourier shell (3-D) and ring (2-D) correlation, and the resolution read from it.

For two maps ``a`` and ``b`` on one grid with Fourier transforms ``F`` and ``G``,
the correlation in the shell ``S_i`` of spatial frequencies around ``f_i`` is

    FSC(f_i) = Σ_{k∈S_i} Re(F_k·G_k*) / sqrt(Σ_{k∈S_i} |F_k|² · Σ_{k∈S_i} |G_k|²).

Frequencies are physical: along an axis of ``n`` voxels of ``voxel_nm`` the
Fourier index ``j`` sits at ``j / (n·voxel_nm)`` [1/nm], so for a non-cubic array
the shells are spheres (rings) in physical frequency, not in index space.
Shell ``i`` (``i = 1 … n_shells``) holds the frequencies with
``(i − ½)·Δ ≤ |f| < (i + ½)·Δ`` and is centred on ``f_i = i·Δ``, where
``Δ = f_Nyquist / n_shells`` and ``f_Nyquist = 1 / (2·voxel_nm)``; the last shell
is centred on Nyquist. The zero-frequency term (the mean) is left out: it says
nothing about resolution. Frequencies beyond the last shell (the corners of the
cube) are left out too.

Thresholds (``threshold=`` below):

- a number in (0, 1): a fixed threshold. 0.143 (= 1/7) between two independent
  half maps, 0.5 between a map and the noise-free ground truth — the same
  criterion, since the correlation with a perfect reference is
  ``sqrt(2·FSC_half / (1 + FSC_half))`` = 0.5 at ``FSC_half`` = 0.143
  (Rosenthal & Henderson, J. Mol. Biol. 333, 721 (2003)).
- ``"half-bit"``: T(n) = (0.2071 + 1.9102/√n) / (1.2071 + 0.9102/√n), and
- ``"one-bit"``: T(n) = (0.5 + 2.4142/√n) / (1.5 + 1.4142/√n)
  (van Heel & Schatz, J. Struct. Biol. 151, 250 (2005)), where ``n`` is the
  number of Fourier voxels in the shell, counting both members of each Friedel
  pair (``FSCCurve.n_voxels``), as in that paper. Counting only the independent
  half would raise the curve slightly at low frequency.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import scipy.fft

from metrics._inputs import as_pair, voxel_of
from sim import validate
from sim.errors import ValidationError

THRESHOLD_NAMES = ("half-bit", "one-bit")

# A shell where a map's power is below this fraction of its total (non-zero
# frequency) power holds only FFT round-off; its correlation is set to 0.
_EMPTY_POWER = 1e-20


@dataclass(frozen=True, eq=False)
class FSCCurve:
    """A Fourier shell (ring) correlation curve on physical spatial frequencies.

    Parameters
    ----------
    freq_per_nm : ndarray, shape (n_shells,)
        Centre spatial frequency of each shell [1/nm], increasing.
    fsc : ndarray, shape (n_shells,)
        Correlation in each shell [dimensionless, −1 … 1].
    n_voxels : ndarray of int, shape (n_shells,)
        Fourier voxels in each shell (both members of every Friedel pair).
    voxel_nm : float
        Voxel size of the maps the curve was computed from [nm].

    Examples
    --------
    >>> import numpy as np
    >>> curve = FSCCurve(np.array([0.1, 0.2, 0.3]), np.array([0.9, 0.6, 0.2]),
    ...                  np.array([18, 66, 146]), voxel_nm=1.0)
    >>> round(curve.resolution_nm(0.5), 3)   # crosses 0.5 at 0.225 /nm
    4.444
    >>> curve.nyquist_per_nm
    0.5
    """

    freq_per_nm: np.ndarray
    fsc: np.ndarray
    n_voxels: np.ndarray
    voxel_nm: float

    def __post_init__(self):
        freq = np.asarray(self.freq_per_nm, dtype=np.float64)
        values = np.asarray(self.fsc, dtype=np.float64)
        counts = np.asarray(self.n_voxels)
        if freq.ndim != 1 or freq.size == 0:
            raise ValidationError("freq_per_nm.shape", freq.shape, "a non-empty 1-D array [1/nm]")
        for name, array in (("fsc", values), ("n_voxels", counts)):
            if array.shape != freq.shape:
                raise ValidationError(f"{name}.shape", array.shape, f"the shape of freq_per_nm, {freq.shape}")
        if not (np.all(np.isfinite(freq)) and np.all(freq > 0)):
            raise ValidationError("freq_per_nm", freq, "finite frequencies > 0 [1/nm]")
        if not np.all(np.isfinite(values)):
            raise ValidationError("fsc", values, "finite correlations")
        if not np.issubdtype(counts.dtype, np.integer) or np.any(counts < 1):
            raise ValidationError("n_voxels", counts, "integers >= 1")
        object.__setattr__(self, "freq_per_nm", validate.frozen(freq))
        object.__setattr__(self, "fsc", validate.frozen(values))
        object.__setattr__(self, "n_voxels", validate.frozen(counts.astype(np.int64)))
        object.__setattr__(self, "voxel_nm", validate.positive("voxel_nm", self.voxel_nm, "nm"))

    @property
    def nyquist_per_nm(self) -> float:
        """The Nyquist frequency ``1 / (2·voxel_nm)`` [1/nm]."""
        return 0.5 / self.voxel_nm

    def threshold(self, threshold) -> np.ndarray:
        """The threshold in each shell [dimensionless]: constant, or the half-/one-bit curve.

        Examples
        --------
        >>> import numpy as np
        >>> curve = FSCCurve([0.25, 0.5], [1.0, 1.0], [1, 10**12], voxel_nm=1.0)
        >>> curve.threshold("half-bit").round(4).tolist()   # 1 for n = 1, 0.1716 for n → ∞
        [1.0, 0.1716]
        """
        return threshold_curve(threshold, self.n_voxels)

    def crosses(self, threshold) -> bool:
        """Whether the curve falls below ``threshold`` before (or at) the last shell.

        When it does not, :meth:`resolution_nm` returns the Nyquist limit.

        Examples
        --------
        >>> FSCCurve([0.25, 0.5], [0.9, 0.8], [8, 16], voxel_nm=1.0).crosses(0.5)
        False
        """
        return bool(np.any(self.fsc < self.threshold(threshold)))

    def resolution_nm(self, threshold) -> float:
        """Resolution ``1/f`` [nm] at the first crossing of ``threshold``.

        ``f`` is found by linear interpolation of ``fsc − threshold`` between
        the last shell at or above the threshold and the first shell below it.

        Two limits are returned as documented values rather than errors:

        - the curve never falls below the threshold: ``2·voxel_nm``, the
          Nyquist limit (the true resolution is at least this good; see
          :meth:`crosses`);
        - the first shell is already below: ``1 / freq_per_nm[0]``, the
          largest period the curve measures (the true value is this or worse).

        Parameters
        ----------
        threshold : float in (0, 1), ``"half-bit"`` or ``"one-bit"``
            See the module docstring for which to use.

        Returns
        -------
        float
            The resolution [nm].

        Examples
        --------
        >>> curve = FSCCurve([0.1, 0.2], [0.8, 0.4], [18, 66], voxel_nm=2.0)
        >>> round(curve.resolution_nm(0.6), 6)   # crosses at 0.15 /nm
        6.666667
        >>> curve.resolution_nm(0.3)             # never crosses: Nyquist, 2·voxel
        4.0
        """
        difference = self.fsc - self.threshold(threshold)
        below = np.flatnonzero(difference < 0)
        if below.size == 0:
            return 2.0 * self.voxel_nm
        i = int(below[0])
        if i == 0:
            return float(1.0 / self.freq_per_nm[0])
        t = difference[i - 1] / (difference[i - 1] - difference[i])
        freq = self.freq_per_nm[i - 1] + t * (self.freq_per_nm[i] - self.freq_per_nm[i - 1])
        return float(1.0 / freq)

    def as_dict(self) -> dict:
        """The curve as plain lists and floats (JSON-able).

        Examples
        --------
        >>> FSCCurve([0.5], [1.0], [6], voxel_nm=1.0).as_dict()
        {'freq_per_nm': [0.5], 'fsc': [1.0], 'n_voxels': [6], 'voxel_nm': 1.0}
        """
        return {
            "freq_per_nm": self.freq_per_nm.tolist(),
            "fsc": self.fsc.tolist(),
            "n_voxels": self.n_voxels.tolist(),
            "voxel_nm": self.voxel_nm,
        }


def threshold_curve(threshold, n_voxels) -> np.ndarray:
    """Threshold per shell for ``n_voxels`` Fourier voxels in each shell [dimensionless].

    Parameters
    ----------
    threshold : float in (0, 1), ``"half-bit"`` or ``"one-bit"``
        A fixed threshold or one of van Heel & Schatz's information curves.
    n_voxels : array of int
        Fourier voxels in each shell (both Friedel mates counted).

    Examples
    --------
    >>> threshold_curve(0.143, [10, 100]).tolist()
    [0.143, 0.143]
    >>> threshold_curve("one-bit", [1]).round(6).tolist()
    [1.0]
    """
    n = np.asarray(n_voxels, dtype=np.float64)
    if isinstance(threshold, str):
        root = np.sqrt(n)
        if threshold == "half-bit":
            return (0.2071 + 1.9102 / root) / (1.2071 + 0.9102 / root)
        if threshold == "one-bit":
            return (0.5 + 2.4142 / root) / (1.5 + 1.4142 / root)
    elif isinstance(threshold, numbers.Real) and not isinstance(threshold, bool):
        value = float(threshold)
        if 0.0 < value < 1.0:
            return np.full(n.shape, value)
    raise ValidationError("threshold", threshold, "a number in (0, 1), 'half-bit' or 'one-bit'")


def checked_maps(a, b, voxel_nm, n_shells, names, *, ndims):
    """Validate two maps for a shell correlation: ``(a_data, b_data, voxel_nm, n_shells)``.

    ``voxel_nm`` comes from the Volumes when not given; ``n_shells`` defaults to
    half the shortest axis and may be at most half the longest. Errors name
    ``names[0]`` (shape) and the field at fault.
    """
    a_data, b_data = as_pair(a, b, names, ndims=ndims)
    voxel_nm = voxel_of(voxel_nm, (a, b), names)
    if voxel_nm is None:
        raise ValidationError("voxel_nm", None, f"a voxel size > 0 nm (required unless {names[0]} or {names[1]} is a Volume)")
    shape = a_data.shape
    if min(shape) < 2:
        raise ValidationError(f"{names[0]}.shape", shape, "at least 2 voxels along every axis (use a 2-D slice for FRC)")
    longest = max(shape) // 2
    if n_shells is None:
        n_shells = min(shape) // 2
    elif (isinstance(n_shells, bool) or not isinstance(n_shells, (int, np.integer))
          or not 1 <= n_shells <= longest):
        raise ValidationError("n_shells", n_shells, f"an integer in [1, {longest}] (half the longest axis)")
    return a_data, b_data, voxel_nm, int(n_shells)


def fsc(a, b, *, voxel_nm: float | None = None, n_shells: int | None = None) -> FSCCurve:
    """Fourier shell correlation of two 3-D maps, or ring correlation of two 2-D images.

    Parameters
    ----------
    a, b : ndarray or Volume, same 2-D or 3-D shape
        The two maps (two half-set reconstructions, or a reconstruction and the
        ground truth). Every axis needs at least 2 voxels.
    voxel_nm : float, optional
        Voxel size [nm], the same along every axis. Required for plain arrays;
        taken from the Volume(s) otherwise (and checked against them if given).
    n_shells : int, optional
        Number of shells between 0 and Nyquist; shell width
        ``Δ = 1 / (2·voxel_nm·n_shells)`` [1/nm]. The default, half the
        shortest axis, makes ``Δ`` the frequency step of that axis,
        ``1 / (n_min·voxel_nm)``, so no shell has gaps. At most half the longest
        axis (finer shells than that axis' frequency step would be empty).

    Returns
    -------
    FSCCurve
        Shell centre frequencies [1/nm], correlations, voxel counts per shell.
        A shell where either map has no power (a band-limited map beyond its
        band) has correlation 0: there is no signal to correlate.

    Notes
    -----
    For independent noise maps the correlation in a shell of ``N`` voxels has
    mean 0 and standard deviation ``1/√N``: ``Re(F·G*)`` sums ``N`` independent
    real products (the two Friedel mates of a pair carry the same value, and
    each pair holds two real numbers).

    Examples
    --------
    >>> import numpy as np
    >>> vol = np.random.default_rng(0).normal(size=(16, 16, 16))
    >>> curve = fsc(vol, vol, voxel_nm=2.0)
    >>> curve.freq_per_nm[[0, -1]].tolist(), bool(np.allclose(curve.fsc, 1.0))
    ([0.03125, 0.25], True)
    """
    a_data, b_data, voxel_nm, n_shells = checked_maps(a, b, voxel_nm, n_shells, ("a", "b"), ndims=(2, 3))
    shape = a_data.shape

    shell = _shell_index(shape, n_shells)
    weight = _friedel_weight(shape[-1])
    spectrum_a = scipy.fft.rfftn(a_data, workers=-1)
    spectrum_b = scipy.fft.rfftn(b_data, workers=-1)

    def per_shell(values):
        values = values * weight
        return np.bincount(shell.ravel(), weights=values.ravel(), minlength=n_shells + 2)

    cross = per_shell(spectrum_a.real * spectrum_b.real + spectrum_a.imag * spectrum_b.imag)
    power_a = per_shell(spectrum_a.real**2 + spectrum_a.imag**2)
    power_b = per_shell(spectrum_b.real**2 + spectrum_b.imag**2)
    counts = np.bincount(shell.ravel(), weights=np.broadcast_to(weight, shell.shape).ravel(),
                         minlength=n_shells + 2)

    # Shell 0 is the mean; shell n_shells + 1 collects the corners beyond the last shell.
    shells = slice(1, n_shells + 1)
    cross, pa, pb, counts = cross[shells], power_a[shells], power_b[shells], counts[shells]
    has_power = (pa > _EMPTY_POWER * power_a[1:].sum()) & (pb > _EMPTY_POWER * power_b[1:].sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(has_power, cross / np.sqrt(pa * pb), 0.0)
    values = np.clip(values, -1.0, 1.0)  # only round-off can leave [-1, 1] (Cauchy–Schwarz)
    freq = (0.5 / voxel_nm / n_shells) * np.arange(1, n_shells + 1)
    # Every shell holds voxels: the longest axis alone steps by at most one shell.
    return FSCCurve(freq, values, np.rint(counts).astype(np.int64), voxel_nm)


def resolution_nm(a, b, *, voxel_nm: float | None = None, threshold, n_shells: int | None = None) -> float:
    """Resolution [nm] at which the FSC (FRC) of ``a`` and ``b`` first drops below ``threshold``.

    Shorthand for ``fsc(a, b, voxel_nm=..., n_shells=...).resolution_nm(threshold)``;
    see :meth:`FSCCurve.resolution_nm` for the interpolation and for the values
    returned when the curve never crosses (``2·voxel_nm``, the Nyquist limit)
    or is below the threshold from the first shell.

    Parameters
    ----------
    a, b : ndarray or Volume, same 2-D or 3-D shape
        The two maps.
    voxel_nm : float, optional
        Voxel size [nm]; required for plain arrays.
    threshold : float in (0, 1), ``"half-bit"`` or ``"one-bit"``
        0.143 between half maps, 0.5 against the ground truth (module docstring).
    n_shells : int, optional
        As in :func:`fsc`.

    Returns
    -------
    float
        The resolution [nm].

    Examples
    --------
    >>> import numpy as np
    >>> vol = np.random.default_rng(1).normal(size=(16, 16, 16))
    >>> resolution_nm(vol, vol, voxel_nm=0.5, threshold="half-bit")   # identical: Nyquist
    1.0
    """
    return fsc(a, b, voxel_nm=voxel_nm, n_shells=n_shells).resolution_nm(threshold)


def _shell_index(shape: tuple[int, ...], n_shells: int) -> np.ndarray:
    """Shell of every rfft voxel: ``floor(|f|/Δ + ½)``, capped at ``n_shells + 1``.

    Computed in cycles per voxel (``|f|·voxel_nm``, with ``Δ·voxel_nm = 1/(2·n_shells)``)
    so that the assignment, including voxels exactly on a shell boundary, does
    not depend on the voxel size.
    """
    axes = [np.fft.fftfreq(n) for n in shape[:-1]] + [np.fft.rfftfreq(shape[-1])]
    radius_sq = sum(np.reshape(f**2, [-1 if k == axis else 1 for k in range(len(shape))])
                    for axis, f in enumerate(axes))
    shell = np.floor(np.sqrt(radius_sq) * (2 * n_shells) + 0.5).astype(np.intp)
    return np.minimum(shell, n_shells + 1)


def _friedel_weight(n_last: int) -> np.ndarray:
    """How many full-spectrum voxels each rfft column stands for (1 or 2).

    The rfft keeps the last axis' indices ``0 … n//2``; every column except 0
    (and ``n/2`` for even ``n``) has a Friedel mate ``−k`` with the same radius,
    the same power and the same ``Re(F·G*)``, so it counts twice.
    """
    weight = np.full(n_last // 2 + 1, 2.0)
    weight[0] = 1.0
    if n_last % 2 == 0:
        weight[-1] = 1.0
    return weight

