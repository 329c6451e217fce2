"""Scores restricted to a region of interest: the sample, not the vacuum around it.

A tomogram is mostly empty space; a whole-volume RMSE or SSIM is dominated by
how flat the vacuum is. :func:`sample_mask` marks the voxels that hold the
sample, and :func:`rmse_in`, :func:`nrmse_in`, :func:`psnr_in`, :func:`ssim_in`
score only those voxels, by calling :mod:`metrics.error` and
:mod:`metrics.similarity` on them.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage

from metrics._inputs import as_array, as_pair, data_range_of
from metrics.error import nrmse, psnr, rmse
from metrics.similarity import DEFAULT_WIN_SIZE, ssim
from sim.errors import ValidationError

# Default threshold as a fraction of the truth's maximum: above the round-off
# and smoothing tails of a voxelised phantom, below any real material of it.
DEFAULT_FRACTION = 0.05


def sample_mask(truth, threshold: float | None = None, *, dilate_voxels: int = 0) -> np.ndarray:
    """Boolean mask of the sample: the voxels where ``truth > threshold``.

    Parameters
    ----------
    truth : ndarray or Volume
        The ground truth (any number of axes).
    threshold : float, optional
        Level [unit of ``truth``]; default ``0.05·max(truth)`` (a convention of
        this package, not a literature value).
    dilate_voxels : int
        Grow the mask by this many voxels (face-connected steps), to include
        the sample's edges, where reconstruction errors concentrate.

    Returns
    -------
    ndarray of bool, the shape of ``truth``
        True inside the sample [dimensionless].

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.zeros(7); truth[3] = 1.0
    >>> sample_mask(truth).astype(int).tolist()
    [0, 0, 0, 1, 0, 0, 0]
    >>> sample_mask(truth, dilate_voxels=1).astype(int).tolist()
    [0, 0, 1, 1, 1, 0, 0]
    """
    data = as_array("truth", truth)
    if threshold is None:
        threshold = DEFAULT_FRACTION * float(data.max())
    elif not np.isfinite(threshold):
        raise ValidationError("threshold", threshold, "a finite level in the unit of truth")
    if isinstance(dilate_voxels, bool) or not isinstance(dilate_voxels, (int, np.integer)) or dilate_voxels < 0:
        raise ValidationError("dilate_voxels", dilate_voxels, "an integer >= 0 [voxels]")
    mask = data > threshold
    if dilate_voxels:
        mask = scipy.ndimage.binary_dilation(mask, iterations=int(dilate_voxels))
    return mask


def _masked(a, truth, mask):
    """``a`` and ``truth`` as float64 arrays, and ``mask`` checked against them."""
    a, truth = as_pair(a, truth, ("a", "truth"))
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise ValidationError("mask.dtype", mask.dtype, "bool (e.g. from sample_mask)")
    if mask.shape != truth.shape:
        raise ValidationError("mask.shape", mask.shape, f"the shape of truth, {truth.shape}")
    if not mask.any():
        raise ValidationError("mask", "<no voxel set>", "at least one True voxel")
    return a, truth, mask


def rmse_in(a, truth, mask) -> float:
    """RMSE over the voxels of ``mask`` [unit of ``truth``]; see :func:`metrics.rmse`.

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.array([0.0, 1.0, 1.0, 0.0]); a = np.array([5.0, 1.0, 2.0, -5.0])
    >>> rmse_in(a, truth, truth > 0)     # the vacuum errors (±5) are ignored
    0.7071067811865476
    """
    a, truth, mask = _masked(a, truth, mask)
    return rmse(a[mask], truth[mask])


def nrmse_in(a, truth, mask, normalization: str = "euclidean") -> float:
    """NRMSE over the voxels of ``mask`` [dimensionless]; see :func:`metrics.nrmse`.

    The normalising scale is taken from ``truth`` inside the mask too.

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.array([0.0, 2.0, 2.0]); a = np.array([9.0, 1.0, 3.0])
    >>> nrmse_in(a, truth, truth > 0)    # rmse 1, rms of truth in the mask 2
    0.5
    """
    a, truth, mask = _masked(a, truth, mask)
    return nrmse(a[mask], truth[mask], normalization)


def psnr_in(a, truth, mask, *, data_range: float) -> float:
    """PSNR over the voxels of ``mask`` [dB]; see :func:`metrics.psnr`.

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.array([0.0, 1.0, 1.0]); a = np.array([7.0, 1.1, 0.9])
    >>> round(psnr_in(a, truth, truth > 0, data_range=1.0), 6)   # mse 0.01
    20.0
    """
    a, truth, mask = _masked(a, truth, mask)
    return psnr(a[mask], truth[mask], data_range=data_range)


def ssim_in(a, truth, mask, *, data_range: float, win_size: int | None = None) -> float:
    """Mean of the local SSIM map over the voxels of ``mask`` [dimensionless].

    The SSIM map is scikit-image's (Wang et al., IEEE Trans. Image Process. 13,
    600 (2004)), computed on the whole 2-D or 3-D array with the window of
    :func:`metrics.ssim` (which also checks ``win_size`` and ``data_range``);
    only its average is restricted to the mask. Unlike :func:`metrics.ssim`,
    the map is averaged up to the array's edges (scikit-image leaves out a
    border of half a window).

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.random.default_rng(0).random((16, 16))
    >>> ssim_in(truth, truth, truth > 0.5, data_range=1.0)
    1.0
    """
    from skimage.metrics import structural_similarity

    a, truth, mask = _masked(a, truth, mask)
    ssim(a, truth, data_range=data_range, win_size=win_size)  # validates shape, window and range
    if win_size is None:
        shortest = min(truth.shape)
        win_size = min(DEFAULT_WIN_SIZE, shortest - (1 - shortest % 2))
    local = structural_similarity(a, truth, data_range=data_range_of(data_range), win_size=int(win_size), full=True)[1]
    return float(np.mean(local[mask]))

