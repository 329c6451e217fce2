"""MRC stacks with a ``.tlt`` for electron tilt series (IMOD, AreTomo), and MRC volumes.

Files of a tilt series saved as ``<stem>.mrc``::

    <stem>.mrc         float32 (mode 2) image stack (ispg 0): the array
                       (n_angles, n_rows, n_cols) is MRC (nz, ny, nx), so each
                       section is one view and the tilt axis (rows) runs along Y,
                       as IMOD and AreTomo expect. Voxel size = pixel_nm × 10 Å.
    <stem>.tlt         one tilt angle [deg] per line, in stack order, in IMOD's
                       sign convention: the negative of nanotomo's angle
                       (see "Geometry in IMOD's terms" below)
    <stem>_truth.mrc   the ground truth, if any (a volume file, see below)
    <stem>_truth.json  its sidecar
    <stem>_flat.mrc    white frames, if any (float32 stack)
    <stem>_dark.mrc    dark frames, if any (float32 stack)
    <stem>.json        the sidecar: everything else needed to rebuild the
                       TiltSeries (values, unit, dose, shifts, axis offset,
                       exact pixel size and nanotomo angles, provenance), written last

A volume saved as ``<stem>.mrc`` is a float32 volume (ispg 1) whose array
``(n_rows, n_z, n_x)`` is MRC ``(nz, ny, nx)`` (the section order of IMOD's
``tilt`` output before ``trimvol -rx``), voxel size in Å in the header, plus
``<stem>.json`` with the exact voxel size [nm], quantity, unit and metadata.

Geometry in IMOD's terms
------------------------
Columns are MRC X (IMOD's X), rows are MRC Y, written without a flip; the
tilt axis runs along Y through the image centre (IMOD's tilt-axis rotation
0°). nanotomo's geometry is ``u = x·cos θ + z·sin θ`` with volumes
``(n_rows, n_z, n_x)`` (:mod:`sim.geometry`); IMOD's ``tilt`` uses
``u = x·cos θ − z·sin θ`` with z along the Y of its default (PERPENDICULAR)
output slices (:mod:`sim.io.imod`). The ``.tlt`` therefore holds ``−θ``
(:func:`sim.io.imod.imod_tilt_deg`); with it, ``tilt`` (THICKNESS n_z, no
OFFSET or SHIFT) reconstructs a volume that overlays ``<stem>_truth.mrc``
voxel for voxel, not mirrored. Per-view shifts, if any, are not applied to
the stack; :func:`sim.io.imod.xf_from_shifts` gives the aligning ``.xf``.

Each MRC file carries a label ``nanotomo token <hex>``: a fingerprint of its
array, repeated in the sidecar. Loading checks them, so files left by an older
save (or a save interrupted between renames) are reported, never mixed.
Angles in the ``.tlt`` are written with the shortest decimal that reads back
to the same float64, so they round-trip exactly.
"""

from __future__ import annotations

import os
from pathlib import Path

import mrcfile
import numpy as np

from sim.errors import ValidationError
from sim.io import records
from sim.io.atomic import as_path, atomic_writes, existing_file, writable_path
from sim.io.imod import imod_tilt_deg
from sim.io.jsonio import dumps, read_json, to_jsonable
from sim.tiltseries import TiltSeries
from sim.volume import Volume

_TOKEN_LABEL = "nanotomo token "
_ANGSTROM_PER_NM = 10.0


def companion_paths(path) -> dict[str, Path]:
    """The files of an MRC tilt-series save at ``path`` (see module doc).

    Examples
    --------
    >>> {k: p.name for k, p in companion_paths("run/s.mrc").items()}  # doctest: +NORMALIZE_WHITESPACE
    {'stack': 's.mrc', 'tilt_angles': 's.tlt', 'ground_truth': 's_truth.mrc',
     'ground_truth_sidecar': 's_truth.json', 'flat': 's_flat.mrc', 'dark': 's_dark.mrc', 'sidecar': 's.json'}
    """
    stack = as_path(path)
    stem = stack.with_suffix("")
    return {
        "stack": stack,
        "tilt_angles": stack.with_suffix(".tlt"),
        "ground_truth": stem.with_name(stem.name + "_truth.mrc"),
        "ground_truth_sidecar": stem.with_name(stem.name + "_truth.json"),
        "flat": stem.with_name(stem.name + "_flat.mrc"),
        "dark": stem.with_name(stem.name + "_dark.mrc"),
        "sidecar": stack.with_suffix(".json"),
    }


