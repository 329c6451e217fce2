"""Scores of a result against the ground truth, and physical-limit calculators.

- error: :func:`rmse`, :func:`nrmse`, :func:`psnr`
- similarity: :func:`ssim` (2-D or 3-D, via scikit-image)
- resolution: :func:`fsc` → :class:`FSCCurve`, :func:`resolution_nm`,
  :func:`threshold_curve` (fixed, half-bit, one-bit)
- region of interest: :func:`sample_mask`, :func:`rmse_in`, :func:`nrmse_in`,
  :func:`psnr_in`, :func:`ssim_in`
- directional resolution: :func:`conical_fsc`, :func:`conical_resolution_nm`
- half-set resolution: :func:`half_set_fsc` → :class:`HalfSetFSC`,
  :func:`fsc_truth_from_half`
- segmentation: :func:`threshold_labels`, :func:`dice`, :func:`iou`,
  :func:`dice_per_material`
- data fit: :func:`data_residual`
- limits: :func:`crowther_views`, :func:`missing_wedge_elongation`, and the
  measured elongation of a point-like feature :func:`point_elongation`
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

from metrics.directional import conical_fsc, conical_resolution_nm
from metrics.elongation import point_elongation
from metrics.error import nrmse, psnr, rmse
from metrics.fsc import FSCCurve, fsc, resolution_nm, threshold_curve
from metrics.halfset import HalfSetFSC, fsc_truth_from_half, half_set_fsc
from metrics.limits import crowther_views, missing_wedge_elongation
from metrics.plot import plot_fsc
from metrics.region import nrmse_in, psnr_in, rmse_in, sample_mask, ssim_in
from metrics.residual import data_residual
from metrics.score import Score, format_scores, score, scores_as_dict
from metrics.segmentation import dice, dice_per_material, iou, threshold_labels
from metrics.similarity import ssim

__all__ = [
    "FSCCurve",
    "data_residual",
    "HalfSetFSC",
    "Score",
    "conical_fsc",
    "conical_resolution_nm",
    "crowther_views",
    "dice",
    "dice_per_material",
    "format_scores",
    "fsc",
    "fsc_truth_from_half",
    "half_set_fsc",
    "iou",
    "missing_wedge_elongation",
    "nrmse",
    "nrmse_in",
    "plot_fsc",
    "point_elongation",
    "psnr",
    "psnr_in",
    "resolution_nm",
    "rmse",
    "rmse_in",
    "sample_mask",
    "score",
    "scores_as_dict",
    "ssim",
    "ssim_in",
    "threshold_curve",
    "threshold_labels",
]
