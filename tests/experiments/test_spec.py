"""Experiment specs: the examples load and run, bad specs name the field and write nothing, re-runs are identical."""

from pathlib import Path

import numpy as np
import pytest

from typer.testing import CliRunner

from experiments.cli import app
from experiments.run import run
from experiments.spec import default_spec, load_spec, parse_spec
from experiments.sweep import points, sweep
from sim import io
from sim.errors import ValidationError

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "specs").glob("*.*"))


def _cli(*args):
    """``nanotomo ARGS`` in this process: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_spec_loads_and_runs_small(path, tmp_path):
    spec = load_spec(path)
    if spec.sweep is not None:
        # a corner of the grid, fewer views: the sweep machinery on the example's own axes
        first = points(spec)[0]
        small = parse_spec({**first.spec.model_dump(exclude_none=True), "scan": {
            **first.spec.scan.model_dump(exclude_none=True), "n_views": 9}})
        table = sweep(small, tmp_path / "store", scheduler="serial", progress=False)
        assert set(table.metric) == {*spec.metrics, "time"}
        return
    result = run(spec.to_run_spec(), tmp_path / "run", progress=False, metric_names=spec.metrics)
    assert (result.out / "spec.toml").is_file()


@pytest.mark.parametrize("text, field", [
    ("[scan]\nn_veiws = 31\n", "scan.n_veiws"),
    ('[instrument]\nname = "stem-200kv-haadf"\n[scan]\ndose_e_per_a2 = -5.0\n', "scan.dose_e_per_a2"),
    ('[instrument]\nname = "stem-200kv-haadf"\n[scan]\ntilt_max_deg = 80.0\n', "scan.tilt_max_deg"),
    ('[phantom]\nname = "unicorn"\n', "phantom.name"),
    ('[phantom]\nparams = { voxl_nm = 3.0 }\n', "phantom.params.voxl_nm"),
    ("[methods]\nsirt = { n_itr = 3 }\n", "methods.sirt.n_itr"),
    ('[instrument]\nname = "txm"\n[scan]\ndose_e_per_a2 = 50.0\n', "scan.dose_e_per_a2"),
])
def test_a_bad_spec_names_the_field_and_writes_nothing(text, field, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValidationError) as error:
        load_spec(path)
    assert error.value.field == field
    out = tmp_path / "out"
    code, _, stderr = _cli("run", str(path), "--out", str(out), "--quiet")
    assert code != 0
    assert field in stderr.replace("\n", "")
    assert not out.exists()


def test_dump_spec_is_the_resolved_default_and_reruns_bit_identically(tmp_path):
    code, dumped, _ = _cli("run", "--dump-spec")
    assert code == 0
    (tmp_path / "default.toml").write_text(dumped)
    assert load_spec(tmp_path / "default.toml") == default_spec()
    small = tmp_path / "small.toml"
    small.write_text(dumped.replace('name = "battery_particle"', 'name = "kirkendall_nanoparticle"')
                     .replace("n_views = 181", "n_views = 21").replace("[phantom.params]", "[phantom.params]\nvoxel_nm = 4.0"))
    code, _, stderr = _cli("run", str(small), "--out", str(tmp_path / "a"), "--quiet")
    assert code == 0, stderr
    code, _, stderr = _cli("run", str(tmp_path / "a" / "spec.toml"), "--out", str(tmp_path / "b"), "--quiet")
    assert code == 0, stderr
    assert (tmp_path / "a" / "spec.toml").read_text() == (tmp_path / "b" / "spec.toml").read_text()
    for name in ("recon_sirt.h5", "recon_fbp.h5"):
        assert np.array_equal(io.load_volume(tmp_path / "a" / name).data, io.load_volume(tmp_path / "b" / name).data)


def test_a_spec_and_run_options_together_are_refused(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("seed = 1\n")
    code, _, stderr = _cli("run", str(path), "--views", "11", "--out", str(tmp_path / "x"))
    assert code != 0 and "options" in stderr