def format_tlt(angles_deg) -> str:
    """``.tlt`` text: one angle [deg] per line, shortest exact decimal, no exponent.

    Examples
    --------
    >>> print(format_tlt([-60, -0.1, 0, 58.5]), end="")
    -60.0
    -0.1
    0.0
    58.5
    """
    angles = np.asarray(angles_deg, dtype=np.float64).ravel()
    return "".join(np.format_float_positional(a, unique=True, trim="0") + "\n" for a in angles)


def parse_tlt(text: str) -> np.ndarray:
    """Angles [deg] from ``.tlt`` text (one per line; blank lines ignored).

    Examples
    --------
    >>> parse_tlt("-60.0\\n0.0\\n 60.0 \\n").tolist()
    [-60.0, 0.0, 60.0]
    """
    return np.array([float(line) for line in text.split("\n") if line.strip()], dtype=np.float64)


def save_series_mrc(series: TiltSeries, path) -> tuple[Path, ...]:
    """Write ``series`` as an MRC stack, ``.tlt``, companions and a JSON sidecar.

    All files are written to temporary files first and renamed together, the
    sidecar last (see :func:`sim.io.atomic.atomic_writes`). Returns the paths
    written, the stack first. Prefer :func:`sim.io.save_series`.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from sim.tiltseries import TiltSeries
    >>> s = TiltSeries(np.ones((2, 3, 4)), angles_deg=[-30, 30], pixel_nm=0.25,
    ...                values="intensity", unit="e/px", dose_per_view=[2.0, 2.0], dose_unit="e/A^2")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = save_series_mrc(s, pathlib.Path(tmp) / "ts.mrc")
    ...     back = load_series_mrc(written[0])
    >>> [p.name for p in written], back.dose_per_view.tolist()
    (['ts.mrc', 'ts.tlt', 'ts.json'], [2.0, 2.0])
    """
    paths = companion_paths(path)
    provenance = to_jsonable(series.provenance, "provenance")
    truth = series.ground_truth
    truth_metadata = None if truth is None else to_jsonable(truth.metadata, "ground_truth.metadata")
    parts = ["stack", "tilt_angles"] + (["ground_truth", "ground_truth_sidecar"] if truth is not None else [])
    parts += [name for name in ("flat", "dark") if getattr(series, name) is not None] + ["sidecar"]
    targets = [writable_path(paths[name]) for name in parts]  # every path checked before any hashing or writing

    tokens = {"stack": records.content_token(series.data)}
    writers = {"stack": _stack_writer(series.data, series.pixel_nm, tokens["stack"], "tilt series"),
               "tilt_angles": _text_writer(format_tlt(imod_tilt_deg(series.angles_deg)))}
    if truth is not None:
        tokens["ground_truth"] = records.content_token(truth.data)
        writers["ground_truth"] = _volume_writer(truth, tokens["ground_truth"])
        writers["ground_truth_sidecar"] = _text_writer(_volume_sidecar(truth, tokens["ground_truth"], truth_metadata))
    for name in ("flat", "dark"):
        frames = getattr(series, name)
        if frames is not None:
            tokens[name] = records.content_token(frames)
            writers[name] = _stack_writer(frames, series.pixel_nm, tokens[name], f"{name} frames")
    writers["sidecar"] = _text_writer(_series_sidecar(series, tokens, provenance))
    with atomic_writes(targets) as temps:
        for name, temp in zip(parts, temps):
            writers[name](temp)
    return tuple(targets)


def load_series_mrc(path) -> TiltSeries:
    """Read a tilt series written by :func:`save_series_mrc`.

    Needs the sidecar ``<stem>.json``. Raises
    :class:`~sim.errors.ValidationError` naming the offending file if one is
    missing, or if the stack, ``.tlt`` or a companion does not match the
    sidecar (edited, or left by a different save).
    """
    paths = companion_paths(path)
    stack_path = existing_file(path)
    sidecar_path = paths["sidecar"]
    if not sidecar_path.is_file():
        raise ValidationError("path", os.fspath(path), f"an MRC stack saved with its sidecar ({str(sidecar_path)!r} is missing)")
    record = _read_record(sidecar_path, records.SERIES_FORMAT)
    try:
        return _series_from(record, paths, stack_path, sidecar_path)
    except KeyError as missing:
        raise ValidationError("path", str(sidecar_path), f"a complete nanotomo sidecar (no {missing} entry)") from None


