"""Saving and loading tilt series and volumes: exact round trips, standard layouts, safe failures."""

import io
import os

import h5py
import mrcfile
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.errors import ValidationError
from sim.io import dxchange, load_series, load_volume, mrc, save_series, save_volume, to_jsonable
from sim.io.mrc import format_tlt, parse_tlt
from sim.tiltseries import TiltSeries
from sim.volume import Volume

SERIES_SUFFIXES = [".h5", ".hdf5", ".mrc"]


def make_volume(seed=1, shape=(3, 5, 6)):
    rng = np.random.default_rng(seed)
    return Volume(rng.random(shape, dtype=np.float32) * 1e-3, voxel_nm=0.7, quantity="linear attenuation coefficient",
                  unit="1/nm", metadata={"phantom": "lamella", "materials": ["Si", "Au"], "fraction": 0.25})


def make_series(*, full: bool, seed=0, n_angles=5):
    """A small series; ``full`` adds flat, dark, ground truth, shifts, dose and rich provenance."""
    rng = np.random.default_rng(seed)
    angles = np.linspace(-60.0, 60.0, n_angles) + rng.normal(0, 0.01, n_angles)  # not round decimals
    data = rng.random((n_angles, 3, 6), dtype=np.float32) * 100
    if not full:
        return TiltSeries(data, angles_deg=angles, pixel_nm=0.7, values="line integral", unit="1")
    return TiltSeries(
        data,
        angles_deg=angles,
        pixel_nm=1 / 3,
        values="counts",
        unit="counts",
        dose_per_view=rng.random(n_angles) * 4,
        dose_unit="e⁻/Å²",
        shifts_px=rng.normal(0, 1.5, (n_angles, 2)),
        axis_offset_px=-0.37,
        flat=rng.random((2, 3, 6), dtype=np.float32) * 1000,
        dark=rng.random((1, 3, 6), dtype=np.float32),
        ground_truth=make_volume(seed + 1),
        phantom=object(),
        provenance={"instrument": "stem-200kv-haadf", "seed": 7, "fidelity": "projection",
                    "params": {"dose_total_e_per_a2": 120.0, "order": "dose-symmetric"}, "tilts": [-60, 60]},
        views={"defocus_nm": rng.normal(2000, 50, n_angles), "time_s": np.arange(n_angles) * 31.7},
        counts_model="dark field",
        line_integral_scale=1.7e-4,
    )


def assert_volumes_equal(back, volume):
    assert back.data.dtype == np.float32 and back.data.tobytes() == volume.data.tobytes()
    assert back.shape == volume.shape
    assert back.voxel_nm == volume.voxel_nm
    assert (back.quantity, back.unit) == (volume.quantity, volume.unit)
    assert back.metadata == to_jsonable(volume.metadata)


def assert_series_equal(back, series):
    assert back.data.dtype == np.float32 and back.shape == series.shape
    assert back.data.tobytes() == series.data.tobytes()  # bit-identical
    assert back.angles_deg.tobytes() == series.angles_deg.tobytes()
    assert back.pixel_nm == series.pixel_nm
    assert (back.values, back.unit, back.dose_unit) == (series.values, series.unit, series.dose_unit)
    if series.dose_per_view is None:
        assert back.dose_per_view is None
    else:
        assert back.dose_per_view.tobytes() == series.dose_per_view.tobytes()
    assert back.shifts_px.tobytes() == series.shifts_px.tobytes()
    assert back.axis_offset_px == series.axis_offset_px
    for name in ("flat", "dark"):
        mine, theirs = getattr(back, name), getattr(series, name)
        assert (mine is None) == (theirs is None)
        if theirs is not None:
            assert mine.dtype == np.float32 and mine.tobytes() == theirs.tobytes() and mine.shape == theirs.shape
    assert (back.ground_truth is None) == (series.ground_truth is None)
    if series.ground_truth is not None:
        assert_volumes_equal(back.ground_truth, series.ground_truth)
    assert back.provenance == to_jsonable(series.provenance)
    assert back.views.keys() == series.views.keys()
    for name, column in series.views.items():
        assert back.views[name].tobytes() == column.tobytes()
    assert (back.counts_model, back.line_integral_scale) == (series.counts_model, series.line_integral_scale)
    assert back.phantom is None


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("suffix", SERIES_SUFFIXES)
@pytest.mark.parametrize("full", [False, True], ids=["minimal", "full"])
def test_series_round_trip_is_exact(tmp_path, suffix, full):
    series = make_series(full=full)
    written = save_series(series, tmp_path / f"series{suffix}")
    assert written[0] == tmp_path / f"series{suffix}"
    assert all(p.is_file() for p in written)
    assert_series_equal(load_series(written[0]), series)


