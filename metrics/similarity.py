"""Structural similarity (SSIM) of a result and the ground truth, in 2-D or 3-D.

A thin, validated wrapper around :func:`skimage.metrics.structural_similarity`
(Wang et al., IEEE Trans. Image Process. 13, 600 (2004)) with scikit-image's
defaults: a uniform sliding window of ``win_size`` voxels along every axis and
the sample covariance, the constants K1 = 0.01, K2 = 0.03.
"""

from __future__ import annotations

import numpy as np

from metrics._inputs import as_pair, data_range_of
from sim.errors import ValidationError

DEFAULT_WIN_SIZE = 7


def ssim(a, truth, *, data_range: float, win_size: int | None = None) -> float:
    """Mean structural similarity of ``a`` and ``truth`` (2-D images or 3-D volumes).

    Parameters
    ----------
    a : ndarray or Volume, 2-D or 3-D
        The result.
    truth : ndarray or Volume, same shape
        The ground truth.
    data_range : float
        The peak-to-peak range the signal can take [unit of ``truth``], usually
        ``truth.max() − truth.min()``. Required: it sets the SSIM constants
        ``(K·data_range)²`` and cannot be guessed from float data.
    win_size : int, optional
        Edge of the sliding window [voxels], odd, ≥ 3 and no larger than the
        smallest axis. By default 7 (scikit-image's choice), or, for an array
        with an axis shorter than 7 (a thin lamella, a few slices), the largest
        odd size that fits that axis.

    Returns
    -------
    float
        The mean SSIM [dimensionless], 1 for identical inputs.

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.random.default_rng(0).random((16, 16))
    >>> ssim(truth, truth, data_range=1.0)
    1.0
    >>> ssim(truth + 0.1, truth, data_range=1.0) < 1.0
    True
    """
    from skimage.metrics import structural_similarity

    data_range = data_range_of(data_range)
    a, truth = as_pair(a, truth, ("a", "truth"), ndims=(2, 3))
    shortest = min(truth.shape)
    if win_size is None:
        win_size = min(DEFAULT_WIN_SIZE, shortest - (1 - shortest % 2))
        if win_size < 3:
            raise ValidationError("truth.shape", truth.shape, "every axis at least 3 voxels long for SSIM")
    elif (isinstance(win_size, bool) or not isinstance(win_size, (int, np.integer))
          or win_size < 3 or win_size % 2 == 0 or win_size > shortest):
        raise ValidationError("win_size", win_size, f"an odd integer in [3, {shortest}] (the shortest axis)")
    return float(structural_similarity(a, truth, data_range=data_range, win_size=int(win_size)))