def _series_from(record: dict, paths: dict, stack_path: Path, sidecar_path: Path) -> TiltSeries:
    files = record["files"]
    data, _ = _read_checked(stack_path, files["stack"])
    angles = imod_tilt_deg(_read_tlt(paths["tilt_angles"]))
    expected = np.asarray(record["angles_deg"], dtype=np.float64)
    if angles.shape != expected.shape or not np.array_equal(angles, expected):
        raise ValidationError("tilt_angles", str(paths["tilt_angles"]),
                              f"the {expected.size} angles recorded in {str(sidecar_path)!r} (the .tlt was edited or is from another save)")
    truth = None
    if files.get("ground_truth") is not None:
        truth, token = _load_volume(existing_file(paths["ground_truth"], "ground_truth"))
        if token != files["ground_truth"]:
            raise ValidationError("ground_truth", str(paths["ground_truth"]), f"the ground truth recorded in {str(sidecar_path)!r}")
    frames = {}
    for name in ("flat", "dark"):
        token = files.get(name)
        frames[name] = None if token is None else _read_checked(existing_file(paths[name], name), token)[0]
    dose = record["dose_per_view"]
    return TiltSeries(
        data=data,
        angles_deg=angles,
        pixel_nm=record["pixel_nm"],
        values=record["values"],
        unit=record["unit"],
        dose_per_view=None if dose is None else np.asarray(dose, dtype=np.float64),
        dose_unit=record["dose_unit"],
        shifts_px=np.asarray(record["shifts_px"], dtype=np.float64).reshape(-1, 2),
        axis_offset_px=record["axis_offset_px"],
        flat=frames["flat"],
        dark=frames["dark"],
        ground_truth=truth,
        provenance=record["provenance"],
        views={name: np.asarray(column, dtype=np.float64) for name, column in record.get("views", {}).items()},
        counts_model=record.get("counts_model", "transmission"),
        line_integral_scale=record.get("line_integral_scale", 1.0),
    )


def save_volume_mrc(volume: Volume, path) -> tuple[Path, ...]:
    """Write ``volume`` as a float32 MRC volume plus a ``<stem>.json`` sidecar.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from sim.volume import Volume
    >>> v = Volume(np.ones((2, 3, 4)), voxel_nm=0.3, quantity="potential", unit="V·nm")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = save_volume_mrc(v, pathlib.Path(tmp) / "v.mrc")
    ...     w = load_volume_mrc(written[0])
    >>> [p.name for p in written], w.voxel_nm, w.unit
    (['v.mrc', 'v.json'], 0.3, 'V·nm')
    """
    stack = as_path(path)
    metadata = to_jsonable(volume.metadata, "metadata")
    targets = [writable_path(stack), writable_path(stack.with_suffix(".json"))]
    token = records.content_token(volume.data)
    writers = [_volume_writer(volume, token), _text_writer(_volume_sidecar(volume, token, metadata))]
    with atomic_writes(targets) as temps:
        for write, temp in zip(writers, temps):
            write(temp)
    return tuple(targets)


def load_volume_mrc(path) -> Volume:
    """Read an MRC volume: one written by :func:`save_volume_mrc`, or any MRC file.

    With the nanotomo sidecar ``<stem>.json`` everything comes back exactly.
    A foreign MRC (no sidecar, no nanotomo label) loads with the voxel size
    from its header (Å → nm), ``quantity="unspecified"`` and ``unit=""``. A
    nanotomo MRC whose sidecar is missing or does not match raises
    :class:`~sim.errors.ValidationError`.
    """
    volume, _ = _load_volume(existing_file(path))
    return volume


def _load_volume(source: Path) -> tuple[Volume, str | None]:
    """The volume at ``source`` and its nanotomo token (None for a foreign MRC)."""
    sidecar = source.with_suffix(".json")
    if sidecar.is_file():
        record = _read_record(sidecar, records.VOLUME_FORMAT)
        try:
            data, header = _read_checked(source, record["token"])
            volume = Volume(data, voxel_nm=record["voxel_nm"], quantity=record["quantity"], unit=record["unit"],
                            metadata=record["metadata"])
        except KeyError as missing:
            raise ValidationError("path", str(sidecar), f"a complete nanotomo sidecar (no {missing} entry)") from None
        return volume, header["token"]
    data, header = _read_mrc(source)
    if header["token"] is not None:
        raise ValidationError("path", str(source), f"a nanotomo MRC volume with its sidecar ({str(sidecar)!r} is missing)")
    voxel_a = header["voxel_a"]
    if not (voxel_a[0] > 0 and np.allclose(voxel_a, voxel_a[0], rtol=1e-5)):
        raise ValidationError("path", str(source), f"an MRC file with a cubic voxel size set in its header (found {voxel_a} Å)")
    return Volume(data, voxel_nm=voxel_a[0] / _ANGSTROM_PER_NM), None


def _read_record(sidecar: Path, expected: str) -> dict:
    record = read_json(sidecar)
    if not isinstance(record, dict):
        raise ValidationError("path", str(sidecar), f"a {expected} sidecar (a JSON object)")
    records.check_format(record.get("format"), record.get("format_version"), expected, str(sidecar))
    return record


