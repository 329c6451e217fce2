"""Plugins: third-party methods and instruments found through entry points, never imported by name."""

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import instruments
import recon
import recon.registry
import sim
from experiments.cli import app

EXAMPLE = Path(__file__).resolve().parents[1] / "plugin_example"


def install_example(site: Path, monkeypatch, entry_points: str) -> None:
    """Install the example plugin the way pip does: its module plus a .dist-info with entry_points.txt on sys.path."""
    info = site / "nanotomo_example_plugin-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: nanotomo-example-plugin\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(EXAMPLE))


@pytest.fixture
def example_plugin(tmp_path, monkeypatch):
    entry = "[nanotomo.recon]\nplain-backprojection = nanotomo_example_plugin:plain_backprojection\n"
    install_example(tmp_path / "site", monkeypatch, entry)
    recon.registry.load_plugins(reload=True)
    yield
    recon.registry._METHODS.pop("plain-backprojection", None)


def test_the_entry_points_of_the_example_package_are_the_ones_the_test_installs():
    text = (EXAMPLE / "pyproject.toml").read_text()
    assert '[project.entry-points."nanotomo.recon"]' in text
    assert 'plain-backprojection = "nanotomo_example_plugin:plain_backprojection"' in text


def test_plugin_method_is_discovered_listed_and_runs(example_plugin):
    assert "plain-backprojection" in recon.available()
    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 0 and "plain-backprojection" in result.output
    volume = np.zeros((2, 16, 16), np.float32)
    volume[:, 6:10, 6:10] = 0.01
    angles = np.linspace(0, 180, 30, endpoint=False)
    series = sim.TiltSeries(sim.project(volume, angles, voxel_nm=1.0), angles_deg=angles, pixel_nm=1.0, values="line integral",
                            ground_truth=sim.Volume(volume, voxel_nm=1.0))
    method = recon.get("plain-backprojection")
    result = method(series)
    assert result.shape == volume.shape
    assert result.data[:, 8, 8].mean() > result.data[:, 1, 1].mean()  # brightest where the sample is


def test_plugin_instrument_kind_is_discovered(tmp_path, monkeypatch):
    entry = "[nanotomo.instruments]\nexample-txm = instruments.txm:TXM\n"
    install_example(tmp_path / "site", monkeypatch, entry)
    instruments.load_plugins(reload=True)
    try:
        assert "example-txm" in instruments.available()
        assert instruments.get("example-txm", energy_kev=9.0).energy_kev == 9.0
    finally:
        instruments._INSTRUMENTS.pop("example-txm", None)


def test_plugin_method_runs_in_a_benchmark_beside_the_built_ins(example_plugin, tmp_path):
    """`nanotomo bench` takes the plugin by its entry-point name and ranks it with FBP (it is an unfiltered backprojection, so worse)."""
    out = tmp_path / "bench"
    args = ["bench", "--method", "fbp", "--method", "plain-backprojection", "--phantom-param", "diameter_nm=24",
            "--phantom-param", "shell_thickness_nm=6", "--phantom-param", "coo_thickness_nm=2",
            "--phantom-param", "void_offset_nm=1", "--views", "13", "--quiet", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = (out / "results.csv").read_text().splitlines()
    assert any(",plain-backprojection," in row and ",rmse_in," in row for row in rows)
    ranked = [line.split()[3] for line in result.output.splitlines() if line.startswith("│")]
    assert ranked == ["fbp", "plain-backprojection"]
