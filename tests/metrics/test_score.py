"""score(): every metric at once, with units, against the ground truth."""

import json
import math

import numpy as np
import pytest

import metrics
from metrics import Score, format_scores, fsc, nrmse, psnr, rmse, score, scores_as_dict, ssim
from sim import ValidationError, Volume

NAMES = {"rmse", "nrmse", "psnr", "ssim", "fsc_resolution"}


def truth_volume(seed=0, shape=(16, 20, 24), voxel_nm=2.0):
    data = np.random.default_rng(seed).random(shape)
    return Volume(data, voxel_nm=voxel_nm, quantity="linear attenuation coefficient", unit="1/nm")


def test_scores_are_the_individual_metrics_with_units():
    truth = truth_volume()
    rec = truth.with_data(truth.data + 0.05 * np.random.default_rng(1).normal(size=truth.shape))
    scores = score(rec, truth)
    assert set(scores) == NAMES
    assert all(isinstance(s, Score) for s in scores.values())
    data_range = float(truth.data.max() - truth.data.min())
    assert scores["rmse"].value == pytest.approx(rmse(rec, truth)) and scores["rmse"].unit == "1/nm"
    assert scores["nrmse"].value == pytest.approx(nrmse(rec, truth)) and scores["nrmse"].unit == "1"
    assert scores["psnr"].value == pytest.approx(psnr(rec, truth, data_range=data_range))
    assert scores["psnr"].unit == "dB"
    assert scores["ssim"].value == pytest.approx(ssim(rec, truth, data_range=data_range))
    assert scores["fsc_resolution"].value == pytest.approx(fsc(rec, truth).resolution_nm(0.5))
    assert scores["fsc_resolution"].unit == "nm"
    assert "0.5" in scores["fsc_resolution"].description


def test_perfect_reconstruction():
    truth = truth_volume()
    scores = score(truth, truth)
    assert scores["rmse"].value == 0.0 and scores["nrmse"].value == 0.0
    assert scores["psnr"].value == math.inf
    assert scores["ssim"].value == pytest.approx(1.0)
    assert scores["fsc_resolution"].value == 2 * truth.voxel_nm  # never crosses: Nyquist
    assert "Nyquist" in scores["fsc_resolution"].description


def test_fsc_resolution_of_a_band_limited_reconstruction():
    """A reconstruction that keeps only |f| < 0.1 /nm scores ≈ 10 nm at the 0.5 threshold."""
    truth = truth_volume(shape=(32, 32, 32), voxel_nm=1.5)
    freq = np.meshgrid(*[np.fft.fftfreq(32, d=1.5)] * 3, indexing="ij")
    keep = np.sqrt(sum(f**2 for f in freq)) < 0.1
    rec = np.fft.ifftn(np.fft.fftn(truth.data) * keep).real
    scores = score(rec, truth)
    shell_width = 1 / (32 * 1.5)
    assert abs(1 / scores["fsc_resolution"].value - 0.1) <= shell_width
    assert "Nyquist" not in scores["fsc_resolution"].description


def test_default_threshold_is_the_half_map_criterion_against_a_perfect_reference():
    """Rosenthal & Henderson (2003): C_ref = sqrt(2·FSC / (1 + FSC)); FSC_half = 0.143 → 0.5."""
    assert math.sqrt(2 * 0.143 / (1 + 0.143)) == pytest.approx(0.5, abs=0.001)
    truth = truth_volume(seed=3)
    rec = truth.with_data(truth.data + 0.3 * np.random.default_rng(4).normal(size=truth.shape))
    assert score(rec, truth)["fsc_resolution"].value == score(rec, truth, fsc_threshold=0.5)["fsc_resolution"].value
    half_bit = score(rec, truth, fsc_threshold="half-bit")["fsc_resolution"]
    assert "half-bit" in half_bit.description


def test_arrays_and_2d_images_need_a_voxel_size():
    truth = np.random.default_rng(5).random((24, 24))
    with pytest.raises(ValidationError, match="^voxel_nm = None"):
        score(truth + 0.01, truth)
    scores = score(truth + 0.01, truth, voxel_nm=0.5)
    assert scores["rmse"].unit == "unit of truth"
    assert scores["fsc_resolution"].value == pytest.approx(1.0)  # offset only: Nyquist, 2·0.5 nm


def test_scores_as_dict_is_strict_json():
    truth = truth_volume()
    scores = score(truth, truth)
    data = scores_as_dict(scores)
    text = json.dumps(data, allow_nan=False)
    back = json.loads(text)
    assert back["psnr"] == {"value": None, "unit": "dB", "description": scores["psnr"].description}
    assert back["fsc_resolution"]["value"] == 4.0


def test_format_scores_prints_one_aligned_line_per_score():
    truth = truth_volume()
    rec = truth.with_data(truth.data * 0.9)
    text = format_scores(score(rec, truth))
    lines = text.splitlines()
    assert [line.split()[0] for line in lines] == ["rmse", "nrmse", "psnr", "ssim", "fsc_resolution"]
    assert " dB " in lines[2] and " nm " in lines[4]
    assert str(Score(12.3456, "dB", "x")) == "12.35 dB"


def test_bad_input_names_the_field():
    truth = truth_volume()
    with pytest.raises(ValidationError, match=r"^truth\.shape"):
        score(np.zeros((16, 20, 23)), truth)
    with pytest.raises(ValidationError, match="^fsc_threshold ="):
        score(truth, truth, fsc_threshold=0.0)
    with pytest.raises(ValidationError, match="^truth ="):
        score(np.zeros((8, 8, 8)), Volume(np.ones((8, 8, 8)), voxel_nm=1.0))
    with pytest.raises(ValidationError, match=r"^truth\.voxel_nm"):
        score(Volume(truth.data, voxel_nm=1.0), truth)


def test_precomputed_fsc_curve_gives_the_same_scores():
    import numpy as np

    from metrics import fsc, score
    from sim import Volume
    from sim.errors import ValidationError

    rng = np.random.default_rng(3)
    truth = Volume(rng.random((12, 12, 12)), voxel_nm=1.5, unit="1/nm")
    volume = truth.with_data(truth.data + 0.05 * rng.random((12, 12, 12)))
    direct = score(volume, truth)
    reused = score(volume, truth, fsc_curve=fsc(volume, truth))
    assert {k: v.value for k, v in direct.items()} == {k: v.value for k, v in reused.items()}
    other = fsc(volume.data, truth.data, voxel_nm=3.0)
    with pytest.raises(ValidationError, match="fsc_curve"):
        score(volume, truth, fsc_curve=other)


@pytest.mark.parametrize("score", [
    lambda v: metrics.score(v, None, voxel_nm=1.0),
    lambda v: metrics.rmse(v, None),
    lambda v: metrics.rmse_in(v, None, np.ones(v.shape, bool)),
    lambda v: metrics.dice_per_material(v, None, [0.0, 1.0]),
])
def test_a_ground_truth_score_without_a_truth_says_so(score):
    """A series from a real instrument carries no truth: the error names the missing truth and what to use instead."""
    with pytest.raises(ValidationError, match="truth = None.*data_residual"):
        score(np.zeros((4, 4, 4)))
