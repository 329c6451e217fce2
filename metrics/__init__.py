"""Scores of a result against the ground truth, and physical-limit calculators.

- error: :func:`rmse`, :func:`nrmse`, :func:`psnr`
- similarity: :func:`ssim` (2-D or 3-D, via scikit-image)
- resolution: :func:`fsc` → :class:`FSCCurve`, :func:`resolution_nm`,
  :func:`threshold_curve` (fixed, half-bit, one-bit)
- limits: :func:`crowther_views`, :func:`missing_wedge_elongation`
- all at once: :func:`score` → ``{name: Score}``, :func:`scores_as_dict`,
  :func:`format_scores`
- figures: :func:`plot_fsc`

Every function accepts numpy arrays or :class:`sim.Volume` objects; spatial
frequencies are in 1/nm, lengths in nm. ``metrics`` imports only ``sim``.

Examples
--------
>>> import numpy as np, metrics
>>> truth = np.random.default_rng(0).random((16, 16, 16))
>>> scores = metrics.score(truth + 0.01, truth, voxel_nm=1.0)
>>> sorted(scores)
['fsc_resolution', 'nrmse', 'psnr', 'rmse', 'ssim']
>>> str(scores["psnr"])          # peak = max − min of truth (0.999), rmse 0.01
'39.99 dB'
"""

from metrics.error import nrmse, psnr, rmse
from metrics.fsc import FSCCurve, fsc, resolution_nm, threshold_curve
from metrics.limits import crowther_views, missing_wedge_elongation
from metrics.plot import plot_fsc
from metrics.score import Score, format_scores, score, scores_as_dict
from metrics.similarity import ssim

__all__ = [
    "FSCCurve",
    "Score",
    "crowther_views",
    "format_scores",
    "fsc",
    "missing_wedge_elongation",
    "nrmse",
    "plot_fsc",
    "psnr",
    "resolution_nm",
    "rmse",
    "score",
    "scores_as_dict",
    "ssim",
    "threshold_curve",
]