@pytest.mark.parametrize("suffix", SERIES_SUFFIXES)
@pytest.mark.parametrize("part", ["flat", "dark", "ground_truth", "dose_per_view"])
def test_series_round_trip_with_one_optional_part(tmp_path, suffix, part):
    full = make_series(full=True)
    series = make_series(full=False).with_data(full.data, **{part: getattr(full, part)},
                                               **({"dose_unit": "photons/pixel"} if part == "dose_per_view" else {}))
    save_series(series, tmp_path / f"s{suffix}")
    assert_series_equal(load_series(tmp_path / f"s{suffix}"), series)


@pytest.mark.parametrize("suffix", SERIES_SUFFIXES)
def test_single_view_series_round_trips(tmp_path, suffix):
    series = make_series(full=True, n_angles=1)
    save_series(series, tmp_path / f"s{suffix}")
    assert_series_equal(load_series(tmp_path / f"s{suffix}"), series)


def test_numpy_provenance_comes_back_as_its_json_form(tmp_path):
    series = make_series(full=False).with_data(make_series(full=False).data,
                                               provenance={"seed": np.int64(3), "angles": np.array([1.5, 2.5]), "t": (1, 2)})
    save_series(series, tmp_path / "s.h5")
    assert load_series(tmp_path / "s.h5").provenance == {"seed": 3, "angles": [1.5, 2.5], "t": [1, 2]}


@pytest.mark.parametrize("suffix", SERIES_SUFFIXES)
def test_saving_twice_gives_identical_bytes(tmp_path, suffix):
    series = make_series(full=True)
    first = [p.read_bytes() for p in save_series(series, tmp_path / f"s{suffix}")]
    second = [p.read_bytes() for p in save_series(series, tmp_path / f"s{suffix}")]
    assert first == second


@pytest.mark.parametrize("suffix", [".h5", ".hdf5", ".mrc"])
def test_volume_round_trip_is_exact(tmp_path, suffix):
    volume = make_volume()
    written = save_volume(volume, tmp_path / f"v{suffix}")
    assert written[0] == tmp_path / f"v{suffix}"
    assert_volumes_equal(load_volume(written[0]), volume)


def test_single_slice_volume_round_trips_through_mrc(tmp_path):
    volume = make_volume(shape=(1, 4, 5))
    save_volume(volume, tmp_path / "v.mrc")
    assert_volumes_equal(load_volume(tmp_path / "v.mrc"), volume)


# ---------------------------------------------------------------- MRC layout


def test_mrc_stack_header_is_an_imod_image_stack_with_the_pixel_in_angstrom(tmp_path):
    series = make_series(full=True)
    save_series(series, tmp_path / "ts.mrc")
    report = io.StringIO()
    assert mrcfile.validate(tmp_path / "ts.mrc", print_file=report), report.getvalue()
    with mrcfile.open(tmp_path / "ts.mrc") as stack:
        header = stack.header
        assert int(header.mode) == 2  # float32
        assert stack.is_image_stack() and int(header.ispg) == 0
        # (n_angles, n_rows, n_cols) -> (nz, ny, nx): one section per view, tilt axis (rows) along Y
        assert (int(header.nz), int(header.ny), int(header.nx)) == series.shape
        assert np.array_equal(stack.data, series.data)
        for axis in "xyz":
            assert float(stack.voxel_size[axis]) == pytest.approx(series.pixel_nm * 10, rel=1e-6)  # nm -> Å


