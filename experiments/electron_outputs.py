"""What an electron run writes beside the scores: IMOD-ready series, the true alignment, the per-view table, the time.

- ``series.mrc`` + ``series.tlt`` (+ ``series_truth.mrc`` and the JSON
  sidecars): :func:`sim.io.save_series`; IMOD conventions in :mod:`sim.io.mrc`.
- ``series_true.xf``: the transforms that align each raw view (IMOD ``.xf``,
  :mod:`sim.io.imod`), from the true stage shifts and the tilt-axis offset.
- ``series_true.aln``: the same alignment as AreTomo writes it (:mod:`sim.io.aretomo`).
- ``views.csv``: one row per view in stack (= acquisition) order, units in the header.
- ``acquisition_time.json``: the session's time budget [s] and its total [h].
- ``tiltseries.png``, ``dose_and_shift.png``: :mod:`sim.plot_series`.
"""

from __future__ import annotations

import csv
import io as text_io
from pathlib import Path

import numpy as np
from rich.markup import escape
from rich.table import Table

from sim import io, plot_series
from sim.io.atomic import atomic_write, writable_path
from sim.io.aretomo import alignment_from_series, write_aln
from sim.io.imod import write_xf, xf_from_shifts

FIRST_COLUMNS = ("tilt_deg", "shift_row_nm", "shift_col_nm", "shift_row_px", "shift_col_px", "defocus_nm",
                 "dose_e_per_a2", "cumulative_dose_e_per_a2", "time_s")
_UNIT_SUFFIXES = (("_e_per_a2", "e/A^2"), ("_per_px", "e/px"), ("_deg", "deg"), ("_nm", "nm"), ("_px", "px"), ("_s", "s"))
SECONDS_PER_HOUR = 3600.0


def column_label(name: str) -> str:
    """A views column name with its unit in brackets, e.g. ``"tilt [deg]"``.

    The unit comes from the name's suffix; remaining mass and thickness are
    fractions ``[1]``.

    Examples
    --------
    >>> column_label("cumulative_dose_e_per_a2"), column_label("shift_row_px"), column_label("mass_remaining[Au]")
    ('cumulative_dose [e/A^2]', 'shift_row [px]', 'mass_remaining[Au] [1]')
    """
    if name.startswith(("mass_remaining[", "thickness_remaining[")):
        return f"{name} [1]"
    for suffix, unit in _UNIT_SUFFIXES:
        if name.endswith(suffix):
            return f"{name[: -len(suffix)]} [{unit}]"
    return name


def views_table(series) -> dict[str, np.ndarray]:
    """The per-view table of an electron series, one entry per view in stack order.

    Columns (names carry units): ``view`` (section index in ``series.mrc``,
    0-based; IMOD numbers views from 1), then :data:`FIRST_COLUMNS` (the
    shift in px is ``series.shifts_px``, the rest from ``series.views``), then
    every other column of ``series.views`` (drift blur, stage focus error,
    incident electrons per pixel, remaining mass and thickness per material).
    Columns the series lacks are left out.

    Examples
    --------
    >>> from sim import TiltSeries
    >>> s = TiltSeries(np.zeros((2, 3, 4)), angles_deg=[-10, 10], pixel_nm=0.5, values="counts",
    ...                shifts_px=[[1, 0], [0, -2]], views={"time_s": [0.0, 30.0], "shift_row_nm": [0.5, 0.0]})
    >>> list(views_table(s))
    ['view', 'tilt_deg', 'shift_row_nm', 'shift_row_px', 'shift_col_px', 'time_s']
    """
    columns = {"view": np.arange(series.n_angles), "tilt_deg": series.angles_deg,
               "shift_row_px": series.shifts_px[:, 0], "shift_col_px": series.shifts_px[:, 1]}
    columns.update(series.views)
    ordered = {"view": columns["view"]}
    ordered.update({name: columns[name] for name in FIRST_COLUMNS if name in columns})
    ordered.update({name: values for name, values in columns.items() if name not in ordered})
    return ordered


def write_views_csv(series, path) -> Path:
    """Write :func:`views_table` as CSV (header labels from :func:`column_label`), atomically."""
    table = views_table(series)
    buffer = text_io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column_label(name) for name in table])
    for row in zip(*table.values()):
        writer.writerow([f"{value:.10g}" for value in row])
    target = writable_path(path)
    with atomic_write(target) as temp:
        temp.write_text(buffer.getvalue(), encoding="utf-8")
    return target


def acquisition_time(series) -> dict:
    """The session's time budget: each part [s] (``*_s``), ``total_s`` and ``total_h``.

    Read from ``series.provenance["acquisition_time_s"]`` (the instrument's
    time model, :mod:`sim.acquisition_time`).
    """
    parts = {name: float(value) for name, value in series.provenance["acquisition_time_s"].items()}
    return {**parts, "total_h": parts["total_s"] / SECONDS_PER_HOUR}


def acquisition_time_table(timing: dict) -> Table:
    """A rich table of the time budget: one row per part, in s and h, the total last.

    Examples
    --------
    >>> acquisition_time_table({"exposures_s": 60.0, "total_s": 7200.0, "total_h": 2.0}).row_count
    2
    """
    table = Table(title="acquisition time")
    table.add_column("part")
    table.add_column(escape("time [s]"), justify="right")
    table.add_column(escape("time [h]"), justify="right")
    for name, seconds in timing.items():
        if name.endswith("_s") and name != "total_s":
            table.add_row(name[:-2].replace("_", " "), f"{seconds:.0f}", f"{seconds / SECONDS_PER_HOUR:.3f}")
    total = timing["total_s"]
    table.add_row("total", f"{total:.0f}", f"{total / SECONDS_PER_HOUR:.3f}", style="bold")
    return table


def write_electron_files(series, out: Path) -> list[Path]:
    """Write the electron series files into ``out`` (see the module docstring); return the paths.

    ``series`` is the recorded series of counts (with its ground truth), as
    returned by an electron instrument's ``acquire``.
    """
    written = list(io.save_series(series, out / "series.mrc"))
    alignment = alignment_from_series(series)
    written.append(write_xf(xf_from_shifts(alignment.shifts_px), out / "series_true.xf"))
    written.append(write_aln(alignment, out / "series_true.aln"))
    written.append(write_views_csv(series, out / "views.csv"))
    written.append(io.write_json(acquisition_time(series), out / "acquisition_time.json"))
    written.append(plot_series.tilt_views(series, out / "tiltseries.png"))
    written.append(plot_series.dose_and_shift(series, out / "dose_and_shift.png"))
    return written
