"""Segmentation scores: Dice and IoU closed forms, nearest-level labelling, per-material Dice."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.segmentation import dice, dice_per_material, iou, threshold_labels
from sim import ValidationError, Volume

FAST = settings(max_examples=40, deadline=None, database=None)


def test_identical_disjoint_and_half_overlap():
    labels = np.array([[1, 1, 0, 0], [1, 1, 0, 0]])
    assert dice(labels, labels, 1) == 1.0 and iou(labels, labels, 1) == 1.0
    assert dice(labels, 1 - labels, 1) == 0.0 and iou(labels, 1 - labels, 1) == 0.0
    shifted = np.array([[0, 1, 1, 0], [0, 1, 1, 0]])  # half of each set overlaps the other
    assert dice(labels, shifted, 1) == 0.5  # 2·2 / (4 + 4)
    assert iou(labels, shifted, 1) == pytest.approx(1 / 3)  # 2 / 6
    inside = np.array([[1, 0, 0, 0], [1, 0, 0, 0]])  # half of the truth, nothing outside it
    assert dice(inside, labels, 1) == pytest.approx(2 / 3) and iou(inside, labels, 1) == 0.5


@FAST
@given(st.integers(0, 2**32 - 1))
def test_iou_is_dice_over_two_minus_dice(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 3, size=(2, 5, 6))
    a[0, 0] = 2
    assert iou(a, b, 2) == pytest.approx(dice(a, b, 2) / (2 - dice(a, b, 2)), rel=1e-12)


def test_threshold_labels_nearest_level_and_ties():
    levels = [1.0, 0.0, 3.0]  # unsorted on purpose: labels are indices into this list
    values = np.array([-1.0, 0.4, 0.5, 0.6, 1.9, 2.0, 2.1, 10.0])
    # 0.5 is halfway between 0 (index 1) and 1 (index 0): the earlier level in the list wins
    # 2.0 is halfway between 1 (index 0) and 3 (index 2): index 0
    np.testing.assert_array_equal(threshold_labels(values, levels), [1, 1, 0, 0, 0, 0, 2, 2])
    vol = Volume(np.full((2, 2, 2), 2.9, np.float32), voxel_nm=1.0)
    assert np.all(threshold_labels(vol, levels) == 2)


def test_dice_per_material():
    truth = np.zeros((4, 4))
    truth[:, 2:] = 1.0
    result = truth + 0.1
    result[0, 1] = 0.8  # one vacuum voxel reconstructed as material
    # vacuum: 7 of 8 kept → 2·7/(7 + 8); material: 8 in truth, 9 in result → 2·8/17
    np.testing.assert_allclose(dice_per_material(result, truth, [0.0, 1.0]), [14 / 15, 16 / 17], rtol=1e-15)
    # a level nobody is nearest to has no Dice
    assert np.isnan(dice_per_material(result, truth, [0.0, 1.0, 50.0])[2])


def test_bad_input_names_the_field():
    labels = np.zeros((3, 3), int)
    with pytest.raises(ValidationError, match="labels.shape"):
        dice(labels, np.zeros((3, 4), int), 0)
    with pytest.raises(ValidationError, match="label"):
        dice(labels, labels, 7)  # in neither map
    with pytest.raises(ValidationError, match="labels.dtype"):
        iou(labels.astype(float), labels, 0)
    with pytest.raises(ValidationError, match="levels"):
        threshold_labels(np.ones(3), [1.0, 1.0])
    with pytest.raises(ValidationError, match="levels"):
        threshold_labels(np.ones(3), [])
    with pytest.raises(ValidationError, match="truth.shape"):
        dice_per_material(np.ones(3), np.ones(4), [0.0, 1.0])