def test_tlt_lists_the_angles_in_stack_order_with_imods_sign(tmp_path):
    """IMOD's tilt angle is the negative of ours (see sim.io.mrc, "Geometry in IMOD's terms")."""
    series = make_series(full=False)
    shuffled = series.with_data(series.data, angles_deg=series.angles_deg[[3, 0, 4, 1, 2]])  # acquisition order
    save_series(shuffled, tmp_path / "ts.mrc")
    lines = (tmp_path / "ts.tlt").read_text().splitlines()
    assert len(lines) == shuffled.n_angles
    assert [float(line) for line in lines] == (-shuffled.angles_deg).tolist()


@given(st.lists(st.floats(min_value=-180, max_value=180, allow_nan=False), min_size=1, max_size=20))
def test_tlt_text_round_trips_every_angle_exactly(angles):
    text = format_tlt(angles)
    assert "e" not in text.lower()  # plain decimals for IMOD / AreTomo
    assert parse_tlt(text).tolist() == [float(a) for a in angles]


def test_mrc_volume_header_has_the_voxel_size_in_angstrom(tmp_path):
    volume = make_volume()
    save_volume(volume, tmp_path / "v.mrc")
    with mrcfile.open(tmp_path / "v.mrc") as vol:
        assert vol.is_volume()
        assert (int(vol.header.nz), int(vol.header.ny), int(vol.header.nx)) == volume.shape
        assert float(vol.voxel_size.x) == pytest.approx(volume.voxel_nm * 10, rel=1e-6)


def test_foreign_mrc_volume_loads_with_the_header_voxel_size(tmp_path):
    with mrcfile.new(tmp_path / "imod.mrc") as out:
        out.set_data(np.arange(24, dtype=np.int16).reshape(2, 3, 4))
        out.voxel_size = 5.0  # Å
    volume = load_volume(tmp_path / "imod.mrc")
    assert volume.voxel_nm == pytest.approx(0.5)
    assert volume.shape == (2, 3, 4) and volume.quantity == "unspecified"
    assert np.array_equal(volume.data, np.arange(24).reshape(2, 3, 4))


# ---------------------------------------------------------------- HDF5 layout


def test_hdf5_file_has_the_data_exchange_layout(tmp_path):
    series = make_series(full=True)
    save_series(series, tmp_path / "s.h5")
    with h5py.File(tmp_path / "s.h5", "r") as f:
        assert f["implements"].asstr()[()].startswith("exchange")
        data = f["/exchange/data"]
        assert data.dtype == np.float32 and data.shape == series.shape
        assert data.attrs["units"] == "counts" and data.attrs["axes"] == "theta:y:x"
        assert f["/exchange/data_white"].shape == series.flat.shape
        assert f["/exchange/data_dark"].shape == series.dark.shape
        theta = f["/exchange/theta"]
        assert theta.attrs["units"] == "degrees"
        assert np.array_equal(theta[()], series.angles_deg)
        pixel = f[dxchange.PIXEL_SIZE_PATH]
        assert pixel.attrs["units"] == "um" and pixel[0] == pytest.approx(series.pixel_nm / 1000)
        nanotomo = f["/nanotomo"]
        assert nanotomo.attrs["pixel_nm"] == series.pixel_nm
        assert nanotomo.attrs["dose_unit"] == "e⁻/Å²"
        assert f["/nanotomo/ground_truth/data"].attrs["voxel_nm"] == series.ground_truth.voxel_nm


def test_hdf5_without_flat_and_dark_has_no_white_or_dark_datasets(tmp_path):
    save_series(make_series(full=False), tmp_path / "s.h5")
    with h5py.File(tmp_path / "s.h5", "r") as f:
        assert sorted(f["exchange"]) == ["data", "theta"]
        assert "ground_truth" not in f["nanotomo"] and "dose_per_view" not in f["nanotomo"]


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize("suffix", SERIES_SUFFIXES)
def test_failure_mid_write_leaves_nothing(tmp_path, monkeypatch, suffix):
    """Some data is already in temporary files when the write fails; none of it survives."""
    seen_at_failure = []
    if suffix == ".mrc":  # the stack and .tlt are written, then writing the ground-truth MRC fails
        monkeypatch.setattr(mrc, "_write_mrc", _fail_after_first(mrc._write_mrc, tmp_path, seen_at_failure))
    else:  # /exchange is written, then writing /nanotomo fails
        monkeypatch.setattr(dxchange, "_write_nanotomo", _fail_after_first(None, tmp_path, seen_at_failure, after=0))
    with pytest.raises(OSError, match="simulated"):
        save_series(make_series(full=True), tmp_path / f"s{suffix}")
    assert seen_at_failure and all(name.endswith(".tmp") for name in seen_at_failure)
    assert os.listdir(tmp_path) == []


