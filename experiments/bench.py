"""``nanotomo bench``: run many reconstruction methods on the same simulated series and score them.

A benchmark is a grid of series (phantom × instrument × tilt range × dose ×
drift × seed) and a list of methods (built-ins, peer adapters, plugins: any
name in :func:`recon.available`). Every method sees the series as a user's
code would (the views as recorded, no true shifts); each is timed and its
peak memory sampled, and scored against the ground truth inside the sample.

Outputs, in one folder:

- ``results.csv``: the tidy table, one row per series × method × metric, with
  the series' parameters, the seed, the method's parameters (JSON) and the
  metric's unit;
- ``bench_<series>.png``: the figure grid of one series (rows: truth and each
  method; columns: the x–z slice through the centre, where the missing wedge
  shows, the rows–x slice, the error map of the x–z slice, and the FSC curves);
- ``bench_spec.json``: the resolved benchmark, to re-run it.

Examples
--------
>>> spec = BenchSpec(methods=("fbp", "sirt"), max_tilts_deg=(60.0, 70.0), drift=(False, True))
>>> [s.label for s in spec.series()]   # doctest: +NORMALIZE_WHITESPACE
['kirkendall_nanoparticle stem-200kv-haadf ±60° 61 views drift off seed 0',
 'kirkendall_nanoparticle stem-200kv-haadf ±60° 61 views drift on seed 0',
 'kirkendall_nanoparticle stem-200kv-haadf ±70° 71 views drift off seed 0',
 'kirkendall_nanoparticle stem-200kv-haadf ±70° 71 views drift on seed 0']
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import threading
import time
import tracemalloc
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import psutil
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import metrics
import phantoms
import recon
import recon.align
from experiments.reconstruct import keywords
from experiments.run import ELECTRON_STEP_DEG, RunSpec, acquire, instrument_kind, prepare_folder
from recon.align.score import unobservable_part
from sim import io, validate
from sim.errors import ValidationError
from sim.plot import figure, save
from sim.stage import Stage, Tracking


STILL_STAGE = Stage(height_error_nm=0.0, axis_offset_nm=0.0, axis_elevation_deg=0.0, runout_nm=0.0,
                    hysteresis_nm=0.0, jitter_nm=0.0, drift_nm_per_s=0.0)
"""A goniometer that does not move the sample: with tracking ``"none"``, every view is aligned."""

LOWER_IS_BETTER = ("rmse_in", "nrmse_in", "fsc_resolution", "data_residual", "time", "peak_memory")
HIGHER_IS_BETTER = ("psnr_in", "ssim_in", "dice_mean")
COLUMNS = ("series", "phantom", "instrument", "max_tilt_deg", "n_views", "dose_e_per_a2", "drift", "aligned", "seed",
           "method", "params", "metric", "value", "unit")
FSC_THRESHOLD = 0.5  # against the noise-free truth; 0.143 between half maps (Rosenthal & Henderson 2003)
MEMORY_SAMPLE_S = 0.005
ALIGNMENT = "alignment"
"""The ``method`` of the rows that score the alignment (``BenchSpec.align``)."""


@dataclass(frozen=True)
class SeriesSpec:
    """One simulated series of a benchmark: a point of the grid.

    ``dose_e_per_a2`` is the total electron dose of the series [e/Å²] (None:
    the preset's); ``drift`` switches the stage errors and drift on (the
    instrument's stage under its tracking) or off (a still stage, no shifts).
    """

    phantom: str
    phantom_params: dict
    instrument: str
    instrument_params: dict
    max_tilt_deg: float
    n_views: int
    dose_e_per_a2: float | None
    drift: bool
    seed: int
    aligned: bool = False

    @property
    def label(self) -> str:
        """A readable name for tables and figure titles."""
        dose = "" if self.dose_e_per_a2 is None else f" {self.dose_e_per_a2:g} e/Å²"
        return (f"{self.phantom} {self.instrument} ±{self.max_tilt_deg:g}° {self.n_views} views{dose} "
                f"drift {'on' if self.drift else 'off'}{' aligned' if self.aligned else ''} seed {self.seed}")

    @property
    def slug(self) -> str:
        """The label as a file-name part."""
        return re.sub(r"[^A-Za-z0-9.]+", "_", self.label.replace("±", "pm").replace("Å²", "A2")).strip("_")

    def run_spec(self, methods: tuple[str, ...]) -> RunSpec:
        """The :class:`experiments.run.RunSpec` that acquires this series."""
        params = dict(self.instrument_params)
        if self.dose_e_per_a2 is not None:
            params["dose_total_e_per_a2"] = self.dose_e_per_a2
        if not self.drift and instrument_kind(self.instrument) != "txm":
            params.update(stage=STILL_STAGE, tracking=Tracking("none"))
        return RunSpec(phantom=self.phantom, phantom_params=self.phantom_params, instrument=self.instrument,
                       instrument_params=params, tilt_min_deg=-self.max_tilt_deg, tilt_max_deg=self.max_tilt_deg,
                       n_views=self.n_views, methods=methods, seed=self.seed)


@dataclass(frozen=True)
class BenchSpec:
    """A benchmark: methods × a grid of simulated series.

    Parameters
    ----------
    phantom, phantom_params
        A registered phantom and its parameters (sizes in nm).
    instrument, instrument_params
        An instrument kind or preset (``nanotomo list``) and overrides.
    max_tilts_deg : tuple of float
        Symmetric tilt ranges ±α [deg], one series each.
    n_views : int, optional
        Views per series, evenly spaced over ±α. Default: one per 2°.
    doses_e_per_a2 : tuple of float or None
        Total electron dose per series [e/Å²]; None keeps the preset's.
    drift : tuple of bool
        Stage errors and drift off (False) and/or on (True). On needs an
        electron instrument (the TXM twin has no stage model).
    seeds : tuple of int
        Seeds of the phantom and noise: repeats of each series.
    methods : tuple of str
        Registered methods (``nanotomo list``).
    method_params : dict
        Per-method parameters, e.g. ``{"sirt": {"n_iter": 100}}``. A method
        that takes ``grey_levels`` (a discrete method) and is not given them
        gets the ground truth's material levels (:func:`material_levels`).
    rank_by : str
        The metric the summary ranks by: one of :data:`LOWER_IS_BETTER` or
        :data:`HIGHER_IS_BETTER`.
    align : bool
        Align every series first (:func:`align_series`: cross-correlation and
        projection matching) and reconstruct the aligned views; the table
        gains the alignment's shift errors against the truth (method
        ``"alignment"``).
    """

    phantom: str = "kirkendall_nanoparticle"
    phantom_params: dict = field(default_factory=dict)
    instrument: str = "stem-200kv-haadf"
    instrument_params: dict = field(default_factory=dict)
    max_tilts_deg: tuple[float, ...] = (60.0,)
    n_views: int | None = None
    doses_e_per_a2: tuple[float | None, ...] = (None,)
    drift: tuple[bool, ...] = (False,)
    seeds: tuple[int, ...] = (0,)
    methods: tuple[str, ...] = ("fbp", "sirt", "tv")
    method_params: dict = field(default_factory=dict)
    rank_by: str = "rmse_in"
    align: bool = False

    def __post_init__(self):
        for name in ("max_tilts_deg", "doses_e_per_a2", "drift", "seeds", "methods"):
            value = tuple(getattr(self, name))
            if not value:
                raise ValidationError(name, value, "at least one value")
            object.__setattr__(self, name, value)
        for alpha in self.max_tilts_deg:
            validate.in_range("max_tilts_deg", alpha, 1.0, 90.0, "deg")
        for dose in self.doses_e_per_a2:
            if dose is not None:
                validate.positive("doses_e_per_a2", dose, "e/Å²")
        if self.n_views is not None and (int(self.n_views) != self.n_views or self.n_views < 2):
            raise ValidationError("n_views", self.n_views, "an integer >= 2")
        if any(self.drift) and instrument_kind(self.instrument) == "txm":
            raise ValidationError("drift", True, "off for the TXM (its twin has no stage model); on needs stem or tem")
        if len(set(self.methods)) != len(self.methods):
            raise ValidationError("methods", self.methods, "each method once")
        if self.rank_by not in LOWER_IS_BETTER + HIGHER_IS_BETTER:
            raise ValidationError("rank_by", self.rank_by, f"one of {LOWER_IS_BETTER + HIGHER_IS_BETTER}")
        for series in self.series():  # acquisition parameters, methods and their parameters, all before any work
            series.run_spec(self.methods)
        for method, params in self.method_params.items():
            if method not in self.methods:
                raise ValidationError("method_params", method, f"one of the chosen methods {list(self.methods)}")
            recon.check_params(recon.get(method), params)
            _check_param_values(method, params)

    def series(self) -> list[SeriesSpec]:
        """The grid of series, tilt range outermost."""
        points = []
        for alpha, dose, drift, seed in itertools.product(self.max_tilts_deg, self.doses_e_per_a2, self.drift, self.seeds):
            n_views = self.n_views or int(round(2 * alpha / ELECTRON_STEP_DEG)) + 1
            points.append(SeriesSpec(self.phantom, dict(self.phantom_params), self.instrument, dict(self.instrument_params),
                                     float(alpha), int(n_views), dose, bool(drift), int(seed), self.align))
        return points


@dataclass
class BenchResult:
    """What a benchmark produced: its folder, the tidy rows and the figure paths."""

    out: Path
    rows: list[dict]
    figures: list[Path]
    rank_by: str


def bench(spec: BenchSpec, out, *, console: Console | None = None, progress: bool = True) -> BenchResult:
    """Run the benchmark ``spec`` and write its table, figures and resolved spec into ``out``."""
    console = console or Console(stderr=True, quiet=not progress)
    out = prepare_folder(out)
    rows, figures = [], []
    for point in spec.series():
        console.log(f"series: {point.label}")
        run_spec = point.run_spec(spec.methods)
        phantom = phantoms.get(point.phantom, seed=point.seed, **point.phantom_params)
        _, series, _ = acquire(run_spec, phantom, Console(stderr=True, quiet=True), progress)
        if spec.align:
            series, alignment_scores = align_series(series, progress=progress)
            rows.extend(_rows(point, ALIGNMENT, {"method": "crosscorr+matching"}, alignment_scores))
            console.log(f"alignment: {alignment_scores['time'][0]:.2f} s, shift error "
                        f"{alignment_scores['shift_error_rms'][0]:.3g} px RMS")
        truth = series.ground_truth
        levels = material_levels(truth.data, phantom.fractions, phantom.material_names)
        volumes, curves = {}, {}
        for method in spec.methods:
            params = _method_params(method, spec.method_params.get(method, {}), levels, progress)
            with console.status(f"{method} on {point.label}"), PeakMemory() as memory:
                clock = time.perf_counter()
                volume = recon.get(method)(series, **params)
                elapsed = time.perf_counter() - clock
            volumes[method] = volume
            curves[method] = metrics.fsc(volume, truth)
            scores = score_method(volume, series, levels, curves[method])
            scores["time"] = (elapsed, "s")
            scores["peak_memory"] = (memory.peak_mib, "MiB")
            recorded = {k: v for k, v in params.items() if k != "progress"}
            rows.extend(_rows(point, method, recorded, scores))
            console.log(f"{method}: {elapsed:.2f} s, RMSE in the sample {scores['rmse_in'][0]:.4g} {scores['rmse_in'][1]}")
        figures.append(plot_series_grid(truth, volumes, curves, out / f"bench_{point.slug}.png", title=point.label))
    write_rows(rows, out / "results.csv")
    io.write_json(_jsonable(asdict(spec)), out / "bench_spec.json")
    return BenchResult(out=out, rows=rows, figures=figures, rank_by=spec.rank_by)


def align_series(series, *, progress: bool = True):
    """Align a drifting series (cross-correlation + projection matching) and score the shifts against the truth.

    The rigid translation of the sample that no alignment can observe
    (:func:`recon.align.score.unobservable_part`) is set to the truth's before
    the views are resampled, so the reconstructions are scored for the
    alignment's real errors, not for sitting a few voxels off the truth.

    Returns
    -------
    aligned : TiltSeries
        The series resampled onto the ideal geometry.
    scores : dict
        ``shift_error_rms`` [px] and ``shift_error_rms_nm`` [nm] (after
        removing the translation), ``shift_error_max`` [px], ``time`` [s].
    """
    clock = time.perf_counter()
    alignment = recon.align.align(series, progress=progress)
    elapsed = time.perf_counter() - clock
    true = series.shifts_px + np.array([0.0, series.axis_offset_px])
    estimated = alignment.geometry_shifts_px()
    score = recon.align.score_shifts(estimated, true, pixel_nm=series.pixel_nm, angles_deg=series.angles_deg)
    removed, _ = unobservable_part(estimated - true, series.angles_deg)
    aligned = replace(alignment, shifts_px=alignment.shifts_px - removed).aligned(series)
    return aligned, {"shift_error_rms": (score.rms_px, "px"), "shift_error_rms_nm": (score.rms_nm, "nm"),
                     "shift_error_max": (score.max_px, "px"), "time": (elapsed, "s")}


def material_levels(truth: np.ndarray, fractions: np.ndarray, names) -> dict[str, float]:
    """The grey level of vacuum (0) and of each material in ``truth`` [unit of truth], lowest first.

    A material's level is the median of the truth over the voxels it fills
    alone (fraction > 0.99); a material that fills no voxel alone, or whose
    level equals another's, is left out (no segmentation can tell it apart).

    Examples
    --------
    >>> fractions = np.zeros((2, 1, 1, 4)); fractions[0, 0, 0, 2:] = 1.0
    >>> material_levels(np.array([[[0.0, 0.0, 3.0, 3.0]]]), fractions, ["Au", "C"])
    {'vacuum': 0.0, 'Au': 3.0}
    """
    levels = {"vacuum": 0.0}
    for name, fraction in zip(names, fractions):
        pure = fraction > 0.99
        if pure.any():
            level = float(np.median(truth[pure]))
            if level not in levels.values():
                levels[name] = level
    return dict(sorted(levels.items(), key=lambda item: item[1]))


def score_method(volume, series, levels, curve) -> dict[str, tuple[float, str]]:
    """The scores of one reconstruction, ``{metric: (value, unit)}``.

    Inside the sample (``metrics.sample_mask``): RMSE [unit of truth], NRMSE,
    PSNR [dB], SSIM; FSC resolution against the truth at 0.5 [nm] and per
    direction (``fsc_resolution[z]``, the beam, …) [nm]; the relative data
    residual; the Dice of each material after labelling by the nearest grey
    level, and their mean over the materials (vacuum excluded).
    """
    truth = series.ground_truth
    mask = metrics.sample_mask(truth)
    data_range = float(truth.data.max() - truth.data.min())
    unit = truth.unit or "unit of truth"
    scores = {
        "rmse_in": (metrics.rmse_in(volume, truth, mask), unit),
        "nrmse_in": (metrics.nrmse_in(volume, truth, mask), "1"),
        "psnr_in": (metrics.psnr_in(volume, truth, mask, data_range=data_range), "dB"),
        "ssim_in": (metrics.ssim_in(volume, truth, mask, data_range=data_range), "1"),
        "fsc_resolution": (curve.resolution_nm(FSC_THRESHOLD), "nm"),
        "data_residual": (metrics.data_residual(volume, series), "1"),
    }
    for direction, value in metrics.conical_resolution_nm(volume, truth, threshold=FSC_THRESHOLD).items():
        scores[f"fsc_resolution[{direction}]"] = (value, "nm")
    dice = metrics.dice_per_material(volume, truth, list(levels.values()))
    for name, value in zip(levels, dice):
        scores[f"dice[{name}]"] = (float(value), "1")
    materials = np.array([d for name, d in zip(levels, dice) if name != "vacuum" and np.isfinite(d)])
    scores["dice_mean"] = (float(materials.mean()) if materials.size else float("nan"), "1")
    return scores


class PeakMemory:
    """Context manager: the peak memory a computation took above what was in use at its start [MiB].

    Two views of it, the larger counts: the peak of the allocations Python's
    ``tracemalloc`` traces (numpy arrays, Python objects: exact, even when
    the allocator reuses memory the process already holds) and the growth of
    the resident set sampled every 5 ms (everything else: numba's and C/C++
    peers' own buffers; a peak shorter than the interval can be missed).
    """

    def __init__(self):
        self.peak_mib = 0.0
        self._process = psutil.Process()
        self._stop = threading.Event()

    def __enter__(self) -> "PeakMemory":
        self._tracing = not tracemalloc.is_tracing()
        if self._tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        self._traced_start = tracemalloc.get_traced_memory()[0]
        self._start = self._process.memory_info().rss
        self._peak = self._start
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        traced = tracemalloc.get_traced_memory()[1] - self._traced_start
        if self._tracing:
            tracemalloc.stop()
        self._peak = max(self._peak, self._process.memory_info().rss)
        self.peak_mib = max(traced, self._peak - self._start) / 2**20

    def _sample(self) -> None:
        while not self._stop.wait(MEMORY_SAMPLE_S):
            self._peak = max(self._peak, self._process.memory_info().rss)


def write_rows(rows: list[dict], path: Path) -> Path:
    """Write the tidy rows as CSV (columns :data:`COLUMNS`)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_rows(path) -> list[dict]:
    """The rows of a ``results.csv``, values as float."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [{**row, "value": float(row["value"])} for row in csv.DictReader(handle)]


def ranking(rows: list[dict], rank_by: str) -> dict[str, list[tuple[str, dict]]]:
    """Per series, the methods best first by ``rank_by``, each with ``{metric: value}`` (the alignment rows aside)."""
    tables: dict[str, dict[str, dict]] = {}
    for row in rows:
        if row["method"] == ALIGNMENT:
            continue
        tables.setdefault(row["series"], {}).setdefault(row["method"], {})[row["metric"]] = row["value"]
    sign = 1.0 if rank_by in LOWER_IS_BETTER else -1.0
    key = lambda item: (np.nan_to_num(sign * item[1].get(rank_by, np.nan), nan=np.inf))  # noqa: E731
    return {series: sorted(methods.items(), key=key) for series, methods in tables.items()}


def summary_tables(result: BenchResult) -> list[Table]:
    """Rich tables of the ranked methods, one per series.

    Columns: RMSE and SSIM inside the sample, FSC resolution against the
    truth (all directions, and along the beam z), mean Dice of the materials,
    time and peak memory; ``results.csv`` holds every metric.
    """
    units = {row["metric"]: row["unit"] for row in result.rows}
    shown = {"rmse_in": "RMSE", "ssim_in": "SSIM", "fsc_resolution": "FSC", "fsc_resolution[z]": "FSC z",
             "dice_mean": "Dice", "time": "time", "peak_memory": "memory"}
    tables = []
    shift_errors = {row["series"]: row["value"] for row in result.rows
                    if row["method"] == ALIGNMENT and row["metric"] == "shift_error_rms"}
    for series, ranked in ranking(result.rows, result.rank_by).items():
        caption = f"aligned first: shift error {shift_errors[series]:.3g} px RMS" if series in shift_errors else None
        table = Table(title=f"{series}: ranked by {result.rank_by}", caption=caption)
        table.add_column("#", justify="right")
        table.add_column("method", min_width=max(len(method) for method, _ in ranked))
        for metric, header in shown.items():
            table.add_column(escape(f"{header}\n[{units.get(metric, '')}]"), justify="right")
        for rank, (method, values) in enumerate(ranked, start=1):
            table.add_row(str(rank), method, *(f"{values.get(metric, float('nan')):.4g}" for metric in shown))
        tables.append(table)
    return tables


def plot_series_grid(truth, volumes: dict, curves: dict, path: Path, *, title: str) -> Path:
    """The figure grid of one series: truth and each method (x–z and rows–x slices, error map) and FSC curves."""
    maps = {"ground truth": truth.data, **{name: v.data for name, v in volumes.items()}}
    n = len(maps)
    row, z = truth.shape[0] // 2, truth.shape[1] // 2
    low, high = float(truth.data.min()), float(truth.data.max())
    error_span = max(float(np.abs(v.data[row] - truth.data[row]).max()) for v in volumes.values()) or 1.0
    fig = figure(figsize=(13, 2.6 * n), layout="constrained")
    grid = fig.add_gridspec(n, 4)
    voxel = truth.voxel_nm
    for i, (name, data) in enumerate(maps.items()):
        panels = ((data[row], f"x–z, row {row}", "z [nm]", dict(cmap="gray", vmin=low, vmax=high)),
                  (data[:, z], f"rows–x, z {z}", "rows [nm]", dict(cmap="gray", vmin=low, vmax=high)),
                  (data[row] - truth.data[row], "error (x–z)", "z [nm]",
                   dict(cmap="RdBu_r", vmin=-error_span, vmax=error_span)))
        for j, (image, what, ylabel, style) in enumerate(panels):
            if i == 0 and j == 2:
                continue
            axis = fig.add_subplot(grid[i, j])
            extent = (0, image.shape[1] * voxel, image.shape[0] * voxel, 0)
            shown = axis.imshow(image, extent=extent, interpolation="nearest", **style)
            axis.set_title(f"{name}: {what}", fontsize=9)
            axis.set_xlabel("x [nm]", fontsize=8)
            axis.set_ylabel(ylabel, fontsize=8)
            if j == 2 or (i == 0 and j == 1):
                fig.colorbar(shown, ax=axis, shrink=0.8, label=truth.unit)
    axis = fig.add_subplot(grid[:, 3])
    for name, curve in curves.items():
        axis.plot(curve.freq_per_nm, curve.fsc, label=name)
    axis.axhline(FSC_THRESHOLD, color="k", lw=0.8, ls="--", label=f"{FSC_THRESHOLD} threshold")
    axis.set_xlabel("spatial frequency [1/nm]")
    axis.set_ylabel("FSC against the ground truth")
    axis.set_ylim(-0.1, 1.02)
    axis.legend(fontsize=8)
    fig.suptitle(title)
    return save(fig, path, dpi=90)


def _method_params(method: str, given: dict, levels: dict[str, float], progress: bool) -> dict:
    names = keywords(recon.get(method))
    params = dict(given)
    if "grey_levels" in names and "grey_levels" not in params:
        params["grey_levels"] = list(levels.values())
    if "progress" in names:
        params["progress"] = progress
    return params


def _check_param_values(method: str, params: dict) -> None:
    """Catch the common bad values before any series is simulated."""
    if "n_iter" in params and (isinstance(params["n_iter"], bool) or int(params["n_iter"]) != params["n_iter"]
                               or params["n_iter"] < 1):
        raise ValidationError(f"{method}.n_iter", params["n_iter"], "an integer >= 1")
    if "weight" in params and not (np.isfinite(params["weight"]) and params["weight"] >= 0):
        raise ValidationError(f"{method}.weight", params["weight"], "a finite regularisation weight >= 0")


def _rows(point: SeriesSpec, method: str, params: dict, scores: dict) -> list[dict]:
    base = {"series": point.label, "phantom": point.phantom, "instrument": point.instrument,
            "max_tilt_deg": point.max_tilt_deg, "n_views": point.n_views,
            "dose_e_per_a2": "" if point.dose_e_per_a2 is None else point.dose_e_per_a2,
            "drift": "on" if point.drift else "off", "aligned": "yes" if point.aligned else "no", "seed": point.seed,
            "method": method,
            "params": json.dumps(_jsonable(params), sort_keys=True)}
    return [{**base, "metric": metric, "value": value, "unit": unit} for metric, (value, unit) in scores.items()]


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value