def _read_tlt(path: Path) -> np.ndarray:
    source = existing_file(path, "tilt_angles")
    try:
        return parse_tlt(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValidationError("tilt_angles", str(source), f"a .tlt file: one angle [deg] per line ({error})") from None


def _series_sidecar(series: TiltSeries, tokens: dict, provenance: dict) -> str:
    record = {
        "format": records.SERIES_FORMAT,
        "format_version": records.FORMAT_VERSION,
        "written_by": records.written_by(),
        "layout": "MRC stack (nz, ny, nx) = (n_angles, n_rows, n_cols), tilt axis along Y; "
                  "IMOD tilt angles [deg] (= -angles_deg) in <stem>.tlt; companions <stem>_truth.mrc, <stem>_flat.mrc, <stem>_dark.mrc",
        "files": {name: tokens.get(name) for name in ("stack", "ground_truth", "flat", "dark")},
        "pixel_nm": series.pixel_nm,
        "angles_deg": series.angles_deg,
        "values": series.values,
        "unit": series.unit,
        "dose_per_view": series.dose_per_view,
        "dose_unit": series.dose_unit,
        "shifts_px": series.shifts_px,
        "axis_offset_px": series.axis_offset_px,
        "counts_model": series.counts_model,
        "line_integral_scale": series.line_integral_scale,
        "views": series.views,
        "provenance": provenance,
    }
    return dumps(record, "series")


def _volume_sidecar(volume: Volume, token: str, metadata: dict) -> str:
    record = {
        "format": records.VOLUME_FORMAT,
        "format_version": records.FORMAT_VERSION,
        "written_by": records.written_by(),
        "layout": "MRC volume (nz, ny, nx) = (n_rows, n_z, n_x)",
        "token": token,
        "voxel_nm": volume.voxel_nm,
        "quantity": volume.quantity,
        "unit": volume.unit,
        "metadata": metadata,
    }
    return dumps(record, "volume")


def _text_writer(text: str):
    def write(temp: Path) -> None:
        temp.write_text(text, encoding="utf-8")
    return write


def _stack_writer(data: np.ndarray, pixel_nm: float, token: str, what: str):
    def write(temp: Path) -> None:
        _write_mrc(temp, data, pixel_nm, token, f"{what}: (n_angles, n_rows, n_cols), tilt axis along Y", stack=True)
    return write


def _volume_writer(volume: Volume, token: str):
    def write(temp: Path) -> None:
        _write_mrc(temp, volume.data, volume.voxel_nm, token, "volume: (n_rows, n_z, n_x) as (nz, ny, nx)", stack=False)
    return write


def _write_mrc(temp: Path, data: np.ndarray, pixel_nm: float, token: str, description: str, *, stack: bool) -> None:
    with mrcfile.new(temp, overwrite=True) as mrc:
        mrc.set_data(np.ascontiguousarray(data, dtype=np.float32))
        # Drop mrcfile's timestamped "Created by" label: the same data gives the same bytes.
        mrc.header.label[:] = b""
        mrc.header.nlabl = 0
        if stack:
            mrc.set_image_stack()
        else:
            mrc.set_volume()
        mrc.voxel_size = pixel_nm * _ANGSTROM_PER_NM
        mrc.add_label(f"{records.written_by()} {description}"[:80])
        mrc.add_label(_TOKEN_LABEL + token)


def _read_mrc(source: Path) -> tuple[np.ndarray, dict]:
    try:
        with mrcfile.open(source, mode="r") as mrc:
            data = mrc.data
            voxel = mrc.voxel_size
            shape = (int(mrc.header.nz), int(mrc.header.ny), int(mrc.header.nx))
            labels = [label.decode("ascii", "replace").strip() for label in mrc.header.label[: int(mrc.header.nlabl)]]
    except ValueError as error:
        raise ValidationError("path", str(source), f"a valid MRC file ({error})") from None
    if data is None or data.ndim not in (2, 3):
        raise ValidationError("path", str(source), "an MRC file holding a stack or a volume (nz, ny, nx)")
    data = data.reshape(shape)  # mrcfile returns one section (nz = 1) as 2-D
    tokens = [label[len(_TOKEN_LABEL):] for label in labels if label.startswith(_TOKEN_LABEL)]
    header = {"voxel_a": (float(voxel.x), float(voxel.y), float(voxel.z)), "token": tokens[0] if tokens else None}
    return data, header


def _read_checked(source: Path, token: str) -> tuple[np.ndarray, dict]:
    data, header = _read_mrc(source)
    if header["token"] != token:
        raise ValidationError("path", str(source), "an MRC file from the same save as its sidecar (token mismatch: stale or partial save)")
    return data, header