def _fail_after_first(write, folder, seen, after=1):
    """Wrap ``write`` so that calls after the first ``after`` raise, noting the folder's files then."""
    calls = []

    def wrapped(*args, **kwargs):
        calls.append(1)
        if len(calls) > after:
            seen.extend(os.listdir(folder))
            raise OSError("disk full (simulated)")
        return write(*args, **kwargs)
    return wrapped


def test_failed_save_keeps_the_previous_files(tmp_path, monkeypatch):
    old = make_series(full=True, seed=1)
    written = save_series(old, tmp_path / "s.mrc")
    before = {p.name: p.read_bytes() for p in written}
    monkeypatch.setattr(mrc, "_write_mrc", _fail_after_first(mrc._write_mrc, tmp_path, []))
    with pytest.raises(OSError, match="simulated"):
        save_series(make_series(full=True, seed=2), tmp_path / "s.mrc")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("suffix", SERIES_SUFFIXES)
@pytest.mark.parametrize("where", ["missing folder", "under a file", "a folder"])
def test_unwritable_path_is_rejected_and_nothing_is_written(tmp_path, suffix, where):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / f"folder{suffix}").mkdir()
    target = {"missing folder": tmp_path / "missing" / f"s{suffix}",
              "under a file": tmp_path / "file.txt" / f"s{suffix}",
              "a folder": tmp_path / f"folder{suffix}"}[where]
    before = sorted(os.listdir(tmp_path))
    for save, obj in ((save_series, make_series(full=True)), (save_volume, make_volume())):
        with pytest.raises(ValidationError) as info:
            save(obj, target)
        assert info.value.field == "path"
        assert sorted(os.listdir(tmp_path)) == before
        assert os.listdir(tmp_path / f"folder{suffix}") == []


def test_unwritable_companion_path_is_rejected_before_the_stack_is_written(tmp_path):
    (tmp_path / "s.json").mkdir()  # the sidecar's name is taken by a folder
    with pytest.raises(ValidationError) as info:
        save_series(make_series(full=False), tmp_path / "s.mrc")
    assert info.value.field == "path"
    assert os.listdir(tmp_path) == ["s.json"]


@pytest.mark.parametrize("name", ["s.tif", "s.npy", "s", "s.mrc.gz"])
def test_unknown_suffix_names_the_path_and_the_allowed_suffixes(tmp_path, name):
    for call in (lambda: save_series(make_series(full=False), tmp_path / name),
                 lambda: save_volume(make_volume(), tmp_path / name),
                 lambda: load_series(tmp_path / name),
                 lambda: load_volume(tmp_path / name)):
        with pytest.raises(ValidationError, match=r"\.h5.*\.hdf5.*\.mrc") as info:
            call()
        assert info.value.field == "path"
    assert os.listdir(tmp_path) == []


def test_suffix_is_case_insensitive(tmp_path):
    series = make_series(full=False)
    save_series(series, tmp_path / "S.H5")
    assert_series_equal(load_series(tmp_path / "S.H5"), series)


def test_wrong_object_type_is_rejected(tmp_path):
    with pytest.raises(ValidationError) as info:
        save_series(make_volume(), tmp_path / "s.h5")
    assert info.value.field == "series"
    with pytest.raises(ValidationError) as info:
        save_volume(make_series(full=False), tmp_path / "v.h5")
    assert info.value.field == "volume"
    assert os.listdir(tmp_path) == []


