"""Sweeps: point expansion, dask vs serial, resume after a kill, store ownership, memory refusal."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.spec import load_spec, parse_spec
from experiments.sweep import load_table, points, sweep
from sim.errors import ValidationError

SPEC = """
seed = 0
metrics = ["rmse", "fsc_resolution"]
[phantom]
name = "kirkendall_nanoparticle"
params = {{ voxel_nm = 4.0 }}
[instrument]
name = "stem-200kv-haadf"
[scan]
n_views = 13
[methods]
sirt = {{ n_iter = {n_iter} }}
[sweep]
axes = {{ "scan.dose_e_per_a2" = [100.0, 1000.0], "scan.tilt_max_deg" = [45.0, 70.0], seed = [0, 1] }}
"""


def _spec(tmp_path, n_iter=20):
    path = tmp_path / "sweep.toml"
    path.write_text(SPEC.format(n_iter=n_iter))
    return load_spec(path)


def _without_time(table: pd.DataFrame) -> pd.DataFrame:
    return table[table.metric != "time"].reset_index(drop=True)


def test_grid_and_list_points():
    base = {"phantom": {"name": "nanoplate", "params": {"voxel_nm": 4.0}}}
    grid = points(parse_spec({**base, "sweep": {"axes": {"scan.n_views": [11, 21, 31], "seed": [0, 1]}}}))
    listed = points(parse_spec({**base, "sweep": {"mode": "list", "axes": {"scan.n_views": [11, 21], "seed": [0, 1]}}}))
    assert len(grid) == 6 and len(listed) == 2
    assert listed[1].values == {"scan.n_views": 21, "seed": 1} and listed[1].spec.scan.n_views == 21
    assert len({p.point_id for p in grid}) == 6
    methods = points(parse_spec({**base, "sweep": {"axes": {"methods": [["fbp"], ["sirt"]]}}}))
    assert [list(p.spec.methods) for p in methods] == [["fbp"], ["sirt"]]
    with pytest.raises(ValidationError, match=r"scan.n_views"):
        points(parse_spec({**base, "sweep": {"axes": {"scan.n_views": [11, 1]}}}))


def test_two_workers_give_the_table_of_one(tmp_path):
    spec = _spec(tmp_path)
    serial = sweep(spec, tmp_path / "serial", scheduler="serial", progress=False)
    parallel = sweep(spec, tmp_path / "dask", n_workers=2, progress=False)
    assert len(serial) == 8 * 3
    pd.testing.assert_frame_equal(_without_time(serial), _without_time(parallel))
    assert set(os.listdir(tmp_path / "dask" / "points")) == {f"{p.point_id}.{ext}" for p in points(spec)
                                                              for ext in ("parquet", "h5")}
    pd.testing.assert_frame_equal(load_table(tmp_path / "dask"), parallel)


def test_a_killed_sweep_resumes_without_recomputing(tmp_path):
    spec = _spec(tmp_path, n_iter=150)          # ~0.2 s per point, so the kill lands mid-way
    store = tmp_path / "store"
    command = [sys.executable, "-c", "from experiments.cli import main; main()", "sweep", str(tmp_path / "sweep.toml"),
               "--out", str(store), "--scheduler", "serial", "--quiet"]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((store / "points").glob("*.parquet"))) < 2:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = {p: p.stat().st_mtime_ns for p in (store / "points").glob("*.parquet")}
    assert 2 <= len(finished) < 8, "the kill should land mid-way"
    assert not (store / "table.parquet").exists()
    resumed = sweep(spec, store, scheduler="serial", progress=False)
    assert {p: p.stat().st_mtime_ns for p in finished} == finished        # nothing finished was recomputed
    assert len(list((store / "points").glob("*.parquet"))) == 8
    assert not list((store / "points").glob("*.tmp*"))
    whole = sweep(spec, tmp_path / "whole", scheduler="serial", progress=False)
    pd.testing.assert_frame_equal(_without_time(resumed), _without_time(whole))


def test_a_store_belongs_to_one_sweep_and_big_points_are_refused(tmp_path):
    spec = _spec(tmp_path)
    sweep(spec, tmp_path / "store", scheduler="serial", progress=False)
    other = parse_spec({**spec.model_dump(exclude_none=True), "seed": 5})
    with pytest.raises(ValidationError, match="different sweep"):
        sweep(other, tmp_path / "store", scheduler="serial", progress=False)
    with pytest.raises(ValidationError, match="memory limit"):
        sweep(spec, tmp_path / "small", scheduler="serial", memory_limit_bytes=2**20, progress=False)
    assert not Path(tmp_path / "small").exists()


def test_resolution_improves_with_dose_and_tilt_range(tmp_path):
    # HAADF-STEM of a 40³ hollow particle, 21 views, SIRT: 3 doses × 2 tilt ranges × 3 seeds (7 s serial).
    # Measured FSC resolution [nm], mean ± std over seeds: ±30°: 16.3 ± 0.6, 14.7 ± 1.4, 14.5 ± 1.6;
    # ±70°: 14.8 ± 0.3, 10.5 ± 0.7, 9.9 ± 0.6 at 10, 100, 1000 e/Å². Monotone within the standard errors.
    spec = parse_spec({"seed": 0, "metrics": ["fsc_resolution"],
                       "phantom": {"name": "kirkendall_nanoparticle", "params": {"voxel_nm": 4.0}},
                       "instrument": {"name": "stem-200kv-haadf"}, "scan": {"n_views": 21},
                       "methods": {"sirt": {"n_iter": 30}},
                       "sweep": {"axes": {"scan.dose_e_per_a2": [10.0, 100.0, 1000.0],
                                          "scan.tilt_max_deg": [30.0, 70.0], "seed": [0, 1, 2]}}})
    table = sweep(spec, tmp_path / "store", scheduler="serial", progress=False)
    resolution = table[table.metric == "fsc_resolution"]
    stats = resolution.groupby(["scan.tilt_max_deg", "scan.dose_e_per_a2"])["value"].agg(["mean", "sem"])

    def no_worse(better, worse):
        return stats.loc[better, "mean"] <= stats.loc[worse, "mean"] + stats.loc[better, "sem"] + stats.loc[worse, "sem"]

    for tilt in (30.0, 70.0):
        assert no_worse((tilt, 100.0), (tilt, 10.0)) and no_worse((tilt, 1000.0), (tilt, 100.0))
        assert stats.loc[(tilt, 1000.0), "mean"] < stats.loc[(tilt, 10.0), "mean"]
    for dose in (10.0, 100.0, 1000.0):
        assert stats.loc[(70.0, dose), "mean"] < stats.loc[(30.0, dose), "mean"]


def test_an_existing_dask_cluster_runs_the_sweep(tmp_path):
    from distributed import LocalCluster

    spec = parse_spec({"seed": 0, "metrics": ["rmse"], "phantom": {"name": "nanoplate", "params": {"voxel_nm": 4.0}},
                       "instrument": {"name": "stem-200kv-haadf"}, "scan": {"n_views": 9},
                       "methods": {"fbp": {}}, "sweep": {"axes": {"seed": [0, 1, 2]}}})
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        remote = sweep(spec, tmp_path / "remote", scheduler=cluster.scheduler_address, progress=False)
    local = sweep(spec, tmp_path / "local", scheduler="serial", progress=False)
    pd.testing.assert_frame_equal(_without_time(remote), _without_time(local))


def test_a_kept_cluster_runs_sweeps_and_closes_on_sigterm(tmp_path):
    """``nanotomo cluster`` prints its address; a sweep sent there gives the serial table; SIGTERM closes it."""
    spec = parse_spec({"seed": 0, "metrics": ["rmse"], "phantom": {"name": "nanoplate", "params": {"voxel_nm": 4.0}},
                       "instrument": {"name": "stem-200kv-haadf"}, "scan": {"n_views": 9},
                       "methods": {"fbp": {}}, "sweep": {"axes": {"seed": [0, 1]}}})
    command = [sys.executable, "-c", "from experiments.cli import main; main()", "cluster", "--workers", "1"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as keeper:
        try:
            line = keeper.stdout.readline()
            address = line.split()[2]
            assert address.startswith("tcp://") and "1 workers" in line
            kept = sweep(spec, tmp_path / "kept", scheduler=address, progress=False)
            again = sweep(spec, tmp_path / "again", scheduler=address, progress=False)
        finally:
            keeper.send_signal(signal.SIGTERM)
            status = keeper.wait(timeout=60)
    local = sweep(spec, tmp_path / "local", scheduler="serial", progress=False)
    pd.testing.assert_frame_equal(_without_time(kept), _without_time(local))
    pd.testing.assert_frame_equal(_without_time(again), _without_time(local))
    assert status == 0


@pytest.mark.parametrize("args, field", [(["--workers", "0"], "workers"), (["--memory-limit-gb", "-1"], "memory_limit_gb")])
def test_a_cluster_with_bad_settings_is_refused(args, field):
    from typer.testing import CliRunner

    from experiments.cli import app

    result = CliRunner().invoke(app, ["cluster", *args])
    assert result.exit_code == 2 and field in result.output
