"""`nanotomo run` and `nanotomo list`: the newcomer's path, end to end on a small problem."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import phantoms
import recon
import sim
from experiments.cli import app
from experiments.run import RunSpec, run
from sim.errors import ValidationError
from sim.xray_detector import XrayDetector

SMALL = dict(phantom="kirkendall_nanoparticle", phantom_params={"voxel_nm": 4.0}, n_views=30,
             method_params={"sirt": {"n_iter": 5}})


def test_run_writes_a_complete_folder(tmp_path):
    result = run(RunSpec(**SMALL), tmp_path / "run", progress=False)
    names = {p.name for p in result.out.iterdir()}
    for expected in ("series.h5", "ground_truth.h5", "recon_fbp.h5", "recon_sirt.h5", "metrics.json",
                     "provenance.json", "orthoslices.png", "sinogram.png", "fsc.png"):
        assert expected in names
    scores = json.loads((result.out / "metrics.json").read_text())
    assert set(scores) == {"fbp", "sirt"}
    assert scores["fbp"]["fsc_resolution"]["unit"] == "nm"
    series = sim.load_series(result.out / "series.h5")
    assert series.values == "counts" and series.ground_truth is not None and series.flat is not None
    provenance = json.loads((result.out / "provenance.json").read_text())
    assert provenance["spec"]["phantom"] == "kirkendall_nanoparticle" and provenance["series"]["seed"] == 0


def test_run_is_reproducible(tmp_path):
    a = run(RunSpec(**SMALL), tmp_path / "a", progress=False)
    b = run(RunSpec(**SMALL), tmp_path / "b", progress=False)
    for name in ("series.h5", "recon_sirt.h5"):
        loader = sim.load_series if name == "series.h5" else sim.load_volume
        assert np.array_equal(loader(a.out / name).data, loader(b.out / name).data)


def test_unwritable_output_is_refused_before_any_work(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ValidationError, match="out"):
        run(RunSpec(**SMALL), blocker / "run", progress=False)
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(phantom="unicorn"), "phantom"),
        (dict(methods=("fbp", "magic")), "method"),
        (dict(n_views=1), "n_views"),
        (dict(photons_per_pixel=-1.0), "photons_per_pixel"),
        (dict(tilt_min_deg=10.0, tilt_max_deg=-10.0), "tilt_max_deg"),
        (dict(method_params={"sirt": {"iterations": 3}}), "sirt.iterations"),
    ],
)
def test_spec_validation_names_the_field(kwargs, field):
    with pytest.raises(ValidationError, match=field):
        RunSpec(**kwargs)


def test_cli_list_shows_every_registry():
    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 0
    for name in [*phantoms.available(), *recon.available(), "txm"]:
        assert name in result.output


def test_cli_run_small_and_bad_output(tmp_path):
    runner = CliRunner()
    args = ["run", "--phantom", "kirkendall_nanoparticle", "--phantom-param", "voxel_nm=4.0",
            "--views", "20", "--sirt-iter", "3", "--quiet"]
    ok = runner.invoke(app, [*args, "--out", str(tmp_path / "cli")])
    assert ok.exit_code == 0, ok.output
    assert "FSC res." in ok.output and (tmp_path / "cli" / "metrics.json").exists()
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    bad = runner.invoke(app, [*args, "--out", str(blocker / "x")])
    assert bad.exit_code == 2 and "out" in bad.output
    assert not (blocker.parent / "x").exists()


def test_cli_help_shows_units():
    """Units in brackets must survive the help formatter (no rich markup)."""
    result = CliRunner().invoke(app, ["run", "--help"])
    assert result.exit_code == 0
    for unit in ("[deg]", "[keV]"):
        assert unit in result.output


def test_projection_contrast_is_optical_depth_over_counting_noise():
    """A 1 µm Si slab at 8 keV: τ = μ·t; noise 1/√(photons·efficiency); CNR = τ·√N."""
    from experiments.run import projection_contrast
    from instruments import TXM
    from phantoms.library import material
    from phantoms.phantom import Phantom

    fractions = np.zeros((1, 2, 30, 24), np.float32)
    fractions[0, :, 10:20, :] = 1.0
    phantom = Phantom(fractions, (material("Si"),), voxel_nm=100.0)
    txm = TXM(energy_kev=8.0, photons_per_pixel=1e4, detector=XrayDetector(quantum_efficiency=0.25))
    visibility = projection_contrast(txm.acquire(phantom, [0.0], seed=0), txm)
    tau = material("Si").mu_per_nm(8.0) * 1000.0
    assert visibility["max_optical_depth"] == pytest.approx(tau, rel=1e-5)
    assert visibility["noise_per_pixel"] == pytest.approx(0.02)
    assert visibility["contrast_to_noise"] == pytest.approx(tau / 0.02, rel=1e-5)


def test_run_records_visibility(tmp_path):
    result = run(RunSpec(**SMALL), tmp_path / "run", progress=False)
    provenance = json.loads((result.out / "provenance.json").read_text())
    assert provenance["visibility"] == pytest.approx(result.visibility)
    assert result.visibility["contrast_to_noise"] < 1  # an 80 nm oxide particle at 1e4 photons/px
