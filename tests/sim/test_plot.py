"""Figures are drawn without pyplot: importing nanotomo loads no matplotlib and drawing changes no global state."""

import subprocess
import sys

import numpy as np

from sim.plot import orthoslices, subplots
from sim.volume import Volume


def _python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_importing_nanotomo_loads_no_matplotlib():
    """matplotlib (~1 s to import) is loaded when something is drawn, not by the CLI or a sweep's workers."""
    loaded = _python("import sys, sim, phantoms, instruments, recon, metrics, experiments.cli, experiments.sweep; "
                     "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'mpl_toolkits')))")
    assert loaded == "[]"


def test_drawing_keeps_the_users_backend_and_leaves_no_figure_open(tmp_path):
    """A notebook's backend stays as it was; no figure is left in pyplot's registry."""
    code = (
        "import matplotlib; matplotlib.use('svg'); import matplotlib.pyplot as plt; import numpy as np; "
        "from sim.plot import orthoslices; from sim.volume import Volume; "
        f"orthoslices({{'v': Volume(np.ones((4, 4, 4), np.float32), voxel_nm=1.0)}}, r'{tmp_path / 'o.png'}'); "
        "print(matplotlib.get_backend(), plt.get_fignums())"
    )
    assert _python(code) == "svg []"
    assert (tmp_path / "o.png").read_bytes()[:4] == b"\x89PNG"


def test_subplots_gives_pyplots_shapes(tmp_path):
    fig, axes = subplots(2, 3, figsize=(6, 4), squeeze=False)
    assert axes.shape == (2, 3)
    _, single = subplots()
    assert not isinstance(single, np.ndarray)
    path = orthoslices({"ones": Volume(np.ones((4, 5, 6), np.float32), voxel_nm=2.0)}, tmp_path / "slices.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