def test_provenance_that_json_cannot_hold_is_rejected_before_writing(tmp_path):
    series = make_series(full=False)
    series = series.with_data(series.data, provenance={"rng": np.random.default_rng(0)})
    for suffix in SERIES_SUFFIXES:
        with pytest.raises(ValidationError, match=r"provenance\['rng'\]"):
            save_series(series, tmp_path / f"s{suffix}")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- loading the wrong thing


def test_missing_file_names_the_path(tmp_path):
    for load, name in ((load_series, "s.h5"), (load_series, "s.mrc"), (load_volume, "v.h5"), (load_volume, "v.mrc")):
        with pytest.raises(ValidationError, match="an existing file") as info:
            load(tmp_path / name)
        assert info.value.field == "path"


def test_a_volume_file_is_not_a_tilt_series(tmp_path):
    save_volume(make_volume(), tmp_path / "v.h5")
    with pytest.raises(ValidationError, match="nanotomo.tiltseries"):
        load_series(tmp_path / "v.h5")
    save_series(make_series(full=False), tmp_path / "s.h5")
    with pytest.raises(ValidationError, match="nanotomo.volume"):
        load_volume(tmp_path / "s.h5")


def test_a_file_that_is_not_hdf5_is_reported(tmp_path):
    (tmp_path / "s.h5").write_text("not HDF5")
    with pytest.raises(ValidationError, match="an HDF5 file"):
        load_series(tmp_path / "s.h5")


def test_a_plain_hdf5_file_without_nanotomo_metadata_is_reported(tmp_path):
    with h5py.File(tmp_path / "s.h5", "w") as f:
        f["exchange/data"] = np.zeros((2, 2, 2), np.float32)
    with pytest.raises(ValidationError, match="/nanotomo"):
        load_series(tmp_path / "s.h5")


def test_an_incomplete_nanotomo_hdf5_file_is_reported(tmp_path):
    save_series(make_series(full=False), tmp_path / "s.h5")
    with h5py.File(tmp_path / "s.h5", "r+") as f:
        del f["nanotomo/shifts_px"]
    with pytest.raises(ValidationError, match="shifts_px") as info:
        load_series(tmp_path / "s.h5")
    assert info.value.field == "path"


def test_mrc_stack_without_its_sidecar_is_reported(tmp_path):
    save_series(make_series(full=False), tmp_path / "s.mrc")
    (tmp_path / "s.json").unlink()
    with pytest.raises(ValidationError, match="sidecar"):
        load_series(tmp_path / "s.mrc")


def test_edited_tlt_is_reported(tmp_path):
    save_series(make_series(full=False), tmp_path / "s.mrc")
    (tmp_path / "s.tlt").write_text(format_tlt(np.linspace(-50, 50, 5)))
    with pytest.raises(ValidationError, match="tlt") as info:
        load_series(tmp_path / "s.mrc")
    assert info.value.field == "tilt_angles"


def test_companion_from_another_save_is_reported(tmp_path):
    save_series(make_series(full=True, seed=1), tmp_path / "a.mrc")
    save_series(make_series(full=True, seed=2), tmp_path / "b.mrc")
    for companion in ("_truth.mrc", "_truth.json", "_flat.mrc"):
        (tmp_path / f"a{companion}").write_bytes((tmp_path / f"b{companion}").read_bytes())
    with pytest.raises(ValidationError, match="same save|ground truth"):
        load_series(tmp_path / "a.mrc")


def test_stack_from_another_save_is_reported(tmp_path):
    save_series(make_series(full=False, seed=1), tmp_path / "a.mrc")
    save_series(make_series(full=False, seed=2), tmp_path / "b.mrc")
    (tmp_path / "a.mrc").write_bytes((tmp_path / "b.mrc").read_bytes())
    with pytest.raises(ValidationError, match="token mismatch"):
        load_series(tmp_path / "a.mrc")


def test_nanotomo_mrc_volume_without_its_sidecar_is_reported(tmp_path):
    save_volume(make_volume(), tmp_path / "v.mrc")
    (tmp_path / "v.json").unlink()
    with pytest.raises(ValidationError, match="sidecar"):
        load_volume(tmp_path / "v.mrc")
