"""Segmentation overlap: label a grey-level map by material and compare with the truth's labels.

For the voxel sets ``A`` (labelled ``label`` in the result) and ``B`` (in the
truth), the Dice coefficient (Dice, Ecology 26, 297 (1945)) and the
intersection over union (Jaccard index; Jaccard, New Phytol. 11, 37 (1912)) are

    Dice = 2·|A ∩ B| / (|A| + |B|),     IoU = |A ∩ B| / |A ∪ B|,

both in [0, 1] (unit "1"), with ``IoU = Dice / (2 − Dice)``.
"""

from __future__ import annotations

import numpy as np

from metrics._inputs import as_array, as_pair
from sim.errors import ValidationError


def threshold_labels(volume, levels) -> np.ndarray:
    """Label each voxel with the index of the nearest grey level.

    Parameters
    ----------
    volume : ndarray or Volume
        The grey-level map [any unit].
    levels : sequence of float
        The materials' grey levels [unit of ``volume``], e.g. vacuum 0 and each
        material's attenuation; distinct. A voxel halfway between two levels
        goes to the first of them in ``levels``.

    Returns
    -------
    ndarray of int, the shape of ``volume``
        Index into ``levels`` of each voxel's material [dimensionless].

    Examples
    --------
    >>> threshold_labels([0.1, 0.4, 0.6, 2.0], [0.0, 1.0]).tolist()
    [0, 0, 1, 1]
    """
    data = as_array("volume", volume)
    grey = np.asarray(levels, dtype=np.float64)
    if grey.ndim != 1 or grey.size == 0 or not np.all(np.isfinite(grey)):
        raise ValidationError("levels", levels, "a non-empty list of finite grey levels")
    if np.unique(grey).size != grey.size:
        raise ValidationError("levels", levels, "distinct grey levels")
    nearest = np.zeros(data.shape, dtype=np.intp)
    best = np.abs(data - grey[0])
    for index in range(1, grey.size):  # a loop over the few levels, vectorised over voxels
        distance = np.abs(data - grey[index])
        closer = distance < best  # strict: a tie stays with the earlier level
        nearest[closer] = index
        best = np.where(closer, distance, best)
    return nearest


def _sets(labels, truth_labels, label) -> tuple[np.ndarray, np.ndarray]:
    """Boolean voxel sets of ``label`` in the result and in the truth."""
    a = np.asarray(labels)
    b = np.asarray(truth_labels)
    for name, array in (("labels", a), ("truth_labels", b)):
        if not (np.issubdtype(array.dtype, np.integer) or array.dtype == bool) or array.size == 0:
            raise ValidationError(f"{name}.dtype", array.dtype, "a non-empty integer label array")
    if a.shape != b.shape:
        raise ValidationError("labels.shape", a.shape, f"the shape of truth_labels, {b.shape}")
    in_a, in_b = a == label, b == label
    if not (in_a.any() or in_b.any()):
        raise ValidationError("label", label, "a label present in labels or truth_labels")
    return in_a, in_b


def dice(labels, truth_labels, label: int) -> float:
    """Dice coefficient ``2·|A ∩ B| / (|A| + |B|)`` of one label [dimensionless, unit "1"].

    Parameters
    ----------
    labels, truth_labels : ndarray of int, same shape
        The result's and the truth's labels.
    label : int
        The label to compare; must occur in at least one of them.

    Examples
    --------
    >>> dice([1, 1, 0, 0], [1, 0, 0, 0], 1)     # 2·1 / (2 + 1)
    0.6666666666666666
    """
    in_a, in_b = _sets(labels, truth_labels, label)
    return 2.0 * float(np.count_nonzero(in_a & in_b)) / float(np.count_nonzero(in_a) + np.count_nonzero(in_b))


def iou(labels, truth_labels, label: int) -> float:
    """Intersection over union ``|A ∩ B| / |A ∪ B|`` of one label [dimensionless, unit "1"].

    Examples
    --------
    >>> iou([1, 1, 0, 0], [1, 0, 0, 0], 1)
    0.5
    """
    in_a, in_b = _sets(labels, truth_labels, label)
    return float(np.count_nonzero(in_a & in_b)) / float(np.count_nonzero(in_a | in_b))


def dice_per_material(volume, truth, levels) -> np.ndarray:
    """Dice of each material after labelling both maps by the nearest of ``levels``.

    Parameters
    ----------
    volume : ndarray or Volume
        The reconstruction [any unit].
    truth : ndarray or Volume, same shape
        The ground truth [unit of ``volume``].
    levels : sequence of float
        The materials' grey levels (see :func:`threshold_labels`).

    Returns
    -------
    ndarray, shape (len(levels),)
        Dice of each level's material [dimensionless, unit "1"]; NaN for a level
        that labels no voxel in either map.

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.array([0.0, 0.0, 1.0, 1.0]); result = np.array([0.1, 0.7, 0.9, 1.2])
    >>> dice_per_material(result, truth, [0.0, 1.0]).round(4).tolist()
    [0.6667, 0.8]
    """
    volume, truth = as_pair(volume, truth, ("volume", "truth"))
    labels, truth_labels = threshold_labels(volume, levels), threshold_labels(truth, levels)
    scores = np.full(len(np.atleast_1d(levels)), np.nan)
    for index in range(scores.size):
        if np.any(labels == index) or np.any(truth_labels == index):
            scores[index] = dice(labels, truth_labels, index)
    return scores
