"""`nanotomo run` with electron instruments: the IMOD-ready run folder, defaults from the holder, up-front validation."""

import csv
import json

import numpy as np
import pytest
from typer.testing import CliRunner

import sim
from experiments.cli import app
from experiments.run import RunSpec, run
from recon.align.score import score_alignment_file
from sim.errors import ValidationError
from sim.io.imod import read_xf

LAMELLA = dict(phantom="lamella", phantom_params={"width_nm": 40, "thickness_nm": 20, "voxel_nm": 1})
ELECTRON_FILES = ("series.mrc", "series.tlt", "series.json", "series_truth.mrc", "series_true.xf", "series_true.aln",
                  "views.csv",
                  "tiltseries.png", "dose_and_shift.png", "acquisition_time.json", "ground_truth.h5", "recon_fbp.h5",
                  "metrics.json", "provenance.json", "orthoslices.png", "sinogram.png", "fsc.png")


CLI_ARGS = ["run", "--instrument", "stem-200kv-haadf", "--phantom", "lamella", "--phantom-param", "width_nm=40",
            "--phantom-param", "thickness_nm=20", "--views", "5", "--order", "dose-symmetric", "--dose", "500",
            "--method", "fbp", "--quiet"]


@pytest.fixture(scope="module")
def stem_run(tmp_path_factory):
    """One small HAADF run through the command line, shared by the tests that read its folder."""
    out = tmp_path_factory.mktemp("stem") / "run"
    result = CliRunner().invoke(app, [*CLI_ARGS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_electron_run_writes_the_imod_ready_folder(stem_run):
    out, output = stem_run
    assert "acquisition time" in output and "FSC res." in output
    names = {p.name for p in out.iterdir()}
    assert set(ELECTRON_FILES) <= names
    assert "series.h5" not in names  # electron series are MRC + .tlt
    series = sim.load_series(out / "series.mrc")
    assert series.values == "counts" and series.counts_model == "dark field" and series.n_angles == 5
    assert series.angles_deg[0] == 0.0  # dose-symmetric: starts at 0°
    assert series.dose_per_view.sum() == pytest.approx(500.0)  # --dose is the series total [e/A^2]
    scores = json.loads((out / "metrics.json").read_text())
    assert set(scores) == {"fbp"}


def test_true_xf_aligns_with_minus_the_true_shifts(stem_run):
    out, _ = stem_run
    series = sim.load_series(out / "series.mrc")
    xf = read_xf(out / "series_true.xf")
    assert xf.shape == (series.n_angles, 2, 3)
    assert np.array_equal(xf[:, :, :2], np.broadcast_to(np.eye(2), (series.n_angles, 2, 2)))
    assert np.array_equal(xf[:, 0, 2], -series.shifts_px[:, 1])  # DX = -column shift
    assert np.array_equal(xf[:, 1, 2], -series.shifts_px[:, 0])  # DY = -row shift
    assert np.any(series.shifts_px != 0)  # the stage did move


def test_true_aln_and_xf_both_score_zero_against_the_series(stem_run):
    """The two outside formats of the true alignment, read back by the scorers, give the true shifts exactly."""
    out, _ = stem_run
    series = sim.load_series(out / "series.mrc")
    for name in ("series_true.aln", "series_true.xf"):
        assert score_alignment_file(out / name, series).rms_px < 1e-9


def test_views_csv_has_one_row_per_view_with_units(stem_run):
    out, _ = stem_run
    series = sim.load_series(out / "series.mrc")
    with open(out / "views.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == series.n_angles
    header = list(rows[0])
    assert header[:10] == ["view", "tilt [deg]", "shift_row [nm]", "shift_col [nm]", "shift_row [px]", "shift_col [px]",
                           "defocus [nm]", "dose [e/A^2]", "cumulative_dose [e/A^2]", "time [s]"]
    assert {"mass_remaining[Au] [1]", "thickness_remaining[a-C] [1]"} <= set(header)
    column = {name: np.array([float(row[name]) for row in rows]) for name in header}
    # 10 significant digits in the file
    np.testing.assert_allclose(column["tilt [deg]"], series.angles_deg, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(column["shift_col [px]"], series.shifts_px[:, 1], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(column["shift_row [nm]"], column["shift_row [px]"] * series.pixel_nm, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(column["cumulative_dose [e/A^2]"], series.views["cumulative_dose_e_per_a2"], rtol=1e-9)


def test_acquisition_time_is_recorded_in_s_and_h(stem_run):
    out, _ = stem_run
    timing = json.loads((out / "acquisition_time.json").read_text())
    parts = sum(v for k, v in timing.items() if k.endswith("_s") and k != "total_s")
    assert timing["total_s"] == pytest.approx(parts) and timing["total_h"] == pytest.approx(timing["total_s"] / 3600)
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["acquisition_time_s"] == pytest.approx(timing)
    assert provenance["spec"]["instrument"] == "stem-200kv-haadf" and provenance["spec"]["tilt_max_deg"] == 70.0
    assert provenance["spec"]["instrument_params"] == {"dose_total_e_per_a2": 500.0}


def test_electron_defaults_come_from_the_holder():
    spec = RunSpec(phantom="lamella", instrument="stem-200kv-haadf")
    assert (spec.tilt_min_deg, spec.tilt_max_deg, spec.n_views) == (-70.0, 70.0, 71)  # ±70°, one view per 2°
    high = RunSpec(phantom="lamella", instrument="tem", instrument_params={"holder": "high-tilt"})
    assert (high.tilt_min_deg, high.tilt_max_deg) == (-75.0, 75.0)
    txm = RunSpec()
    assert (txm.tilt_min_deg, txm.tilt_max_deg, txm.n_views, txm.energy_kev, txm.photons_per_pixel) == (-90, 90, 181, 8.0, 1e4)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(instrument="unicorn"), "instrument"),
        (dict(instrument="stem-200kv-haadf", tilt_max_deg=80.0), "tilt_max_deg"),
        (dict(instrument="stem-200kv-haadf", tilt_min_deg=-72.0), "tilt_min_deg"),
        (dict(instrument="stem-200kv-haadf", energy_kev=8.0), "energy_kev"),
        (dict(instrument="tem-300kv-bf-lowdose", photons_per_pixel=1e3), "photons_per_pixel"),
        (dict(instrument="stem-200kv-haadf", order="random"), "order"),
        (dict(instrument="stem-200kv-haadf", instrument_params={"dose_total_e_per_a2": -1.0}), "dose_total_e_per_a2"),
        (dict(instrument="stem", instrument_params={"dose_e_per_a2": 10.0}), "stem.dose_e_per_a2"),
        (dict(instrument_params={"dose_total_e_per_a2": 10.0}), "txm.dose_total_e_per_a2"),
        (dict(instrument="txm-lab", energy_kev=8.0, instrument_params={"energy_kev": 5.0}), "energy_kev"),
    ],
)
def test_bad_electron_spec_names_the_field(kwargs, field):
    with pytest.raises(ValidationError, match=field):
        RunSpec(**{**LAMELLA, **kwargs})


def test_refused_spec_writes_nothing(tmp_path):
    bad = CliRunner().invoke(app, [*CLI_ARGS, "--tilt-max", "85", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "tilt_max_deg" in bad.output
    assert not (tmp_path / "bad").exists()


def test_tem_run_records_a_transmission_series(tmp_path):
    spec = RunSpec(**LAMELLA, instrument="tem-300kv-bf-lowdose", n_views=3, methods=("fbp",))
    result = run(spec, tmp_path / "tem", progress=False)
    series = sim.load_series(result.out / "series.mrc")
    assert series.counts_model == "transmission" and (result.out / "series_true.xf").exists()
    assert result.acquisition_time_s["total_s"] > 0 and result.visibility == {}


def test_atomic_preset_is_refused_up_front(tmp_path):
    """The atomic preset images ase.Atoms; `run` takes voxel phantoms, so it says so before writing anything."""
    with pytest.raises(ValidationError, match="^instrument = 'stem-300kv-atomic'"):
        RunSpec(phantom="lamella", instrument="stem-300kv-atomic")
