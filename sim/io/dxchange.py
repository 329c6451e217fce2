"""HDF5 files in the Data Exchange layout (APS / TomoPy / dxchange), for X-ray series.

Layout of a tilt-series file (``.h5`` / ``.hdf5``)::

    /implements                       "exchange:measurement"
    /exchange/data                    float32 (n_angles, n_rows, n_cols); @units = series.unit,
                                      @description = series.values, @axes = "theta:y:x"
    /exchange/data_white              float32 (n_frames, n_rows, n_cols)  only if series.flat
    /exchange/data_dark               float32 (n_frames, n_rows, n_cols)  only if series.dark
    /exchange/theta                   float64 (n_angles,) [deg], @units = "degrees"
    /measurement/instrument/detection_system/objective/resolution
                                      float64 (1,) [µm], @units = "um": pixel size at the sample
    /nanotomo                         @format, @format_version, @written_by, @pixel_nm [nm],
                                      @values, @unit, @dose_unit, @axis_offset_px [px],
                                      @counts_model, @line_integral_scale
    /nanotomo/shifts_px               float64 (n_angles, 2) [px], (row, col)
    /nanotomo/dose_per_view           float64 (n_angles,) [dose_unit]       only if given
    /nanotomo/provenance              JSON text
    /nanotomo/views/<column>          float64 (n_angles,): the per-view table (defocus, dose, ...)
    /nanotomo/ground_truth/data       float32 (n_rows, n_z, n_x); @voxel_nm [nm], @quantity, @units
    /nanotomo/ground_truth/metadata   JSON text                             only if ground truth

``/exchange/*`` follows Data Exchange (theta in degrees, as the standard says),
so TomoPy / dxchange users read it without transposes:
``dxchange.read_aps_32id``-style readers find data, white, dark and theta.
The pixel size goes where APS 2-BM / 32-ID write the sample-plane pixel size
(``detection_system/objective/resolution``, micrometres); the exact value in
nm is ``/nanotomo@pixel_nm``. Everything needed to rebuild the
:class:`~sim.tiltseries.TiltSeries` bit for bit is under ``/nanotomo``.

A volume file holds ``/exchange/data`` (float32, ``(n_rows, n_z, n_x)``,
``@voxel_nm``, ``@quantity``, ``@units``) and ``/nanotomo`` (format, voxel
size, quantity, unit, metadata JSON).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import h5py
import numpy as np

from sim.errors import ValidationError
from sim.io import records
from sim.io.atomic import atomic_write, existing_file
from sim.io.jsonio import dumps
from sim.tiltseries import TiltSeries
from sim.volume import Volume

PIXEL_SIZE_PATH = "/measurement/instrument/detection_system/objective/resolution"
_STR = h5py.string_dtype("utf-8")


def save_series_h5(series: TiltSeries, path) -> tuple[Path, ...]:
    """Write ``series`` to one HDF5 file in the Data Exchange layout (see module doc).

    Returns the paths written (one). Prefer :func:`sim.io.save_series`, which
    dispatches on the suffix.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from sim.tiltseries import TiltSeries
    >>> s = TiltSeries(np.ones((2, 3, 4)), angles_deg=[0, 90], pixel_nm=10.0, values="counts", unit="counts")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     (out,) = save_series_h5(s, pathlib.Path(tmp) / "s.h5")
    ...     load_series_h5(out).angles_deg.tolist()
    [0.0, 90.0]
    """
    provenance = dumps(series.provenance, "provenance")
    truth_metadata = None if series.ground_truth is None else dumps(series.ground_truth.metadata, "ground_truth.metadata")
    with atomic_write(path) as temp:
        with h5py.File(temp, "w") as f:
            _write_exchange(f, series)
            _write_nanotomo(f, series, provenance, truth_metadata)
    return (Path(path),)


def load_series_h5(path) -> TiltSeries:
    """Read a tilt series written by :func:`save_series_h5`.

    Raises :class:`~sim.errors.ValidationError` naming ``path`` if the file is
    missing, not HDF5, or not a nanotomo tilt-series file.
    """
    source = _open_checked(path)
    shown = os.fspath(path)
    with h5py.File(source, "r") as f:
        info = _nanotomo_attrs(f, records.SERIES_FORMAT, shown)
        try:
            return _series_from(f, info)
        except KeyError as missing:
            raise ValidationError("path", shown, f"a complete nanotomo HDF5 file ({missing} is missing)") from None


def save_volume_h5(volume: Volume, path) -> tuple[Path, ...]:
    """Write ``volume`` to one HDF5 file (``/exchange/data`` + ``/nanotomo``).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from sim.volume import Volume
    >>> v = Volume(np.ones((2, 3, 4)), voxel_nm=0.5, quantity="mu", unit="1/nm")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     (out,) = save_volume_h5(v, pathlib.Path(tmp) / "v.h5")
    ...     w = load_volume_h5(out)
    >>> w.voxel_nm, w.quantity, w.unit
    (0.5, 'mu', '1/nm')
    """
    metadata = dumps(volume.metadata, "metadata")
    with atomic_write(path) as temp:
        with h5py.File(temp, "w") as f:
            f.create_dataset("implements", data="exchange", dtype=_STR)
            _write_volume(f.create_group("exchange"), volume, metadata)
            nt = f.create_group("nanotomo")
            nt.attrs.update(format=records.VOLUME_FORMAT, format_version=records.FORMAT_VERSION,
                            written_by=records.written_by(), voxel_nm=volume.voxel_nm,
                            quantity=volume.quantity, unit=volume.unit)
    return (Path(path),)


def load_volume_h5(path) -> Volume:
    """Read a volume written by :func:`save_volume_h5` (ValidationError naming ``path`` otherwise)."""
    source = _open_checked(path)
    shown = os.fspath(path)
    with h5py.File(source, "r") as f:
        _nanotomo_attrs(f, records.VOLUME_FORMAT, shown)
        try:
            return _volume_from(f["exchange/data"], f["exchange/metadata"])
        except KeyError as missing:
            raise ValidationError("path", shown, f"a complete nanotomo HDF5 file ({missing} is missing)") from None


def _write_exchange(f: h5py.File, series: TiltSeries) -> None:
    f.create_dataset("implements", data="exchange:measurement", dtype=_STR)
    ex = f.create_group("exchange")
    data = ex.create_dataset("data", data=series.data)
    data.attrs.update(units=series.unit, description=series.values, axes="theta:y:x")
    for name, frames, what in (("data_white", series.flat, "white (flat) field"), ("data_dark", series.dark, "dark field")):
        if frames is not None:
            ds = ex.create_dataset(name, data=frames)
            ds.attrs.update(units=series.unit, description=what, axes="frame:y:x")
    theta = ex.create_dataset("theta", data=np.asarray(series.angles_deg, np.float64))
    theta.attrs.update(units="degrees", description="tilt angle of each view, in acquisition order")
    pixel = f.create_dataset(PIXEL_SIZE_PATH, data=np.array([series.pixel_nm / 1000.0]))
    pixel.attrs.update(units="um", description="pixel size referred to the sample")


def _write_nanotomo(f: h5py.File, series: TiltSeries, provenance: str, truth_metadata: str | None) -> None:
    nt = f.create_group("nanotomo")
    nt.attrs.update(
        format=records.SERIES_FORMAT,
        format_version=records.FORMAT_VERSION,
        written_by=records.written_by(),
        pixel_nm=series.pixel_nm,
        values=series.values,
        unit=series.unit,
        dose_unit=series.dose_unit,
        axis_offset_px=series.axis_offset_px,
        counts_model=series.counts_model,
        line_integral_scale=series.line_integral_scale,
        axes="(n_angles, n_rows, n_cols); rows run along the tilt axis",
    )
    shifts = nt.create_dataset("shifts_px", data=np.asarray(series.shifts_px, np.float64))
    shifts.attrs.update(units="px", columns="row, col")
    if series.dose_per_view is not None:
        dose = nt.create_dataset("dose_per_view", data=np.asarray(series.dose_per_view, np.float64))
        dose.attrs["units"] = series.dose_unit
    nt.create_dataset("provenance", data=provenance, dtype=_STR)
    views = nt.create_group("views")
    for name, column in series.views.items():
        views.create_dataset(name, data=np.asarray(column, np.float64))
    if series.ground_truth is not None:
        _write_volume(nt.create_group("ground_truth"), series.ground_truth, truth_metadata)


def _write_volume(group: h5py.Group, volume: Volume, metadata: str) -> None:
    data = group.create_dataset("data", data=volume.data)
    data.attrs.update(voxel_nm=volume.voxel_nm, quantity=volume.quantity, units=volume.unit,
                      description=volume.quantity, axes="row:z:x")
    group.create_dataset("metadata", data=metadata, dtype=_STR)


def _series_from(f: h5py.File, info: dict) -> TiltSeries:
    nt = f["nanotomo"]
    truth = None
    if "ground_truth" in nt:
        group = nt["ground_truth"]
        truth = _volume_from(group["data"], group["metadata"])
    dose = nt["dose_per_view"][()] if "dose_per_view" in nt else None
    ex = f["exchange"]
    return TiltSeries(
        data=ex["data"][()],
        angles_deg=ex["theta"][()],
        pixel_nm=float(info["pixel_nm"]),
        values=str(info["values"]),
        unit=str(info["unit"]),
        dose_per_view=dose,
        dose_unit=str(info["dose_unit"]),
        shifts_px=nt["shifts_px"][()],
        axis_offset_px=float(info["axis_offset_px"]),
        flat=ex["data_white"][()] if "data_white" in ex else None,
        dark=ex["data_dark"][()] if "data_dark" in ex else None,
        ground_truth=truth,
        provenance=json.loads(nt["provenance"].asstr()[()]),
        views={name: column[()] for name, column in nt["views"].items()} if "views" in nt else {},
        counts_model=str(info.get("counts_model", "transmission")),
        line_integral_scale=float(info.get("line_integral_scale", 1.0)),
    )


def _volume_from(data: h5py.Dataset, metadata: h5py.Dataset) -> Volume:
    return Volume(
        data=data[()],
        voxel_nm=float(data.attrs["voxel_nm"]),
        quantity=str(data.attrs["quantity"]),
        unit=str(data.attrs["units"]),
        metadata=json.loads(metadata.asstr()[()]),
    )


def _open_checked(path) -> Path:
    source = existing_file(path)
    if not h5py.is_hdf5(source):
        raise ValidationError("path", os.fspath(path), "an HDF5 file")
    return source


def _nanotomo_attrs(f: h5py.File, expected: str, shown: str) -> dict:
    group = f.get("nanotomo")
    if not isinstance(group, h5py.Group):
        raise ValidationError("path", shown, f"a {expected} HDF5 file written by nanotomo (no /nanotomo group)")
    attrs = dict(group.attrs)
    records.check_format(attrs.get("format"), attrs.get("format_version"), expected, shown)
    return attrs
