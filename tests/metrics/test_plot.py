"""plot_fsc: a PNG on disk, no figure left open, bad input named."""

import matplotlib.image
import numpy as np
import pytest

from metrics import FSCCurve, fsc, plot_fsc
from sim import ValidationError


def curves():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(16, 16, 16))
    b = a + rng.normal(size=a.shape)
    coarse = fsc(a[::2, ::2, ::2], b[::2, ::2, ::2], voxel_nm=2.0)
    return {"1 nm voxels": fsc(a, b, voxel_nm=1.0), "2 nm voxels": coarse}


@pytest.mark.parametrize("thresholds", [(0.5, 0.143), ("half-bit", 0.143, "one-bit"), ()])
def test_writes_a_png(tmp_path, thresholds):
    path = plot_fsc(curves(), tmp_path / "fsc.png", thresholds=thresholds)
    assert path == tmp_path / "fsc.png"
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
    assert image.std() > 0.05  # something is drawn on the white background
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fsc.png"]  # no temporary left behind


def test_leaves_no_pyplot_figure_open(tmp_path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_fsc(curves(), str(tmp_path / "fsc.png"))
    assert plt.get_fignums() == before


def test_overwrites_an_existing_file(tmp_path):
    path = tmp_path / "fsc.png"
    path.write_bytes(b"old")
    plot_fsc(curves(), path)
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_bad_input_names_the_field(tmp_path):
    with pytest.raises(ValidationError, match="^curves ="):
        plot_fsc({}, tmp_path / "fsc.png")
    with pytest.raises(ValidationError, match=r"^curves\['x'\]"):
        plot_fsc({"x": np.ones(3)}, tmp_path / "fsc.png")
    with pytest.raises(ValidationError, match="^threshold ="):
        plot_fsc(curves(), tmp_path / "fsc.png", thresholds=("quarter-bit",))
    with pytest.raises(ValidationError, match="^path ="):
        plot_fsc(curves(), tmp_path / "missing" / "fsc.png")
    assert not any(tmp_path.iterdir())


def test_single_shell_curve_plots(tmp_path):
    plot_fsc({"one": FSCCurve([0.5], [0.7], [6], voxel_nm=1.0)}, tmp_path / "one.png")
    assert (tmp_path / "one.png").stat().st_size > 0
