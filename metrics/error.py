"""Pointwise error between a result and the ground truth: RMSE, NRMSE and PSNR.

Each function takes the result first and the ground truth second, as numpy
arrays of one shape (any number of axes) or :class:`sim.Volume` objects, and
compares them in float64.
"""

from __future__ import annotations

import math

import numpy as np

from metrics._inputs import as_pair, data_range_of
from sim.errors import ValidationError

NORMALIZATIONS = ("euclidean", "range", "mean")


def _mse(a, truth) -> tuple[float, np.ndarray]:
    a, truth = as_pair(a, truth, ("a", "truth"))
    return float(np.mean((a - truth) ** 2)), truth


def rmse(a, truth) -> float:
    """Root-mean-square error ``sqrt(mean((a − truth)²))``.

    Parameters
    ----------
    a : ndarray or Volume
        The result, e.g. a reconstruction.
    truth : ndarray or Volume, same shape
        The ground truth.

    Returns
    -------
    float
        The RMSE [unit of ``truth``].

    Examples
    --------
    >>> import numpy as np
    >>> rmse(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, 6.0]))
    1.0
    """
    return math.sqrt(_mse(a, truth)[0])


def nrmse(a, truth, normalization: str = "euclidean") -> float:
    """RMSE divided by a scale of the ground truth: a dimensionless error.

    Parameters
    ----------
    a : ndarray or Volume
        The result.
    truth : ndarray or Volume, same shape
        The ground truth.
    normalization : {"euclidean", "range", "mean"}
        The scale the RMSE is divided by:

        - ``"euclidean"``: ``sqrt(mean(truth²))``, so the result is the relative
          L2 error ``‖a − truth‖ / ‖truth‖`` (scikit-image's default);
        - ``"range"``: ``max(truth) − min(truth)``, the error as a fraction of the
          truth's dynamic range;
        - ``"mean"``: ``|mean(truth)|``, the error relative to the mean level
          (only meaningful for a truth that is positive, e.g. a density).

    Returns
    -------
    float
        The NRMSE [dimensionless].

    Raises
    ------
    ValidationError
        For an unknown ``normalization``, or a truth whose scale is zero (all
        zeros, constant, or zero mean).

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.array([0.0, 0.0, 0.0, 4.0])             # rms 2, range 4, mean 1
    >>> a = truth + np.array([1.0, -1.0, 1.0, -1.0])     # rmse = 1
    >>> nrmse(a, truth), nrmse(a, truth, "range"), nrmse(a, truth, "mean")
    (0.5, 0.25, 1.0)
    """
    if normalization not in NORMALIZATIONS:
        raise ValidationError("normalization", normalization, f"one of {NORMALIZATIONS}")
    mse, truth = _mse(a, truth)
    if normalization == "euclidean":
        scale = math.sqrt(float(np.mean(truth**2)))
    elif normalization == "range":
        scale = float(truth.max() - truth.min())
    else:
        scale = float(np.mean(truth))
    if scale == 0.0:
        raise ValidationError("truth", f"<scale 0 for normalization={normalization!r}>",
                              "a ground truth whose normalising scale is non-zero")
    return math.sqrt(mse) / abs(scale)


def psnr(a, truth, *, data_range: float) -> float:
    """Peak signal-to-noise ratio ``10·log10(data_range² / mean((a − truth)²))``.

    Parameters
    ----------
    a : ndarray or Volume
        The result.
    truth : ndarray or Volume, same shape
        The ground truth.
    data_range : float
        The peak-to-peak range the signal can take [unit of ``truth``], usually
        ``truth.max() − truth.min()``. Required: it cannot be guessed from float data.

    Returns
    -------
    float
        The PSNR [dB]; ``inf`` when ``a`` equals ``truth`` exactly.

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.zeros(4); a = np.array([0.1, -0.1, 0.1, -0.1])   # mse = 0.01
    >>> round(psnr(a, truth, data_range=1.0), 6)
    20.0
    """
    data_range = data_range_of(data_range)
    mse = _mse(a, truth)[0]
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(data_range**2 / mse)
